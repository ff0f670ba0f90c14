"""Domain errors of the social app, with stable codes (documented in the API schema descriptions)."""

from __future__ import annotations

from core.errors import Conflict, DomainError, LimitReached, ValidationFailed


class ChannelLimitReached(LimitReached):
    """403 LIMIT_REACHED: the plan's channel limit would be passed."""

    message = "Your plan's channel limit has been reached."


class OAuthStateInvalid(DomainError):
    """400: the `state` of an OAuth callback is unsigned, tampered, expired, replayed or for another network."""

    status = 400
    code = "OAUTH_STATE_INVALID"
    message = "The connect request is invalid or has expired; start connecting again."


class OAuthStateExpired(OAuthStateInvalid):
    code = "OAUTH_STATE_EXPIRED"
    message = "The connect request has expired; start connecting again."


class OAuthStateReplayed(OAuthStateInvalid):
    code = "OAUTH_STATE_USED"
    message = "This connect request was already used; start connecting again."


class OAuthNetworkMismatch(OAuthStateInvalid):
    code = "OAUTH_NETWORK_MISMATCH"
    message = "The connect request was made for another network."


class NetworkNotConnectable(ValidationFailed):
    code = "NETWORK_NOT_CONNECTABLE"
    message = "This network is not connected with OAuth."


class ChannelNeedsAttention(Conflict):
    """409: the network refused the channel's credentials (token expired or revoked, permission missing)."""

    code = "CHANNEL_NEEDS_ATTENTION"
    message = "The network refused this channel's credentials; reconnect the channel."


class NetworkUnavailable(DomainError):
    """503: the network could not be reached or rate-limited us; try again later."""

    status = 503
    code = "NETWORK_UNAVAILABLE"
    message = "The network is unavailable; try again later."
