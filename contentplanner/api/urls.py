from django.urls import re_path

from contentplanner.api import views
from contentplanner.api.publishing_views import PostPublishingViewSet
from core.api.routers import ApiRouter
from core.api.viewsets import UUID_PATTERN

router = ApiRouter()
router.register("post-groups", views.PostGroupViewSet, basename="cp-post-group")
router.register("posts", views.PostViewSet, basename="cp-post")
router.register("campaigns", views.CampaignViewSet, basename="cp-campaign")
router.register("tags", views.TagViewSet, basename="cp-tag")

publishing_urls = [
    re_path(
        rf"^posts/(?P<pk>{UUID_PATTERN})/publish/?$",
        PostPublishingViewSet.as_view({"post": "publish"}),
        name="cp-post-publish",
    ),
    re_path(
        rf"^posts/(?P<pk>{UUID_PATTERN})/retry/?$",
        PostPublishingViewSet.as_view({"post": "retry"}),
        name="cp-post-retry",
    ),
    re_path(
        rf"^posts/(?P<pk>{UUID_PATTERN})/attempts/?$",
        PostPublishingViewSet.as_view({"get": "attempts"}),
        name="cp-post-attempts",
    ),
]

urlpatterns = [*publishing_urls, *router.urls]
