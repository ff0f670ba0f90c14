"""Routes of the social app: channels, media and short links (the public `/s/<code>` is in social/public_urls.py)."""

from django.urls import re_path

from core.api.routers import ApiRouter
from social.api.views import channels, media, shortlinks

router = ApiRouter()
router.register("channels", channels.ChannelViewSet, basename="channel")
router.register("media", media.MediaViewSet, basename="media")
router.register("shortlinks", shortlinks.ShortLinkViewSet, basename="shortlink")

urlpatterns = [
    re_path(r"^shortlinks/bitly-account/?$", shortlinks.BitlyAccountView.as_view(), name="shortlink-bitly-account"),
    re_path(
        r"^shortlinks/bitly-account/connect/?$", shortlinks.BitlyConnectView.as_view(), name="shortlink-bitly-connect"
    ),
    re_path(
        r"^shortlinks/bitly-account/callback/?$",
        shortlinks.BitlyCallbackView.as_view(),
        name="shortlink-bitly-callback",
    ),
    re_path(
        r"^channels/oauth/callback/(?P<network>[a-z]+)/?$",
        channels.OAuthCallbackView.as_view(),
        name="social-oauth-callback",
    ),
    re_path(
        r"^teams/(?P<team_id>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})/channels/?$",
        channels.TeamChannelsView.as_view(),
        name="team-channels",
    ),
    *router.urls,
]
