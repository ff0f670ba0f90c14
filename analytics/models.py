"""Dashboards of metric widgets, their client-facing shared links, and scheduled email reports.

The metric figures themselves live in contentplanner (`ChannelMetrics`, `PostMetrics`) and are read through its
selectors by `analytics.metrics`; nothing here copies them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.models import TenantScopedModel


class CompareTo(models.TextChoices):
    PREVIOUS = "previous"  # the period of the same length just before
    NONE = "none"


class Dashboard(TenantScopedModel):
    """A tenant's custom dashboard. `widgets` is a list of {id, metric, title, chart, groupBy, position{x,y,w,h}},
    validated against the metric catalogue by the services; `channel_ids` narrows it (empty: every channel the
    viewer sees)."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    widgets = models.JSONField(default=list, blank=True)
    channel_ids = models.JSONField(default=list, blank=True)
    range_days = models.PositiveSmallIntegerField(default=30)
    compare_to = models.CharField(max_length=10, choices=CompareTo.choices, default=CompareTo.PREVIOUS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="uniq_analytics_dashboard_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def metric_keys(self) -> set[str]:
        return {widget["metric"] for widget in self.widgets}


class SharedLink(TenantScopedModel):
    """A read-only, expiring, revocable link to one dashboard for people without an account. Only the SHA-256
    digest of the secret is stored; `channel_ids` pins the channels the link shows (fixed at creation)."""

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="shared_links")
    name = models.CharField(max_length=200)
    token_digest = models.CharField(max_length=64, unique=True)
    channel_ids = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ReportFrequency(models.TextChoices):
    WEEKLY = "weekly"  # Monday..Sunday in the tenant's time zone
    MONTHLY = "monthly"


class ReportType(models.TextChoices):
    DASHBOARD = "dashboard"  # a dashboard of the tenant, rendered as PDF
    CHANNEL_OVERVIEW = "channelOverview"  # the built-in channel overview (audience, reach, engagement, posts)


class EmailReport(TenantScopedModel):
    """A report mailed with its PDF once per complete period (week or month) to `recipients`."""

    name = models.CharField(max_length=200)
    report_type = models.CharField(max_length=20, choices=ReportType.choices)
    dashboard = models.ForeignKey(
        Dashboard, null=True, blank=True, on_delete=models.CASCADE, related_name="email_reports"
    )
    frequency = models.CharField(max_length=10, choices=ReportFrequency.choices)
    recipients = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(report_type="dashboard") | models.Q(dashboard__isnull=False),
                name="analytics_report_dashboard_needs_dashboard",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EmailReportDelivery(TenantScopedModel):
    """One period of a report, sent. The unique (report, period_start) row is the claim that makes a period go out
    once, however many beat processes or redelivered tasks try."""

    report = models.ForeignKey(EmailReport, on_delete=models.CASCADE, related_name="deliveries")
    period_start = models.DateField()
    period_end = models.DateField()
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "period_start"], name="uniq_analytics_report_period"),
        ]
