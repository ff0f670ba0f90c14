"""Input plumbing every view uses: validate a body or a query string, and resolve ids inside the caller's tenant.

`validated()` is the one way a view turns request data into a dict (errors become 400 `VALIDATION_ERROR` in the
documented shape). `TenantScopedPrimaryKeyRelatedField` resolves ids through a callable that runs inside the
request's tenant, never through a class-level queryset, and answers an unknown id and another tenant's id alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.request import Request

from core.errors import ValidationFailed

UNKNOWN_ID_MESSAGE = "Unknown {label}: {ids}."


def validated(
    serializer_class: type[serializers.Serializer],
    request: Request,
    *,
    source: str = "body",
    partial: bool = False,
    context: Mapping[str, Any] | None = None,
) -> dict:
    """The validated data of the request's body (`source="body"`) or query string (`source="query"`)."""
    data = request.data if source == "body" else request.query_params
    serializer = serializer_class(data=data, partial=partial, context={"request": request, **(context or {})})
    if not serializer.is_valid():
        raise ValidationFailed(details=serializer.errors)
    return serializer.validated_data


def resolve_ids(queryset: QuerySet, ids: Iterable[Any], *, field: str, label: str) -> list[Model]:
    """The rows with these ids in input order; any id not in `queryset` -> 400 naming every missing id."""
    ids = list(ids)
    found = queryset.in_bulk(ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationFailed(details={field: [UNKNOWN_ID_MESSAGE.format(label=label, ids=", ".join(missing))]})
    return [found[i] for i in ids]


class TenantScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id resolved by `queryset_factory(request)` at validation time, inside the request's tenant.

    `PrimaryKeyRelatedField(queryset=Model.objects.all())` is evaluated outside any tenant and is the classic
    cross-tenant hole; this field takes a callable instead, and an unknown id and another tenant's id give the
    same message.
    """

    default_error_messages = {
        "does_not_exist": "Unknown {label}: {pk_value}.",
        "incorrect_type": "Incorrect type. Expected an id, received {data_type}.",
    }

    def __init__(self, queryset_factory: Callable[[Request | None], QuerySet], *, label_name: str, **kwargs) -> None:
        self.queryset_factory = queryset_factory
        self.label_name = label_name
        kwargs.setdefault("pk_field", serializers.UUIDField())
        super().__init__(queryset=None, read_only=False, **kwargs)

    def get_queryset(self) -> QuerySet:
        return self.queryset_factory(self.context.get("request"))

    def to_internal_value(self, data: Any) -> Model:
        if self.pk_field is not None:
            data = self.pk_field.to_internal_value(data)
        try:
            return self.get_queryset().get(pk=data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        except ObjectDoesNotExist:
            self.fail("does_not_exist", label=self.label_name, pk_value=data)
