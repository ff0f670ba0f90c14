"""Tasks are registered on the notify queue with time limits; the beat entries name real tasks."""

from __future__ import annotations

from config.celery import app
from notifications import tasks
from notifications.schedules import BEAT_SCHEDULE


def test_every_task_runs_on_the_notify_queue_with_time_limits():
    for task in (tasks.run_jobs, tasks.sweep_due_jobs, tasks.deliver_webhook, tasks.sweep_webhook_deliveries):
        assert task.queue == "notify" and task.soft_time_limit and task.time_limit > task.soft_time_limit
        assert task.name in app.tasks


def test_beat_entries_name_registered_tasks():
    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} == {
        "notifications.sweep_due_jobs",
        "notifications.sweep_webhook_deliveries",
    }
    assert all(entry["task"] in app.tasks for entry in BEAT_SCHEDULE.values())
