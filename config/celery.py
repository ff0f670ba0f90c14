"""The Celery app. Queues by kind: `publish` (time critical), `sync`, `default`, `notify`, and `dispatch`, the
publishing dispatcher's own queue: a backlog of publish tasks must never delay the next claim/reconcile tick, so a
dedicated single-process worker consumes it.

Each app may declare `BEAT_SCHEDULE` in `<app>/schedules.py`; they are merged here.
"""

import importlib
import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hubbub", task_cls="core.celery_tasks:TenantTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("dispatch", "publish", "sync", "default", "notify")]
app.conf.task_routes = {
    "contentplanner.tasks.publish_post": {"queue": "publish"},
    "contentplanner.tasks.dispatch_due_posts": {"queue": "dispatch"},
    "social.tasks.*": {"queue": "sync"},
    "tenants.tasks.send_*": {"queue": "notify"},
}
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="analytics_tasks")  # contentplanner metric collection

LOCAL_APPS = ("core", "tenants", "social", "contentplanner")


def collect_beat_schedule() -> dict:
    schedule: dict = {}
    for name in LOCAL_APPS:
        try:
            module = importlib.import_module(f"{name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.schedules":
                raise
            continue
        schedule.update(module.BEAT_SCHEDULE)
    return schedule


app.conf.beat_schedule = collect_beat_schedule()
