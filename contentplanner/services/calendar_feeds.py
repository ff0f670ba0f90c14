"""ICS calendar feeds: a secret URL per member (the posts of the channels they see) or per team (the posts of the
team's channels), revocable by deleting the feed.

The feed is evaluated as its owner at read time: an owner who left the workspace, or left the team, makes the feed
answer 404; channels they lost access to disappear from it. Rendering uses the `icalendar` package (RFC 5545
escaping, line folding and UTC times are easy to get subtly wrong by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from icalendar import Calendar, Event

from contentplanner import selectors
from contentplanner.errors import CalendarFeedInvalid
from contentplanner.models import CalendarFeed, Post, PostState
from contentplanner.services import secret_links
from core import audit, tenancy
from core.auth import Principal
from core.errors import NotFound, PermissionDenied
from social import selectors as social_selectors
from tenants import selectors as tenant_selectors
from tenants.roles import member_principal

SALT = "contentplanner.calendar-feed"
PAST = timedelta(days=90)
AHEAD = timedelta(days=365)
MAX_EVENTS = 2000
EVENT_MINUTES = 15


@dataclass(frozen=True)
class CreatedFeed:
    feed: CalendarFeed
    url: str


def feed_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/public/calendar/{token}.ics"


def create_feed(*, actor: Principal, name: str = "", team_id=None) -> CreatedFeed:
    """A new feed of the actor's own (members only: the feed shows what its owner sees)."""
    if actor.user is None:
        raise PermissionDenied("Calendar feeds belong to a member; API keys cannot own one.")
    team = None
    if team_id is not None:
        team = tenant_selectors.teams().filter(pk=team_id).first()
        if team is None:
            raise NotFound("No such team.")
        if not actor.is_tenant_admin and not tenant_selectors.team_members(team).filter(user=actor.user).exists():
            raise PermissionDenied("Only members of the team (or admins) can subscribe to its calendar.")
    token, digest = secret_links.issue(SALT)
    with transaction.atomic():
        feed = CalendarFeed.objects.create(owner=actor.user, team=team, name=name, token_digest=digest)
        audit.record("cp.calendar_feed.create", feed, actor=actor, changes={"team": str(team_id) if team_id else None})
    return CreatedFeed(feed=feed, url=feed_url(token))


def revoke_feed(feed: CalendarFeed, *, actor: Principal) -> None:
    with transaction.atomic():
        audit.record("cp.calendar_feed.revoke", feed, actor=actor)
        feed.delete()


def _posts_for(feed: CalendarFeed, now: datetime):
    membership = tenant_selectors.active_members().filter(user_id=feed.owner_id).first()
    if membership is None:
        raise CalendarFeedInvalid()
    principal = member_principal(membership)
    posts = selectors.posts_visible_to(principal)
    if feed.team_id is not None:
        if (
            not principal.is_tenant_admin
            and not tenant_selectors.team_members(feed.team).filter(user_id=feed.owner_id).exists()
        ):
            raise CalendarFeedInvalid()
        posts = posts.filter(channel__in=social_selectors.team_channels(feed.team).values("pk"))
    scheduled = posts.filter(
        state__in=[PostState.SCHEDULED, PostState.PUBLISHING], publish_at__gte=now - PAST, publish_at__lte=now + AHEAD
    )
    published = posts.filter(state=PostState.PUBLISHED, published_at__gte=now - PAST)
    return (scheduled | published).order_by("publish_at", "id")[:MAX_EVENTS]


def render_feed(token: str, *, now: datetime) -> bytes:
    digest = secret_links.digest_of_token(token.removesuffix(".ics"), SALT)
    if digest is None:
        raise CalendarFeedInvalid()
    with tenancy.platform_access():
        feed = CalendarFeed.all_tenants.select_related("tenant", "team").filter(token_digest=digest).first()
    if feed is None or not feed.tenant.is_usable:
        raise CalendarFeedInvalid()
    with tenancy.tenant_context(feed.tenant):
        calendar = Calendar()
        calendar.add("prodid", "-//Hubbub//Content planner//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", feed.name or f"{feed.tenant.name} posts")
        for post in _posts_for(feed, now):
            calendar.add_component(_event(post, now))
        CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=now)
    return calendar.to_ical()


def _event(post: Post, now: datetime) -> Event:
    start = post.published_at if post.state == PostState.PUBLISHED and post.published_at else post.publish_at
    event = Event()
    event.add("uid", f"post-{post.pk}@hubbub")
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=EVENT_MINUTES))
    headline = (post.title or post.text or "(no text)").splitlines()[0][:80]
    event.add("summary", f"[{post.channel.network}] {headline}")
    description = [post.text, "", f"Channel: {post.channel.name}", f"State: {post.state}"]
    if post.network_url:
        description.append(f"Published at: {post.network_url}")
        event.add("url", post.network_url)
    event.add("description", "\n".join(description))
    event.add("status", "CONFIRMED")
    event.add("categories", [post.state])
    return event
