"""LinkedIn adapter against respx: OAuth, organizations, Posts API with versioned headers, images, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from social.networks import base
from social.networks.base import AuthorizeRequest, PublishRequest
from social.networks.linkedin import LINKEDIN_VERSION, REST, LinkedInAdapter, escape_commentary

from .conftest import creds, media_file, sent_form, sent_json

ORG = "urn:li:organization:5515715"


@pytest.fixture
def li(make):
    return make(LinkedInAdapter)


def org_creds():
    return creds("5515715", token="li-token", author_urn=ORG)


def test_authorize_url(li):
    url = li.authorize_url(AuthorizeRequest(redirect_uri="https://app/cb", state="st"))
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("https://www.linkedin.com/oauth/v2/authorization?")
    assert params["response_type"] == "code"
    assert {"w_organization_social", "w_member_social"} <= set(params["scope"].split(" "))


def test_exchange_code_returns_member_and_administered_organizations(li, respx_mock):
    token = respx_mock.post("https://www.linkedin.com/oauth/v2/accessToken").respond(
        json={"access_token": "li-token", "expires_in": 5184000, "refresh_token": "r", "scope": "a,b"}
    )
    respx_mock.get("https://api.linkedin.com/v2/userinfo").respond(json={"sub": "abc", "name": "Ann", "picture": "p"})
    acls = respx_mock.get(f"{REST}/organizationAcls").respond(
        json={"elements": [{"organization": ORG, "role": "ADMINISTRATOR", "state": "APPROVED"}]}
    )
    respx_mock.get(f"{REST}/organizations/5515715").respond(json={"localizedName": "Acme", "vanityName": "acme"})
    person, org = li.exchange_code(code="c", redirect_uri="https://app/cb")
    assert sent_form(token)["client_secret"] == "linkedin-secret"
    assert acls.calls.last.request.url.params["q"] == "roleAssignee"
    assert acls.calls.last.request.headers["LinkedIn-Version"] == LINKEDIN_VERSION
    assert (person.external_id, person.extra["author_urn"]) == ("abc", "urn:li:person:abc")
    assert (org.external_id, org.name, org.extra["author_urn"]) == ("5515715", "Acme", ORG)
    assert org.network_url == "https://www.linkedin.com/company/acme/"
    assert org.tokens.scopes == ("a", "b")


def test_refresh_without_new_refresh_token(li, respx_mock):
    route = respx_mock.post("https://www.linkedin.com/oauth/v2/accessToken").respond(
        json={"access_token": "new", "expires_in": 5184000}
    )
    tokens = li.refresh(org_creds())
    assert sent_form(route)["grant_type"] == "refresh_token"
    assert (tokens.access_token, tokens.refresh_token) == ("new", "")


def test_text_post_with_article_and_escaped_commentary(li, respx_mock):
    route = respx_mock.post(f"{REST}/posts").respond(201, headers={"x-restli-id": "urn:li:share:6844785523593134080"})
    request = PublishRequest(
        correlation_id="c", text="Hello (world) #launch", link="https://acme.com", link_title="Acme"
    )
    result = li.publish(org_creds(), request)
    assert sent_json(route) == {
        "author": ORG,
        "commentary": "Hello \\(world\\) \\#launch",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
        "content": {"article": {"source": "https://acme.com", "title": "Acme"}},
    }
    headers = route.calls.last.request.headers
    assert headers["LinkedIn-Version"] == LINKEDIN_VERSION
    assert headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert headers["Authorization"] == "Bearer li-token"
    assert result.remote_id == "urn:li:share:6844785523593134080"
    assert result.url == "https://www.linkedin.com/feed/update/urn:li:share:6844785523593134080/"


def test_image_post_initializes_uploads_and_puts_bytes(li, respx_mock, tmp_path):
    init = respx_mock.post(f"{REST}/images").respond(
        json={"value": {"uploadUrl": "https://www.linkedin.com/dms-uploads/abc", "image": "urn:li:image:C4E1"}}
    )
    put = respx_mock.put("https://www.linkedin.com/dms-uploads/abc").respond(201)
    post = respx_mock.post(f"{REST}/posts").respond(201, headers={"x-restli-id": "urn:li:share:1"})
    item = media_file(tmp_path, "a.png", b"PNGDATA", "image/png", "image", alt_text="Logo")
    li.publish(org_creds(), PublishRequest(correlation_id="c", text="Look", media=(item,)))
    assert init.calls.last.request.url.params["action"] == "initializeUpload"
    assert sent_json(init) == {"initializeUploadRequest": {"owner": ORG}}
    assert put.calls.last.request.content == b"PNGDATA"
    assert sent_json(post)["content"] == {"media": {"id": "urn:li:image:C4E1", "altText": "Logo"}}


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (401, {}, base.AuthExpired),
        (403, {}, base.PermissionMissing),
        (429, {"Retry-After": "60"}, base.RateLimited),
        (422, {}, base.InvalidContent),
        (400, {}, base.InvalidContent),
        (500, {}, base.TemporaryNetworkError),
    ],
)
def test_error_mapping(li, respx_mock, status, headers, expected):
    respx_mock.post(f"{REST}/posts").respond(status, json={"message": "nope", "status": status}, headers=headers)
    with pytest.raises(expected) as caught:
        li.publish(org_creds(), PublishRequest(correlation_id="c", text="Hi"))
    assert type(caught.value) is expected
    if expected is base.RateLimited:
        assert caught.value.retry_after == 60


def test_timeouts(li, respx_mock):
    route = respx_mock.post(f"{REST}/posts").mock(side_effect=httpx.ReadTimeout("t"))
    with pytest.raises(base.UnknownOutcome):
        li.publish(org_creds(), PublishRequest(correlation_id="c", text="Hi"))
    route.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(base.TemporaryNetworkError):
        li.publish(org_creds(), PublishRequest(correlation_id="c", text="Hi"))


def test_first_comment_via_social_actions(li, respx_mock):
    comment = respx_mock.post(f"{REST}/socialActions/urn%3Ali%3Ashare%3A1/comments").respond(
        201, json={"$URN": "urn:li:comment:(urn:li:activity:1,2)"}
    )
    li.publish_comment(org_creds(), remote_id="urn:li:share:1", text="Link below")
    assert sent_json(comment) == {"actor": ORG, "object": "urn:li:share:1", "message": {"text": "Link below"}}


def test_find_published_matches_unescaped_commentary(li, respx_mock):
    since = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    created_ms = int(since.timestamp() * 1000) + 5000
    route = respx_mock.get(f"{REST}/posts").respond(
        json={
            "elements": [
                {"id": "urn:li:share:2", "commentary": escape_commentary("Hello (world)"), "createdAt": created_ms},
                {"id": "urn:li:share:1", "commentary": "Hello \\(world\\)", "createdAt": created_ms - 86_400_000},
            ]
        }
    )
    found = li.find_published(org_creds(), correlation_id="c", since=since, text="Hello (world)")
    assert found.remote_id == "urn:li:share:2"
    assert route.calls.last.request.url.params["q"] == "author"
    assert route.calls.last.request.url.params["author"] == ORG


def test_delete_and_metrics(li, respx_mock):
    delete = respx_mock.delete(f"{REST}/posts/urn%3Ali%3Ashare%3A1").respond(204)
    li.delete(org_creds(), remote_id="urn:li:share:1")
    assert delete.called
    stats = respx_mock.get(f"{REST}/organizationalEntityShareStatistics").respond(
        json={
            "elements": [
                {
                    "totalShareStatistics": {
                        "impressionCount": 100,
                        "uniqueImpressionsCount": 80,
                        "clickCount": 4,
                        "likeCount": 3,
                        "commentCount": 2,
                        "shareCount": 1,
                    }
                }
            ]
        }
    )
    values = li.post_metrics(org_creds(), remote_id="urn:li:share:1").values
    assert values["impressions"] == 100 and values["engagements"] == 10
    assert stats.calls.last.request.url.params["shares[0]"] == "urn:li:share:1"
    with pytest.raises(base.NotSupported):
        li.post_metrics(creds("abc", author_urn="urn:li:person:abc"), remote_id="urn:li:share:1")
    with pytest.raises(base.NotSupported):
        li.revoke(org_creds())


def test_video_post_uploads_parts_finalizes_and_waits(li, respx_mock, tmp_path):
    videos = respx_mock.post(f"{REST}/videos")
    videos.side_effect = [
        httpx.Response(
            200,
            json={
                "value": {
                    "video": "urn:li:video:C5F",
                    "uploadToken": "tok",
                    "uploadInstructions": [
                        {"uploadUrl": "https://www.linkedin.com/dms-uploads/p1", "firstByte": 0, "lastByte": 3},
                        {"uploadUrl": "https://www.linkedin.com/dms-uploads/p2", "firstByte": 4, "lastByte": 5},
                    ],
                }
            },
        ),
        httpx.Response(200),  # finalizeUpload
    ]
    p1 = respx_mock.put("https://www.linkedin.com/dms-uploads/p1").respond(200, headers={"etag": "e1"})
    p2 = respx_mock.put("https://www.linkedin.com/dms-uploads/p2").respond(200, headers={"etag": "e2"})
    status = respx_mock.get(f"{REST}/videos/urn%3Ali%3Avideo%3AC5F")
    status.side_effect = [
        httpx.Response(200, json={"status": "PROCESSING"}),
        httpx.Response(200, json={"status": "AVAILABLE"}),
    ]
    post = respx_mock.post(f"{REST}/posts").respond(201, headers={"x-restli-id": "urn:li:share:3"})
    item = media_file(tmp_path, "v.mp4", b"abcdef", "video/mp4", "video")
    result = li.publish(org_creds(), PublishRequest(correlation_id="c", text="Clip", title="Demo", media=(item,)))
    init_body = httpx.Response(200, content=videos.calls[0].request.content).json()
    assert init_body == {
        "initializeUploadRequest": {"owner": ORG, "fileSizeBytes": 6, "uploadCaptions": False, "uploadThumbnail": False}
    }
    assert (p1.calls.last.request.content, p2.calls.last.request.content) == (b"abcd", b"ef")
    assert httpx.Response(200, content=videos.calls[1].request.content).json() == {
        "finalizeUploadRequest": {"video": "urn:li:video:C5F", "uploadToken": "tok", "uploadedPartIds": ["e1", "e2"]}
    }
    assert status.call_count == 2
    assert sent_json(post)["content"] == {"media": {"id": "urn:li:video:C5F", "title": "Demo"}}
    assert result.remote_id == "urn:li:share:3"
