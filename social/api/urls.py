"""Routes of the social app. Shared by the channel and the media/short-link views: one line per registration."""

from django.urls import path, re_path

from core.api.routers import ApiRouter
from social.api import views
from social.api.media_views import MediaViewSet
from social.api.shortlink_views import BitlyAccountView, ShortLinkViewSet

router = ApiRouter()
router.register("channels", views.ChannelViewSet, basename="channel")
router.register("media", MediaViewSet, basename="media")
router.register("shortlinks", ShortLinkViewSet, basename="shortlink")

urlpatterns = [
    re_path(r"^shortlinks/bitly-account/?$", BitlyAccountView.as_view(), name="shortlink-bitly-account"),
    re_path(
        r"^channels/oauth/callback/(?P<network>[a-z]+)/?$",
        views.OAuthCallbackView.as_view(),
        name="social-oauth-callback",
    ),
    path("teams/<uuid:team_id>/channels", views.TeamChannelsView.as_view(), name="team-channels"),
    *router.urls,
]
