"""Operator console, demo data and sandbox bursts."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from core import tenancy
from core.models import AuditLogEntry
from inbox import demo
from inbox.models import ActionStatus, BulkJob, IngestionCursor, Interactor, Ticket, TicketAction, TicketStatus
from inbox.services import polling
from inbox.tests.factories import TicketFactory
from social.models import SandboxPublication
from social.tests.factories import ChannelFactory
from tenants.models import User


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("staff@hubbub.local", "pw"))
    return client


@pytest.fixture
def channel(tenant):
    return ChannelFactory(tenant=tenant, external_id="sbx-demo")


def test_changelists_and_change_pages_render(staff_client, tenant, channel):
    ticket = TicketFactory(tenant=tenant, channel=channel)
    with tenancy.tenant_context(tenant):
        action = TicketAction.objects.create(ticket=ticket, action="like", status="failed", error_code="NETWORK_DOWN")
        job = BulkJob.objects.create(action="archive")
        polling.ensure_cursors(channel)
        cursor = IngestionCursor.objects.first()
    for obj in (ticket, ticket.interactor, action, job, cursor):
        opts = obj._meta
        assert staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
        change = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert change.status_code == 200, opts.model_name
    search = staff_client.get(reverse("admin:inbox_ticket_changelist"), {"q": ticket.text, "status__exact": "open"})
    assert search.status_code == 200 and str(ticket.pk) in search.content.decode()


def test_admin_retry_of_a_failed_action_runs_it_through_the_service(
    staff_client, tenant, channel, django_capture_on_commit_callbacks
):
    from social.networks.sandbox import inject_inbound

    remote = inject_inbound("sbx-demo", kind="comment", text="hi", author_id="f")
    ticket = TicketFactory(tenant=tenant, channel=channel, network_item_id=remote)
    with tenancy.tenant_context(tenant):
        action = TicketAction.objects.create(ticket=ticket, action="like", status="failed", error_code="NETWORK_DOWN")
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:inbox_ticketaction_changelist"), {"action": "retry_failed", "_selected_action": [action.pk]}
        )
    with tenancy.tenant_context(tenant):
        action.refresh_from_db()
        assert action.status == ActionStatus.DONE and action.attempt == 2
        assert Ticket.objects.get(pk=ticket.pk).is_liked


def test_admin_burst_and_erase(staff_client, tenant, channel):
    with tenancy.tenant_context(tenant):
        polling.ensure_cursors(channel)
        cursor = IngestionCursor.objects.filter(channel=channel).first()
    staff_client.post(
        reverse("admin:inbox_ingestioncursor_changelist"), {"action": "sandbox_burst", "_selected_action": [cursor.pk]}
    )
    with tenancy.tenant_context(tenant):
        assert Ticket.objects.count() == 20
        person = Interactor.objects.first()
        assert AuditLogEntry.objects.filter(action="admin.inbox.sandbox_burst").count() == 1
    staff_client.post(
        reverse("admin:inbox_interactor_changelist"), {"action": "erase", "_selected_action": [person.pk]}
    )
    with tenancy.tenant_context(tenant):
        assert Interactor.objects.get(pk=person.pk).erased_at is not None


def test_burst_command_writes_every_kind_and_ingests(tenant, channel, capsys):
    call_command("inbox_burst", "--channel", str(channel.pk), "--count", "10", "--text", "Same text")
    assert "10 items written" in capsys.readouterr().out
    with tenancy.tenant_context(tenant):
        tickets = list(Ticket.objects.all())
    assert len(tickets) == 10 and {t.text for t in tickets} == {"Same text"}
    assert {t.type for t in tickets} == {"comment", "reply", "message", "mention"}
    replies = [t for t in tickets if t.type == "reply"]
    assert all(r.parent_id is not None for r in replies)
    with pytest.raises(CommandError):
        call_command(
            "inbox_burst", "--channel", str(ChannelFactory(tenant=tenant, network="facebook").pk), "--count", "1"
        )


def test_demo_has_tickets_in_every_state_and_is_idempotent(tenant, owner, channel):
    created = demo.seed_demo(tenant=tenant, owner=owner.user)
    assert created == 15
    assert demo.seed_demo(tenant=tenant, owner=owner.user) == 0
    with tenancy.tenant_context(tenant):
        tickets = Ticket.objects.all()
        assert {t.status for t in tickets} >= {TicketStatus.OPEN, TicketStatus.ARCHIVED, TicketStatus.SNOOZED}
        assert tickets.filter(is_priority=True).exists() and tickets.filter(sentiment="NEGATIVE").exists()
        assert tickets.filter(assignee=owner.user).exists() and tickets.filter(is_own=True).exists()
        assert tickets.filter(first_response_at__isnull=False).exists()
    assert SandboxPublication.objects.filter(kind="reply").count() == 1


def test_demo_organisation_and_its_admin_pages(staff_client, tenant, owner, channel):
    from inbox.models import Category, Folder, Template, TicketCategory

    demo.seed_demo(tenant=tenant, owner=owner.user)
    demo.seed_demo(tenant=tenant, owner=owner.user)
    with tenancy.tenant_context(tenant):
        assert Category.objects.count() == 11  # the 8 paths and the 3 parents created on the way, once
        assert Category.objects.get(name="Returns").parent.parent.name == "Support"
        assert Template.objects.count() == 3 and Folder.objects.count() == 3
        assert TicketCategory.objects.exists()
        category, template, folder = Category.objects.first(), Template.objects.first(), Folder.objects.first()
    for obj, term in ((category, category.name), (template, template.name), (folder, folder.name)):
        opts = obj._meta
        listing = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": term})
        assert listing.status_code == 200 and str(obj.pk) in listing.content.decode()
        change = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert change.status_code == 200, opts.model_name
    refused = staff_client.post(
        reverse("admin:inbox_template_change", args=[template.pk]),
        {"name": template.name, "text": "Hi {{nobody.name}}", "team": ""},
    )
    assert refused.status_code == 200 and "Unknown placeholders" in refused.content.decode()
    with tenancy.tenant_context(tenant):
        assert Template.objects.get(pk=template.pk).text == template.text
