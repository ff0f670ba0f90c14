"""Operator console of the social app: each subject keeps its admin classes in its own module."""

from social import (
    admin_channels,  # noqa: F401  (registers Channel, OAuthState, SandboxPublication)
    admin_media,  # noqa: F401  (registers Media, ShortLink, BitlyAccount)
)
