"""Reads of the analytics app (the metric figures are computed by `analytics.metrics`)."""

from __future__ import annotations

from django.db.models import QuerySet

from analytics.models import Dashboard, EmailReport, EmailReportDelivery, SharedLink


def dashboards() -> QuerySet[Dashboard]:
    return Dashboard.objects.order_by("name", "id")


def shared_links() -> QuerySet[SharedLink]:
    return SharedLink.objects.select_related("dashboard").order_by("-created_at", "id")


def email_reports() -> QuerySet[EmailReport]:
    return EmailReport.objects.select_related("dashboard").order_by("name", "id")


def deliveries(report: EmailReport) -> QuerySet[EmailReportDelivery]:
    return report.deliveries.order_by("-period_start")
