from django.urls import re_path

from contentplanner.api import analytics_views, read_views, views
from contentplanner.api.publishing_views import PostPublishingViewSet
from core.api.routers import ApiRouter
from core.api.viewsets import UUID_PATTERN

router = ApiRouter()
router.register("post-groups", views.PostGroupViewSet, basename="cp-post-group")
router.register("posts", views.PostViewSet, basename="cp-post")
router.register("campaigns", views.CampaignViewSet, basename="cp-campaign")
router.register("tags", views.TagViewSet, basename="cp-tag")

# Read models and analytics: explicit paths BEFORE the router, so `posts/calendar` is not taken for a post id.
read_model_urls = [
    re_path(r"^posts/calendar/?$", read_views.PostCalendarView.as_view(), name="cp-posts-calendar"),
    re_path(r"^posts/counts/?$", read_views.PostCountsView.as_view(), name="cp-posts-counts"),
    re_path(r"^posts/export/?$", read_views.PostExportView.as_view(), name="cp-posts-export"),
    re_path(
        rf"^posts/(?P<pk>{UUID_PATTERN})/metrics/?$", analytics_views.PostMetricsView.as_view(), name="cp-post-metrics"
    ),
    re_path(r"^analytics/posts/?$", analytics_views.PostAnalyticsView.as_view(), name="cp-analytics-posts"),
    re_path(r"^analytics/channels/?$", analytics_views.ChannelAnalyticsView.as_view(), name="cp-analytics-channels"),
    re_path(r"^analytics/tags/?$", analytics_views.TagAnalyticsView.as_view(), name="cp-analytics-tags"),
    re_path(r"^analytics/campaigns/?$", analytics_views.CampaignAnalyticsView.as_view(), name="cp-analytics-campaigns"),
    re_path(r"^analytics/export/?$", analytics_views.AnalyticsExportView.as_view(), name="cp-analytics-export"),
]

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

urlpatterns = [*read_model_urls, *publishing_urls, *router.urls]
