"""Celery workers keep their database connection across tasks (settings.CELERY_DB_REUSE_MAX) and replace one that
was dropped (config.celery.drop_unusable_connections), driven through the same signals a worker sends around each
task, with Celery's own Django fixup installed as a worker installs it."""

from __future__ import annotations

import psycopg
import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from config.celery import app
from contentplanner.tasks import publish_posts

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL backend pids")


@pytest.fixture
def worker_fixup():
    fixup = DjangoWorkerFixup(app).install()
    yield fixup
    signals.task_prerun.disconnect(fixup.on_task_prerun)
    signals.task_postrun.disconnect(fixup.on_task_postrun)
    signals.worker_process_init.disconnect(fixup.on_worker_process_init)
    signals.beat_embedded_init.disconnect(fixup.close_database)


def run_task_like_a_worker() -> int:
    """The signals a worker sends around one (non-eager) task, with one query in between: its backend pid."""
    task = publish_posts
    signals.task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    signals.task_postrun.send(sender=task, task_id="t", task=task, args=(), kwargs={}, retval=None, state="SUCCESS")
    return pid


@pytest.mark.django_db(transaction=True)
def test_a_worker_reuses_its_connection_across_tasks_and_recovers_from_a_dropped_one(worker_fixup):
    assert worker_fixup.db_reuse_max  # without it the fixup closes the connection around every task
    first = run_task_like_a_worker()
    assert run_task_like_a_worker() == first
    assert run_task_like_a_worker() == first

    # The server drops the connection between two tasks (restart, idle timeout, PgBouncer recycling it).
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [first])

    replaced = run_task_like_a_worker()  # the next task gets a fresh connection instead of an error
    assert replaced != first
    assert run_task_like_a_worker() == replaced
