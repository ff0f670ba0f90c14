"""Calendar and counts: tenant-local DST-correct days, filters, team visibility, tenant isolation, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from contentplanner.models import Campaign, PostState, Tag
from contentplanner.tests.factories import ChannelFactory, PostFactory, local, set_timezone, share_with
from core import tenancy
from tenants.roles import Role

CALENDAR = "/api/v1/cp/posts/calendar"
COUNTS = "/api/v1/cp/posts/counts"


def day_counts(body: dict) -> dict[str, dict]:
    return {day["date"]: day for day in body["days"]}


# --- calendar: days are the tenant's local calendar days ------------------------------------------------------------
@pytest.mark.parametrize(
    ("tz_name", "dst_day", "first", "last"),
    [
        ("Europe/Berlin", (2026, 3, 29), "2026-03-28", "2026-03-31"),  # spring forward: a 23-hour day
        ("Europe/Berlin", (2026, 10, 25), "2026-10-24", "2026-10-27"),  # fall back: a 25-hour day
        ("America/New_York", (2026, 3, 8), "2026-03-07", "2026-03-10"),
        ("America/New_York", (2026, 11, 1), "2026-10-31", "2026-11-03"),
    ],
)
def test_calendar_places_posts_on_local_days_across_dst(owner_client, tenant, tz_name, dst_day, first, last):
    set_timezone(tenant, tz_name)
    channel = ChannelFactory(tenant=tenant)
    dst, after, before = date(*dst_day), date(*dst_day) + timedelta(days=1), date(*dst_day) - timedelta(days=1)
    # 00:30 local on the DST day, on the day after (the other offset), and 23:30 local on the DST day.
    PostFactory(
        channel=channel,
        state=PostState.SCHEDULED,
        publish_at=local(tz_name, *dst.timetuple()[:3], 0, 30),
        text="dst day early",
    )
    PostFactory(
        channel=channel,
        state=PostState.SCHEDULED,
        publish_at=local(tz_name, *after.timetuple()[:3], 0, 30),
        text="day after early",
    )
    PostFactory(
        channel=channel,
        state=PostState.SCHEDULED,
        publish_at=local(tz_name, *dst.timetuple()[:3], 23, 30),
        text="dst day late",
    )
    PostFactory(
        channel=channel,
        state=PostState.SCHEDULED,
        publish_at=local(tz_name, *before.timetuple()[:3], 23, 59),
        text="day before late",
    )

    response = owner_client.get(CALENDAR, {"from": first, "to": last})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["timezone"] == tz_name
    days = day_counts(body)
    assert days[dst.isoformat()]["total"] == 2 and days[dst.isoformat()]["counts"]["scheduled"] == 2
    assert days[after.isoformat()]["total"] == 1
    assert days[before.isoformat()]["total"] == 1
    assert body["total"] == 4
    assert list(days) == sorted(days) and len(days) == 4  # every day of the range, zero-filled, in order


def test_calendar_counts_per_state_using_published_at_for_published_posts(owner_client, tenant):
    set_timezone(tenant, "Europe/Berlin")
    channel = ChannelFactory(tenant=tenant)
    PostFactory(channel=channel, state=PostState.DRAFT, publish_at=local("Europe/Berlin", 2026, 5, 4, 9))
    PostFactory(channel=channel, state=PostState.FAILED, publish_at=local("Europe/Berlin", 2026, 5, 4, 10))
    # Planned for the 4th but went out on the 5th: the calendar shows when it was published.
    PostFactory(
        channel=channel,
        state=PostState.PUBLISHED,
        publish_at=local("Europe/Berlin", 2026, 5, 4, 11),
        published_at=local("Europe/Berlin", 2026, 5, 5, 0, 10),
    )
    PostFactory(channel=channel, state=PostState.DELETED, publish_at=local("Europe/Berlin", 2026, 5, 4, 12))
    PostFactory(channel=channel, state=PostState.DRAFT, publish_at=None)  # unscheduled: no day

    body = owner_client.get(CALENDAR, {"from": "2026-05-01", "to": "2026-05-31"}).json()

    days = day_counts(body)
    assert days["2026-05-04"]["counts"] == {
        "preDraft": 0,  # the caller's own working drafts only
        "draft": 1,
        "needsApproval": 0,
        "approved": 0,
        "rejected": 0,
        "scheduled": 0,
        "publishing": 0,
        "published": 0,
        "failed": 1,
    }
    assert days["2026-05-05"]["counts"]["published"] == 1
    assert body["total"] == 3  # deleted and unscheduled posts are not on the calendar
    assert "posts" not in body


def test_calendar_include_posts_lists_the_range_with_filters(owner_client, tenant):
    channel = ChannelFactory(tenant=tenant, name="Main")
    other_channel = ChannelFactory(tenant=tenant, name="Other")
    first = PostFactory(
        channel=channel,
        state=PostState.SCHEDULED,
        publish_at=datetime(2026, 6, 2, 8, tzinfo=UTC),
        text="Hello " + "x" * 300,
    )
    PostFactory(
        channel=other_channel,
        state=PostState.SCHEDULED,
        publish_at=datetime(2026, 6, 3, 8, tzinfo=UTC),
        text="other channel",
    )
    PostFactory(
        channel=channel, state=PostState.SCHEDULED, publish_at=datetime(2026, 7, 3, 8, tzinfo=UTC), text="out of range"
    )

    response = owner_client.get(
        CALENDAR, {"from": "2026-06-01", "to": "2026-06-30", "includePosts": "true", "channel": str(channel.pk)}
    )

    body = response.json()
    assert body["total"] == 1
    assert body["postsTruncated"] is False
    [entry] = body["posts"]
    assert entry["id"] == str(first.pk)
    assert entry["channel"] == str(channel.pk) and entry["channelName"] == "Main" and entry["network"] == "sandbox"
    assert entry["date"] == "2026-06-02" and entry["state"] == "scheduled"
    assert entry["publishAt"] == "2026-06-02T08:00:00Z"
    assert entry["textExcerpt"].startswith("Hello x") and len(entry["textExcerpt"]) == 140


def test_calendar_filters_by_tag_and_campaign(owner_client, tenant):
    channel = ChannelFactory(tenant=tenant)
    with tenancy.tenant_context(tenant):
        campaign = Campaign.objects.create(name="Spring")
        tag, other_tag = Tag.objects.create(name="promo"), Tag.objects.create(name="news")
    when = datetime(2026, 6, 2, 8, tzinfo=UTC)
    tagged = PostFactory(channel=channel, state=PostState.SCHEDULED, publish_at=when, campaign=campaign)
    tagged.tags.add(tag, other_tag)
    PostFactory(channel=channel, state=PostState.SCHEDULED, publish_at=when)

    by_tag = owner_client.get(CALENDAR, {"from": "2026-06-01", "to": "2026-06-02", "tag": f"{tag.pk},{other_tag.pk}"})
    by_campaign = owner_client.get(CALENDAR, {"from": "2026-06-01", "to": "2026-06-02", "campaign": str(campaign.pk)})

    assert by_tag.json()["total"] == 1  # two matching tags, still one post
    assert by_campaign.json()["total"] == 1


def test_calendar_runs_a_bounded_number_of_queries(owner_client, tenant, django_assert_max_num_queries):
    channel = ChannelFactory(tenant=tenant)
    for day in range(1, 29):
        PostFactory(channel=channel, state=PostState.SCHEDULED, publish_at=datetime(2026, 2, day, 12, tzinfo=UTC))
    with django_assert_max_num_queries(8):
        response = owner_client.get(CALENDAR, {"from": "2026-02-01", "to": "2026-02-28", "includePosts": "true"})
    assert response.json()["total"] == 28 and len(response.json()["posts"]) == 28


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01", "to": "2026-12-31"}, "from"),
        ({"from": "yesterday", "to": "2026-12-31"}, "from"),
        ({"to": "2026-12-31"}, "from"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"from": "2026-01-01", "to": "2026-04-30"}, "to"),  # 120 days > 93
        ({"from": "2026-01-01", "to": "2026-01-02", "channel": "not-a-uuid"}, "channel"),
        ({"from": "2026-01-01", "to": "2026-01-02", "state": "bogus"}, "state"),
    ],
)
def test_calendar_rejects_bad_input(owner_client, params, field):
    response = owner_client.get(CALENDAR, params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert field in body["error"]["details"]
    assert body["statusCode"] == 400 and body["path"] == CALENDAR


def test_calendar_never_counts_another_tenants_posts(owner_client, tenant, other_tenant):
    foreign_channel = ChannelFactory(tenant=other_tenant)
    PostFactory(channel=foreign_channel, state=PostState.SCHEDULED, publish_at=datetime(2026, 6, 2, 8, tzinfo=UTC))

    everything = owner_client.get(CALENDAR, {"from": "2026-06-01", "to": "2026-06-30", "includePosts": "true"})
    by_foreign_channel = owner_client.get(
        CALENDAR, {"from": "2026-06-01", "to": "2026-06-30", "channel": str(foreign_channel.pk)}
    )

    assert everything.json()["total"] == 0 and everything.json()["posts"] == []
    assert by_foreign_channel.json()["total"] == 0


# --- counts --------------------------------------------------------------------------------------------------------
def test_counts_per_state_and_needs_attention(owner_client, tenant):
    channel = ChannelFactory(tenant=tenant)
    for state in (PostState.DRAFT, PostState.DRAFT, PostState.SCHEDULED, PostState.FAILED, PostState.DELETED):
        PostFactory(channel=channel, publish_at=None, state=state)
    PostFactory(channel=channel, publish_at=None, state=PostState.NEEDS_APPROVAL, needs_attention=True)

    body = owner_client.get(COUNTS).json()

    assert body["total"] == 5
    assert body["byState"]["draft"] == 2
    assert body["byState"]["scheduled"] == 1
    assert body["byState"]["failed"] == 1
    assert body["byState"]["needsApproval"] == 1
    assert "deleted" not in body["byState"]
    assert body["needsAttention"] == 1
    assert "groups" not in body


def test_counts_respect_team_visibility(tenant, make_member, api_client_for, owner_client):
    seen, hidden = ChannelFactory(tenant=tenant, name="Seen"), ChannelFactory(tenant=tenant, name="Hidden")
    editor = make_member(tenant, Role.EDITOR)
    share_with(seen, editor)
    PostFactory(channel=seen, publish_at=None, state=PostState.DRAFT)
    PostFactory(channel=hidden, publish_at=None, state=PostState.DRAFT)
    PostFactory(channel=hidden, publish_at=None, state=PostState.SCHEDULED)

    as_editor = api_client_for(editor).get(COUNTS).json()
    as_owner = owner_client.get(COUNTS).json()
    editor_asking_for_hidden = api_client_for(editor).get(COUNTS, {"channel": str(hidden.pk)}).json()

    assert as_editor["total"] == 1 and as_editor["byState"]["draft"] == 1
    assert as_owner["total"] == 3
    assert editor_asking_for_hidden["total"] == 0


def test_counts_grouped_by_campaign_and_by_tag(owner_client, tenant):
    channel = ChannelFactory(tenant=tenant)
    with tenancy.tenant_context(tenant):
        spring, autumn = Campaign.objects.create(name="Spring"), Campaign.objects.create(name="Autumn")
        promo, news = Tag.objects.create(name="promo"), Tag.objects.create(name="news")
    a = PostFactory(channel=channel, publish_at=None, state=PostState.DRAFT, campaign=spring)
    b = PostFactory(channel=channel, publish_at=None, state=PostState.SCHEDULED, campaign=spring)
    PostFactory(channel=channel, publish_at=None, state=PostState.DRAFT, campaign=autumn)
    PostFactory(channel=channel, publish_at=None, state=PostState.DRAFT)
    a.tags.add(promo, news)
    b.tags.add(promo)

    by_campaign = owner_client.get(COUNTS, {"groupBy": "campaign"}).json()
    by_tag = owner_client.get(COUNTS, {"groupBy": "tag"}).json()

    assert by_campaign["groupBy"] == "campaign"
    assert [(g["name"], g["total"]) for g in by_campaign["groups"]] == [("Spring", 2), ("Autumn", 1), (None, 1)]
    assert by_campaign["groups"][0]["id"] == str(spring.pk)
    assert by_campaign["groups"][0]["byState"]["scheduled"] == 1
    assert [(g["name"], g["total"]) for g in by_tag["groups"]] == [("promo", 2), ("news", 1), (None, 2)]


def test_counts_reject_unknown_group_by(owner_client):
    response = owner_client.get(COUNTS, {"groupBy": "network"})
    assert response.status_code == 400
    assert "groupBy" in response.json()["error"]["details"]


def test_counts_never_include_another_tenant(owner_client, tenant, other_tenant):
    PostFactory(channel=ChannelFactory(tenant=other_tenant), publish_at=None, state=PostState.DRAFT)
    PostFactory(channel=ChannelFactory(tenant=tenant), publish_at=None, state=PostState.DRAFT)
    assert owner_client.get(COUNTS).json()["total"] == 1


def test_counts_and_calendar_need_post_read(tenant, api_key_client_for):
    client = api_key_client_for(tenant, scopes=["users:provision"])
    assert client.get(COUNTS).status_code == 403
    assert client.get(CALENDAR, {"from": "2026-01-01", "to": "2026-01-02"}).status_code == 403
