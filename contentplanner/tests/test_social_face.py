"""The face of social the publishing pipeline relies on (social.services.publishing): what it builds for the
adapters and when it says a channel cannot publish. The pipeline's own tests cover the network calls."""

from __future__ import annotations

from unittest import mock

from contentplanner.services.validation import ContentDraft, content_errors
from core import tenancy
from social.models import ChannelStatus
from social.services import publishing as social_publishing
from social.tests.factories import ChannelFactory, MediaFactory


def test_publish_blocker_explains_an_unusable_channel(tenant):
    assert social_publishing.publish_blocker(ChannelFactory(tenant=tenant)) is None
    flagged = ChannelFactory(tenant=tenant, name="Acme", status=ChannelStatus.NEEDS_ATTENTION)
    assert social_publishing.publish_blocker(flagged) == (
        "The channel Acme is needsAttention: reconnect or enable it, then retry."
    )
    switched_off = ChannelFactory(tenant=tenant, name="Acme", publishing_enabled=False)
    assert social_publishing.publish_blocker(switched_off) == (
        "The channel Acme is active and publishing is disabled for it: reconnect or enable it, then retry."
    )


def test_media_item_for_a_stored_file_has_its_url_and_local_path(tenant):
    media = MediaFactory(tenant=tenant, alt_text="A red square")
    item = social_publishing.media_item_for(media)
    assert item.url == media.file.url and item.local_path == media.file.path
    assert (item.mime_type, item.kind, item.width, item.height) == ("image/png", "image", 64, 48)
    assert item.size_bytes == media.size_bytes and item.alt_text == "A red square"
    # The post's own alt text wins over the library's.
    assert social_publishing.media_item_for(media, alt_text="Logo").alt_text == "Logo"


def test_media_item_for_remote_storage_leaves_the_fetch_to_the_adapter(tenant):
    media = MediaFactory(tenant=tenant)
    with mock.patch.object(type(media.file), "path", new_callable=mock.PropertyMock, side_effect=NotImplementedError):
        item = social_publishing.media_item_for(media)
    assert item.url == media.file.url and item.local_path == ""


def test_content_rules_of_a_network_without_adapter_check_nothing(tenant):
    assert social_publishing.content_rules("placeholder") is None
    with tenancy.tenant_context(tenant):
        assert content_errors("placeholder", ContentDraft(text="x" * 100_000)) == {}
        assert "text" in content_errors("x", ContentDraft(text="x" * 100_000))
