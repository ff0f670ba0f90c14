"""contentplanner.demo: every state on the sandbox channels, idempotent, and due-soon posts the dispatcher publishes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from contentplanner import demo, publishing, tasks
from contentplanner.models import Campaign, Post, PostState, Tag
from contentplanner.tests.factories import publications_of
from core import tenancy
from social import demo as social_demo


def test_seed_demo_creates_every_state_once_and_the_due_ones_publish(
    tenant, owner, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    with tenancy.tenant_context(tenant):
        social_demo.seed_demo(tenant=tenant, owner=owner.user)
        created = demo.seed_demo(tenant=tenant, owner=owner.user)
        again = demo.seed_demo(tenant=tenant, owner=owner.user)

        assert again == []  # idempotent while the due-soon posts still wait
        assert len(created) == len(demo.DEMO_POSTS) + 3
        assert Campaign.objects.filter(name=demo.CAMPAIGN["name"]).count() == 1
        assert Tag.objects.count() == len(demo.TAGS)
        states = set(Post.objects.values_list("state", flat=True))
        assert states == {s for s, _text, _tags in demo.DEMO_POSTS}
        published = Post.objects.get(state=PostState.PUBLISHED)
        assert published.remote_id == publications_of(published)[0].remote_id
        failed = Post.objects.get(state=PostState.FAILED)
        assert failed.error_code == "INVALID_CONTENT" and failed.attempts.count() == 1
        due = list(Post.objects.filter(text__startswith=demo.DUE_SOON_PREFIX))
        assert len(due) == 3 and {p.state for p in due} == {PostState.SCHEDULED}
        assert all(timedelta(0) < p.publish_at - timezone.now() <= timedelta(minutes=3) for p in due)

    time_machine.move_to(timezone.now() + timedelta(minutes=3, seconds=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert publishing.dispatch(enqueue=tasks.enqueue).claimed == 3
    with tenancy.tenant_context(tenant):
        assert set(Post.objects.filter(text__startswith=demo.DUE_SOON_PREFIX).values_list("state", flat=True)) == {
            PostState.PUBLISHED
        }
        # Nothing waits any more: the next run schedules three new ones.
        assert len(demo.seed_demo(tenant=tenant, owner=owner.user)) == 3
