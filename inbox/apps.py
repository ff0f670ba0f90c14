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

        # Forwarded tickets and alerts go to any address, often outside the workspace: email only.
        extensions.register_notice("inbox.ticket.forwarded", title="Ticket forwarded", is_critical=True)
        extensions.register_notice("inbox.alert.fired", title="Inbox alert", is_critical=True)
        extensions.register_notice("inbox.followup.due", title="Follow-up due", is_critical=False)
        register_inbox_settings()


def register_inbox_settings() -> None:
    """Tenant settings the inbox reads (validated and documented by PATCH /tenant without importing the inbox)."""
    from rest_framework import serializers

    from core import extensions
    from inbox.services.categories import CATEGORIZE_BEFORE_ARCHIVE

    extensions.register_tenant_setting(
        CATEGORIZE_BEFORE_ARCHIVE,
        lambda: serializers.BooleanField(
            required=False,
            allow_null=True,
            help_text="Agents must give a ticket at least one category before archiving it (409 CATEGORY_REQUIRED).",
        ),
    )
