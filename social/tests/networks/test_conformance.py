"""Every real adapter implements the whole protocol; `capabilities` tells the truth about what it offers."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest

from social.networks import base
from social.networks.base import AuthorizeRequest, NetworkAdapter, PublishRequest
from social.networks.http import CAPABILITIES, HttpAdapter
from social.networks.registry import get_adapter
from social.networks.rules import NetworkRules

from .conftest import NETWORKS, creds

# capability -> (method name, a call that exercises it)
CALLS = {
    "oauth": ("authorize_url", lambda a: a.authorize_url(AuthorizeRequest("https://app/cb", "st", "challenge"))),
    "refresh": ("refresh", lambda a: a.refresh(creds())),
    "revoke": ("revoke", lambda a: a.revoke(creds())),
    "first_comment": ("publish_comment", lambda a: a.publish_comment(creds(), remote_id="1", text="x")),
    "delete": ("delete", lambda a: a.delete(creds(), remote_id="1")),
    "find_published": (
        "find_published",
        lambda a: a.find_published(creds(), correlation_id="c", since=datetime.now(UTC), text="x"),
    ),
    "fetch_comments": ("fetch_items", lambda a: a.fetch_items(creds(), kind="comment")),
    "fetch_mentions": ("fetch_items", lambda a: a.fetch_items(creds(), kind="mention")),
    "fetch_messages": ("fetch_items", lambda a: a.fetch_items(creds(), kind="message")),
    "reply": ("reply", lambda a: a.reply(creds(), remote_id="1", text="x")),
    "like": ("like", lambda a: a.like(creds(), remote_id="1")),
    "hide": ("hide", lambda a: a.hide(creds(), remote_id="1")),
    "post_metrics": ("post_metrics", lambda a: a.post_metrics(creds(), remote_id="1")),
    "channel_metrics": ("channel_metrics", lambda a: a.channel_metrics(creds(), day=datetime.now(UTC))),
}


@pytest.mark.parametrize("network", NETWORKS)
def test_adapter_shape(network):
    adapter = get_adapter(network)
    assert adapter.network == network
    assert isinstance(adapter.rules, NetworkRules) and adapter.rules.network == network
    assert adapter.capabilities <= CAPABILITIES
    assert "publish" in adapter.capabilities
    assert adapter.reconcile_reliability
    protocol_methods = {n for n, v in vars(NetworkAdapter).items() if inspect.isfunction(v)}
    assert all(callable(getattr(adapter, m)) for m in protocol_methods)
    assert adapter.uses_pkce is (network in ("x", "tiktok"))


@pytest.mark.parametrize("network", NETWORKS)
def test_declared_capabilities_are_implemented_and_the_rest_refuse_without_calling_out(network, respx_mock):
    adapter = get_adapter(network)
    cls = type(adapter)
    for capability, (method, call) in CALLS.items():
        if capability in adapter.capabilities:
            # implemented by the network module or its OAuth/Graph base, not the refusing default
            assert getattr(cls, method) is not getattr(HttpAdapter, method), (network, capability)
        else:
            with pytest.raises(base.NotSupported):
                call(adapter)
    assert not respx_mock.calls


def test_capabilities_cover_the_brief():
    caps = {n: get_adapter(n).capabilities for n in NETWORKS}
    assert "fetch_comments" not in caps["tiktok"] and "fetch_comments" not in caps["pinterest"]
    assert "revoke" not in caps["facebook"]  # one grant spans every page: never revoke it for one channel
    assert {"hide", "like", "fetch_mentions"} <= caps["x"]
    assert "oauth" not in caps["wordpress"]


def test_wordpress_publish_request_is_validated_before_scheduling():
    issues = get_adapter("wordpress").validate(PublishRequest(correlation_id="c"))
    assert [i.code for i in issues] == ["requireTextLinkImageOrVideo"]
