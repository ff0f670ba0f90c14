"""The Celery app. Queues by kind: `publish` (time critical), `sync`, `default`, `notify`, and `dispatch`, the
publishing dispatcher's own queue: a backlog of publish tasks must never delay the next claim/reconcile tick, so a
dedicated single-process worker consumes it.

Conventions (README "Background work"):
- Every task declares `name=`, `queue=` (one of QUEUES) and `soft_time_limit`/`time_limit` on its decorator, in
  its app's `tasks.py`; routing comes from there (the one mapping below is transitional)
  (core/tests/test_task_conventions.py checks every registered task).
- Each app may declare `BEAT_SCHEDULE` in `<app>/schedules.py`; the schedules of every installed app are merged
  here. No list of apps is kept besides INSTALLED_APPS.
"""

import importlib
import importlib.util
import os
from pathlib import Path

from celery import Celery, signals
from django.conf import settings
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

QUEUES = ("dispatch", "publish", "sync", "default", "notify")

app = Celery("hubbub", task_cls="core.celery_tasks:TenantTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.autodiscover_tasks()  # every task names its queue on its decorator: no routes here


@signals.task_prerun.connect(dispatch_uid="hubbub.worker_connections")
def drop_unusable_connections(sender=None, **kwargs) -> None:
    """Before each task a worker runs: close connections that broke, sit in a transaction, or passed CONN_MAX_AGE,
    and re-arm the health check (settings.CELERY_DB_REUSE_MAX keeps the rest open across tasks). What Django does
    for every HTTP request; an eager task runs inside its caller and leaves the caller's connection alone."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


def collect_beat_schedule() -> dict:
    """`BEAT_SCHEDULE` of every installed app's `schedules` module, merged.

    Runs at import, before Django's app registry is ready: an app's package is located without importing it, and
    only a `schedules.py` that exists is imported (it may import nothing but Celery).
    """
    schedule: dict = {}
    for name in settings.INSTALLED_APPS:
        spec = importlib.util.find_spec(name)
        locations = spec.submodule_search_locations if spec is not None else None
        if not locations or not any((Path(folder) / "schedules.py").exists() for folder in locations):
            continue
        schedule.update(importlib.import_module(f"{name}.schedules").BEAT_SCHEDULE)
    return schedule


app.conf.beat_schedule = collect_beat_schedule()
