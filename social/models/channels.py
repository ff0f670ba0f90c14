"""Channels: a connected profile/page/account on a network, and which teams see it.

Tokens are encrypted at rest (`EncryptedTextField`) and never leave the social app except as `ChannelCredentials`
handed to a network adapter (see `social.services.channels.credentials_for`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.fields import EncryptedTextField
from core.models import TenantScopedModel, TimestampedModel


class ChannelNetwork(models.TextChoices):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    LINKEDIN = "linkedin"
    X = "x"
    YOUTUBE = "youtube"
    TIKTOK = "tiktok"
    PINTEREST = "pinterest"
    WORDPRESS = "wordpress"
    CUSTOM = "custom"
    PLACEHOLDER = "placeholder"
    SANDBOX = "sandbox"


# Networks whose channels come from an OAuth grant (or WordPress application passwords), not from a plain create.
CONNECTABLE_NETWORKS = frozenset(
    {
        ChannelNetwork.FACEBOOK,
        ChannelNetwork.INSTAGRAM,
        ChannelNetwork.LINKEDIN,
        ChannelNetwork.X,
        ChannelNetwork.YOUTUBE,
        ChannelNetwork.TIKTOK,
        ChannelNetwork.PINTEREST,
        ChannelNetwork.SANDBOX,
    }
)
# Networks a tenant creates directly with POST /channels (no OAuth).
DIRECT_NETWORKS = frozenset({ChannelNetwork.CUSTOM, ChannelNetwork.PLACEHOLDER, ChannelNetwork.SANDBOX})


class ChannelStatus(models.TextChoices):
    ACTIVE = "active"
    NEEDS_ATTENTION = "needsAttention"
    DISCONNECTED = "disconnected"


class ChannelProduct(models.TextChoices):
    PUBLISHING = "cp"
    INBOX = "inbox"


class Channel(TenantScopedModel):
    network = models.CharField(max_length=20, choices=ChannelNetwork.choices, db_index=True)
    external_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    username = models.CharField(max_length=255, blank=True)
    image_url = models.URLField(max_length=2000, blank=True)
    network_url = models.URLField(max_length=2000, blank=True)
    publishing_enabled = models.BooleanField(default=True)
    inbox_enabled = models.BooleanField(default=True)
    status = models.CharField(max_length=20, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE, db_index=True)
    status_reason = models.CharField(max_length=500, blank=True)
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    scopes = models.JSONField(default=list, blank=True)
    token_owner_external_id = models.CharField(max_length=255, blank=True)
    token_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    config = models.JSONField(default=dict, blank=True)
    attention_notified_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "network", "external_id"], name="uniq_channel_external_id"),
        ]
        indexes = [models.Index(fields=["tenant", "network", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.network})"

    @property
    def products(self) -> list[str]:
        products = []
        if self.publishing_enabled:
            products.append(ChannelProduct.PUBLISHING.value)
        if self.inbox_enabled:
            products.append(ChannelProduct.INBOX.value)
        return products

    @property
    def is_usable(self) -> bool:
        """Publishing and sync may act on it (tokens present and not flagged)."""
        return self.status == ChannelStatus.ACTIVE


class ChannelTokenOwner(TenantScopedModel):
    """One person's token on a channel (seed 004 tokenOwners): two admins who each connected the same Facebook page
    are two owners. The channel acts with one of them at a time (`Channel.token_owner`, whose token is the one on
    the channel row, refreshed there); the others wait here, encrypted, as fallbacks when that token is refused.
    A row whose user is null is a grant made with an API key (no person behind it)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="token_owners")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    network_user_id = models.CharField(max_length=255, blank=True)
    # Set when the network refused this owner's token (expired, revoked, permission removed): no fallback to it.
    invalid_reason = models.CharField(max_length=500, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "user"], name="uniq_channel_token_owner"),
            models.UniqueConstraint(
                fields=["channel"], condition=models.Q(user__isnull=True), name="uniq_channel_keyless_token_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or 'API key'} on {self.channel_id}"

    @property
    def is_valid(self) -> bool:
        return bool(self.access_token) and self.invalidated_at is None


class TeamChannel(TenantScopedModel):
    """A channel assigned to a team: members of the team see (and publish to) the channel."""

    team = models.ForeignKey("tenants.Team", on_delete=models.CASCADE, related_name="channel_links")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="team_links")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "channel"], name="uniq_team_channel")]


class OAuthState(TenantScopedModel):
    """The single-use nonce of one OAuth connect attempt; consumed atomically by the callback."""

    nonce = models.CharField(max_length=64)
    network = models.CharField(max_length=20, choices=ChannelNetwork.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    code_verifier = EncryptedTextField(blank=True, default="")  # PKCE secret: never in the signed state itself
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "nonce"], name="uniq_oauth_state_nonce")]


class ConnectGrant(TenantScopedModel):
    """What a network granted when the user asked to choose: the grant's accounts (pages, organizations), tokens
    included and encrypted, wait here until the user picks which become channels. Single use, 15 minutes, and only
    for the user who connected."""

    network = models.CharField(max_length=20, choices=ChannelNetwork.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("tenants.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accounts = EncryptedTextField()  # JSON list of the grant's accounts with their tokens
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]


class SandboxPublication(TimestampedModel):
    """What the offline sandbox network "published". Global on purpose: it simulates an external system, and
    worker processes must all see it (the sandbox adapter has no tenant, only the channel's external id)."""

    remote_id = models.CharField(max_length=64, unique=True)
    channel_external_id = models.CharField(max_length=255, db_index=True)
    correlation_id = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=20, default="post")  # post | comment
    parent_remote_id = models.CharField(max_length=64, blank=True)
    text = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # Submissions with this correlation id: more than 1 means the caller published the same attempt twice.
    submit_count = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class SandboxFailureCounter(TimestampedModel):
    """How many injected failures a sandbox channel has served, shared across processes."""

    channel_external_id = models.CharField(max_length=255)
    fail_with = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel_external_id", "fail_with"], name="uniq_sandbox_failure_counter")
        ]
