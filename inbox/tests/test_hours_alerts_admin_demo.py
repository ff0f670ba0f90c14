"""Operator console and demo data of business hours and alerts."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from core import tenancy
from core.models import AuditLogEntry
from inbox import demo
from inbox.models import Alert, AlertIncident, AlertKind, AutoReplySent, BusinessHours
from inbox.tests.factories import TicketFactory
from social.tests.factories import ChannelFactory
from tenants.models import User


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("staff@hubbub.local", "pw"))
    return client


@pytest.fixture
def seeded(tenant, owner):
    channel = ChannelFactory(tenant=tenant, external_id="sbx-demo-hours")
    demo.seed_demo(tenant=tenant, owner=owner.user)
    return channel


def test_demo_channels_get_office_hours_and_the_owner_two_alerts(tenant, owner, seeded):
    with tenancy.tenant_context(tenant):
        hours = BusinessHours.objects.get(channel=seeded)
        alerts = {a.kind: a for a in Alert.objects.all()}
        assert AutoReplySent.objects.count() == 0  # seeded after the demo's own tickets
    assert hours.timezone == "Europe/Berlin" and hours.is_auto_reply_enabled
    assert len(hours.periods) == 11 and len(hours.holidays) == 3
    assert set(alerts) == {AlertKind.VOLUME_BURST, AlertKind.UNANSWERED_PRIORITY}
    assert alerts[AlertKind.VOLUME_BURST].recipient_user_ids == [str(owner.user.pk)]
    demo.seed_demo(tenant=tenant, owner=owner.user)
    with tenancy.tenant_context(tenant):
        assert Alert.objects.count() == 2


def test_admin_pages_render_and_evaluate_now_opens_an_incident_once(
    staff_client, tenant, owner, seeded, django_capture_on_commit_callbacks
):
    with tenancy.tenant_context(tenant):
        alert = Alert.objects.get(kind=AlertKind.VOLUME_BURST)
        hours = BusinessHours.objects.get(channel=seeded)
    for n in range(6):
        TicketFactory(tenant=tenant, channel=seeded, sentiment="NEGATIVE", text=f"Awful {n}")
    changelist = reverse("admin:inbox_alert_changelist")
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            staff_client.post(changelist, {"action": "evaluate_now", "_selected_action": [alert.pk]})
    with tenancy.tenant_context(tenant):
        incident = AlertIncident.objects.get()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [owner.user.email]
    for model, pk in ((Alert, alert.pk), (AlertIncident, incident.pk), (BusinessHours, hours.pk)):
        opts = model._meta
        assert staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
        assert (
            staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])).status_code == 200
        )
    staff_client.post(changelist, {"action": "deactivate", "_selected_action": [alert.pk]})
    with tenancy.tenant_context(tenant):
        assert not Alert.objects.get(pk=alert.pk).is_active
        assert AlertIncident.objects.get().closed_at is not None
        assert AuditLogEntry.objects.filter(action="inbox.alert.updated", object_id=str(alert.pk)).exists()
