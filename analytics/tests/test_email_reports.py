"""Scheduled email reports: configuration through the API, the test send, and each period sent exactly once
(twice-run and concurrent beat processes)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connections
from django.utils import timezone

from analytics import tasks
from analytics.models import EmailReport, EmailReportDelivery
from conftest import requires_postgres
from contentplanner.tests.factories import set_timezone
from core import tenancy

REPORTS = "/api/v1/analytics/email-reports/"
MONDAY_MORNING = datetime(2026, 3, 16, 6, 0, tzinfo=UTC)


def create(client, **body):
    payload = {
        "name": "Weekly overview",
        "reportType": "channelOverview",
        "frequency": "weekly",
        "recipients": ["client@example.com", "boss@example.com"],
        **body,
    }
    return client.post(REPORTS, payload, format="json")


def pdf_attachments(message) -> list:
    return [a for a in message.attachments if a[2] == "application/pdf"]


def test_types_and_crud(owner_client, tenant):
    types = owner_client.get(f"{REPORTS}types/").json()
    assert {t["type"] for t in types} == {"dashboard", "channelOverview"} and types[0]["format"] == "pdf"

    refused = create(owner_client, reportType="dashboard")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "REPORT_DASHBOARD_REQUIRED"
    created = create(owner_client)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["frequency"] == "weekly" and body["recipients"] == ["client@example.com", "boss@example.com"]
    changed = owner_client.patch(f"{REPORTS}{body['id']}/", {"frequency": "monthly", "isActive": False}, format="json")
    assert changed.status_code == 200 and changed.json()["frequency"] == "monthly"
    assert create(owner_client, recipients=["not-an-address"]).status_code == 400
    assert owner_client.delete(f"{REPORTS}{body['id']}/").status_code == 204
    with tenancy.tenant_context(tenant):
        assert not EmailReport.objects.exists()


def test_viewers_cannot_schedule_reports(viewer, api_client_for, tenant):
    assert create(api_client_for(viewer)).status_code == 403
    with tenancy.tenant_context(tenant):
        assert not EmailReport.objects.exists()


def test_send_test_mails_the_last_week_with_its_pdf_to_the_caller(
    owner_client, owner, tenant, channels, django_capture_on_commit_callbacks
):
    report_id = create(owner_client).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves after commit
        response = owner_client.post(f"{REPORTS}{report_id}/send-test/", {}, format="json")
    assert response.status_code == 202, response.json()
    first, last = (date.fromisoformat(response.json()[k]) for k in ("from", "to"))
    today = timezone.now().date()
    assert first.weekday() == 0 and last == first + timedelta(days=6) and 1 <= (today - last).days <= 7
    [message] = mail.outbox
    assert message.to == [owner.user.email] and message.subject.startswith("[Test] Weekly overview")
    [(filename, content, _)] = pdf_attachments(message)
    assert filename.endswith(f"{first}-{last}.pdf") and content.startswith(b"%PDF")
    with tenancy.tenant_context(tenant):
        assert not EmailReportDelivery.objects.exists()  # a test is not a sent period


def test_send_test_from_an_api_key_needs_recipients(api_key_client_for, tenant, django_capture_on_commit_callbacks):
    client = api_key_client_for(tenant)
    report_id = create(client).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{REPORTS}{report_id}/send-test/", {}, format="json").status_code == 400
        sent = client.post(f"{REPORTS}{report_id}/send-test/", {"to": ["me@example.com"]}, format="json")
    assert sent.status_code == 202
    assert [m.to for m in mail.outbox] == [["me@example.com"]]


def test_a_period_is_sent_once_however_often_beat_ticks(
    owner_client, tenant, channels, django_capture_on_commit_callbacks
):
    dashboard = owner_client.post(
        "/api/v1/analytics/dashboards/",
        {
            "name": "Board",
            "widgets": [
                {
                    "metric": "impressions",
                    "chart": "line",
                    "groupBy": "day",
                    "position": {"x": 0, "y": 0, "w": 6, "h": 4},
                }
            ],
        },
        format="json",
    ).json()
    report_id = create(owner_client, reportType="dashboard", dashboardId=dashboard["id"]).json()["id"]
    with time_machine.travel(MONDAY_MORNING, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_due_reports() == 1
        assert tasks.dispatch_due_reports() == 0
        assert (
            tasks.send_email_report(report_id=report_id, tenant_id=str(tenant.pk), period_start="2026-03-09") is False
        )
    # The period's one notice, delivered to each recipient (one email per person, each with the PDF).
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "boss@example.com",
        "client@example.com",
    ]
    for message in mail.outbox:
        assert message.subject == "Weekly overview: 2026-03-09 to 2026-03-15" and len(pdf_attachments(message)) == 1
    with tenancy.tenant_context(tenant):
        [delivery] = EmailReportDelivery.objects.all()
        assert (str(delivery.period_start), str(delivery.period_end)) == ("2026-03-09", "2026-03-15")
    next_monday = datetime(2026, 3, 23, 6, 0, tzinfo=UTC)
    with time_machine.travel(next_monday, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_due_reports() == 1  # the next week
    assert len(mail.outbox) == 4


def test_the_period_follows_the_tenants_time_zone(owner_client, tenant, channels):
    create(owner_client)
    create(owner_client, name="Monthly", frequency="monthly")
    late_sunday = datetime(2026, 3, 15, 23, 30, tzinfo=UTC)  # already Monday 00:30 in Berlin
    with time_machine.travel(late_sunday, tick=False):
        tasks.dispatch_due_reports()
        set_timezone(tenant, "Europe/Berlin")
        tasks.dispatch_due_reports()
    with tenancy.tenant_context(tenant):
        periods = sorted(
            (r.report.name, str(r.period_start), str(r.period_end))
            for r in EmailReportDelivery.objects.select_related("report")
        )
    assert periods == [
        ("Monthly", "2026-02-01", "2026-02-28"),
        ("Weekly overview", "2026-03-02", "2026-03-08"),  # in UTC it was still Sunday the 15th
        ("Weekly overview", "2026-03-09", "2026-03-15"),  # in Berlin the week had ended
    ]


def test_inactive_reports_are_not_sent(owner_client, channels):
    create(owner_client, isActive=False)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert tasks.dispatch_due_reports() == 0
    assert mail.outbox == []


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_at_once_send_a_period_once(owner_client, tenant, channels):
    create(owner_client)
    start = threading.Barrier(2)
    results, errors = [], []

    def beat():
        try:
            start.wait()
            results.append(tasks.dispatch_due_reports())
        except Exception as exc:  # noqa: BLE001 - re-raised by the test through `errors`
            errors.append(exc)
        finally:
            connections.close_all()

    with time_machine.travel(MONDAY_MORNING, tick=False):
        threads = [threading.Thread(target=beat) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert len(results) == 2 and sum(results) >= 1  # both may see it due; only one may send it
    # One notice for the period: each recipient gets one email.
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "boss@example.com",
        "client@example.com",
    ]
    with tenancy.tenant_context(tenant):
        assert EmailReportDelivery.objects.count() == 1
