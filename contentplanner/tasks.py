"""Content planner tasks. Thin: the publishing pipeline lives in contentplanner.publishing, metric collection in
contentplanner.services.metrics.

Every task is idempotent and runs with acks_late + reject_on_worker_lost (the TenantTask base): a redelivered
message is harmless because the database decides what still has to happen, never the broker. Queues: `dispatch`
(the publishing dispatcher, alone so a publish backlog never delays its ticks), `publish` (one attempt), `sync`
(metric collection).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from contentplanner import publishing, selectors
from contentplanner.publishing.claims import Claim
from contentplanner.services import approval, external_approval, imports, metrics
from core import tenancy
from social import selectors as social_selectors
from social.networks.base import NetworkError
from tenants import selectors as tenant_selectors
from tenants.roles import member_principal

logger = logging.getLogger(__name__)

# Hard limit below the broker visibility timeout and below publishing.IN_FLIGHT_STALE, so no worker can still be
# waiting on the network when the dispatcher reconciles an unanswered attempt.
PUBLISH_SOFT_TIME_LIMIT = 75
PUBLISH_TIME_LIMIT = 90
SCAN_PAGE_SIZE = 2000
PUBLISH_BATCH = publishing.PUBLISH_BATCH


def publish_batches(claims: Iterable[Claim], size: int = PUBLISH_BATCH) -> list[tuple[str, list[list]]]:
    """The claims as (tenant_id, [[post_id, attempt], ...]) batches of up to `size` posts of one tenant, each
    tenant's posts ordered by channel so a batch covers as few channels as possible."""
    per_tenant: dict[str, list[Claim]] = {}
    for claim in claims:
        per_tenant.setdefault(claim.tenant_id, []).append(claim)
    batches = []
    for tenant_id, tenant_claims in per_tenant.items():
        tenant_claims.sort(key=lambda claim: claim.channel_id)
        for start in range(0, len(tenant_claims), size):
            batches.append((tenant_id, [[c.post_id, c.attempt] for c in tenant_claims[start : start + size]]))
    return batches


def enqueue(claims: Iterable[Claim]) -> None:
    """One `publish_posts` task per batch of up to PUBLISH_BATCH claims of one tenant (fewer when few are enqueued:
    `publishing.batch_size_for`), sent once the current transaction commits (at once outside one).

    The one way into the publish queue: the dispatcher task hands it its claims, the publish-now service its one
    claim (the only service -> task edge of the app)."""
    claims = list(claims)
    batches = publish_batches(claims, size=publishing.batch_size_for(len(claims)))
    if not batches:
        return

    def send() -> None:
        for tenant_id, posts in batches:
            publish_posts.delay(posts=posts, tenant_id=tenant_id)

    transaction.on_commit(send)


# --- publishing ----------------------------------------------------------------------------------------------------
@shared_task(name="contentplanner.tasks.dispatch_due_posts", queue="dispatch", soft_time_limit=50, time_limit=60)
def dispatch_due_posts() -> dict:
    """Beat, every second: reconcile stuck posts, claim due ones and enqueue them in per-tenant publish batches."""
    report = publishing.dispatch(enqueue=enqueue)
    return {"claimed": report.claimed, "reconciled": report.reconciled, "requeued": report.requeued}


@shared_task(
    name="contentplanner.tasks.publish_post",
    queue="publish",
    soft_time_limit=PUBLISH_SOFT_TIME_LIMIT,
    time_limit=PUBLISH_TIME_LIMIT,
)
def publish_post(*, post_id: str, attempt: int, tenant_id: str) -> str:
    """Run one claimed attempt (runs in the tenant's context, see core.celery_tasks.TenantTask). Nothing enqueues
    it any more; it stays for messages already queued when `publish_posts` was deployed."""
    return publishing.execute_publish_attempt(post_id, attempt).value


@shared_task(
    name="contentplanner.tasks.publish_posts",
    queue="publish",
    soft_time_limit=PUBLISH_SOFT_TIME_LIMIT,
    time_limit=PUBLISH_TIME_LIMIT,
)
def publish_posts(*, posts: list[list], tenant_id: str) -> dict[str, str]:
    """Run a batch of claimed attempts `[[post_id, attempt], ...]` of one tenant (in its context); returns each
    post's result. A post's failure never fails its batch-mates (contentplanner.publishing.batch)."""
    results = publishing.execute_publish_batch([(post_id, int(attempt)) for post_id, attempt in posts])
    return {post_id: result.value for post_id, result in results.items()}


def enqueue_first_comment(post_id: str, tenant_id: str) -> None:
    """Send a published post's first comment again, once the current transaction commits."""
    transaction.on_commit(lambda: publish_first_comment.delay(post_id=post_id, tenant_id=tenant_id))


@shared_task(name="contentplanner.tasks.publish_first_comment", queue="publish", soft_time_limit=50, time_limit=60)
def publish_first_comment(*, post_id: str, tenant_id: str) -> bool:
    """Send the first comment a person asked to send again (the service cleared its failure flag, once). True when
    the network took it."""
    post = selectors.post_with_channel(post_id)
    if post is None:
        return False
    publishing.publish_first_comment(post)
    post.refresh_from_db(fields=["first_comment_failed"])
    return not post.first_comment_failed


# --- metrics -------------------------------------------------------------------------------------------------------
def _scan(queryset) -> Iterator[tuple[str, str]]:
    """(id, tenant_id) of every row of an `all_tenants` queryset, read page by page (keyset on pk) under platform
    access; pages are yielded outside it, so enqueueing (or an eager task clearing the context) cannot cut the scan."""
    last = None
    while True:
        with tenancy.platform_access():
            page = queryset.order_by("pk")
            if last is not None:
                page = page.filter(pk__gt=last)
            rows = list(page.values_list("pk", "tenant_id")[:SCAN_PAGE_SIZE])
        for pk, tenant_id in rows:
            yield str(pk), str(tenant_id)
        if len(rows) < SCAN_PAGE_SIZE:
            return
        last = rows[-1][0]


@shared_task(name="contentplanner.tasks.dispatch_post_metrics", queue="sync", soft_time_limit=240, time_limit=300)
def dispatch_post_metrics() -> int:
    """Beat, hourly: enqueue a collection for every post published in the last 30 days on an active channel."""
    since = timezone.now() - metrics.COLLECTION_WINDOW
    queued = 0
    for post_id, tenant_id in _scan(selectors.posts_due_for_metrics(since, metrics.COLLECTABLE_NETWORKS)):
        collect_post_metrics.delay(post_id=post_id, tenant_id=tenant_id)
        queued += 1
    return queued


@shared_task(name="contentplanner.tasks.collect_post_metrics", queue="sync", soft_time_limit=50, time_limit=60)
def collect_post_metrics(*, post_id: str, tenant_id: str) -> bool:
    """Collect one post's metrics (runs in the tenant's context). True when a row was stored."""
    post = selectors.post_with_channel(post_id)
    if post is None:
        return False
    try:
        return metrics.collect_post_metrics(post) is not None
    except NetworkError as exc:
        logger.warning(
            "post metrics not collected",
            extra={"post_id": post_id, "tenant_id": tenant_id, "error_code": exc.code, "error": exc.message},
        )
        return False


@shared_task(name="contentplanner.tasks.dispatch_channel_metrics", queue="sync", soft_time_limit=240, time_limit=300)
def dispatch_channel_metrics(*, day: str | None = None) -> int:
    """Beat, daily: enqueue yesterday's (UTC) figures for every active channel of every tenant."""
    target = date.fromisoformat(day) if day else timezone.now().date() - timedelta(days=1)
    channels = social_selectors.active_channels_of_all_tenants(metrics.COLLECTABLE_NETWORKS)
    queued = 0
    for channel_id, tenant_id in _scan(channels):
        collect_channel_metrics.delay(channel_id=channel_id, day=target.isoformat(), tenant_id=tenant_id)
        queued += 1
    return queued


@shared_task(name="contentplanner.tasks.collect_channel_metrics", queue="sync", soft_time_limit=50, time_limit=60)
def collect_channel_metrics(*, channel_id: str, day: str, tenant_id: str) -> bool:
    """Upsert one channel's figures for `day` (runs in the tenant's context). True when stored."""
    channel = social_selectors.channel(channel_id)
    if channel is None:
        return False
    try:
        metrics.collect_channel_metrics(channel, date.fromisoformat(day))
    except NetworkError as exc:
        logger.warning(
            "channel metrics not collected",
            extra={"channel_id": channel_id, "tenant_id": tenant_id, "error_code": exc.code, "error": exc.message},
        )
        return False
    return True


# --- client approval reminders, CSV imports ------------------------------------------------------------------------
@shared_task(name="contentplanner.tasks.remind_client_approvals", queue="sync", soft_time_limit=240, time_limit=300)
def remind_client_approvals() -> int:
    """Beat, every 15 minutes: remind each client whose approval link expires within a day (once per link)."""
    now = timezone.now()
    due = selectors.client_approvals_due_for_reminder(now, external_approval.REMINDER_BEFORE)
    reminded = 0
    for link_id, tenant_id in _scan(due):
        tenant = tenant_selectors.tenant_by_id(tenant_id)
        if tenant is None:
            continue
        with tenancy.tenant_context(tenant):
            reminded += external_approval.remind(link_id, now=now)
    return reminded


@shared_task(name="contentplanner.tasks.sweep_approvals", queue="sync", soft_time_limit=240, time_limit=300)
def sweep_approvals() -> dict:
    """Beat, every 15 minutes: flag posts whose publish time passed while waiting for approval, remind members
    who have not decided for a day (each once)."""
    now = timezone.now()
    totals = {"expired": 0, "reminded": 0}
    for post_id, tenant_id in _scan(selectors.posts_waiting_for_approval_sweep(now, approval.REMIND_AFTER)):
        tenant = tenant_selectors.tenant_by_id(tenant_id)
        if tenant is None:
            continue
        with tenancy.tenant_context(tenant):
            done = approval.sweep_post(post_id, now=now)
        totals["expired"] += int(done["expired"])
        totals["reminded"] += done["reminded"]
    return totals


@shared_task(name="contentplanner.tasks.run_post_import", queue="sync", soft_time_limit=600, time_limit=660)
def run_post_import(*, import_id: str, tenant_id: str) -> str:
    """Run one CSV import job as the member who uploaded it (runs in the tenant's context)."""
    job = selectors.post_imports().filter(pk=import_id).select_related("created_by").first()
    if job is None:
        return "missing"
    membership = tenant_selectors.active_members().filter(user_id=job.created_by_id).first()
    if membership is None:
        imports.fail_import(job.pk, "The member who uploaded the file is no longer in the workspace.")
        return "failed"
    return imports.run_import(job, actor=member_principal(membership)).state
