"""Custom channels: the integrator's own system behind `config.endpointUrl`, reached by one signed POST per reply.

Nothing is polled (the integrator pushes its items through the public ticket API) and nothing is published; what
an agent answers is delivered as a JSON body the caller has already signed (Standard Webhooks headers). The URL is
checked by the SSRF guard again at send time and the connection is pinned to the checked address; redirects are
not followed. A 2xx says the integrator *accepted* the reply; whether it reached the person is reported back
through the public API.
"""

from __future__ import annotations

from typing import ClassVar

from social.networks.base import ChannelCredentials, ContentRules, NetworkError, NotSupported
from social.networks.http import HttpAdapter, ensure_public_url, pinned_client

# The integrator's system is unknown to us: generous limits, any mix of media (it fetches the URLs it is sent).
RULES = ContentRules(
    max_text_length=10_000,
    max_images=10,
    max_videos=10,
    allows_mixed_media=True,
    requires_text_link_or_media=False,
)


class RedirectRefused(NetworkError):
    """The endpoint answered with a redirect: not followed (it could lead anywhere), the reply was not taken."""

    code = "REDIRECT_REFUSED"


class CustomEndpointAdapter(HttpAdapter):
    network = "custom"
    rules = RULES
    capabilities: ClassVar[frozenset[str]] = frozenset({"reply"})

    def deliver(self, credentials: ChannelCredentials, *, body: bytes, headers: dict[str, str]) -> int:
        """POST `body` with `headers` to the channel's endpoint. Returns the 2xx status; raises the adapter errors
        (not sent -> TemporaryNetworkError, sent without answer -> UnknownOutcome, 4xx/5xx mapped by status)."""
        url = str((credentials.extra or {}).get("endpointUrl") or "")
        if not url:
            raise NotSupported("This custom channel has no endpointUrl to deliver replies to.")
        with pinned_client(ensure_public_url(url)) as client:
            response = self.call("POST", url, client=client, content=body, headers=headers)
        if response.status_code >= 300:
            raise RedirectRefused(
                f"The endpoint redirected to {response.headers.get('location', '?')}: redirects are not followed.",
                status_code=response.status_code,
            )
        return response.status_code
