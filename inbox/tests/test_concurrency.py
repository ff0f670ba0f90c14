"""Concurrent ingestion and action runs on PostgreSQL: real transactions, one connection per thread."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime

import pytest
from django.db import connections
from django.test import Client

from conftest import requires_postgres
from core import tenancy
from core.auth import Principal
from inbox.incoming import from_remote_item
from inbox.models import ActionStatus, Interactor, Ticket
from inbox.services import actions as action_services
from inbox.services.ingestion import ingest
from inbox.tests.factories import TicketFactory
from social.models import SandboxPublication
from social.networks.base import RemoteItem
from social.networks.sandbox import inject_inbound
from social.tests.factories import ChannelFactory

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]
SECRET = "meta-secret"
N = 500


def _in_thread(target, results: list, errors: list):
    def run():
        try:
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - re-raised by the test through `errors`
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def comment(i: int) -> dict:
    return {
        "from": {"id": f"fan-{i % 40}", "name": f"Fan {i % 40}"},
        "post_id": "111_1",
        "comment_id": f"111_1_{i}",
        "parent_id": "111_1" if i % 5 else "111_1_0",
        "message": f"comment {i}",
        "created_time": 1764280000 + i,
        "item": "comment",
        "verb": "add",
    }


def test_the_same_500_items_by_polling_and_webhook_at_once_make_500_tickets(tenant, settings):
    settings.INBOX_META_APP_SECRET = SECRET
    channel = ChannelFactory(tenant=tenant, network="facebook", external_id="111")
    start = threading.Barrier(4)

    def poller(order):
        def run():
            start.wait()
            with tenancy.tenant_context(tenant):
                for offset in range(0, N, 25):
                    items = [
                        RemoteItem(
                            remote_id=f"111_1_{i}",
                            kind="comment",
                            text=f"comment {i}",
                            author_id=f"fan-{i % 40}",
                            author_name=f"Fan {i % 40}",
                            created_at=datetime.fromtimestamp(1764280000 + i, UTC),
                            parent_remote_id="111_1" if i % 5 else "111_1_0",
                            raw={} if i % 5 else {"parent": {"id": "111_1_0"}},
                        )
                        for i in order[offset : offset + 25]
                    ]
                    ingest(channel, [from_remote_item(item) for item in items])
            return "polled"

        return run

    def pusher(order):
        def run():
            start.wait()
            client = Client()
            for offset in range(0, N, 25):
                changes = [{"field": "feed", "value": comment(i)} for i in order[offset : offset + 25]]
                body = json.dumps({"object": "page", "entry": [{"id": "111", "time": 1, "changes": changes}]}).encode()
                signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                response = client.post(
                    "/api/v1/inbox/webhooks/facebook",
                    body,
                    content_type="application/json",
                    HTTP_X_HUB_SIGNATURE_256=signature,
                )
                assert response.status_code == 200, response.content
            return "pushed"

        return run

    forward, backward = list(range(N)), list(reversed(range(N)))
    results, errors = [], []
    threads = [
        _in_thread(target, results, errors)
        for target in (poller(forward), poller(backward), pusher(backward), pusher(forward))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    with tenancy.tenant_context(tenant):
        assert Ticket.objects.count() == N
        assert Ticket.objects.values("network_item_id").distinct().count() == N
        assert Interactor.objects.count() == 40
        replies = Ticket.objects.filter(parent_network_item_id="111_1_0").exclude(network_item_id="111_1_0")
        assert replies.count() == N // 5 - 1
        assert not replies.filter(parent__isnull=True).exists()  # every early reply found its parent


def test_two_runs_of_the_same_action_at_once_send_one_reply(tenant, owner):
    channel = ChannelFactory(tenant=tenant, external_id="sbx-c")
    remote = inject_inbound("sbx-c", kind="comment", text="hi", author_id="fan")
    ticket = TicketFactory(tenant=tenant, channel=channel, network_item_id=remote)
    actor = Principal(tenant=tenant, permissions=frozenset(), kind="user", user=owner.user)
    with tenancy.tenant_context(tenant):
        action = action_services.perform_action(ticket, "reply", actor=actor, params={"text": "once"})
    start = threading.Barrier(4)

    def run():
        start.wait()
        with tenancy.tenant_context(tenant):
            return action_services.execute_action(action.pk)

    results, errors = [], []
    threads = [_in_thread(run, results, errors) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert SandboxPublication.objects.filter(kind="reply").count() == 1
    with tenancy.tenant_context(tenant):
        action.refresh_from_db()
        assert action.status == ActionStatus.DONE
        assert Ticket.objects.filter(is_own=True).count() == 1


def test_evaluations_racing_on_one_burst_open_one_incident_and_mail_once(tenant):
    from django.core import mail

    from inbox.models import Alert, AlertIncident
    from inbox.services.alerts import evaluate_alert

    channel = ChannelFactory(tenant=tenant)
    with tenancy.tenant_context(tenant):
        alert = Alert.objects.create(
            name="Burst",
            kind="volumeBurst",
            channel=channel,
            threshold_count=1,
            window_minutes=10,
            recipient_emails=["oncall@example.com"],
        )
    for _ in range(3):
        TicketFactory(tenant=tenant, channel=channel)
    barrier, results, errors = threading.Barrier(4), [], []

    def evaluate():
        barrier.wait()
        with tenancy.tenant_context(tenant):
            return evaluate_alert(Alert.objects.get(pk=alert.pk))

    threads = [_in_thread(evaluate, results, errors) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(1 for opened in results if opened is not None) == 1
    with tenancy.tenant_context(tenant):
        assert AlertIncident.objects.filter(alert=alert).count() == 1
    assert len(mail.outbox) == 1
