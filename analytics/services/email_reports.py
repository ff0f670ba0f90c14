"""Scheduled email reports: configure them, send a test, and send each complete period exactly once.

A report covers the last complete period in the tenant's time zone: the previous Monday..Sunday (weekly) or the
previous calendar month (monthly). Sending a period inserts its `EmailReportDelivery` row first, in the same
transaction as the notice: the unique (report, period_start) constraint makes a second beat process, or a
redelivered task, fail to claim it and send nothing; the mail leaves after commit through `core.notify`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics import metrics, reports
from analytics.errors import ReportDashboardRequired
from analytics.models import EmailReport, EmailReportDelivery, ReportFrequency, ReportType
from core import audit, notify, tenancy
from core.auth import Principal
from core.errors import ValidationFailed

logger = logging.getLogger(__name__)

FIELDS = ("name", "report_type", "dashboard", "frequency", "recipients", "is_active")
REPORT_TYPES = {
    ReportType.DASHBOARD: ("Dashboard", "One of your dashboards as a PDF, with charts against the previous period."),
    ReportType.CHANNEL_OVERVIEW: (
        "Channel overview",
        "Audience, impressions, engagement and posts of every channel, against the previous period.",
    ),
}


def report_types() -> list[dict[str, str]]:
    return [
        {"type": key, "label": label, "description": text, "format": "pdf"}
        for key, (label, text) in REPORT_TYPES.items()
    ]


@dataclass(frozen=True)
class Period:
    first: date
    last: date


def last_complete_period(frequency: str, today: date) -> Period:
    """The newest period of `frequency` that ended before `today` (a local date)."""
    if frequency == ReportFrequency.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        return Period(monday - timedelta(days=7), monday - timedelta(days=1))
    month_start = today.replace(day=1)
    last = month_start - timedelta(days=1)
    return Period(last.replace(day=1), last)


def _check(report: EmailReport) -> None:
    if (report.report_type == ReportType.DASHBOARD) != (report.dashboard_id is not None):
        raise ReportDashboardRequired(details={"dashboardId": [ReportDashboardRequired.message]})


def create_report(*, actor: Principal, **values: Any) -> EmailReport:
    report = EmailReport(created_by=actor.user, **{k: v for k, v in values.items() if k in FIELDS})
    _check(report)
    with transaction.atomic():
        report.save()
        audit.record("analytics.email_report.create", report, actor=actor, changes={"name": report.name})
    return report


def update_report(report: EmailReport, *, actor: Principal, **values: Any) -> EmailReport:
    changes = {k: v for k, v in values.items() if k in FIELDS}
    for name, value in changes.items():
        setattr(report, name, value)
    _check(report)
    with transaction.atomic():
        report.save()
        audit.record("analytics.email_report.update", report, actor=actor, changes={"fields": sorted(changes)})
    return report


def delete_report(report: EmailReport, *, actor: Principal) -> None:
    with transaction.atomic():
        audit.record("analytics.email_report.delete", report, actor=actor, changes={"name": report.name})
        report.delete()


def _pdf(report: EmailReport, period: Period) -> tuple[bytes, str]:
    """The report's PDF for `period` and its title. A dashboard report shows the dashboard's channels; the channel
    overview every channel with metrics (a report goes to people outside the member's team view, so it is the
    tenant's, as configured by someone with `analytics.manage`)."""
    tenant = tenancy.get_current_tenant()
    tz_name = tenant.timezone or "UTC"
    if report.report_type == ReportType.DASHBOARD:
        dashboard = report.dashboard
        scope = (
            metrics.scope_of_ids(dashboard.channel_ids, tz_name)
            if dashboard.channel_ids
            else metrics.tenant_scope(tz_name)
        )
        rendered = reports.render_dashboard(dashboard, scope, period.first, period.last)
    else:
        scope = metrics.tenant_scope(tz_name)
        widgets = reports.render_widgets(
            reports.CHANNEL_OVERVIEW_WIDGETS, scope, period.first, period.last, compare=True
        )
        rendered = {
            "name": report.name,
            "description": "",
            "from": period.first,
            "to": period.last,
            "compare": True,
            "widgets": widgets,
        }
    return reports.dashboard_pdf(rendered, workspace=tenant.name, tz_name=tz_name), rendered["name"]


def _notify(report: EmailReport, period: Period, to: list[str], *, test: bool, notice_id: str | None) -> None:
    content, title = _pdf(report, period)
    prefix = "[Test] " if test else ""
    filename = f"{report.name}-{period.first}-{period.last}.pdf".replace(" ", "_").replace("/", "-")
    notify.notify(
        "analytics.report",
        to=to,
        subject=f"{prefix}{report.name}: {period.first} to {period.last}",
        body=f"Attached: {title} for {period.first} to {period.last} (a {report.get_frequency_display().lower()} "
        "report).",
        tenant_id=report.tenant_id,
        data={"reportId": str(report.pk), "from": str(period.first), "to": str(period.last), "test": test},
        notice_id=notice_id,
        attachments=[notify.Attachment(filename, content, "application/pdf")],
    )


def send_test(report: EmailReport, *, actor: Principal, to: list[str] | None = None) -> Period:
    """Send the last complete period now to `to` (default: the actor's own address); records no delivery."""
    recipients = to or ([actor.user.email] if actor.user is not None and actor.user.email else [])
    if not recipients:
        raise ValidationFailed(details={"to": ["Name the recipients of the test (an API key has no address)."]})
    today = timezone.now().astimezone(ZoneInfo(tenancy.get_current_tenant().timezone or "UTC")).date()
    period = last_complete_period(report.frequency, today)
    with transaction.atomic():
        _notify(report, period, recipients, test=True, notice_id=None)
        audit.record("analytics.email_report.send_test", report, actor=actor, changes={"to": recipients})
    return period


def send_period(report_id: Any, period_first: date) -> bool:
    """Send `report_id`'s period starting `period_first`, once: False when it was already sent (or the report is
    gone or inactive). Safe to run twice and concurrently."""
    report = EmailReport.objects.select_related("dashboard").filter(pk=report_id, is_active=True).first()
    if report is None or not report.recipients:
        return False
    period = Period(period_first, _period_end_after(report.frequency, period_first) - timedelta(days=1))
    try:
        with transaction.atomic():
            delivery = EmailReportDelivery.objects.create(
                report=report, period_start=period.first, period_end=period.last, recipients=report.recipients
            )
            _notify(report, period, report.recipients, test=False, notice_id=f"analytics-report-{delivery.pk}")
            EmailReport.objects.filter(pk=report.pk).update(last_sent_at=delivery.sent_at)
    except IntegrityError:
        logger.info("report period already sent", extra={"report_id": str(report_id), "period": str(period.first)})
        return False
    return True


def _period_end_after(frequency: str, first: date) -> date:
    """The day after the period of `frequency` starting `first`."""
    if frequency == ReportFrequency.WEEKLY:
        return first + timedelta(days=7)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def due_reports(now: datetime) -> list[tuple[str, str, date]]:
    """(report id, tenant id, period start) of every active report of every tenant whose last complete period
    has not been sent. Platform read: call under `platform_access()`."""
    reports_ = list(EmailReport.all_tenants.filter(is_active=True).select_related("tenant"))
    wanted = {}
    for report in reports_:
        if not report.tenant.is_usable:
            continue
        today = now.astimezone(ZoneInfo(report.tenant.timezone or "UTC")).date()
        wanted[report.pk] = (report.tenant_id, last_complete_period(report.frequency, today).first)
    sent = set(
        EmailReportDelivery.all_tenants.filter(report_id__in=list(wanted)).values_list("report_id", "period_start")
    )
    return [
        (str(report_id), str(tenant_id), first)
        for report_id, (tenant_id, first) in wanted.items()
        if (report_id, first) not in sent
    ]
