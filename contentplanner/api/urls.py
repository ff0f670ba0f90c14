from django.urls import re_path

from contentplanner.api.views import planner, posts, reads
from core.api.routers import ApiRouter

router = ApiRouter()
router.register("post-groups", posts.PostGroupViewSet, basename="cp-post-group")
router.register("posts", posts.PostViewSet, basename="cp-post")
router.register("campaigns", posts.CampaignViewSet, basename="cp-campaign")
router.register("tags", posts.TagViewSet, basename="cp-tag")
router.register("calendar-feeds", planner.CalendarFeedViewSet, basename="cp-calendar-feed")
router.register("imports", planner.PostImportViewSet, basename="cp-import")

# Read models and analytics: explicit paths BEFORE the router, so `posts/calendar` is not taken for a post id.
read_model_urls = [
    re_path(r"^posts/calendar/?$", reads.PostCalendarView.as_view(), name="cp-posts-calendar"),
    re_path(r"^posts/counts/?$", reads.PostCountsView.as_view(), name="cp-posts-counts"),
    re_path(r"^posts/export/?$", reads.PostExportView.as_view(), name="cp-posts-export"),
    re_path(r"^analytics/posts/?$", reads.PostAnalyticsView.as_view(), name="cp-analytics-posts"),
    re_path(r"^analytics/channels/?$", reads.ChannelAnalyticsView.as_view(), name="cp-analytics-channels"),
    re_path(
        r"^analytics/channels/export/?$",
        reads.ChannelAnalyticsExportView.as_view(),
        name="cp-analytics-channels-export",
    ),
    re_path(r"^analytics/tags/?$", reads.TagAnalyticsView.as_view(), name="cp-analytics-tags"),
    re_path(r"^analytics/campaigns/?$", reads.CampaignAnalyticsView.as_view(), name="cp-analytics-campaigns"),
    re_path(r"^analytics/export/?$", reads.AnalyticsExportView.as_view(), name="cp-analytics-export"),
    re_path(r"^link-preview/?$", planner.LinkPreviewView.as_view(), name="cp-link-preview"),
]

urlpatterns = [*read_model_urls, *router.urls]
