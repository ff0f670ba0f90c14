"""Social models, one module per subject: channels (and their team links), media library, short links."""

from social.models.channels import (
    Channel,
    ChannelNetwork,
    ChannelProduct,
    ChannelStatus,
    ChannelTokenOwner,
    ConnectGrant,
    OAuthState,
    SandboxFailureCounter,
    SandboxPublication,
    TeamChannel,
)
from social.models.media import Media, MediaKind, MediaTag
from social.models.shortlinks import BitlyAccount, ShortLink, ShortLinkProvider

__all__ = [
    "BitlyAccount",
    "Channel",
    "ChannelNetwork",
    "ChannelProduct",
    "ChannelStatus",
    "ChannelTokenOwner",
    "ConnectGrant",
    "Media",
    "MediaKind",
    "MediaTag",
    "OAuthState",
    "SandboxFailureCounter",
    "SandboxPublication",
    "ShortLink",
    "ShortLinkProvider",
    "TeamChannel",
]
