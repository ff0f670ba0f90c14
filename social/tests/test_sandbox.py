from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import requires_postgres
from social.models import SandboxFailureCounter, SandboxPublication
from social.networks import base, rules
from social.networks.registry import get_adapter
from social.networks.sandbox import SandboxAdapter

pytestmark = pytest.mark.django_db


def creds(external_id="sbx-chan-1", **extra):
    return base.ChannelCredentials(
        external_id=external_id, access_token="sbx-at-1", refresh_token="sbx-rt-1", extra=extra
    )


def request(correlation_id="post-1:1", text="Hello sandbox", **kwargs):
    return base.PublishRequest(correlation_id=correlation_id, text=text, **kwargs)


def test_registry_returns_the_sandbox_adapter():
    assert isinstance(get_adapter("sandbox"), SandboxAdapter)


def test_publish_stores_the_post_and_find_published_returns_it():
    adapter = SandboxAdapter()
    before = timezone.now() - timedelta(seconds=1)
    result = adapter.publish(creds(), request(first_comment="first!"))
    post = SandboxPublication.objects.get(correlation_id="post-1:1")
    assert post.remote_id == result.remote_id and post.text == "Hello sandbox" and post.kind == "post"
    assert post.channel_external_id == "sbx-chan-1" and post.submit_count == 1
    comment = SandboxPublication.objects.get(parent_remote_id=result.remote_id)
    assert comment.text == "first!" and comment.kind == "comment"
    found = adapter.find_published(creds(), correlation_id="post-1:1", since=before)
    assert found is not None and found.remote_id == result.remote_id
    assert adapter.find_published(creds(), correlation_id="post-2:1", since=before) is None
    # another channel does not see it
    assert adapter.find_published(creds("other"), correlation_id="post-1:1", since=before) is None


def test_publishing_the_same_attempt_twice_is_counted_not_hidden():
    adapter = SandboxAdapter()
    first = adapter.publish(creds(), request())
    second = adapter.publish(creds(), request())
    assert first.remote_id == second.remote_id
    assert SandboxPublication.objects.get(correlation_id="post-1:1").submit_count == 2


def test_delete_hides_the_post_from_find_published_and_unknown_ids_are_not_found():
    adapter = SandboxAdapter()
    result = adapter.publish(creds(), request())
    adapter.delete(creds(), remote_id=result.remote_id)
    assert SandboxPublication.objects.get(remote_id=result.remote_id).deleted_at is not None
    assert adapter.find_published(creds(), correlation_id="post-1:1", since=timezone.now() - timedelta(days=1)) is None
    with pytest.raises(base.NotFound):
        adapter.delete(creds(), remote_id=result.remote_id)
    with pytest.raises(base.NotFound):
        adapter.delete(creds(), remote_id="sbx_doesnotexist")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"text": "x" * 10_001}, "text"),
        ({"text": ""}, "text"),
        ({"post_type": "carousel"}, "postType"),
        (
            {
                "media": tuple(
                    base.MediaItem(url=f"https://x/{i}.png", mime_type="image/png", kind="image") for i in range(21)
                )
            },
            "media",
        ),
        ({"media": (base.MediaItem(url="https://x/a.bmp", mime_type="image/bmp", kind="image"),)}, "media[0]"),
        (
            {
                "media": (
                    base.MediaItem(url="https://x/a.mp4", mime_type="video/mp4", kind="video", duration_seconds=4000),
                )
            },
            "media[0]",
        ),
    ],
)
def test_invalid_content_is_refused_with_details_and_nothing_stored(kwargs, field):
    params = {"text": "Hello", **kwargs}
    with pytest.raises(base.InvalidContent) as exc:
        SandboxAdapter().publish(creds(), request(**params))
    assert field in exc.value.details
    assert not SandboxPublication.objects.exists()


GIF = base.MediaItem(url="https://x/a.gif", mime_type="image/gif", kind="animation")
PNG = base.MediaItem(url="https://x/a.png", mime_type="image/png", kind="image", width=800, height=600)
MP4 = base.MediaItem(url="https://x/a.mp4", mime_type="video/mp4", kind="video", duration_seconds=30)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": "x" * 10_001},
        {"text": ""},
        {"media": (GIF,)},  # the review's case: the sandbox's own validator used to accept animations
        {"media": (GIF, PNG)},
        {"post_type": "carousel"},
        {"first_comment": "y" * 2001},
    ],
)
def test_content_the_rules_refuse_the_sandbox_refuses_for_the_same_reasons(kwargs):
    req = request(**{"text": "Hello", **kwargs})
    expected = {(issue.field, issue.message) for issue in rules.validate(SandboxAdapter.rules, req)}
    assert expected  # the rules refuse it...
    with pytest.raises(base.InvalidContent) as exc:
        SandboxAdapter().publish(creds(), req)
    refused = {(field, message) for field, messages in exc.value.details.items() for message in messages}
    assert refused == expected  # ...and so does the sandbox, for the same reasons
    assert not SandboxPublication.objects.exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": "Hello"},
        {"text": "", "media": (PNG,)},
        {"text": "x" * 10_000, "media": (PNG, MP4), "first_comment": "first"},
        {"text": "Story", "post_type": "story", "media": (MP4,)},
    ],
)
def test_content_the_rules_accept_the_sandbox_publishes(kwargs):
    req = request(**kwargs)
    assert rules.validate(SandboxAdapter.rules, req) == []
    result = SandboxAdapter().publish(creds(), req)
    assert SandboxPublication.objects.get(correlation_id=req.correlation_id).remote_id == result.remote_id


def test_missing_token_is_auth_expired():
    empty = base.ChannelCredentials(external_id="sbx-chan-1", access_token="")
    with pytest.raises(base.AuthExpired):
        SandboxAdapter().publish(empty, request())


@pytest.mark.parametrize(
    "fail_with, error",
    [
        ("AUTH_EXPIRED", base.AuthExpired),
        ("PERMISSION_MISSING", base.PermissionMissing),
        ("RATE_LIMITED", base.RateLimited),
        ("INVALID_CONTENT", base.InvalidContent),
        ("NETWORK_DOWN", base.TemporaryNetworkError),
    ],
)
def test_injected_failures_fail_the_first_n_calls_then_succeed(fail_with, error):
    adapter = SandboxAdapter()
    spec = {"sandbox": {"failWith": fail_with, "times": 2, "retryAfter": 42}}
    for attempt in range(2):
        with pytest.raises(error) as exc:
            adapter.publish(creds(**spec), request(correlation_id=f"p:{attempt}"))
        if error is base.RateLimited:
            assert exc.value.retry_after == 42
    assert not SandboxPublication.objects.exists()
    assert adapter.publish(creds(**spec), request(correlation_id="p:3")).remote_id
    counter = SandboxFailureCounter.objects.get(channel_external_id="sbx-chan-1", fail_with=fail_with)
    assert counter.count == 2


def test_failure_without_times_fails_every_call_and_only_for_chosen_operations():
    adapter = SandboxAdapter()
    spec = {"sandbox": {"failWith": "NETWORK_DOWN"}}
    for i in range(3):
        with pytest.raises(base.TemporaryNetworkError):
            adapter.publish(creds(**spec), request(correlation_id=f"p:{i}"))
    # reads are not in the default failing operations
    assert adapter.fetch_items(creds(**spec), kind="comment").items == ()
    only_refresh = {"sandbox": {"failWith": "AUTH_EXPIRED", "operations": ["refresh"]}}
    assert adapter.publish(creds(**only_refresh), request(correlation_id="ok")).remote_id
    with pytest.raises(base.AuthExpired):
        adapter.refresh(creds(**only_refresh))


def test_unknown_outcome_after_accept_stores_the_post_then_raises():
    adapter = SandboxAdapter()
    spec = {"sandbox": {"failWith": "UNKNOWN_OUTCOME_AFTER_ACCEPT", "times": 1}}
    since = timezone.now() - timedelta(seconds=5)
    with pytest.raises(base.UnknownOutcome):
        adapter.publish(creds(**spec), request())
    found = adapter.find_published(creds(**spec), correlation_id="post-1:1", since=since)
    assert found is not None
    assert found.remote_id == SandboxPublication.objects.get(correlation_id="post-1:1").remote_id
    # the second call is past `times`: a normal publish
    assert adapter.publish(creds(**spec), request(correlation_id="post-1:2")).remote_id
    assert SandboxPublication.objects.count() == 2


def test_comments_appear_over_time_and_metrics_grow_with_age():
    adapter = SandboxAdapter()
    result = adapter.publish(creds(), request())
    assert adapter.fetch_items(creds(), kind="comment").items == ()
    fresh = adapter.post_metrics(creds(), remote_id=result.remote_id).values
    assert fresh["impressions"] == 0
    SandboxPublication.objects.filter(remote_id=result.remote_id).update(
        created_at=timezone.now() - timedelta(minutes=35)
    )
    page = adapter.fetch_items(creds(), kind="comment")
    assert [item.remote_id for item in page.items] == [f"{result.remote_id}-c{i}" for i in (1, 2, 3)]
    assert all(item.parent_remote_id == result.remote_id for item in page.items)
    assert adapter.fetch_items(creds("someone-else"), kind="comment").items == ()
    older = adapter.post_metrics(creds(), remote_id=result.remote_id).values
    assert older["impressions"] == 35 * 7 and older["comments"] == 3
    assert older["engagements"] == older["likes"] + older["comments"] + older["shares"] + older["clicks"]
    SandboxPublication.objects.filter(remote_id=result.remote_id).update(created_at=timezone.now() - timedelta(hours=5))
    assert len(adapter.fetch_items(creds(), kind="comment").items) == 5
    assert adapter.post_metrics(creds(), remote_id=result.remote_id).values["impressions"] > older["impressions"]


def test_fetch_items_pages_with_a_cursor():
    adapter = SandboxAdapter()
    long_ago = timezone.now() - timedelta(days=1)
    for i in range(12):
        adapter.publish(creds(), request(correlation_id=f"p:{i}"))
    SandboxPublication.objects.update(created_at=long_ago)
    first = adapter.fetch_items(creds(), kind="comment")
    assert len(first.items) == 50 and first.next_cursor
    second = adapter.fetch_items(creds(), kind="comment", cursor=first.next_cursor)
    assert len(second.items) == 10 and second.next_cursor == ""
    ids = [item.remote_id for item in first.items + second.items]
    assert len(set(ids)) == 60


def test_reply_and_comment_are_stored_under_their_parent():
    adapter = SandboxAdapter()
    post = adapter.publish(creds(), request())
    reply = adapter.reply(creds(), remote_id=f"{post.remote_id}-c1", text="Thanks!")
    stored = SandboxPublication.objects.get(remote_id=reply.remote_id)
    assert stored.kind == "reply" and stored.parent_remote_id == f"{post.remote_id}-c1" and stored.text == "Thanks!"
    comment = adapter.publish_comment(creds(), remote_id=post.remote_id, text="More info")
    assert SandboxPublication.objects.get(remote_id=comment.remote_id).parent_remote_id == post.remote_id
    with pytest.raises(base.NotFound):
        adapter.reply(creds("other"), remote_id=post.remote_id, text="x")


def test_oauth_exchange_is_deterministic_per_code_and_refuses_bad_grants():
    adapter = SandboxAdapter()
    url = adapter.authorize_url(base.AuthorizeRequest(redirect_uri="https://app/cb", state="s1", code_challenge="c"))
    assert "state=s1" in url and "code_challenge=c" in url and "code_challenge_method=S256" in url
    first = adapter.exchange_code(code="abc", redirect_uri="https://app/cb", code_verifier="v")
    again = adapter.exchange_code(code="abc", redirect_uri="https://app/cb", code_verifier="v")
    assert [a.external_id for a in first] == [a.external_id for a in again]
    assert [a.name for a in first] == ["Sandbox Page", "Sandbox Profile"]
    assert first[0].tokens.access_token != again[0].tokens.access_token
    assert first[0].tokens.refresh_token and first[0].tokens.expires_at > timezone.now()
    with pytest.raises(base.AuthExpired):
        adapter.exchange_code(code="invalid", redirect_uri="https://app/cb", code_verifier="v")
    with pytest.raises(base.PermissionMissing):
        adapter.exchange_code(code="abc", redirect_uri="https://app/cb")


def test_refresh_returns_a_new_access_token_without_a_refresh_token():
    tokens = SandboxAdapter().refresh(creds())
    assert tokens.access_token.startswith("sbx-at-") and tokens.refresh_token == ""
    assert tokens.expires_at > timezone.now() + timedelta(days=59)


def test_channel_metrics_are_deterministic():
    adapter = SandboxAdapter()
    day = timezone.now()
    assert adapter.channel_metrics(creds(), day=day).values == adapter.channel_metrics(creds(), day=day).values
    adapter.publish(creds(), request())
    assert adapter.channel_metrics(creds(), day=day).values["posts"] == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_failure_times_are_counted_exactly_across_concurrent_callers():
    """Ten concurrent publishes with `times: 3`: exactly three fail, seven are stored (one DB counter)."""
    import threading

    from django.db import connection

    spec = {"sandbox": {"failWith": "NETWORK_DOWN", "times": 3}}
    outcomes: list[str] = []
    barrier = threading.Barrier(10)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            SandboxAdapter().publish(creds(**spec), request(correlation_id=f"c:{i}"))
            outcomes.append("ok")
        except base.TemporaryNetworkError:
            outcomes.append("failed")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["failed"] * 3 + ["ok"] * 7
    assert SandboxPublication.objects.count() == 7
    assert SandboxFailureCounter.objects.get().count == 3
