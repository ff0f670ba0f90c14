"""Platform tasks: deliver a notice from the `notify()` seam."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.core.cache import cache

from core import notify

DELIVERED_MARK_SECONDS = 7 * 24 * 3600


@shared_task(name="core.deliver_notice", queue="notify", soft_time_limit=60, time_limit=90)
def deliver_notice(*, notice: dict[str, Any]) -> None:
    """Deliver one notice. A redelivered message (worker lost after sending) is recognised by its id and skipped."""
    mark = f"notice-delivered:{notice['notice_id']}"
    if cache.get(mark):
        return
    notify.deliver(notify.Notice.from_payload(notice))
    cache.set(mark, True, DELIVERED_MARK_SECONDS)
