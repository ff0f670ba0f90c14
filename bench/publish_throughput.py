"""Publishing throughput and exactly-once under a worker crash: PostgreSQL + Redis + real Celery worker processes.

Creates a throwaway database (`hubbub_bench_pub`, migrated, dropped at the end, also on failure), N sandbox
posts due at the same instant across 50 tenants (one sandbox channel each), starts `celery -A config worker -Q publish`
subprocesses against it, and runs the dispatcher loop in this process (what beat does, every --interval seconds).

Run 0 is normal load (--normal-posts due at once; the spec wants each published within 10 s of publish_at).
Run 1 measures posts/s end to end (first due -> last published) and the lag publish_at -> published_at (p50/p95).
Run 2 does the same with a fresh batch and SIGKILLs one worker (its whole process group, mid-task) when about a
third is published; it then waits for recovery (the dispatcher reconciles unanswered attempts after --stale seconds
and re-enqueues claims whose task never started after --pending-stale; production uses 2 and 5 minutes) and prints
duplicates (posts with more than one sandbox publication, or a publication submitted twice: must be 0) and posts left
unpublished (must be 0).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub REDIS_URL=redis://127.0.0.1:6379/13 \
        .venv/bin/python bench/publish_throughput.py [--posts 5000] [--workers 4] [--concurrency 4]

The Redis database given is FLUSHED before and after (use a database index nothing else uses).

Run 1 also prints a pgbench-style single-row UPDATE rate measured on the same database in the same run (the
yardstick: the issue's target is >= 0.0625 of it) and CPU ms per post (worker process trees incl. reaped children,
the whole PostgreSQL server, this process). `--soak 10000 --kills 20` adds a run that SIGKILLs a worker (round robin,
replaced by a fresh one) 20 times while 10,000 posts publish, then prints duplicates and unpublished (both must be 0).

Measured 2026-11-28 on the shared 2-CPU VM, load 8-10 from seven other engineers' jobs, 4 workers x 4 processes:
- before batching (one task and one new connection per post), 2,000 posts: 23 posts/s (0.008 of 2,774 UPDATEs/s),
  CPU 45 ms/post (workers 25.4, PostgreSQL 18.4, dispatcher 1.4), lag p95 83 s.
- after (batches of 50 per tenant, kept connections), 2,000 posts: 166 posts/s (0.078 of 2,137 UPDATEs/s), CPU
  5.7 ms/post (4.4 / 1.1 / 0.2), lag p95 10.8 s; 5,000 posts: 117 posts/s, 6.1 ms/post, lag p95 40 s; soak of
  10,000 posts with 20 SIGKILLs: 0 duplicates, 0 unpublished.
- 2026-11-29, load 13-24, dispatcher every 1 s, outcomes by UPDATE ... FROM (VALUES): 2,000 posts: 123 posts/s (0.059
  of 2,086 UPDATEs/s), CPU 7.2 ms/post (4.3 / 2.3 / 0.5), lag p95 15.5 s; sustained 100/s over 50 tenants (batches of
  ~2 posts: per-task overhead dominates): 49 posts/s, CPU 20.7 ms/post, lag p95 28.9 s; soak of 10,000 posts with
  20 SIGKILLs (load 10-16): 0 duplicates, 0 unpublished.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DATABASE_TEST_NAME"] = os.environ.get("BENCH_DATABASE", "hubbub_bench_pub")
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/hubbub).")
if not os.environ.get("REDIS_URL"):
    sys.exit("Set REDIS_URL to a Redis database nothing else uses (e.g. redis://127.0.0.1:6379/13).")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._throwaway_db import throwaway_database  # noqa: E402
from contentplanner.schedules import DISPATCH_INTERVAL_SECONDS  # noqa: E402

TENANTS = 50


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def populate_tenants() -> list[tuple]:
    """50 tenants, one active sandbox channel each; returns [(tenant_id, channel_id)]."""
    from core import tenancy
    from social.models import Channel
    from tenants.services import workspaces

    pairs = []
    for index in range(TENANTS):
        tenant = workspaces.create_tenant(actor=None, name=f"Bench {index}", plan="business")
        with tenancy.tenant_context(tenant):
            channel = Channel.objects.create(
                network="sandbox", external_id=f"bench-{index}", name=f"Bench {index}", access_token="sbx-at-bench"
            )
        pairs.append((tenant.pk, channel.pk))
    return pairs


def create_due_posts(pairs: list[tuple], count: int, due_at, *, rate: float | None = None) -> None:
    """`count` posts due at `due_at`, or from `due_at` on at `rate` posts per second (a sustained load)."""
    from contentplanner.models import Post, PostState
    from core import tenancy

    with tenancy.platform_access():
        Post.all_tenants.bulk_create(
            [
                Post(
                    tenant_id=pairs[i % len(pairs)][0],
                    channel_id=pairs[i % len(pairs)][1],
                    state=PostState.SCHEDULED,
                    publish_at=due_at + timedelta(seconds=i / rate) if rate else due_at,
                    text=f"Bench post {i} due {due_at.isoformat()}",
                )
                for i in range(count)
            ],
            batch_size=1000,
        )


def start_worker(index: int, concurrency: int, env: dict) -> subprocess.Popen:
    """One worker subprocess; its log (warnings and errors) goes to var/bench-publish-worker<N>.log."""
    log_dir = ROOT / "var"
    log_dir.mkdir(exist_ok=True)
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            "publish",
            "-c",
            str(concurrency),
            "-n",
            f"bench{index}-{time.monotonic_ns()}@%h",
            "--prefetch-multiplier",
            "1",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log_dir / f"bench-publish-worker{index}.log", "a"),  # the child owns it
        start_new_session=True,  # its own process group: SIGKILL takes the pool children with it
    )


def start_workers(count: int, concurrency: int, env: dict) -> list[subprocess.Popen]:
    return [start_worker(index, concurrency, env) for index in range(count)]


# --- CPU accounting from /proc (Linux) -----------------------------------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from `state` on (index 0 = field 3)


def _cpu_of(fields: list[str], *, reaped: bool) -> float:
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime + ((cutime + cstime) if reaped else 0)) / CLOCK_TICKS


def process_tree_cpu(roots: set[int]) -> float:
    """CPU seconds of the processes in the process groups `roots` (a worker and its pool), including their reaped
    children. Processes that died (a SIGKILLed worker) take their CPU with them: the figure is a lower bound."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is not None and int(fields[2]) in roots:
            total += _cpu_of(fields, reaped=True)
    return total


def postgres_cpu() -> float:
    """CPU seconds of the whole PostgreSQL server (postmaster, reaped backends, live backends). Includes whatever
    else the server runs meanwhile (other users of this machine): an upper bound for ours."""
    from core import tenancy

    with tenancy.platform_access(), connection.cursor() as cursor:  # the owner role may read server settings
        cursor.execute("SHOW data_directory")
        data_dir = cursor.fetchone()[0]
    try:
        postmaster = int(Path(data_dir, "postmaster.pid").read_text().split()[0])
    except OSError:
        return float("nan")  # not on this machine (or not readable)
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        fields = _stat(pid)
        if fields is None:
            continue
        if pid == postmaster:
            total += _cpu_of(fields, reaped=True)
        elif int(fields[1]) == postmaster:
            total += _cpu_of(fields, reaped=False)
    return total


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def update_rate(database: str, clients: int, seconds: int) -> float:
    """pgbench-style single-row UPDATE rate (autocommit, `clients` connections) on the bench database: the yardstick
    the publishing rate is compared with, measured in the same run under the same machine load."""
    script = ROOT / "var" / "bench-update.sql"
    script.write_text(
        "\\set aid random(1, 100000)\nUPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n"
    )
    settings_dict = connection.settings_dict
    base = ["-h", settings_dict["HOST"] or "127.0.0.1", "-p", str(settings_dict["PORT"] or 5432)]
    base += ["-U", settings_dict["USER"] or "postgres"]
    env = {**os.environ, "PGPASSWORD": settings_dict.get("PASSWORD") or ""}
    subprocess.run(["pgbench", *base, "-i", "-s", "1", "-q", database], check=True, env=env, capture_output=True)
    out = subprocess.run(
        [
            "pgbench",
            *base,
            "-n",
            "-c",
            str(clients),
            "-j",
            str(min(clients, 2)),
            *("-T", str(seconds), "-f"),
            str(script),
            database,
        ],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith("tps = "):
            return float(line.split()[2])
    raise RuntimeError(f"no tps in pgbench output: {out}")


def wait_for_workers(count: int, timeout: float = 60) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= count:
            return
    raise RuntimeError(f"only {len(replies)} of {count} workers answered")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def run_batch(
    label: str,
    pairs,
    count: int,
    args,
    workers: list[subprocess.Popen],
    kill_at: float | None = None,
    *,
    kills: int = 0,
    env: dict | None = None,
    rate: float | None = None,
) -> dict:
    """Create `count` posts due in 2 s, run the dispatcher loop until all are published (or time out).

    `kill_at`: SIGKILL worker 0 once that fraction is published. `kills`: the soak: SIGKILL a worker (round robin)
    at every 1/(kills+1) of the posts published and start a fresh one in its place."""
    from contentplanner import publishing, tasks
    from contentplanner.models import Post, PostState
    from core import tenancy

    due_at = timezone.now() + timedelta(seconds=2)
    create_due_posts(pairs, count, due_at, rate=rate)
    batch = Q(publish_at__gte=due_at, text__endswith=f" due {due_at.isoformat()}")
    stale, pending_stale = timedelta(seconds=args.stale), timedelta(seconds=args.pending_stale)
    killed_at = None
    kill_marks = [count * (k + 1) / (kills + 1) for k in range(kills)]
    killed = 0
    worker_cpu_dead = 0.0
    cpu_start = (process_tree_cpu({w.pid for w in workers}), postgres_cpu(), own_cpu())
    started = time.monotonic()
    next_dispatch = 0.0
    published = 0
    while time.monotonic() - started < args.timeout:
        now = time.monotonic()
        if now >= next_dispatch:
            publishing.dispatch(enqueue=tasks.enqueue, in_flight_stale=stale, pending_stale=pending_stale)
            next_dispatch = now + args.interval
        with tenancy.platform_access():
            published = Post.all_tenants.filter(batch, state=PostState.PUBLISHED).count()
        if kill_at is not None and killed_at is None and published >= count * kill_at:
            victim = workers[0]
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait()
            killed_at = time.monotonic() - started
            print(f"  [{label}] SIGKILL worker pid {victim.pid} at {killed_at:.1f}s with {published}/{count} published")
        while kill_marks and published >= kill_marks[0]:
            kill_marks.pop(0)
            index = killed % len(workers)
            victim = workers[index]
            worker_cpu_dead += process_tree_cpu({victim.pid})
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait()
            workers[index] = start_worker(index, args.concurrency, env)
            killed += 1
        if published >= count:
            break
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    cpu_end = (process_tree_cpu({w.pid for w in workers}) + worker_cpu_dead, postgres_cpu(), own_cpu())
    worker_cpu, pg_cpu, dispatcher_cpu = (end - begin for begin, end in zip(cpu_start, cpu_end, strict=True))

    with tenancy.platform_access():
        rows = list(Post.all_tenants.filter(batch, state=PostState.PUBLISHED).values_list("publish_at", "published_at"))
        states = dict(Post.all_tenants.filter(batch).values_list("state").annotate(n=Count("id")).order_by())
        post_ids = {str(pk) for pk in Post.all_tenants.filter(batch).values_list("id", flat=True)}
    lags = [(published_at - publish_at).total_seconds() for publish_at, published_at in rows]
    span = max((published_at for _, published_at in rows), default=due_at) - due_at
    return {
        "label": label,
        "posts": count,
        "published": len(rows),
        "unpublished": count - len(rows),
        "states": states,
        "wall_seconds": elapsed,
        "posts_per_second": len(rows) / span.total_seconds() if span.total_seconds() > 0 else 0.0,
        "lag_p50": percentile(lags, 0.50) if lags else None,
        "lag_p95": percentile(lags, 0.95) if lags else None,
        "lag_max": max(lags) if lags else None,
        "duplicates": count_duplicates(post_ids),
        "killed_at": killed_at,
        "kills": killed,
        "cpu_ms_per_post": {
            "workers": 1000 * worker_cpu / count,
            "postgres": 1000 * pg_cpu / count,
            "dispatcher": 1000 * dispatcher_cpu / count,
        },
    }


def count_duplicates(post_ids: set[str]) -> int:
    """Posts shown more than once on the sandbox network: two publications for one post (any attempts), or one
    publication whose correlation marker was submitted twice."""
    from social.models import SandboxPublication

    per_post: dict[str, int] = {}
    resubmitted = set()
    for correlation_id, submits in SandboxPublication.objects.filter(kind="post").values_list(
        "correlation_id", "submit_count"
    ):
        post_id = correlation_id[len("hb-") : len("hb-") + 36]
        if post_id not in post_ids:
            continue
        per_post[post_id] = per_post.get(post_id, 0) + 1
        if submits > 1:
            resubmitted.add(post_id)
    return len({post_id for post_id, n in per_post.items() if n > 1} | resubmitted)


def report(result: dict) -> None:
    print(
        f"  [{result['label']}] {result['published']}/{result['posts']} published in {result['wall_seconds']:.1f}s "
        f"wall; {result['posts_per_second']:.0f} posts/s (first due -> last published); lag publish_at -> "
        f"published p50 {result['lag_p50']:.2f}s p95 {result['lag_p95']:.2f}s max {result['lag_max']:.2f}s"
        if result["lag_p50"] is not None
        else f"  [{result['label']}] nothing published in {result['wall_seconds']:.1f}s"
    )
    print(
        f"  [{result['label']}] duplicates: {result['duplicates']}   unpublished: {result['unpublished']}   "
        f"states: {result['states']}" + (f"   workers SIGKILLed: {result['kills']}" if result["kills"] else "")
    )
    cpu = result["cpu_ms_per_post"]
    print(
        f"  [{result['label']}] CPU ms per post: workers {cpu['workers']:.1f} + PostgreSQL {cpu['postgres']:.1f} "
        f"(whole server: other users included) + dispatcher/bench process {cpu['dispatcher']:.1f} "
        f"= {sum(cpu.values()):.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=5000, help="posts per run (default 5000)")
    parser.add_argument(
        "--normal-posts", type=int, default=100, help="first a run at normal load: posts due at once (default 100)"
    )
    parser.add_argument("--workers", type=int, default=4, help="worker processes (default 4)")
    parser.add_argument("--concurrency", type=int, default=4, help="pool processes per worker (default 4)")
    parser.add_argument(
        "--interval", type=float, default=DISPATCH_INTERVAL_SECONDS, help="dispatcher interval in seconds, like beat"
    )
    parser.add_argument(
        "--stale", type=float, default=20.0, help="reconcile unanswered attempts after this many seconds (prod. 120)"
    )
    parser.add_argument(
        "--pending-stale", type=float, default=90.0, help="re-enqueue never-started attempts after (prod. 300)"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on a run after this many seconds")
    parser.add_argument("--skip-kill", action="store_true", help="only the throughput run")
    parser.add_argument(
        "--soak", type=int, default=0, metavar="POSTS", help="then a soak run of POSTS posts (the issue: 10000) ..."
    )
    parser.add_argument("--kills", type=int, default=20, help="... during which a worker is SIGKILLed this often")
    parser.add_argument(
        "--sustained", type=float, default=0, metavar="RATE", help="then a run with posts due at RATE per second ..."
    )
    parser.add_argument("--duration", type=int, default=30, help="... for this many seconds (lag p95 is the figure)")
    parser.add_argument("--update-seconds", type=int, default=10, help="length of the single-row UPDATE yardstick")
    args = parser.parse_args()

    import redis

    from config.celery import app

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.flushdb()
    failures = 0
    with throwaway_database() as name:
        settings_dict = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{name}",
            "DATABASE_CONN_MAX_AGE": "600",
        }
        if settings_dict.get("PASSWORD"):
            env["DATABASE_URL"] = env["DATABASE_URL"].replace("@", f":{settings_dict['PASSWORD']}@", 1)
        t0 = time.monotonic()
        pairs = populate_tenants()
        print(f"{TENANTS} tenants with a sandbox channel each in {time.monotonic() - t0:.1f}s; database {name}")
        workers = start_workers(args.workers, args.concurrency, env)
        try:
            wait_for_workers(args.workers)
            print(
                f"{args.workers} workers x {args.concurrency} processes on queue publish; dispatcher every "
                f"{args.interval:g}s"
            )
            if args.normal_posts:
                normal = run_batch("run 0, normal load", pairs, args.normal_posts, args, workers)
                report(normal)
                failures += normal["duplicates"] + normal["unpublished"]
            clients = args.workers * args.concurrency
            updates = update_rate(name, clients, args.update_seconds)
            print(f"  single-row UPDATE rate (pgbench-style, {clients} clients, same run): {updates:.0f}/s")
            first = run_batch("run 1", pairs, args.posts, args, workers)
            report(first)
            print(
                f"  [run 1] {first['posts_per_second']:.0f} posts/s = {first['posts_per_second'] / updates:.4f} of the "
                f"single-row UPDATE rate (target >= 0.0625)"
            )
            failures += first["duplicates"] + first["unpublished"]
            if not args.skip_kill:
                second = run_batch("run 2, one worker killed", pairs, args.posts, args, workers, kill_at=1 / 3)
                report(second)
                failures += second["duplicates"] + second["unpublished"]
            if args.sustained:
                label = f"sustained {args.sustained:.0f} posts/s"
                count = int(args.sustained * args.duration)
                sustained = run_batch(label, pairs, count, args, workers, rate=args.sustained)
                report(sustained)
                failures += sustained["duplicates"] + sustained["unpublished"]
            if args.soak:
                label = f"soak, {args.kills} SIGKILLs"
                soak = run_batch(label, pairs, args.soak, args, workers, kills=args.kills, env=env)
                report(soak)
                failures += soak["duplicates"] + soak["unpublished"]
        finally:
            stop_workers(workers)
            app.close()
            connection.close()
    broker.flushdb()
    print("PASS: exactly once, nothing left behind" if failures == 0 else "FAIL: duplicates or unpublished posts")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
