"""Celery settings are explicit and tested (architecture.md "Background work"), and the publishing tasks use them."""

from __future__ import annotations

import runpy
from pathlib import Path

from django.conf import settings

from config.celery import app
from contentplanner import publishing, schedules, tasks
from contentplanner.tests.factories import ChannelFactory, PostFactory, reload
from core.celery_tasks import TenantTask

SETTINGS_FILE = Path(settings.BASE_DIR) / "config" / "settings.py"


def _settings_with_redis(monkeypatch) -> dict:
    """The settings module as production loads it (REDIS_URL set), evaluated apart from the running settings."""
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    return runpy.run_path(str(SETTINGS_FILE))


def test_json_only_serialization():
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_late_ack_and_reject_on_worker_lost_with_prefetch_one():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    for task in (tasks.publish_post, tasks.publish_posts, tasks.dispatch_due_posts):
        assert isinstance(task, TenantTask)
        assert task.acks_late is True and task.reject_on_worker_lost is True


def test_time_limits_are_below_the_visibility_timeout(monkeypatch):
    production = _settings_with_redis(monkeypatch)
    assert production["CELERY_BROKER_URL"] == "redis://redis.internal:6379/0"
    visibility = production["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    assert production["CELERY_TASK_SOFT_TIME_LIMIT"] < production["CELERY_TASK_TIME_LIMIT"] < visibility
    for task in (tasks.publish_post, tasks.publish_posts, tasks.dispatch_due_posts):
        assert task.soft_time_limit < task.time_limit < visibility
    # No worker can still be waiting for the network when the dispatcher reconciles an unanswered attempt.
    assert tasks.publish_post.time_limit < publishing.IN_FLIGHT_STALE.total_seconds()


def test_publish_tasks_and_the_dispatcher_have_their_own_queues():
    # The queue a task is sent to comes from its decorator (apply_async's execution options).
    assert tasks.publish_post._get_exec_options()["queue"] == "publish"
    # A publish backlog must not delay the dispatcher's ticks.
    assert tasks.dispatch_due_posts._get_exec_options()["queue"] == "dispatch"
    assert {queue.name for queue in app.conf.task_queues} == {"dispatch", "publish", "sync", "default", "notify"}


def test_every_task_declares_its_name_queue_and_time_limits():
    declared = {
        task.name: task.queue
        for task in vars(tasks).values()
        if isinstance(task, TenantTask) and task.name.startswith("contentplanner.")
    }
    assert declared == {
        "contentplanner.tasks.dispatch_due_posts": "dispatch",
        "contentplanner.tasks.publish_post": "publish",
        "contentplanner.tasks.publish_posts": "publish",
        "contentplanner.tasks.publish_first_comment": "publish",
        "contentplanner.tasks.dispatch_post_metrics": "sync",
        "contentplanner.tasks.collect_post_metrics": "sync",
        "contentplanner.tasks.dispatch_channel_metrics": "sync",
        "contentplanner.tasks.collect_channel_metrics": "sync",
        "contentplanner.tasks.remind_client_approvals": "sync",
        "contentplanner.tasks.sweep_approvals": "sync",
        "contentplanner.tasks.run_post_import": "sync",
    }
    for name in declared:
        task = app.tasks[name]
        assert 0 < task.soft_time_limit < task.time_limit, name
    # Beat sends the metric dispatchers where their tasks live.
    for entry in ("cp-dispatch-post-metrics", "cp-dispatch-channel-metrics"):
        assert app.conf.beat_schedule[entry]["options"]["queue"] == "sync"


def test_one_dispatcher_beat_entry_every_few_seconds_without_eta():
    entry = app.conf.beat_schedule["cp-dispatch-due-posts"]
    assert entry == schedules.BEAT_SCHEDULE["cp-dispatch-due-posts"]
    assert entry["task"] == tasks.dispatch_due_posts.name
    assert entry["schedule"] <= 5
    assert entry["options"]["queue"] == "dispatch"
    assert entry["options"]["expires"] <= 2 * entry["schedule"]
    assert [name for name, e in app.conf.beat_schedule.items() if e["task"] == tasks.dispatch_due_posts.name] == [
        "cp-dispatch-due-posts"
    ]


def test_retries_never_use_countdown_or_eta(tenant, monkeypatch, django_capture_on_commit_callbacks, time_machine):
    """The DB gate `next_attempt_at` + the dispatcher is the retry mechanism: no delayed messages, even on retry."""
    from django.utils import timezone

    from contentplanner.models import PostState

    sent = []
    original = tasks.publish_posts.apply_async

    def recording_apply_async(args=None, kwargs=None, **options):
        sent.append(options)
        return original(args, kwargs, **options)

    monkeypatch.setattr(tasks.publish_posts, "apply_async", recording_apply_async)
    time_machine.move_to(timezone.now(), tick=False)
    post = PostFactory(
        channel=ChannelFactory(tenant=tenant, sandbox={"failWith": "RATE_LIMITED", "times": 1, "retryAfter": 30}),
        due=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        publishing.dispatch(enqueue=tasks.enqueue)
    time_machine.move_to(reload(post).next_attempt_at)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.dispatch(enqueue=tasks.enqueue)

    assert reload(post).state == PostState.PUBLISHED
    assert len(sent) == 2
    assert all(not {"countdown", "eta"} & set(options) for options in sent)
