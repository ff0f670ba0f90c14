"""Ad accounts connected from ad platforms, who may use them, and the synced mirror of what runs there.

Money is `Decimal` in the account's currency (the account row holds the currency; every amount on the mirror and in
insights is in it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.fields import EncryptedTextField
from core.models import TenantScopedModel, TimestampedModel

MONEY = {"max_digits": 14, "decimal_places": 2, "null": True, "blank": True}


class AdPlatform(models.TextChoices):
    META = "meta"
    SANDBOX = "sandbox"


class AdAccountStatus(models.TextChoices):
    ACTIVE = "active"
    DISABLED = "disabled"
    NEEDS_RECONNECT = "needsReconnect"


class AdPermissionLevel(models.TextChoices):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    ANALYST = "ANALYST"
    VIEWER = "VIEWER"


PERMISSION_RANK = {
    AdPermissionLevel.VIEWER: 1,
    AdPermissionLevel.ANALYST: 2,
    AdPermissionLevel.MANAGER: 3,
    AdPermissionLevel.ADMIN: 4,
}


class AdObjectStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ARCHIVED = "ARCHIVED"
    DELETED = "DELETED"


class InsightLevel(models.TextChoices):
    ACCOUNT = "account"
    CAMPAIGN = "campaign"
    ADSET = "adset"
    AD = "ad"


class InsightBreakdown(models.TextChoices):
    AGE = "age"
    GENDER = "gender"
    COUNTRY = "country"
    PUBLISHER_PLATFORM = "publisher_platform"
    IMPRESSION_DEVICE = "impression_device"


class AdConnection(TenantScopedModel):
    """One OAuth grant of an ad platform user; it may give several ad accounts."""

    platform = models.CharField(max_length=20, choices=AdPlatform.choices)
    external_user_id = models.CharField(max_length=255)
    access_token = EncryptedTextField()
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "platform", "external_user_id"], name="uniq_ads_connection_user")
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_user_id}"


class AdOAuthState(TenantScopedModel):
    """The single-use nonce of one connect attempt (core.signed_state signs the rest)."""

    nonce = models.CharField(max_length=64)
    platform = models.CharField(max_length=20, choices=AdPlatform.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "nonce"], name="uniq_ads_oauth_nonce")]


class AdAccount(TenantScopedModel):
    connection = models.ForeignKey(
        AdConnection, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    platform = models.CharField(max_length=20, choices=AdPlatform.choices)
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    currency = models.CharField(max_length=3)
    timezone_name = models.CharField(max_length=64, default="UTC")
    business_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=AdAccountStatus.choices, default=AdAccountStatus.ACTIVE)
    team = models.ForeignKey("tenants.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_synced_at = models.DateTimeField(null=True, blank=True)
    objects_synced_at = models.DateTimeField(null=True, blank=True, help_text="updated_time watermark of the mirror")
    insights_synced_from = models.DateField(null=True, blank=True)
    insights_synced_through = models.DateField(null=True, blank=True)
    sync_paused_until = models.DateTimeField(null=True, blank=True, help_text="platform rate limit: no sync before")
    sync_claimed_until = models.DateTimeField(null=True, blank=True)
    last_sync_error = models.CharField(max_length=500, blank=True)
    platform_requests_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "platform", "external_id"], name="uniq_ad_account_external")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"


class AdAccountPermission(TenantScopedModel):
    ad_account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="permissions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    permission = models.CharField(max_length=10, choices=AdPermissionLevel.choices)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ad_account", "user"], name="uniq_ad_account_permission")]


class MirrorModel(TenantScopedModel):
    """Common columns of a synced platform object."""

    ad_account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="+")
    remote_id = models.CharField(max_length=64)
    name = models.CharField(max_length=400, blank=True)
    status = models.CharField(max_length=20, blank=True)
    effective_status = models.CharField(max_length=40, blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-remote_created_at", "id"]


class Campaign(MirrorModel):
    objective = models.CharField(max_length=40, blank=True)
    daily_budget = models.DecimalField(**MONEY)
    lifetime_budget = models.DecimalField(**MONEY)
    special_ad_categories = models.JSONField(default=list, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    stop_time = models.DateTimeField(null=True, blank=True)

    class Meta(MirrorModel.Meta):
        constraints = [models.UniqueConstraint(fields=["ad_account", "remote_id"], name="uniq_ads_campaign_remote")]
        indexes = [models.Index(fields=["ad_account", "status"])]

    def __str__(self) -> str:
        return self.name or self.remote_id


class AdSet(MirrorModel):
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="ad_sets")
    campaign_remote_id = models.CharField(max_length=64, blank=True)
    optimization_goal = models.CharField(max_length=40, blank=True)
    billing_event = models.CharField(max_length=40, blank=True)
    bid_amount = models.DecimalField(**MONEY)
    daily_budget = models.DecimalField(**MONEY)
    lifetime_budget = models.DecimalField(**MONEY)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    targeting = models.JSONField(default=dict, blank=True)

    class Meta(MirrorModel.Meta):
        constraints = [models.UniqueConstraint(fields=["ad_account", "remote_id"], name="uniq_ads_adset_remote")]

    def __str__(self) -> str:
        return self.name or self.remote_id


class Creative(MirrorModel):
    object_story_spec = models.JSONField(default=dict, blank=True)
    object_story_id = models.CharField(max_length=128, blank=True)

    class Meta(MirrorModel.Meta):
        constraints = [models.UniqueConstraint(fields=["ad_account", "remote_id"], name="uniq_ads_creative_remote")]

    def __str__(self) -> str:
        return self.name or self.remote_id


class Ad(MirrorModel):
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="ads")
    ad_set = models.ForeignKey(AdSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="ads")
    creative = models.ForeignKey(Creative, null=True, blank=True, on_delete=models.SET_NULL, related_name="ads")
    campaign_remote_id = models.CharField(max_length=64, blank=True)
    ad_set_remote_id = models.CharField(max_length=64, blank=True)
    creative_remote_id = models.CharField(max_length=64, blank=True)
    promoted_post_remote_id = models.CharField(max_length=128, blank=True)

    class Meta(MirrorModel.Meta):
        constraints = [models.UniqueConstraint(fields=["ad_account", "remote_id"], name="uniq_ads_ad_remote")]

    def __str__(self) -> str:
        return self.name or self.remote_id


class Insight(TenantScopedModel):
    """One day of one object's delivery, optionally for one breakdown value (stored for the campaign level)."""

    ad_account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=InsightLevel.choices)
    object_remote_id = models.CharField(max_length=64)
    date = models.DateField()
    breakdown = models.CharField(max_length=30, blank=True, default="")
    breakdown_value = models.CharField(max_length=100, blank=True, default="")
    impressions = models.PositiveBigIntegerField(default=0)
    reach = models.PositiveBigIntegerField(default=0)
    clicks = models.PositiveBigIntegerField(default=0)
    spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    cpm = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    cpc = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    ctr = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    actions = models.JSONField(default=dict, blank=True)
    action_values = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["date", "object_remote_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ad_account", "level", "object_remote_id", "date", "breakdown", "breakdown_value"],
                name="uniq_ads_insight_row",
            )
        ]
        indexes = [models.Index(fields=["ad_account", "level", "breakdown", "date"])]


class LeadForm(TenantScopedModel):
    ad_account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="lead_forms")
    page_id = models.CharField(max_length=64)
    remote_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=20, blank=True)
    locale = models.CharField(max_length=10, blank=True)
    questions = models.JSONField(default=list, blank=True)
    privacy_policy = models.JSONField(default=dict, blank=True)
    thank_you_page = models.JSONField(default=dict, blank=True)
    intro = models.JSONField(default=dict, blank=True)
    leads_count = models.PositiveIntegerField(default=0)
    leads_synced_at = models.DateTimeField(null=True, blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-remote_created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ad_account", "remote_id"], name="uniq_ads_lead_form_remote")]

    def __str__(self) -> str:
        return self.name


class Lead(TenantScopedModel):
    lead_form = models.ForeignKey(LeadForm, on_delete=models.CASCADE, related_name="leads")
    remote_id = models.CharField(max_length=64)
    remote_created_at = models.DateTimeField()
    ad_remote_id = models.CharField(max_length=64, blank=True)
    field_data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-remote_created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["lead_form", "remote_id"], name="uniq_ads_lead_remote")]


class SandboxAdObject(TimestampedModel):
    """What the offline sandbox ad platform holds. Global on purpose: it simulates an external system that every
    worker must see; it knows only the platform's account ids, never a tenant."""

    kind = models.CharField(max_length=20)  # account | campaign | adset | creative | ad | leadform
    remote_id = models.CharField(max_length=64, unique=True)
    account_external_id = models.CharField(max_length=64, db_index=True)
    parent_remote_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["account_external_id", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.remote_id}"
