"""The unified inbox: tickets (one item from a network that may need an answer), the people who wrote them, what
agents did to them, and where polling stands per channel.

Organisation and care: a `Category` tree (tickets carry many through `TicketCategory`), saved reply `Template`s,
rules writing `TicketEvent`s with `kind="rule"`, and SLA reports reading the business-hours durations stored on the
ticket when it is first answered and when it is resolved.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import EncryptedTextField
from core.models import TenantScopedModel


class TicketType(models.TextChoices):
    POST = "post"
    COMMENT = "comment"
    REPLY = "reply"
    MESSAGE = "message"
    MENTION = "mention"
    REVIEW = "review"


class TicketStatus(models.TextChoices):
    OPEN = "open"
    SNOOZED = "snoozed"
    ARCHIVED = "archived"
    DELETED = "deleted"


class ArchiveReason(models.TextChoices):
    MANUAL = "manual"
    AUTO = "auto"  # our own items, archived on arrival
    MASS = "mass"  # bulk actions
    RULE = "rule"


class Sentiment(models.TextChoices):
    POSITIVE = "POSITIVE"
    NEUTRAL = "NEUTRAL"
    NEGATIVE = "NEGATIVE"


class Interactor(TenantScopedModel):
    """A person on a network, per tenant (upserted by ingestion on `(network, network_user_id)`)."""

    network = models.CharField(max_length=20)
    network_user_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    handle = models.CharField(max_length=255, blank=True)
    avatar_url = models.URLField(max_length=2000, blank=True)
    profile_url = models.URLField(max_length=2000, blank=True)
    follower_count = models.PositiveIntegerField(null=True, blank=True)
    is_blocked = models.BooleanField(default=False)
    erased_at = models.DateTimeField(null=True, blank=True)  # GDPR: personal data removed, tickets kept

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "network", "network_user_id"], name="uniq_inbox_interactor")
        ]

    def __str__(self) -> str:
        return f"{self.name or self.handle or self.network_user_id} ({self.network})"


# What the reports group, filter or join (categories) by, carried in their covering indexes.
REPORT_GROUP_COLUMNS = ["id", "channel_id", "assignee_id", "team_id", "sentiment"]


class Ticket(TenantScopedModel):
    channel = models.ForeignKey("social.Channel", on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=20)  # the channel's, copied so the list filters without a join
    type = models.CharField(max_length=20, choices=TicketType.choices)
    network_item_id = models.CharField(max_length=255)  # the dedupe key, unique per channel
    # Thread: what the network says the item answers (a post, a comment, a conversation), and the ticket once
    # both are here. A reply arriving before its parent keeps `parent_network_item_id` and is linked later.
    parent_network_item_id = models.CharField(max_length=255, blank=True)
    root_network_item_id = models.CharField(max_length=255, blank=True, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    interactor = models.ForeignKey(Interactor, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    text = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    rating = models.JSONField(null=True, blank=True)  # {value, scale} for reviews
    status = models.CharField(max_length=20, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    archive_reason = models.CharField(max_length=20, choices=ArchiveReason.choices, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    is_priority = models.BooleanField(default=False)
    is_unread = models.BooleanField(default=True)
    is_hidden = models.BooleanField(default=False)
    is_liked = models.BooleanField(default=False)
    is_own = models.BooleanField(default=False)  # written by us (our reply, our post)
    is_deleted_in_network = models.BooleanField(default=False)
    is_edited = models.BooleanField(default=False)
    edit_history = models.JSONField(default=list, blank=True)  # [{text, replacedAt}], oldest first
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey("tenants.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    followup_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    network_created_at = models.DateTimeField(null=True, blank=True)
    network_updated_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Seconds inside the channel's business hours, computed once when the moment happens (reports aggregate these in
    # SQL instead of walking calendars per ticket). Null until answered / resolved.
    first_response_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    categories = models.ManyToManyField("Category", through="TicketCategory", related_name="tickets", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "network_item_id"], name="uniq_ticket_channel_item"),
            models.CheckConstraint(
                condition=~Q(status="snoozed") | Q(snoozed_until__isnull=False), name="ticket_snooze_has_until"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="inbox_ticket_tenant_new"),
            models.Index(fields=["tenant", "status", "-created_at"], name="inbox_ticket_status_new"),
            models.Index(fields=["tenant", "channel", "status"], name="inbox_ticket_channel_status"),
            models.Index(fields=["tenant", "assignee", "status"], name="inbox_ticket_assignee_status"),
            models.Index(fields=["channel", "parent_network_item_id"], name="inbox_ticket_parent_item"),
            models.Index(fields=["status", "snoozed_until"], name="inbox_ticket_snoozed"),
            # Reports select by each moment's range and group by these columns: covering indexes (index-only scans
            # once vacuumed), without our own items, which reports never count. Round-robin drains a team's backlog
            # oldest first.
            *(
                models.Index(
                    fields=["tenant", moment],
                    include=[*REPORT_GROUP_COLUMNS, *extra],
                    condition=Q(is_own=False, **{f"{moment}__isnull": False}),
                    name=f"inbox_ticket_report_{name}",
                )
                for name, moment, extra in (
                    ("created", "created_at", []),
                    ("answered", "first_response_at", ["first_response_business_seconds"]),
                    ("resolved", "resolved_at", ["resolution_business_seconds"]),
                    ("archived", "archived_at", []),
                )
            ),
            models.Index(
                fields=["team", "created_at"],
                condition=Q(assignee__isnull=True, status="open"),
                name="inbox_ticket_team_backlog",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.network_item_id}"


class TicketNote(TenantScopedModel):
    """An internal note on a ticket (never sent to the network)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_label = models.CharField(max_length=255, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]


class ActionStatus(models.TextChoices):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class TicketAction(TenantScopedModel):
    """One action taken on a ticket, with its result. Network actions run in a task: the row is committed as
    `pending` first, `sent_at` is set by a conditional UPDATE before the network call (so a second run of the task
    finds it taken), and a call whose outcome is unknown keeps `outcome_unknown` until the next poll shows our item
    or a person decides (never retried blindly)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=30)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.PENDING)
    attempt = models.PositiveSmallIntegerField(default=1)
    sent_at = models.DateTimeField(null=True, blank=True)
    outcome_unknown = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)  # e.g. {"networkItemId": ...} of our reply
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    bulk_job = models.ForeignKey("BulkJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "sent_at"], name="inbox_action_status_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.ticket_id}: {self.status}"


class TicketEvent(TenantScopedModel):
    """The ticket's history: every action, rule application and network change (edit, deletion), in order."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)  # action name, "edited", "deletedInNetwork", later "rule"
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class PollKind(models.TextChoices):
    COMMENT = "comment"
    MESSAGE = "message"
    MENTION = "mention"


class IngestionCursor(TenantScopedModel):
    """Where polling stands for one channel and kind. The beat sweep claims due rows with a conditional UPDATE of
    `next_poll_at`; each row's slot is offset by a hash of its id, so many channels spread over the interval."""

    channel = models.ForeignKey("social.Channel", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=PollKind.choices)
    position = models.TextField(blank=True)  # the adapter's page cursor to resume a backlog from; "" = newest
    next_poll_at = models.DateTimeField(db_index=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_item_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    is_supported = models.BooleanField(default=True)  # False once the adapter said NOT_SUPPORTED for this kind

    class Meta:
        ordering = ["next_poll_at", "id"]
        constraints = [models.UniqueConstraint(fields=["channel", "kind"], name="uniq_ingestion_cursor")]


class SuggestionStatus(models.TextChoices):
    SUGGESTED = "suggested"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReplySuggestion(TenantScopedModel):
    """A reply an agent proposes; an approver sends it (as written or edited) or rejects it with a reason."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="suggestions")
    text = models.TextField()
    is_private = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.SUGGESTED)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=255, blank=True)
    decided_by_label = models.CharField(max_length=255, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    sent_text = models.TextField(blank=True)  # what the approver sent (differs when edited before approval)
    action = models.ForeignKey(TicketAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]


class BulkJobStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"


class BulkJob(TenantScopedModel):
    """A bulk action over many tickets, run in the background; polled for progress."""

    action = models.CharField(max_length=30)
    params = models.JSONField(default=dict, blank=True)
    ticket_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=BulkJobStatus.choices, default=BulkJobStatus.PENDING)
    total_count = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{ticketId, code, message}], capped
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The API key that asked (None for a member): the job acts as its requester again when it runs.
    actor_api_key = models.ForeignKey(
        "tenants.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Category(TenantScopedModel):
    """A node of the tenant's category tree. Deleting one is a service call (its tickets are reassigned first)."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    position = models.PositiveIntegerField(default=0)
    is_hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "parent", "name"], name="uniq_inbox_category_name"),
            models.UniqueConstraint(
                fields=["tenant", "name"], condition=Q(parent__isnull=True), name="uniq_inbox_root_category_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TicketCategory(TenantScopedModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "category"], name="uniq_inbox_ticket_category")]
        indexes = [models.Index(fields=["category", "ticket"], name="inbox_ticketcat_category")]


class Template(TenantScopedModel):
    """A saved reply with placeholders (`{{interactor.name}}`, ...), for the whole tenant or one team."""

    name = models.CharField(max_length=200)
    text = models.TextField()
    team = models.ForeignKey("tenants.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Folder(TenantScopedModel):
    """A saved filter shared in the tenant: `filters` holds the ticket list's query parameters (snake_case keys,
    validated by the API when saved, applied again by the list with `folder=<id>`)."""

    name = models.CharField(max_length=100)
    filters = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "name", "id"]

    def __str__(self) -> str:
        return self.name


class CustomChannelCredential(TenantScopedModel):
    """What a custom channel's integrator holds for the public ticket API: the channel token it pushes tickets with
    (kept only as its SHA-256 digest: a leaked database holds no usable token) and the Standard Webhooks secret that
    signs the replies Hubbub sends to the channel's `endpointUrl`. Issuing again replaces both."""

    channel = models.OneToOneField("social.Channel", on_delete=models.CASCADE, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=16)  # the first characters, to tell tokens apart in lists
    signing_secret = EncryptedTextField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.token_prefix}… ({self.channel_id})"


class Followup(TenantScopedModel):
    """A reminder for one user to come back to a ticket at `due_at`. When it is due (beat task), the ticket is open
    and unread again and the user is told, once: `fired_at` is set by a conditional UPDATE before anything else."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followups")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    note = models.TextField(blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    created_by_label = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(fired_at__isnull=True), name="inbox_followup_due"),
        ]

    def __str__(self) -> str:
        return f"followup on {self.ticket_id} at {self.due_at:%Y-%m-%d %H:%M}"


class TicketCount(TenantScopedModel):
    """Ticket counts per channel, type, status and read state, kept on write so the polled counts need no scan.

    On PostgreSQL, statement-level triggers on the ticket table (migrations 0004, 0009) append one row per changed
    key and statement with the change (`delta`), whatever wrote the tickets (ingestion, actions, bulk jobs, rules,
    sweeps, a raw `.update()`): no code path can forget them. Rows are only appended, so concurrent writers never
    wait on a hot counter row; a count is SUM(delta) per key. `inbox.services.counters` folds the rows (beat) and
    reconciles them against a scan. Hard deletes of tickets (a channel or tenant deleted) are not counted: the rows of a
    channel that no longer exists are ignored by the reads and dropped by the compaction."""

    channel_id = models.UUIDField()  # not a foreign key: rows must outlive a cascading channel delete
    type = models.CharField(max_length=20, choices=TicketType.choices)
    status = models.CharField(max_length=20, choices=TicketStatus.choices)
    is_unread = models.BooleanField()
    delta = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "channel_id"], name="inbox_ticketcount_channel")]


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class BusinessHours(TenantScopedModel):
    """A channel's weekly schedule in its timezone, with holidays and an optional auto-reply outside hours. Stored
    as validated (see inbox.services.business_hours): `periods` `[{day, start, end}]` with `day` in WEEKDAYS and
    "HH:MM" times (`end` may be "24:00"), `holidays` `[{date, name}]`."""

    channel = models.OneToOneField("social.Channel", on_delete=models.CASCADE, related_name="+")
    timezone = models.CharField(max_length=64)
    periods = models.JSONField(default=list, blank=True)
    holidays = models.JSONField(default=list, blank=True)
    is_auto_reply_enabled = models.BooleanField(default=False)
    auto_reply_text = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return f"Business hours of {self.channel_id} ({self.timezone})"

    def schedule(self):
        """The pure `inbox.business_hours.Schedule` of these hours."""
        from datetime import date

        from inbox.business_hours import Schedule

        def minute(value: str) -> int:
            hours, minutes = value.split(":")
            return int(hours) * 60 + int(minutes)

        return Schedule.build(
            self.timezone,
            [(WEEKDAYS.index(p["day"]), minute(p["start"]), minute(p["end"])) for p in self.periods],
            [date.fromisoformat(h["date"]) for h in self.holidays],
        )


class AutoReplySent(TenantScopedModel):
    """The auto-reply an interactor got on a channel during one closed period (the unique key makes it once, even
    when two ingestions of the same period race)."""

    channel = models.ForeignKey("social.Channel", on_delete=models.CASCADE, related_name="+")
    interactor = models.ForeignKey(Interactor, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateTimeField()  # when the closed period began
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.ForeignKey(TicketAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "interactor", "period_start"], name="uniq_inbox_auto_reply_per_period"
            )
        ]


class AlertKind(models.TextChoices):
    VOLUME_BURST = "volumeBurst"
    UNANSWERED_PRIORITY = "unansweredPriority"


class Alert(TenantScopedModel):
    """A condition watched for the tenant; each time it starts to hold an `AlertIncident` opens and the recipients
    are told once; the incident closes when the condition stops holding.

    - `volumeBurst`: more than `threshold_count` tickets (only negative ones when `is_negative_only`) arrived on
      `channel` (any channel when null) within the last `window_minutes`;
    - `unansweredPriority`: an open priority ticket on `channel` (or any) has waited more than `unanswered_minutes`
      inside its channel's business hours without our reply."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    is_active = models.BooleanField(default=True)
    channel = models.ForeignKey("social.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    threshold_count = models.PositiveIntegerField(null=True, blank=True)
    window_minutes = models.PositiveIntegerField(null=True, blank=True)
    is_negative_only = models.BooleanField(default=False)
    unanswered_minutes = models.PositiveIntegerField(null=True, blank=True)
    recipient_user_ids = models.JSONField(default=list, blank=True)  # members, resolved to their email when sent
    recipient_emails = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "is_active", "kind"], name="inbox_alert_active_kind")]

    def __str__(self) -> str:
        return self.name


class AlertIncident(TenantScopedModel):
    """One stretch of time during which an alert's condition held. At most one open incident per alert (a partial
    unique index): evaluations racing each other open it once, so the recipients are told once."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="incidents")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    ticket_count = models.PositiveIntegerField(default=0)
    ticket_ids = models.JSONField(default=list, blank=True)  # the tickets that made it hold (capped)
    notified_to = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert"], condition=Q(closed_at__isnull=True), name="uniq_inbox_alert_open_incident"
            )
        ]


class InboxAgent(TenantScopedModel):
    """A member's round-robin settings: how many open tickets they take at most (null: no limit), whether they take
    any now, and when they were last given one (the rotation order). Created on first use with the defaults."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    max_open_tickets = models.PositiveIntegerField(null=True, blank=True)
    is_available = models.BooleanField(default=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="uniq_inbox_agent")]

    def __str__(self) -> str:
        return f"agent {self.user_id}"


class KeywordList(TenantScopedModel):
    """Words and phrases a rule looks for (case-insensitive, whole words; see inbox.services.keyword_matching)."""

    name = models.CharField(max_length=200)
    keywords = models.JSONField(default=list, blank=True)  # [str], normalised and deduplicated on save

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="uniq_inbox_keyword_list_name")]

    def __str__(self) -> str:
        return self.name


class InteractorList(TenantScopedModel):
    """People a rule recognises (VIPs, known trolls), each on the channel they were picked on."""

    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="uniq_inbox_interactor_list_name")]

    def __str__(self) -> str:
        return self.name


class InteractorListEntry(TenantScopedModel):
    interactor_list = models.ForeignKey(InteractorList, on_delete=models.CASCADE, related_name="entries")
    channel = models.ForeignKey("social.Channel", on_delete=models.CASCADE, related_name="+")
    interactor = models.ForeignKey(Interactor, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interactor_list", "channel", "interactor"], name="uniq_inbox_interactor_list_entry"
            )
        ]
        indexes = [models.Index(fields=["channel", "interactor"], name="inbox_ilist_entry_lookup")]


class RuleTrigger(models.TextChoices):
    TICKET_CREATED = "ticketCreated"


class Rule(TenantScopedModel):
    """A smart rule: when every condition holds for a new ticket, its actions run in order. Every matching rule runs,
    by `position` (the weight), once per ticket (`RuleApplication`). Conditions and actions are JSON validated on
    save (inbox.api.serializers.RuleConditionsInput / RuleActionInput); ids they name are re-checked when the rule
    runs, so a deleted template or a departed assignee skips that action instead of failing ingestion."""

    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    trigger = models.CharField(max_length=30, choices=RuleTrigger.choices, default=RuleTrigger.TICKET_CREATED)
    conditions = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "created_at", "id"]
        indexes = [models.Index(fields=["tenant", "is_active", "position"], name="inbox_rule_active_position")]

    def __str__(self) -> str:
        return self.name


class RuleApplication(TenantScopedModel):
    """The claim that `rule` ran on `ticket`: the unique key makes a second ingestion of the same items (or a
    concurrent one) apply nothing twice."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="applications")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "rule"], name="uniq_inbox_rule_application")]


class ReportGrain(models.TextChoices):
    """What one `TicketDaySummary` row groups by besides the day. The per-channel grains also carry the channel and
    the team (the reports' filters); the tenant-wide ones (`*Total`) carry neither and answer unfiltered reports of a
    caller who sees every channel."""

    CHANNEL = "channel"  # overview and channels report
    SENTIMENT = "sentiment"
    AGENT = "agent"
    CATEGORY = "category"  # a ticket counts in each of its categories
    AGENT_TOTAL = "agentTotal"
    CATEGORY_TOTAL = "categoryTotal"
    SENTIMENT_TOTAL = "sentimentTotal"  # 4 keys a day, where the per-channel grain has channels x teams x 4


SUMMARY_COUNT_COLUMNS = ("created_count", "answered_count", "resolved_count", "archived_count")
SUMMARY_HISTOGRAMS = ("first_response", "resolution")  # answered, resolved
SUMMARY_BUCKET_COUNT = 36  # inbox.report_histogram.BUCKET_COUNT (the model stays free of report code)
SUMMARY_COLUMNS = (
    *SUMMARY_COUNT_COLUMNS,
    *(f"{name}_h{i:02}" for name in SUMMARY_HISTOGRAMS for i in range(SUMMARY_BUCKET_COUNT)),
)
ALL_CHANNELS = uuid.UUID(int=0)  # the channel of the tenant-wide grains (no channel has this id)


class TicketDaySummary(TenantScopedModel):
    """What the inbox reports read: per local day (the tenant's time zone when written), grain, channel, team and
    key, how many tickets were created, first answered, resolved and archived, with histograms of the business
    seconds to first response and to resolution (inbox.report_histogram). Written by the services in the
    transaction that changes a ticket (inbox.services.report_summary); rebuilt from the tickets on demand.

    `channel_id` and `team` are plain values, not foreign keys: a row outlives a deleted team (its tickets keep
    counting, unfiltered) and the reports keep to existing, visible channels. Counts are signed so a delta against a
    summary that predates a ticket never fails the action that wrote it; a rebuild makes it exact again."""

    day = models.DateField()
    grain = models.CharField(max_length=16, choices=ReportGrain.choices)
    channel_id = models.UUIDField()  # ALL_CHANNELS on the tenant-wide grains
    team = models.CharField(max_length=36, blank=True)  # the team's id; "" none (and tenant-wide grains)
    key = models.CharField(max_length=36, blank=True)  # assignee / category id, sentiment; "" none
    created_count = models.IntegerField(default=0)
    answered_count = models.IntegerField(default=0)
    resolved_count = models.IntegerField(default=0)
    archived_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "grain", "day", "channel_id", "team", "key"], name="uniq_inbox_day_summary"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.grain} {self.key}"


for _name in SUMMARY_HISTOGRAMS:
    for _i in range(SUMMARY_BUCKET_COUNT):
        TicketDaySummary.add_to_class(f"{_name}_h{_i:02}", models.IntegerField(default=0))
