"""Celery tasks of the analytics app: scheduled email reports (thin wrappers around services.email_reports)."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from analytics.services import email_reports
from core import tenancy


@shared_task(name="analytics.tasks.send_email_report", queue="notify", soft_time_limit=240, time_limit=300)
def send_email_report(*, report_id: str, tenant_id: str, period_start: str) -> bool:
    """Send one report period (idempotent: a period already sent is skipped)."""
    return email_reports.send_period(report_id, date.fromisoformat(period_start))


@shared_task(name="analytics.tasks.dispatch_due_reports", queue="default", soft_time_limit=50, time_limit=60)
def dispatch_due_reports() -> int:
    """Beat: one send task per report whose last complete period has not gone out (all tenants). Running twice,
    or on two beat processes, only enqueues duplicates that `send_period` refuses."""
    with tenancy.platform_access():
        due = email_reports.due_reports(timezone.now())
    for report_id, tenant_id, first in due:
        send_email_report.delay(report_id=report_id, tenant_id=tenant_id, period_start=first.isoformat())
    return len(due)
