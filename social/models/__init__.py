"""Social models, one module per subject: channels (and their team links), media library, short links."""

from social.models.channels import (
    Channel,
    ChannelNetwork,
    ChannelProduct,
    ChannelStatus,
    OAuthState,
    SandboxFailureCounter,
    SandboxPublication,
    TeamChannel,
)

__all__ = [
    "Channel",
    "ChannelNetwork",
    "ChannelProduct",
    "ChannelStatus",
    "OAuthState",
    "SandboxFailureCounter",
    "SandboxPublication",
    "TeamChannel",
]
