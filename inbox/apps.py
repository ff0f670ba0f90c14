from django.apps import AppConfig
from django.conf import settings

# The inbox's enums get their own schema names: several apps have `status`/`type` fields with other choices, and
# drf-spectacular would otherwise name them by hash. Added here so the app carries its own schema names.
SCHEMA_ENUM_NAMES = {
    "TicketStatusEnum": "inbox.models.TicketStatus",
    "TicketTypeEnum": "inbox.models.TicketType",
    "TicketActionStatusEnum": "inbox.models.ActionStatus",
    "BulkJobStatusEnum": "inbox.models.BulkJobStatus",
    "SentimentEnum": "inbox.models.Sentiment",
    # The post type kept the name it had before the ticket type existed.
    "TypeEnum": "contentplanner.models.PostType",
}


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Unified inbox"

    def ready(self) -> None:
        overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        for name, path in SCHEMA_ENUM_NAMES.items():
            overrides.setdefault(name, path)

        from core import extensions

        # Forwarded tickets go to any address, often outside the workspace: email only.
        extensions.register_notice("inbox.ticket.forwarded", title="Ticket forwarded", is_critical=True)
