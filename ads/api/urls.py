from django.urls import path

from ads.api import views
from core.api.routers import ApiRouter

router = ApiRouter()
router.register("accounts", views.AdAccountViewSet, basename="ads-account")
router.register("campaigns", views.CampaignStatusViewSet, basename="ads-campaign")
router.register("ad-sets", views.AdSetStatusViewSet, basename="ads-adset")
router.register("ads", views.AdStatusViewSet, basename="ads-ad")

urlpatterns = [
    path(
        "accounts/oauth/callback/<str:platform>",
        views.OAuthCallbackView.as_view(),
        name="ads-oauth-callback",
    ),
    *router.urls,
]
