"""Serializer fields every app's ModelSerializers get by default (registered in `core.apps`)."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers


class UrlField(serializers.URLField):
    """A model `URLField` on output: no URL is `null`, never `""`, which is not a valid `format: uri` value and
    breaks generated clients. Read-only fields are documented nullable; writable ones keep the model's rules."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.read_only:
            self.allow_null = True

    def to_representation(self, value: Any) -> str | None:
        if value in ("", None) and self.read_only:
            return None
        return super().to_representation(value)


def register_model_field_mapping() -> None:
    serializers.ModelSerializer.serializer_field_mapping[models.URLField] = UrlField
