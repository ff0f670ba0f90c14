"""Campaigns and tags CRUD: validation, unique tag names, detaching on delete, permissions, cross-tenant 404."""

from __future__ import annotations

import pytest

from contentplanner.models import Campaign, Post, Tag
from contentplanner.tests.factories import ChannelFactory, PostFactory
from core import tenancy
from tenants.roles import Role


def test_campaign_crud_and_validation(tenant, owner_client):
    bad = [
        {"name": "C", "color": "FFFFFF"},
        {"name": "C", "color": "12345"},
        {"name": "C", "startsOn": "2030-01-10", "endsOn": "2030-01-01"},
        {"color": "abcdef"},
    ]
    for payload in bad:
        assert owner_client.post("/api/v1/cp/campaigns/", payload, format="json").status_code == 400, payload
    response = owner_client.post(
        "/api/v1/cp/campaigns/",
        {"name": "Spring", "color": "a1b2c3", "startsOn": "2030-03-01", "endsOn": "2030-03-31"},
        format="json",
    )
    assert response.status_code == 201
    cid = response.json()["id"]
    patched = owner_client.patch(f"/api/v1/cp/campaigns/{cid}", {"endsOn": "2030-02-01"}, format="json")
    assert patched.status_code == 400  # merged with the stored start it ends too early
    with tenancy.tenant_context(tenant):
        assert Campaign.objects.get(pk=cid).ends_on.isoformat() == "2030-03-31"


def test_deleting_campaign_and_tag_detaches_posts(tenant, owner, owner_client):
    with tenancy.tenant_context(tenant):
        campaign = Campaign.objects.create(name="C")
        tag = Tag.objects.create(name="T")
    post = PostFactory(channel=ChannelFactory(tenant=tenant), author=owner.user, campaign=campaign)
    post.tags.add(tag)
    assert owner_client.delete(f"/api/v1/cp/campaigns/{campaign.pk}").status_code == 204
    assert owner_client.delete(f"/api/v1/cp/tags/{tag.pk}").status_code == 204
    with tenancy.tenant_context(tenant):
        post = Post.objects.get(pk=post.pk)
        assert post.campaign_id is None and post.tags.count() == 0


def test_tag_names_unique_case_insensitive(tenant, owner_client):
    assert owner_client.post("/api/v1/cp/tags/", {"name": "Launch"}, format="json").status_code == 201
    response = owner_client.post("/api/v1/cp/tags/", {"name": "  launch "}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "TAG_EXISTS"
    with tenancy.tenant_context(tenant):
        assert Tag.objects.count() == 1


def test_same_tag_name_in_other_tenant_is_fine(tenant, other_tenant, owner_client, make_member, api_client_for):
    owner_client.post("/api/v1/cp/tags/", {"name": "Launch"}, format="json")
    other = api_client_for(make_member(other_tenant, Role.OWNER))
    assert other.post("/api/v1/cp/tags/", {"name": "Launch"}, format="json").status_code == 201


def test_cross_tenant_404_and_permissions(tenant, other_tenant, make_member, api_client_for):
    with tenancy.tenant_context(tenant):
        campaign = Campaign.objects.create(name="Mine")
        tag = Tag.objects.create(name="Mine")
    foreign = api_client_for(make_member(other_tenant, Role.OWNER))
    for url in (f"/api/v1/cp/campaigns/{campaign.pk}", f"/api/v1/cp/tags/{tag.pk}"):
        assert foreign.get(url).status_code == 404
        assert foreign.patch(url, {"name": "x"}, format="json").status_code == 404
        assert foreign.delete(url).status_code == 404
    editor = api_client_for(make_member(tenant, Role.EDITOR))
    assert editor.post("/api/v1/cp/campaigns/", {"name": "x"}, format="json").status_code == 403
    assert editor.delete(f"/api/v1/cp/tags/{tag.pk}").status_code == 403
    assert editor.post("/api/v1/cp/tags/", {"name": "Editor tag"}, format="json").status_code == 201
    with tenancy.tenant_context(tenant):
        assert Campaign.objects.get(pk=campaign.pk).name == "Mine" and Tag.objects.filter(name="Mine").exists()


@pytest.mark.django_db
def test_media_in_use_by_any_post_is_reported(tenant, owner):
    from django.core.files.base import ContentFile

    from contentplanner.models import PostMedia, PostState
    from social.models import Media
    from social.services.media import blocking_post_ids

    channel = ChannelFactory(tenant=tenant)
    post = PostFactory(channel=channel, state=PostState.SCHEDULED, author=owner.user)
    draft = PostFactory(channel=channel, state=PostState.DRAFT, author=owner.user)
    with tenancy.tenant_context(tenant):
        media = Media(kind="image", mime_type="image/png", name="a.png", size_bytes=3, sha256="0" * 64)
        media.file.save("a.png", ContentFile(b"png"), save=True)
        PostMedia.objects.create(post=post, media=media, position=0)
        PostMedia.objects.create(post=draft, media=media, position=0)
        # Issue 8: a draft blocks too (its PostMedia row PROTECTs the media; deleting it was a 500).
        assert sorted(blocking_post_ids(media)) == sorted([str(post.pk), str(draft.pk)])
