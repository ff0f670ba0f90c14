"""Posts API: create/edit/delete, content rules, publish times (DST), visibility (tenant and team), query bounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contentplanner.models import FeedItem, Post, PostState, Tag
from contentplanner.tests.factories import ChannelFactory, PostFactory, future_iso, share_with
from core import tenancy
from tenants.roles import Role

URL = "/api/v1/cp/posts/"


@pytest.fixture
def editor(tenant, make_member):
    return make_member(tenant, Role.EDITOR)


@pytest.fixture
def manager(tenant, make_member):
    """Managers hold cp.post.publish (schedule/unschedule); editors do not."""
    return make_member(tenant, Role.MANAGER)


@pytest.fixture
def channel(tenant, editor, manager):
    channel = ChannelFactory(tenant=tenant)
    share_with(channel, editor, manager)
    return channel


def count(tenant, model=Post, **filters):
    with tenancy.tenant_context(tenant):
        return model.objects.filter(**filters).count()


def test_create_post_writes_draft_with_feed_and_tags(tenant, editor, channel, api_client_for):
    with tenancy.tenant_context(tenant):
        tag = Tag.objects.create(name="Launch")
    response = api_client_for(editor).post(
        URL,
        {"channelId": str(channel.pk), "text": "Hi", "tagIds": [str(tag.pk)], "link": {"url": "https://a.example"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft" and body["text"] == "Hi" and body["link"]["url"] == "https://a.example"
    assert [t["name"] for t in body["tags"]] == ["Launch"]
    with tenancy.tenant_context(tenant):
        post = Post.objects.get(pk=body["id"])
        assert post.author_id == editor.user_id and post.channel_id == channel.pk
        assert list(FeedItem.objects.filter(post=post).values_list("key", flat=True)) == ["created"]


def test_bad_input_is_400_and_writes_nothing(tenant, editor, channel, api_client_for):
    client = api_client_for(editor)
    bad = [
        {"text": "no channel"},
        {"channelId": str(channel.pk), "type": "hologram"},
        {"channelId": str(channel.pk), "mediaIds": ["00000000-0000-0000-0000-000000000000"]},
        {"channelId": str(channel.pk), "publishAt": "2001-01-01T10:00:00Z"},
        {"channelId": str(channel.pk), "publishAt": "tomorrow"},
        {"channelId": str(channel.pk), "publishAt": future_iso(), "publishTimezone": "Mars/Olympus"},
    ]
    for payload in bad:
        response = client.post(URL, payload, format="json")
        assert response.status_code == 400, (payload, response.content)
        assert response.json()["error"]["details"]
    assert count(tenant) == 0


def test_publish_at_in_past_is_400_with_code(tenant, editor, channel, api_client_for):
    response = api_client_for(editor).post(
        URL, {"channelId": str(channel.pk), "publishAt": "2020-01-01T10:00:00+01:00"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "PUBLISH_AT_IN_PAST"
    assert "publishAt" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    ("zone", "local", "expected_utc"),
    [
        ("Europe/Berlin", "2030-03-31T01:30:00", datetime(2030, 3, 31, 0, 30, tzinfo=UTC)),  # before spring gap
        ("Europe/Berlin", "2030-03-31T03:30:00", datetime(2030, 3, 31, 1, 30, tzinfo=UTC)),  # after it: CEST
        ("Europe/Berlin", "2030-10-27T02:30:00", datetime(2030, 10, 27, 0, 30, tzinfo=UTC)),  # ambiguous: first
        ("Europe/Berlin", "2030-10-27T03:30:00", datetime(2030, 10, 27, 2, 30, tzinfo=UTC)),  # CET again
        ("America/New_York", "2030-03-10T03:30:00", datetime(2030, 3, 10, 7, 30, tzinfo=UTC)),  # EDT
        ("America/New_York", "2030-11-03T01:30:00", datetime(2030, 11, 3, 5, 30, tzinfo=UTC)),  # ambiguous: EDT
        ("America/New_York", "2030-11-03T09:00:00", datetime(2030, 11, 3, 14, 0, tzinfo=UTC)),  # EST
    ],
)
def test_schedule_naive_local_time_lands_on_wall_clock(
    zone, local, expected_utc, tenant, manager, channel, api_client_for
):
    post = PostFactory(channel=channel, author=manager.user, publish_at=None)
    response = api_client_for(manager).post(
        f"{URL}{post.pk}/schedule", {"publishAt": local, "publishTimezone": zone}, format="json"
    )
    assert response.status_code == 200, response.json()
    with tenancy.tenant_context(tenant):
        post.refresh_from_db()
    assert post.state == PostState.SCHEDULED
    assert post.publish_at == expected_utc and post.publish_timezone == zone
    from zoneinfo import ZoneInfo

    assert post.publish_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S") == local


@pytest.mark.parametrize(
    ("zone", "local"), [("Europe/Berlin", "2030-03-31T02:30:00"), ("America/New_York", "2030-03-10T02:15:00")]
)
def test_nonexistent_local_time_is_400(zone, local, tenant, manager, channel, api_client_for):
    post = PostFactory(channel=channel, author=manager.user, publish_at=None)
    response = api_client_for(manager).post(
        f"{URL}{post.pk}/schedule", {"publishAt": local, "publishTimezone": zone}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "NONEXISTENT_LOCAL_TIME"
    with tenancy.tenant_context(tenant):
        post.refresh_from_db()
    assert post.state == PostState.DRAFT and post.publish_at is None


def test_naive_time_defaults_to_tenant_timezone(tenant, editor, channel, api_client_for):
    tenant.timezone = "Europe/Berlin"
    tenant.save(update_fields=["timezone"])
    response = api_client_for(editor).post(
        URL, {"channelId": str(channel.pk), "publishAt": "2030-07-01T12:00:00"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["publishAt"].startswith("2030-07-01T10:00:00")
    assert response.json()["publishTimezone"] == "Europe/Berlin"


def test_x_rules_field_level_errors_block_scheduling(tenant, manager, api_client_for):
    x_channel = ChannelFactory(tenant=tenant, network="x")
    share_with(x_channel, manager)
    client = api_client_for(manager)
    created = client.post(URL, {"channelId": str(x_channel.pk), "text": "a" * 300}, format="json")
    assert created.status_code == 201
    warnings = created.json()["warnings"]
    assert warnings and warnings[0]["field"] == "text"
    assert warnings[0]["code"] == "twitterTweetCharacterCountTooBig"
    response = client.post(f"{URL}{created.json()['id']}/schedule", {"publishAt": future_iso()}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "CONTENT_RULES_VIOLATED"
    assert error["details"]["text"][0]["code"] == "twitterTweetCharacterCountTooBig"
    assert count(tenant, state=PostState.SCHEDULED) == 0
    # Fixing the text makes it schedulable.
    assert client.patch(f"{URL}{created.json()['id']}", {"text": "short"}, format="json").json()["warnings"] == []
    assert (
        client.post(f"{URL}{created.json()['id']}/schedule", {"publishAt": future_iso()}, format="json").status_code
        == 200
    )


def test_published_post_cannot_be_edited(tenant, editor, channel, api_client_for):
    post = PostFactory(channel=channel, state=PostState.PUBLISHED, author=editor.user)
    response = api_client_for(editor).patch(f"{URL}{post.pk}", {"text": "new"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "POST_PUBLISHED"


def test_filters_and_search(tenant, editor, channel, api_client_for):
    PostFactory(channel=channel, author=editor.user, text="apples")
    scheduled = PostFactory(channel=channel, state=PostState.SCHEDULED, author=editor.user, text="pears")
    client = api_client_for(editor)
    assert [p["id"] for p in client.get(URL, {"state": "scheduled"}).json()["results"]] == [str(scheduled.pk)]
    assert [p["text"] for p in client.get(URL, {"search": "APP"}).json()["results"]] == ["apples"]
    ordered = client.get(URL, {"ordering": "createdAt"}).json()["results"]
    assert [p["text"] for p in ordered] == ["apples", "pears"]


def test_duplicate_creates_a_draft_copy(tenant, editor, channel, api_client_for):
    post = PostFactory(channel=channel, state=PostState.SCHEDULED, author=editor.user, text="copy me")
    response = api_client_for(editor).post(f"{URL}{post.pk}/duplicate", {}, format="json")
    assert response.status_code == 201
    (copy,) = response.json()
    assert copy["state"] == "draft" and copy["text"] == "copy me" and copy["publishAt"] is None
    assert count(tenant) == 2


def test_delete_is_soft_and_hides_the_post(tenant, editor, channel, api_client_for):
    post = PostFactory(channel=channel, author=editor.user)
    client = api_client_for(editor)
    assert client.delete(f"{URL}{post.pk}").status_code == 204
    assert client.get(f"{URL}{post.pk}").status_code == 404
    assert count(tenant, state=PostState.DELETED) == 1


ENDPOINTS = [
    ("get", ""),
    ("patch", ""),
    ("delete", ""),
    ("post", "/duplicate"),
    ("post", "/submit"),
    ("post", "/approve"),
    ("post", "/reject"),
    ("post", "/schedule"),
    ("post", "/unschedule"),
    ("get", "/approval-requests"),
    ("get", "/feed"),
    ("post", "/feed"),
]


@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_other_tenant_and_other_team_get_404(method, suffix, tenant, other_tenant, make_member, api_client_for):
    author = make_member(tenant, Role.EDITOR)
    channel = ChannelFactory(tenant=tenant)
    share_with(channel, author)
    post = PostFactory(channel=channel, author=author.user, state=PostState.NEEDS_APPROVAL)
    outsider_same_tenant = make_member(tenant, Role.MANAGER)  # not in the channel's team
    outsider_other_tenant = make_member(other_tenant, Role.OWNER)
    body = {"text": "x", "comment": "why", "message": "hi", "publishAt": future_iso()}
    for member in (outsider_same_tenant, outsider_other_tenant):
        client = api_client_for(member)
        response = getattr(client, method)(f"{URL}{post.pk}{suffix}", body, format="json")
        assert response.status_code == 404, (member.role, response.content)
    with tenancy.tenant_context(tenant):
        fresh = Post.objects.get(pk=post.pk)
        assert fresh.state == PostState.NEEDS_APPROVAL and fresh.text == "Hello world"
        assert FeedItem.objects.count() == 0


def test_invisible_channel_cannot_be_posted_to(tenant, make_member, api_client_for):
    editor = make_member(tenant, Role.EDITOR)
    hidden = ChannelFactory(tenant=tenant)
    response = api_client_for(editor).post(URL, {"channelId": str(hidden.pk), "text": "x"}, format="json")
    assert response.status_code == 400 and "channelIds" in response.json()["error"]["details"]
    assert count(tenant) == 0


def test_viewer_cannot_write(tenant, make_member, channel, api_client_for):
    viewer = make_member(tenant, Role.VIEWER)
    share_with(channel, viewer)
    response = api_client_for(viewer).post(URL, {"channelId": str(channel.pk)}, format="json")
    assert response.status_code == 403
    assert count(tenant) == 0


def test_post_list_query_count_is_bounded(tenant, owner, api_client_for, django_assert_max_num_queries):
    channel = ChannelFactory(tenant=tenant)
    with tenancy.tenant_context(tenant):
        tags = [Tag.objects.create(name=f"t{i}") for i in range(3)]
    for i in range(50):
        post = PostFactory(channel=channel, author=owner.user, text=f"post {i}")
        post.tags.set(tags)
    client = api_client_for(owner)
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"pageSize": 50})
    assert response.status_code == 200 and len(response.json()["results"]) == 50
    assert all(len(p["tags"]) == 3 for p in response.json()["results"])


def test_idempotent_create(tenant, editor, channel, api_client_for):
    client = api_client_for(editor)
    payload = {"channelId": str(channel.pk), "text": "once"}
    first = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert count(tenant) == 1


def test_analyst_cannot_schedule(tenant, editor, channel, make_member, api_client_for):
    analyst = make_member(tenant, Role.ANALYST)
    share_with(channel, analyst)
    post = PostFactory(channel=channel, author=editor.user)
    response = api_client_for(analyst).post(f"{URL}{post.pk}/schedule", {"publishAt": future_iso()}, format="json")
    assert response.status_code == 403
    assert count(tenant, state=PostState.SCHEDULED) == 0
