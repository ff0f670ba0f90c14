"""Short links: `/s/<code>` redirects to the target and counts the click."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.fields import EncryptedTextField
from core.models import TenantScopedModel


class ShortLinkProvider(models.TextChoices):
    HUBBUB = "hubbub"  # our own /s/<code>
    BITLY = "bitly"  # the tenant's own bit.ly account (shortener mode OWN)


class ShortLink(TenantScopedModel):
    # Globally unique (not per tenant): the public redirect has no credential, the code alone finds the link.
    code = models.CharField(max_length=16, unique=True)
    target_url = models.URLField(max_length=2000)
    title = models.CharField(max_length=255, blank=True)
    click_count = models.PositiveBigIntegerField(default=0)
    last_clicked_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=16, choices=ShortLinkProvider.choices, default=ShortLinkProvider.HUBBUB)
    external_short_url = models.URLField(max_length=500, blank=True, help_text="The bit.ly link when provider=bitly.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post_id = models.UUIDField(null=True, blank=True, db_index=True, help_text="The contentplanner post, if any.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.code} -> {self.target_url}"

    @property
    def short_url(self) -> str:
        if self.provider == ShortLinkProvider.BITLY and self.external_short_url:
            return self.external_short_url
        return f"{settings.PUBLIC_BASE_URL}/s/{self.code}"


class BitlyAccount(TenantScopedModel):
    """The tenant's own bit.ly access token, used when the tenant's shortener mode is OWN (one per tenant)."""

    access_token = EncryptedTextField()
    group_guid = models.CharField(max_length=64, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="uniq_bitly_account_per_tenant")]

    def __str__(self) -> str:
        return f"bit.ly account of {self.tenant_id}"
