"""Notifications (seed 001) and outgoing webhooks.

Delivery state lives in the database, not the broker: a `Job` is one subscriber's walk through one trigger's
workflow steps, claimed with guarded UPDATEs; a `Message` is unique per (job, step), so a task that runs twice
finds the message already claimed and sends nothing. Delays and digests are rows with a due time that a beat sweep
picks up, never long Celery ETAs.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.models import Q

from core.fields import EncryptedTextField
from core.models import TenantScopedModel


class Channel(models.TextChoices):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"
    CHAT = "chat"
    PUSH = "push"


class StepType(models.TextChoices):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"
    CHAT = "chat"
    PUSH = "push"
    DELAY = "delay"
    DIGEST = "digest"


CHANNEL_STEP_TYPES = frozenset(c.value for c in Channel)


def _load_json(raw: str) -> dict[str, Any]:
    return json.loads(raw) if raw else {}


class Integration(TenantScopedModel):
    """One configured provider of a channel. Credentials are encrypted and never rendered."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    provider_id = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    identifier = models.SlugField(max_length=100)
    credentials_encrypted = EncryptedTextField(blank=True, default="")
    is_active = models.BooleanField(default=False)
    is_primary = models.BooleanField(default=False)
    conditions = models.JSONField(default=list, blank=True)
    # Circuit breaker: `failure_count` consecutive failures; while `circuit_open_until` is in the future the
    # integration is skipped; after it, one probe is let through (half-open).
    failure_count = models.PositiveIntegerField(default=0)
    circuit_open_until = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        "tenants.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )

    class Meta:
        ordering = ["channel", "-is_primary", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "identifier"], condition=Q(is_deleted=False), name="uniq_integration_identifier"
            ),
            models.UniqueConstraint(
                fields=["tenant", "channel"],
                condition=Q(is_primary=True, is_deleted=False),
                name="uniq_integration_primary_per_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} ({self.provider_id})"

    @property
    def credentials(self) -> dict[str, Any]:
        return _load_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.credentials_encrypted = json.dumps(value or {})


class Subscriber(TenantScopedModel):
    """A person notifications go to. `subscriber_id` is the tenant's own id; Hubbub users get one automatically."""

    subscriber_id = models.CharField(max_length=200)
    user = models.ForeignKey(
        "tenants.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    avatar = models.URLField(max_length=500, blank=True)
    locale = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_online = models.BooleanField(default=False)
    last_online_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "subscriber_id"], name="uniq_subscriber_id"),
            models.UniqueConstraint(
                fields=["tenant", "user"], condition=Q(user__isnull=False), name="uniq_subscriber_user"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "email"])]

    def __str__(self) -> str:
        return self.subscriber_id


class SubscriberCredential(TenantScopedModel):
    """Per-provider delivery addresses of a subscriber: push device tokens, a chat webhook URL."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="channel_credentials")
    provider_id = models.CharField(max_length=40)
    credentials_encrypted = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["provider_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "provider_id"], name="uniq_subscriber_credential_provider")
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.provider_id}"

    @property
    def credentials(self) -> dict[str, Any]:
        return _load_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.credentials_encrypted = json.dumps(value or {})


class ChatNetwork(models.TextChoices):
    """Chat networks a tenant can connect as a notification target (each one's provider has the same id)."""

    SLACK = "slack"
    DISCORD = "discord"
    X = "x"


class ChatConnection(TenantScopedModel):
    """A chat target of the tenant (seed 000 "connect Slack/Discord/X"): a Slack or Discord incoming webhook, or an
    X account (one of the tenant's connected X channels) sending DMs to one X user. Its address is kept as the chat
    credential of a subscriber of its own, so a workflow's chat step reaches it like any subscriber (trigger `to`
    its subscriber id, or add it to a topic). Disconnecting deletes that subscriber and its credential."""

    network = models.CharField(max_length=20, choices=ChatNetwork.choices)
    name = models.CharField(max_length=100)
    subscriber = models.OneToOneField(Subscriber, on_delete=models.CASCADE, related_name="chat_connection")
    webhook_url_hint = models.CharField(
        max_length=200, blank=True, help_text="Slack, Discord: scheme, host and first path segment only."
    )
    # X: the social channel that sends (its id; social's table is not a FK target of this app) and the recipient.
    x_channel_id = models.UUIDField(null=True, blank=True)
    x_recipient_id = models.CharField(max_length=20, blank=True)
    connected_by = models.ForeignKey(
        "tenants.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )

    class Meta:
        ordering = ["network", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "network", "name"], name="uniq_chat_connection")]

    def __str__(self) -> str:
        return f"{self.network}: {self.name}"


class Topic(TenantScopedModel):
    key = models.SlugField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    subscribers = models.ManyToManyField(Subscriber, through="TopicSubscription", related_name="topics")

    class Meta:
        ordering = ["key", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="uniq_topic_key")]

    def __str__(self) -> str:
        return self.key


class TopicSubscription(TenantScopedModel):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="memberships")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="topic_memberships")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["topic", "subscriber"], name="uniq_topic_subscriber")]


class WorkflowGroup(TenantScopedModel):
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="uniq_workflow_group_name")]

    def __str__(self) -> str:
        return self.name


class Workflow(TenantScopedModel):
    """Ordered steps run for every subscriber a trigger names. `identifier` is the event key notices use
    (`post.failed`), so an app's `notify()` runs the workflow of that key."""

    identifier = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    group = models.ForeignKey(WorkflowGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="workflows")
    is_active = models.BooleanField(default=True)
    is_critical = models.BooleanField(default=False, help_text="Critical workflows ignore subscriber preferences.")
    steps = models.JSONField(default=list)
    # Channels a subscriber may not turn off for this workflow: {"email": false} means "email is always on".
    preference_settings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "identifier"], name="uniq_workflow_identifier")]

    def __str__(self) -> str:
        return self.identifier


class Preference(TenantScopedModel):
    """A subscriber's channel switches, globally (`workflow` null) or for one workflow."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="preferences")
    workflow = models.ForeignKey(Workflow, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    channels = models.JSONField(default=dict)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "workflow"], condition=Q(workflow__isnull=False), name="uniq_preference_workflow"
            ),
            models.UniqueConstraint(
                fields=["subscriber"], condition=Q(workflow__isnull=True), name="uniq_preference_global"
            ),
        ]


class EventStatus(models.TextChoices):
    PROCESSING = "processing"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Event(TenantScopedModel):
    """One trigger. `transaction_id` is unique per tenant: a repeated trigger finds this row and starts nothing."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="events")
    transaction_id = models.CharField(max_length=200)
    payload = models.JSONField(default=dict, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=EventStatus.choices, default=EventStatus.PROCESSING)
    triggered_by = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "transaction_id"], name="uniq_event_transaction")]

    def __str__(self) -> str:
        return self.transaction_id


class JobStatus(models.TextChoices):
    PENDING = "pending"  # due at run_at
    RUNNING = "running"  # claimed by a worker (claimed_at); a stale claim is released by the sweep
    COMPLETED = "completed"
    MERGED = "merged"  # folded into another job's digest
    CANCELLED = "cancelled"


class Job(TenantScopedModel):
    """One subscriber's progress through one event's steps: the next step to run and when."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="jobs")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="jobs")
    step_index = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    run_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        "DigestBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs", db_constraint=False
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "subscriber"], name="uniq_job_event_subscriber")]
        indexes = [models.Index(fields=["status", "run_at"])]


class DigestBatch(TenantScopedModel):
    """Events collected for one subscriber by one digest step until `closes_at`; the first job carries the batch."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="+")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    step_index = models.PositiveIntegerField()
    digest_key = models.CharField(max_length=200, blank=True)
    closes_at = models.DateTimeField()
    is_open = models.BooleanField(default=True)
    owner_job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "subscriber", "step_index", "digest_key"],
                condition=Q(is_open=True),
                name="uniq_open_digest",
            )
        ]


class MessageStatus(models.TextChoices):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SEEN = "seen"
    READ = "read"


class Message(TenantScopedModel):
    """One delivery on one channel. Unique per (job, step): the row is the send-once guard."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="messages")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="messages")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="messages")
    step_index = models.PositiveIntegerField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    integration = models.ForeignKey(Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    provider_id = models.CharField(max_length=40, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    content = models.TextField(blank=True)
    actions = models.JSONField(default=list, blank=True)
    feed_identifier = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    provider_message_id = models.CharField(max_length=255, blank=True)
    provider_response = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="Set by the provider's signed receipt.")
    seen_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "step_index"], name="uniq_message_job_step")]
        indexes = [models.Index(fields=["tenant", "subscriber", "channel", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} to {self.subscriber_id} ({self.status})"


class ExecutionDetail(TenantScopedModel):
    """A log line of a job: each step, each provider attempt, each skip, with the raw provider answer."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="executions")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="executions")
    step_index = models.PositiveIntegerField()
    status = models.CharField(max_length=10)  # success, failed, skipped, pending
    detail = models.CharField(max_length=500)
    provider_id = models.CharField(max_length=40, blank=True)
    integration = models.ForeignKey(Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raw = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


# --- outgoing webhooks ---------------------------------------------------------------------------------------------
class WebhookEndpoint(TenantScopedModel):
    """A tenant's receiver of Hubbub events (Standard Webhooks). The secret is shown once, at creation or rotation."""

    url = models.URLField(max_length=1000)
    description = models.CharField(max_length=500, blank=True)
    event_types = models.JSONField(default=list, blank=True, help_text="Empty: every event type.")
    secret_encrypted = EncryptedTextField()
    previous_secret_encrypted = EncryptedTextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(TenantScopedModel):
    """One emitted event; its id is the `webhook-id` every endpoint and every retry sees (receivers dedupe on it)."""

    event_type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.pk.hex}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # attempts exhausted, or the endpoint was disabled


class WebhookDelivery(TenantScopedModel):
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="uniq_webhook_delivery")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name_plural = "webhook deliveries"


class WebhookAttempt(TenantScopedModel):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=1000, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    is_success = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
