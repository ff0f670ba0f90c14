"""`manage.py inbox_burst --channel ID --count N [--text T]`: people write to a sandbox channel (then it is polled)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core import tenancy
from inbox.demo import burst, poll_now


class Command(BaseCommand):
    help = "Make N people write to a sandbox channel (comments, replies, DMs, mentions) and ingest them now."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--channel", required=True, help="The sandbox channel's id.")
        parser.add_argument("--count", type=int, default=20)
        parser.add_argument("--text", default="", help="The message of every item (default: varied demo texts).")
        parser.add_argument("--no-poll", action="store_true", help="Leave ingestion to the beat sweep.")

    def handle(self, *args, channel: str, count: int, text: str, no_poll: bool, **options) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1.")
        from social.services.listening import sandbox_channel_of_any_tenant

        found = sandbox_channel_of_any_tenant(channel)
        if found is None:
            raise CommandError(f"No sandbox channel {channel}.")
        ids = burst(found, count=count, text=text)
        created = 0
        if not no_poll:
            with tenancy.tenant_context(found.tenant):
                created = poll_now(found)
        self.stdout.write(f"{len(ids)} items written to {found.name}; {created} tickets created.")
