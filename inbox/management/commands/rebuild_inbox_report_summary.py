"""`manage.py rebuild_inbox_report_summary (--tenant ID | --all-tenants) [--from DATE] [--to DATE]`."""

from __future__ import annotations

import uuid
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from core import tenancy
from inbox.models import Ticket
from inbox.services.report_summary import rebuild_summary


class Command(BaseCommand):
    help = (
        "Recompute the inbox report summary of a tenant (or all) for local days FROM..TO from its tickets "
        "(idempotent): after a time zone change, or for tickets older than the summary. Default: every day since the "
        "first ticket."
    )

    def add_arguments(self, parser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--tenant", type=uuid.UUID, help="The tenant's id.")
        target.add_argument("--all-tenants", action="store_true", help="Every tenant with tickets.")
        parser.add_argument("--from", dest="first", type=date.fromisoformat, help="First local day (YYYY-MM-DD).")
        parser.add_argument("--to", dest="last", type=date.fromisoformat, help="Last local day (default: today).")

    def handle(self, *args, tenant: uuid.UUID | None, all_tenants: bool, first, last, **options) -> None:
        from tenants.selectors import tenants_by_ids

        if first and last and first > last:
            raise CommandError("--from must be on or before --to.")
        if all_tenants:
            with tenancy.platform_access():
                ids = set(Ticket.all_tenants.order_by().values_list("tenant_id", flat=True).distinct())
        else:
            ids = {tenant}
        found = tenants_by_ids(ids)
        if not found:
            raise CommandError(f"No tenant {tenant}." if tenant else "No tenant has tickets.")
        for row in sorted(found.values(), key=lambda t: t.slug):
            with tenancy.tenant_context(row):
                written = rebuild_summary(first, last, actor=None)
            self.stdout.write(f"{row.slug}: {written} summary rows written (days in {row.timezone}).")
