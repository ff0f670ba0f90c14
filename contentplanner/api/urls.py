from django.urls import re_path

from contentplanner.api import read_views, views
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
    re_path(rf"^posts/(?P<pk>{UUID_PATTERN})/metrics/?$", read_views.PostMetricsView.as_view(), name="cp-post-metrics"),
    re_path(r"^analytics/posts/?$", read_views.PostAnalyticsView.as_view(), name="cp-analytics-posts"),
    re_path(r"^analytics/channels/?$", read_views.ChannelAnalyticsView.as_view(), name="cp-analytics-channels"),
    re_path(r"^analytics/tags/?$", read_views.TagAnalyticsView.as_view(), name="cp-analytics-tags"),
    re_path(r"^analytics/campaigns/?$", read_views.CampaignAnalyticsView.as_view(), name="cp-analytics-campaigns"),
    re_path(r"^analytics/export/?$", read_views.AnalyticsExportView.as_view(), name="cp-analytics-export"),
]

urlpatterns = [*read_model_urls, *router.urls]
