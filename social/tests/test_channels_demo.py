from core import tenancy
from social.demo import seed_demo
from social.models import Channel, TeamChannel
from social.networks.base import PublishRequest
from social.networks.registry import get_adapter
from social.services.channels import credentials_for


def test_seed_demo_creates_two_sandbox_channels_in_the_default_team_once(tenant, other_tenant, owner):
    first = seed_demo(tenant=tenant, owner=owner.user)
    again = seed_demo(tenant=tenant, owner=owner.user)
    assert [c.pk for c in first] == [c.pk for c in again]
    with tenancy.tenant_context(tenant):
        channels = list(Channel.objects.order_by("name"))
        assert [c.name for c in channels] == ["Sandbox Page", "Sandbox Profile"]
        assert all(c.network == "sandbox" and c.status == "active" for c in channels)
        links = TeamChannel.objects.filter(channel__in=channels).select_related("team")
        assert len(links) == 2 and all(link.team.is_default for link in links)
        # the demo channels can publish to the sandbox
        result = get_adapter("sandbox").publish(
            credentials_for(channels[0]), PublishRequest(correlation_id="demo-1", text="Hello")
        )
        assert result.remote_id
    other = seed_demo(tenant=other_tenant, owner=owner.user)
    assert {c.external_id for c in other}.isdisjoint({c.external_id for c in first})
