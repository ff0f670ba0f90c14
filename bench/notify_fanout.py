"""Benchmark a notification fan-out: trigger one workflow for N subscribers, run its jobs, print messages/s.

Runs on a throwaway database (DATABASE_TEST_NAME, default bench_hubbub_notify) created and dropped here; use
PostgreSQL (DATABASE_URL) for meaningful figures. The workflow has an in-app step and, with --email, an email step
through the site's mail settings (Django's in-memory backend here), so nothing leaves the machine. The jobs run in
this process the way a `notifications.run_jobs` worker runs its chunk; a second run proves nothing is sent twice.

    .venv/bin/python bench/notify_fanout.py [--subscribers 2000] [--email]
"""

from __future__ import annotations

import argparse
import os
import time

from _throwaway_db import setup_django, throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--email", action="store_true", help="add an email step (in-memory mail backend)")
    args = parser.parse_args()
    setup_django(os.environ.get("DATABASE_TEST_NAME", "bench_hubbub_notify"))

    from django.conf import settings
    from django.core import mail
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from core import tenancy
    from core.auth import Principal
    from notifications.models import Job, Message, Subscriber
    from notifications.services import delivery, triggers
    from notifications.services.defaults import install_defaults
    from notifications.services.workflows import create_workflow
    from tenants.services import workspaces

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # This process is the worker: the jobs are run below, not handed to the broker after commit.
    triggers.enqueue_jobs = lambda job_ids, *, tenant_id: None
    mail.outbox = []
    with throwaway_database() as db_name:
        print(f"database: {connection.vendor} {db_name}; subscribers: {args.subscribers}; email: {args.email}")
        tenant = workspaces.create_tenant(actor=None, name="Bench", plan="business")
        with tenancy.tenant_context(tenant):
            bench = Principal(tenant=tenant, permissions=frozenset(), kind="staff")
            install_defaults(actor=bench)  # the in-app and site-mail integrations
            steps = [{"type": "in_app", "body": "Hello {{subscriber.firstName}}, {{payload.what}} is ready"}]
            if args.email:
                steps.append({"type": "email", "subject": "{{payload.what}}", "body": "Hi {{subscriber.firstName}}"})
            workflow = create_workflow(actor=bench, identifier="bench.fanout", name="Fan-out", steps=steps)
            Subscriber.objects.bulk_create(
                [
                    Subscriber(subscriber_id=f"s{i}", first_name=f"S{i}", email=f"s{i}@bench.example", tenant=tenant)
                    for i in range(args.subscribers)
                ],
                batch_size=1000,
            )
            subscribers = list(Subscriber.objects.all())

            started = time.perf_counter()
            with transaction.atomic():
                result = triggers.trigger(
                    workflow, triggered_by="bench", subscribers=subscribers, payload={"what": "the report"}
                )
            trigger_s = time.perf_counter() - started
            job_ids = [str(pk) for pk in Job.objects.filter(event=result.event).values_list("pk", flat=True)]

            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                for start in range(0, len(job_ids), triggers.ENQUEUE_CHUNK):  # a worker runs one task's chunk
                    delivery.run_jobs(job_ids[start : start + triggers.ENQUEUE_CHUNK])
            run_s = time.perf_counter() - started
            messages = Message.objects.filter(event=result.event, status="sent").count()

            delivery.run_jobs(job_ids[:200])  # a redelivered chunk: every job ran already, nothing is re-sent
            assert Message.objects.filter(event=result.event).count() == messages == len(steps) * len(subscribers)
            assert len(mail.outbox) == (len(subscribers) if args.email else 0)

        print(f"trigger: {len(job_ids)} jobs in {trigger_s:.2f} s ({len(job_ids) / trigger_s:,.0f} jobs/s)")
        print(f"delivery: {messages} messages in {run_s:.2f} s ({messages / run_s:,.0f} messages/s)")
        print(f"queries: {len(queries)} ({len(queries) / messages:.1f} per message)")
        print(f"end to end: {messages / (trigger_s + run_s):,.0f} messages/s; re-run sent nothing twice")


if __name__ == "__main__":
    main()
