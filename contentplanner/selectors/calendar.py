"""Calendar reads of the content planner: the calendar (counts per local day and state) and counts per state.

Everything is aggregated in the database (GROUP BY), never by loading posts into Python.

Which time puts a post on the calendar: `published_at` for a published post (when it actually went out), otherwise
`publish_at` (when it is planned). Posts with neither (unscheduled drafts) have no day and are not on the calendar;
they are still counted by `post_counts`. Days are calendar days in the tenant's time zone, so around a daylight
saving change a day lasts 23 or 25 hours; the database truncates each timestamp to the local date (TruncDate with
the tenant's tzinfo), which is DST-correct on both PostgreSQL and SQLite.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Case, Count, DateTimeField, F, Q, QuerySet, When
from django.db.models.functions import Substr, TruncDate

from contentplanner.models import Post, PostState
from contentplanner.selectors import posts_visible_to
from core import dates
from core.auth import Principal
from core.dates import LocalRange

MAX_CALENDAR_DAYS = 93  # a quarter: enough for any calendar view, small enough to stay a cheap query
MAX_CALENDAR_POSTS = 1000  # `includePosts` lists at most this many posts; `postsTruncated` says when more matched
EXCERPT_LENGTH = 140

# Counted states: every state but `deleted` (deleted posts are never counted, listed or exported).
COUNTED_STATES: tuple[str, ...] = tuple(state for state in PostState.values if state != PostState.DELETED)


def visible_posts(principal: Principal) -> QuerySet[Post]:
    """The posts `principal` may see (cp selectors: team visibility, deleted excluded), without the list's
    relation loading: read models aggregate or load their own relations."""
    return posts_visible_to(principal).select_related(None).prefetch_related(None)


def calendar_time() -> Case:
    """The instant that places a post on the calendar (see the module docstring)."""
    return Case(
        When(state=PostState.PUBLISHED, published_at__isnull=False, then=F("published_at")),
        default=F("publish_at"),
        output_field=DateTimeField(),
    )


def local_range(first: date, last: date, tz_name: str, *, max_days: int = MAX_CALENDAR_DAYS) -> LocalRange:
    """Validate a `from`..`to` date range (inclusive, at most `max_days` days) in the time zone `tz_name`."""
    return dates.local_range(first, last, tz_name, max_days=max_days)


def _in_range(queryset: QuerySet[Post], span: LocalRange) -> QuerySet[Post]:
    # Spelled out per state, instead of filtering on the CASE, so PostgreSQL can use the (state, publish_at) index.
    published = Q(state=PostState.PUBLISHED)
    return queryset.filter(
        (~published & Q(publish_at__gte=span.start, publish_at__lt=span.end))
        | (published & Q(published_at__gte=span.start, published_at__lt=span.end))
        | (published & Q(published_at__isnull=True, publish_at__gte=span.start, publish_at__lt=span.end))
    ).annotate(calendar_at=calendar_time(), day=TruncDate(calendar_time(), tzinfo=span.tz))


def calendar(posts: QuerySet[Post], span: LocalRange, *, include_posts: bool = False) -> dict[str, Any]:
    """Counts per local day and state for `posts` (already filtered and visibility-scoped) within `span`.

    Two queries at most: one GROUP BY (day, state), and with `include_posts` one bounded list of the posts.
    """
    in_range = _in_range(posts, span)
    rows = in_range.order_by().values("day", "state").annotate(n=Count("id")).values_list("day", "state", "n")
    per_day: dict[date, dict[str, int]] = {day: dict.fromkeys(COUNTED_STATES, 0) for day in span.days()}
    for day, state, n in rows:
        # SQLite returns the truncated date as a string; PostgreSQL as a date.
        key = day if isinstance(day, date) else date.fromisoformat(str(day))
        if key in per_day and state in per_day[key]:
            per_day[key][state] += n
    result: dict[str, Any] = {
        "from": span.first,
        "to": span.last,
        "timezone": span.tz.key,
        "total": sum(sum(counts.values()) for counts in per_day.values()),
        "days": [{"date": day, "total": sum(counts.values()), "counts": counts} for day, counts in per_day.items()],
    }
    if include_posts:
        listed = list(
            in_range.order_by("calendar_at", "id")
            .annotate(excerpt=Substr("text", 1, EXCERPT_LENGTH))
            .values(
                "id",
                "channel_id",
                "channel__name",
                "channel__network",
                "state",
                "publish_at",
                "published_at",
                "day",
                "excerpt",
            )[: MAX_CALENDAR_POSTS + 1]
        )
        result["posts_truncated"] = len(listed) > MAX_CALENDAR_POSTS
        result["posts"] = [
            {
                "id": row["id"],
                "channel": row["channel_id"],
                "channel_name": row["channel__name"],
                "network": row["channel__network"],
                "state": row["state"],
                "publish_at": row["publish_at"],
                "published_at": row["published_at"],
                "date": row["day"] if isinstance(row["day"], date) else date.fromisoformat(str(row["day"])),
                "text_excerpt": row["excerpt"] or "",
            }
            for row in listed[:MAX_CALENDAR_POSTS]
        ]
    return result


GROUP_BY_CHOICES = ("campaign", "tag")


def post_counts(posts: QuerySet[Post], *, group_by: str | None = None) -> dict[str, Any]:
    """Counts per state of `posts` (filtered, visibility-scoped), plus `needsAttention`; optionally per campaign
    or per tag (a post with two tags counts in both tag groups; posts without one form the group with id null).

    Two queries, three with `group_by`.
    """
    posts = posts.order_by()
    by_state = dict.fromkeys(COUNTED_STATES, 0)
    for state, n in posts.values("state").annotate(n=Count("id")).values_list("state", "n"):
        if state in by_state:
            by_state[state] = n
    result: dict[str, Any] = {
        "total": sum(by_state.values()),
        "by_state": by_state,
        "needs_attention": posts.filter(needs_attention=True).count(),
    }
    if group_by is None:
        return result
    id_field, name_field = ("campaign_id", "campaign__name") if group_by == "campaign" else ("tags__id", "tags__name")
    groups: dict[Any, dict[str, Any]] = {}
    rows = posts.values(id_field, name_field, "state").annotate(n=Count("id")).order_by()
    for row in rows.values_list(id_field, name_field, "state", "n"):
        group_id, name, state, n = row
        group = groups.setdefault(
            group_id, {"id": group_id, "name": name, "total": 0, "by_state": dict.fromkeys(COUNTED_STATES, 0)}
        )
        if state in group["by_state"]:
            group["by_state"][state] += n
            group["total"] += n
    # Biggest groups first; the "none" group (id null) last; ties by name for a stable order.
    result["group_by"] = group_by
    result["groups"] = sorted(groups.values(), key=lambda g: (g["id"] is None, -g["total"], g["name"] or ""))
    return result
