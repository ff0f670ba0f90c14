"""The notify seam: nothing is told before commit, a rolled-back change tells nobody, a redelivery sends once."""

import pytest
from django.core import mail
from django.db import transaction

from core import notify
from core.tasks import deliver_notice


@pytest.mark.django_db(transaction=True)
def test_notice_is_delivered_only_after_commit():
    with transaction.atomic():
        notify.notify("test.event", to=["a@example.com"], subject="Hello", body="Body")
        assert mail.outbox == []
    assert [(m.subject, m.to) for m in mail.outbox] == [("Hello", ["a@example.com"])]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_tells_nobody():
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.notify("test.event", to=["a@example.com"], subject="Hello", body="Body")
        raise RuntimeError("the service failed")
    assert mail.outbox == []


def test_nobody_to_tell_enqueues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert notify.notify("test.event", to=["", ""], subject="s", body="b") is None
    assert callbacks == []


def test_redelivered_notice_is_sent_once(db):
    notice = notify.Notice(event="test.event", to=("a@example.com", "b@example.com"), subject="s", body="b")
    deliver_notice.apply(kwargs={"notice": notice.as_payload()})
    deliver_notice.apply(kwargs={"notice": notice.as_payload()})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.com", "b@example.com"]


def test_installed_deliverer_receives_the_notice(db):
    received = []
    installed = notify._deliverer
    notify.set_deliverer(received.append)
    try:
        notice = notify.Notice(event="x.y", to=("a@example.com",), subject="s", body="b", data={"k": 1})
        deliver_notice.apply(kwargs={"notice": notice.as_payload()})
    finally:
        notify.set_deliverer(installed)
    assert received == [notice]
    assert mail.outbox == []
