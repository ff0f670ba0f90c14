import io

from django.core.management import call_command
from django.db import connection

from core import fields, tenancy
from tenants.tests.factories import UserFactory


def _stored_secret(user) -> str:
    with tenancy.platform_access(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT totp_secret FROM tenants_user WHERE id = %s",
            [user.pk.hex if connection.vendor == "sqlite" else user.pk],
        )
        return cursor.fetchone()[0]


def test_secrets_are_encrypted_at_rest_and_decrypted_on_read(db):
    user = UserFactory(totp_secret="JBSWY3DPEHPK3PXP")
    stored = _stored_secret(user)
    assert "JBSWY3DPEHPK3PXP" not in stored
    user.refresh_from_db()
    assert user.totp_secret == "JBSWY3DPEHPK3PXP"


def test_key_rotation_keeps_old_ciphertexts_readable_and_reencrypts(db, settings):
    settings.FIELD_ENCRYPTION_KEYS = ["old-key-material"]
    user = UserFactory(totp_secret="SECRET1")
    old_ciphertext = _stored_secret(user)
    settings.FIELD_ENCRYPTION_KEYS = ["new-key-material", "old-key-material"]
    user.refresh_from_db()
    assert user.totp_secret == "SECRET1"
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    assert _stored_secret(user) != old_ciphertext
    settings.FIELD_ENCRYPTION_KEYS = ["new-key-material"]
    user.refresh_from_db()
    assert user.totp_secret == "SECRET1"
    assert fields.decrypt(fields.encrypt("x")) == "x"
