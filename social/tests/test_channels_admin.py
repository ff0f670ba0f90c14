import pytest

from core import tenancy
from core.models import AuditLogEntry
from social.models import Channel
from social.tests.factories import ChannelFactory
from tenants.models import User


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("root@hubbub.local", "admin-pass-123"))
    return client


def test_changelist_and_change_page_render_without_tokens(staff_client, tenant, other_tenant):
    mine = ChannelFactory(tenant=tenant, name="Acme Page", access_token="TOPSECRET-AT", refresh_token="TOPSECRET-RT")
    ChannelFactory(tenant=other_tenant, name="Globex Page")
    listing = staff_client.get("/admin/social/channel/", {"network__exact": "sandbox", "q": "Page"})
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Acme Page" in html and "Globex Page" in html
    change = staff_client.get(f"/admin/social/channel/{mine.pk}/change/")
    assert change.status_code == 200
    html = change.content.decode()
    assert "Acme Page" in html and "set (hidden)" in html
    assert "TOPSECRET" not in html


def test_refresh_token_now_action(staff_client, tenant, owner):
    channel = ChannelFactory(tenant=tenant, access_token="old-token", refresh_token="rt")
    broken = ChannelFactory(tenant=tenant, name="Broken", sandbox={"failWith": "NETWORK_DOWN"})
    response = staff_client.post(
        "/admin/social/channel/",
        {"action": "refresh_token_now", "_selected_action": [str(channel.pk), str(broken.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 channel token(s) refreshed." in html and "Broken: NETWORK_DOWN" in html
    with tenancy.tenant_context(tenant):
        assert Channel.objects.get(pk=channel.pk).access_token.startswith("sbx-at-")
        assert Channel.objects.get(pk=broken.pk).access_token == broken.access_token
        assert AuditLogEntry.objects.filter(action="admin.channel.token_refreshed", object_id=str(channel.pk)).exists()


def test_sandbox_publications_admin_renders(staff_client):
    from social.networks.base import ChannelCredentials, PublishRequest
    from social.networks.sandbox import SandboxAdapter

    SandboxAdapter().publish(
        ChannelCredentials(external_id="sbx-1", access_token="t"), PublishRequest(correlation_id="c-1", text="Hi")
    )
    response = staff_client.get("/admin/social/sandboxpublication/")
    assert response.status_code == 200 and "c-1" in response.content.decode()
