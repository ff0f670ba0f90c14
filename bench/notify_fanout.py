"""Notification fan-out end to end: one trigger to a topic of N subscribers, real Celery workers, PostgreSQL + Redis.

Creates a throwaway database (DATABASE_TEST_NAME, default `bench_hubbub_notify`, migrated, dropped at the end, also
on failure), a tenant with a topic of N subscribers and a workflow with an in-app step and (unless --no-email) an
email step through a SendGrid, Mailgun or SES integration (--provider). The email provider is a local HTTP fake in a
subprocess (`--serve-fake`) that speaks the provider's request shape; the real adapter calls it because the workers
get `NOTIFICATIONS_PROVIDER_API_BASES` pointing at it. `celery -A config worker -Q notify` subprocesses run the jobs
the trigger enqueues on Redis.

Prints: messages/s end to end (trigger start -> last message sent), p50/p95 from trigger to the in-app message
visible (its committed `sent_at`), duplicates (the fake received an address more than once: must be 0), emails
marked sent that the fake never accepted (must be 0), and a redelivery check (every task enqueued again: nothing is
sent twice), with the load average.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub REDIS_URL=redis://127.0.0.1:6379/6 \
        .venv/bin/python bench/notify_fanout.py [--subscribers 10000] [--workers 2] [--concurrency 2] \
        [--provider sendgrid|mailgun|ses] [--no-email]

The Redis database given is FLUSHED before and after (use a database index nothing else uses).

Measured 2026-11-29 on the shared 2-CPU VM (load 13-20 from other engineers' jobs), 2 workers x 2 processes:
- before batching (one provider call, a new TLS context and ~5 queries per email), 3,000 subscribers: 12 messages/s,
  chunks running into the task's soft time limit;
- after (a chunk's step set-wise, ~24 queries per 200 jobs, one provider request per chunk), 10,000 subscribers:
  SendGrid 217 messages/s end to end (the trigger's one transaction 26 s, then 304/s), in-app visible p50 60 s /
  p95 85 s; Mailgun 210/s, p95 89 s; duplicates 0, nothing marked sent that the fake did not accept, a redelivery
  of every task sent nothing;
- after the set-wise trigger (jobs, the first in-app step's messages and execution details each one INSERT ...
  SELECT, so in-app items are visible at the trigger's commit; workers load a chunk by primary key and write
  messages and details through core.db.bulk), same run back to back with the code before it, load 7-9:
  before 917 messages/s end to end (trigger 4.2 s), in-app p95 20.6 s; after 1,689 messages/s (trigger 3.4 s,
  then 1,184 emails/s), in-app p50 = p95 = 3.4 s (the trigger's commit); duplicates 0, a redelivery of every
  task sent nothing. Mailgun at load 10-11: 1,006 messages/s (trigger 6.4 s, in-app p95 6.4 s). At load ~2:
  1,830 messages/s end to end (before: 1,743, p95 11 s). 500-job chunks instead of 200: no difference (1,668/s).

"In-app visible" counts from the trigger's start to the item's commit: an item the trigger stores itself is
visible when the trigger commits, whatever its `sent_at`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent


# --- the fake email provider (its own process) ---------------------------------------------------------------------
class FakeProvider(BaseHTTPRequestHandler):
    """SendGrid v3 mail/send (personalizations), Mailgun messages (form, recipient-variables), SES v2 SendEmail."""

    accepted: Counter = Counter()
    requests = 0
    lock = threading.Lock()

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)

    def _accept(self, addresses: list[str]) -> None:
        with self.lock:
            FakeProvider.requests += 1
            FakeProvider.accepted.update(a.lower() for a in addresses)

    def do_GET(self) -> None:
        with self.lock:
            self._answer(200, {"requests": FakeProvider.requests, "accepted": dict(FakeProvider.accepted)})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        message_id = uuid.uuid4().hex
        if self.path.endswith("/mail/send"):  # SendGrid: one X-Message-Id per request
            body = json.loads(raw)
            self._accept([to["email"] for p in body["personalizations"] for to in p["to"]])
            self._answer(202, {}, {"X-Message-Id": message_id})
        elif self.path.endswith("/messages"):  # Mailgun: `to` repeated, one id per request
            form = parse_qs(raw.decode())
            recipients = [a.strip() for value in form.get("to", []) for a in value.split(",")]
            self._accept(recipients)
            self._answer(200, {"id": f"<{message_id}@fake.mailgun>", "message": "Queued. Thank you."})
        elif self.path.endswith("/outbound-emails"):  # SES: one message per call
            body = json.loads(raw)
            self._accept(body["Destination"]["ToAddresses"])
            self._answer(200, {"MessageId": message_id})
        else:
            self._answer(404, {"message": "not faked"})


def serve_fake(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), FakeProvider)
    server.daemon_threads = True
    server.serve_forever()


# --- the benchmark -------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def start_worker(index: int, concurrency: int, env: dict) -> subprocess.Popen:
    log_dir = ROOT / "var"
    log_dir.mkdir(exist_ok=True)
    return subprocess.Popen(
        [
            *(str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", "worker", "-Q", "notify"),
            *("-c", str(concurrency), "-n", f"notifybench{index}-{time.monotonic_ns()}@%h"),
            *("--prefetch-multiplier", "1", "--without-mingle", "--without-gossip", "--loglevel", "WARNING"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log_dir / f"bench-notify-worker{index}.log", "a"),  # the child owns it
        start_new_session=True,
    )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def fake_stats(port: int) -> dict:
    import httpx

    return httpx.get(f"http://127.0.0.1:{port}/stats", timeout=30).json()


def credentials_for(provider: str) -> dict:
    return {
        "sendgrid": {"api_key": "SG.bench", "from": "bench@hubbub.test"},
        "mailgun": {"api_key": "key-bench", "domain": "mg.hubbub.test", "from": "bench@hubbub.test"},
        "ses": {"access_key_id": "AKIDBENCH", "secret_access_key": "s", "region": "eu-west-1", "from": "b@hubbub.test"},
    }[provider]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--provider", choices=["sendgrid", "mailgun", "ses"], default="sendgrid")
    parser.add_argument("--no-email", action="store_true", help="the in-app step only")
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--serve-fake", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup (workers, fake, database)
    if args.serve_fake:
        serve_fake(args.serve_fake)
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL (a Redis database nothing else uses).")

    sys.path.insert(0, str(ROOT))
    from bench._throwaway_db import setup_django, throwaway_database

    setup_django(os.environ.get("DATABASE_TEST_NAME", "bench_hubbub_notify"))
    import redis
    from django.db import connection, transaction
    from django.db.models import Count, Max

    from core import tenancy
    from core.auth import Principal
    from notifications.models import Job, JobStatus, Message, MessageStatus, Subscriber, Topic, TopicSubscription
    from notifications.services import integrations, triggers
    from notifications.services.workflows import create_workflow
    from tenants.services import workspaces

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.flushdb()
    port = free_port()
    fake = subprocess.Popen([sys.executable, __file__, "--serve-fake", str(port)], start_new_session=True)
    processes = [fake]
    steps = 1 if args.no_email else 2
    try:
        # The workers stop (ExitStack) before the database is dropped.
        with throwaway_database() as name, contextlib.ExitStack() as cleanup:
            db = connection.settings_dict
            password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
            env = {
                **os.environ,
                "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{name}",
                "DATABASE_CONN_MAX_AGE": "600",
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "NOTIFICATIONS_PROVIDER_API_BASES": ",".join(
                    f"{p}=http://127.0.0.1:{port}{path}"
                    for p, path in (("sendgrid", "/v3"), ("mailgun", "/v3"), ("ses", ""))
                ),
            }
            tenant = workspaces.create_tenant(actor=None, name="Bench", plan="business")
            with tenancy.tenant_context(tenant):
                bench = Principal(tenant=tenant, permissions=frozenset(), kind="staff")
                integrations.create_integration(
                    actor=bench,
                    channel="email",
                    provider_id=args.provider,
                    name="Bench email",
                    identifier="bench-email",
                    credentials=credentials_for(args.provider),
                    is_active=True,
                    is_primary=True,
                )
                workflow_steps = [
                    {"type": "in_app", "body": "Hello {{subscriber.firstName}}, {{payload.what}} is ready"}
                ]
                if not args.no_email:
                    workflow_steps.append(
                        {
                            "type": "email",
                            "subject": "{{payload.what}} for {{subscriber.firstName}}",
                            "body": "Hi {{subscriber.firstName}} {{subscriber.lastName}}, {{payload.what}} is ready.",
                            "html": "<p>Hi {{subscriber.firstName}}, <b>{{payload.what}}</b> is ready.</p>",
                        }
                    )
                workflow = create_workflow(actor=bench, identifier="bench.fanout", name="Fan-out", steps=workflow_steps)
                subscribers = Subscriber.objects.bulk_create(
                    [
                        Subscriber(
                            subscriber_id=f"s{i}",
                            first_name=f"S{i}",
                            last_name="Bench",
                            email=f"s{i}@bench.example",
                            tenant=tenant,
                        )
                        for i in range(args.subscribers)
                    ],
                    batch_size=2000,
                )
                topic = Topic.objects.create(key="everyone", name="Everyone")
                TopicSubscription.objects.bulk_create(
                    [TopicSubscription(topic=topic, subscriber=s, tenant=tenant) for s in subscribers], batch_size=2000
                )
            workers = [start_worker(i, args.concurrency, env) for i in range(args.workers)]
            cleanup.callback(stop, workers)
            from config.celery import app

            deadline = time.monotonic() + 60
            while len(app.control.ping(timeout=1.0) or []) < args.workers:
                if time.monotonic() > deadline:
                    raise RuntimeError("the workers did not answer")
            print(
                f"database {name}; {args.subscribers} subscribers in a topic; {steps} steps; email: "
                f"{'none' if args.no_email else args.provider + ' (local HTTP fake)'}; "
                f"{args.workers} workers x {args.concurrency}; {load()}"
            )

            total = steps * args.subscribers
            with tenancy.tenant_context(tenant):
                started = time.time()
                with transaction.atomic():
                    result = triggers.trigger(
                        workflow, triggered_by="bench", topic_keys=["everyone"], payload={"what": "the report"}
                    )
                trigger_s = time.time() - started
                deadline = time.monotonic() + args.timeout
                while True:
                    by_status = dict(
                        Message.objects.filter(event=result.event).values_list("status").annotate(n=Count("id"))
                    )
                    done = by_status.get(MessageStatus.SENT, 0) + by_status.get(MessageStatus.FAILED, 0)
                    if done >= total or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
                finished = Message.objects.filter(event=result.event).aggregate(last=Max("sent_at"))["last"]
                elapsed = finished.timestamp() - started if finished else float("nan")
                # Visible once committed: an item the trigger itself stored counts from the trigger's commit.
                in_app = [
                    max(t.timestamp() - started, trigger_s)
                    for t in Message.objects.filter(event=result.event, channel="in_app").values_list(
                        "sent_at", flat=True
                    )
                    if t is not None
                ]
                load_after = load()
                sent_emails = set(
                    Message.objects.filter(event=result.event, channel="email", status=MessageStatus.SENT).values_list(
                        "subscriber__email", flat=True
                    )
                )
                stats = fake_stats(port)
                accepted = stats["accepted"]
                duplicates = sum(n - 1 for n in accepted.values() if n > 1)
                not_accepted = len({e.lower() for e in sent_emails} - set(accepted))
                print(
                    f"trigger: {result.job_count} jobs in {trigger_s:.2f} s (one transaction, tasks enqueued on commit)"
                )
                emails = by_status.get(MessageStatus.SENT, 0) + by_status.get(MessageStatus.FAILED, 0) - len(in_app)
                if not args.no_email:
                    print(f"emails after the commit: {emails / (elapsed - trigger_s):,.0f} emails/s")
                print(
                    f"messages: {by_status} of {total} in {elapsed:.1f} s: {done / elapsed:,.0f} messages/s end to end"
                )
                if in_app:
                    print(
                        f"trigger -> in-app visible: p50 {percentile(in_app, 0.5):.1f} s, "
                        f"p95 {percentile(in_app, 0.95):.1f} s"
                    )
                print(
                    f"provider: {stats['requests']} requests, {sum(accepted.values())} emails accepted; "
                    f"duplicates {duplicates}; marked sent but not accepted {not_accepted}; {load_after}"
                )

                # A redelivered task (the broker hands every chunk out again): nothing may be sent twice.
                job_ids = [str(pk) for pk in Job.objects.filter(event=result.event).values_list("pk", flat=True)]
                triggers.enqueue_jobs(job_ids, tenant_id=str(tenant.pk))
                time.sleep(1)
                while broker.llen("notify"):
                    time.sleep(0.5)
                time.sleep(3)
                again = fake_stats(port)["accepted"]
                resent = sum(again.values()) - sum(accepted.values())
                messages = Message.objects.filter(event=result.event).count()
                unfinished = Job.objects.filter(event=result.event).exclude(status=JobStatus.COMPLETED).count()
                print(
                    f"redelivery of every task: {resent} emails sent again, {messages} messages "
                    f"(expected {total}), {unfinished} jobs unfinished"
                )
    finally:
        stop(processes)
        broker.flushdb()


if __name__ == "__main__":
    main()
