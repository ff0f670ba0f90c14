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


class NetworkNotConfigured(Conflict):
    """409: this installation has no OAuth app for the network; details name the `missingSettings` (environment
    variables) an operator must set."""

    code = "NETWORK_NOT_CONFIGURED"
    message = "This network is not configured on this installation."


class ChannelNeedsAttention(Conflict):
    """409: the network refused the channel's credentials (token expired or revoked, permission missing)."""

    code = "CHANNEL_NEEDS_ATTENTION"
    message = "The network refused this channel's credentials; reconnect the channel."


class LookupNotSupported(Conflict):
    """409: the channel's network offers no such composer picker; details list the ones it has."""

    code = "NOT_SUPPORTED"
    message = "This network offers no such lookup."


class NetworkUnavailable(DomainError):
    """503: the network could not be reached or rate-limited us; try again later."""

    status = 503
    code = "NETWORK_UNAVAILABLE"
    message = "The network is unavailable; try again later."


class ChannelNotInGrant(ValidationFailed):
    """400: a reconnect's grant does not reach the channel being reconnected; details name the `channelId`."""

    code = "CHANNEL_NOT_IN_GRANT"
    message = "The grant does not reach the channel being reconnected."


# --- media library -------------------------------------------------------------------------------------------------
class PayloadTooLarge(DomainError):
    """413: the file is larger than MAX_UPLOAD_BYTES; details carry `maxBytes` (and `sizeBytes` when known)."""

    status = 413
    code = "PAYLOAD_TOO_LARGE"
    message = "The file is too large."


class StorageLimitReached(LimitReached):
    """403: the plan's storage would be exceeded; details carry `limitBytes` and `usedBytes`."""

    code = "STORAGE_LIMIT_REACHED"
    message = "Your plan's storage limit has been reached."


class UnsupportedMediaType(ValidationFailed):
    code = "UNSUPPORTED_MEDIA_TYPE"
    message = "This type of file is not supported."


class UrlImportFailed(ValidationFailed):
    """400: the URL is not allowed (SSRF guard), redirects too often, times out or answers with an error."""

    code = "URL_IMPORT_FAILED"
    message = "The file could not be imported from this URL."


class MediaInUse(Conflict):
    """409: a post (draft, approved, scheduled, published...) uses this media; details carry the `postIds`."""

    code = "MEDIA_IN_USE"
    message = "This media is used by posts; remove it from them first."


# --- short links ---------------------------------------------------------------------------------------------------
class ShortenerNotConfigured(Conflict):
    code = "SHORTENER_NOT_CONFIGURED"
    message = "The shortener mode is OWN but no bit.ly account is connected."


class ShortenerUnavailable(DomainError):
    """503: bit.ly refused or could not be reached; try again later."""

    status = 503
    code = "SHORTENER_UNAVAILABLE"
    message = "bit.ly could not shorten the link; try again later."


# --- network media proxy -------------------------------------------------------------------------------------------
class MediaHostNotAllowed(ValidationFailed):
    """400: the URL is not on the channel's network's media hosts (the proxy fetches nothing else)."""

    code = "MEDIA_HOST_NOT_ALLOWED"
    message = "This URL is not media of the channel's network."


class NetworkMediaExpired(DomainError):
    """410: the network's link has expired (or the media was deleted) and no fresh one could be had; pass
    `mediaId` (the network's id of the media) to fetch a fresh link."""

    status = 410
    code = "NETWORK_MEDIA_EXPIRED"
    message = "The network's link to this media has expired."
