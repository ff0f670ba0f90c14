"""Values the serializer modules share."""

from __future__ import annotations

from tenants.roles import ALL_PERMISSIONS

LOCALES = ["en", "de", "fr", "es", "it", "nl", "pt"]
MAX_BATCH = 100
PERMISSION_CHOICES = sorted(ALL_PERMISSIONS)
