from __future__ import annotations

from core import extensions, tenancy
from notifications.demo import seed_demo
from notifications.models import Event, Integration, Message, Topic, Workflow


def test_demo_seed_is_idempotent_and_complete(tenant, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(tenant=tenant, owner=owner.user)
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(tenant=tenant, owner=owner.user)
    with tenancy.tenant_context(tenant):
        assert set(Integration.objects.values_list("identifier", flat=True)) == {"hubbub-inapp", "site-smtp"}
        identifiers = set(Workflow.objects.values_list("identifier", flat=True))
        assert set(extensions.notice_types()) | {"comment.digest", "hubbub.welcome"} == identifiers
        assert Topic.objects.get(key="team").subscribers.filter(user=owner.user).exists()
        assert Event.objects.count() == 2
        # The welcome item is in the owner's feed once, though the seed ran twice and its job was also queued.
        (welcome,) = Message.objects.filter(event__transaction_id="demo-welcome")
        assert (welcome.channel, welcome.status, welcome.subscriber.user) == ("in_app", "sent", owner.user)
