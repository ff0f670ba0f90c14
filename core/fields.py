"""Encrypted model field: secrets (network tokens, TOTP secrets) are Fernet-encrypted at rest.

Keys come from settings.FIELD_ENCRYPTION_KEYS, newest first; older keys still decrypt (MultiFernet), so keys rotate
by prepending a new one and running `manage.py rotate_encryption_keys`.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError:
        # Not a Fernet key: derive one, so any long random string from the environment works.
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


@functools.cache
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(key) for key in keys])


def cipher() -> MultiFernet:
    return _multi_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return cipher().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return cipher().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return cipher().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """Stores ciphertext; Python sees plaintext. Not searchable or orderable by design."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except InvalidToken as exc:
            raise ValueError(f"Cannot decrypt {self.model.__name__}.{self.name}: unknown encryption key.") from exc

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
