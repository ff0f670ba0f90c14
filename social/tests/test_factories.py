"""The factories build rows the production code accepts: a default channel publishes, media match their bytes."""

import hashlib

import pytest

from core import tenancy
from social import media_probe
from social.models import Channel, ChannelStatus, TeamChannel
from social.networks.base import AuthExpired, PublishRequest
from social.networks.sandbox import SandboxAdapter
from social.services.channels import credentials_for
from social.tests.factories import ChannelFactory, MediaFactory, ShortLinkFactory, TeamChannelFactory, TeamFactory


def test_default_channel_is_an_active_sandbox_channel_that_can_publish(tenant):
    channel = ChannelFactory(tenant=tenant)
    assert (channel.network, channel.status, channel.tenant_id) == ("sandbox", ChannelStatus.ACTIVE, tenant.pk)
    result = SandboxAdapter().publish(credentials_for(channel), PublishRequest(correlation_id="c-1", text="Hi"))
    assert result.remote_id


def test_injected_sandbox_failure_reaches_the_adapter(tenant):
    channel = ChannelFactory(tenant=tenant, sandbox={"failWith": "AUTH_EXPIRED"})
    with pytest.raises(AuthExpired):
        SandboxAdapter().publish(credentials_for(channel), PublishRequest(correlation_id="c-2", text="Hi"))


def test_placeholder_and_custom_channels_have_no_tokens(tenant):
    for channel in (ChannelFactory(tenant=tenant, placeholder=True), ChannelFactory(tenant=tenant, custom=True)):
        assert channel.network in {"placeholder", "custom"}
        assert channel.access_token == "" and channel.token_expires_at is None


def test_team_links_are_created_in_the_channels_tenant(tenant):
    team = TeamFactory(tenant=tenant)
    channel = ChannelFactory(tenant=tenant, teams=[team])
    link = TeamChannelFactory(tenant=tenant)
    with tenancy.tenant_context(tenant):
        assert set(TeamChannel.objects.values_list("team_id", "channel_id")) == {
            (team.pk, channel.pk),
            (link.team_id, link.channel_id),
        }
        assert Channel.objects.count() == 2


def test_media_row_matches_its_stored_file(tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    media = MediaFactory(tenant=tenant)
    with media.file.open("rb") as handle:
        content = handle.read()
        probe = media_probe.probe(handle)
    assert (media.size_bytes, media.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert (probe.kind, probe.mime_type, probe.width, probe.height) == ("image", media.mime_type, 64, 48)


def test_short_link_codes_are_unique(tenant):
    assert ShortLinkFactory(tenant=tenant).code != ShortLinkFactory(tenant=tenant).code
