"""`manage.py backfill_mau`: monthly active users from the sign-ins and audit entries stored before MAU recording
(idempotent: run it once after deploying, again at will)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tenants.services import activity


class Command(BaseCommand):
    help = "Record monthly active users from stored refresh tokens and audit log entries (idempotent)."

    def handle(self, *args, **options) -> None:
        added = activity.backfill_monthly_active_users()
        self.stdout.write(f"{added} monthly active user row(s) added.")
