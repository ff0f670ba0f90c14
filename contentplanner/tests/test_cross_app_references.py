"""References between the planner and the social app answer 4xx, never 500, and never cross tenants (issue 8)."""

import pytest

from contentplanner.models import PostMedia, PostState
from contentplanner.tests.factories import PostFactory
from core import tenancy
from social.models import Media, ShortLink
from social.tests.factories import ChannelFactory, MediaFactory

SHORTLINKS = "/api/v1/shortlinks/"
MEDIA = "/api/v1/media/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = "https://hb.example.com"


def test_shortlink_post_id_must_be_a_post_of_this_tenant(owner_client, owner, tenant, other_tenant):
    ours = PostFactory(channel=ChannelFactory(tenant=tenant), author=owner.user)
    theirs = PostFactory(channel=ChannelFactory(tenant=other_tenant))
    missing = "6f1c1d1e-0000-4000-8000-000000000001"
    for post_id in (str(theirs.pk), missing):
        response = owner_client.post(SHORTLINKS, {"url": "https://example.com/a", "postId": post_id}, format="json")
        assert response.status_code == 400, response.json()
        assert response.json()["error"]["details"]["postId"] == [f"Unknown post: {post_id}."]
    with tenancy.tenant_context(tenant):
        assert not ShortLink.objects.exists()
    response = owner_client.post(SHORTLINKS, {"url": "https://example.com/a", "postId": str(ours.pk)}, format="json")
    assert response.status_code == 201 and response.json()["postId"] == str(ours.pk)


@pytest.mark.parametrize("state", [PostState.DRAFT, PostState.APPROVED, PostState.PUBLISHED])
def test_deleting_media_a_post_uses_is_409_media_in_use(owner_client, owner, tenant, state):
    post = PostFactory(channel=ChannelFactory(tenant=tenant), author=owner.user, state=state)
    with tenancy.tenant_context(tenant):
        media = MediaFactory(tenant=tenant)
        PostMedia.objects.create(post=post, media=media, position=0)
    response = owner_client.delete(f"{MEDIA}{media.pk}")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["error"]["code"] == "MEDIA_IN_USE" and body["error"]["details"]["postIds"] == [str(post.pk)]
    with tenancy.tenant_context(tenant):
        assert Media.objects.filter(pk=media.pk).exists()
