from django.urls import path

from community.api import views
from core.api.routers import ApiRouter
from core.api.viewsets import UUID_PATTERN

router = ApiRouter()
router.register("roles", views.RoleViewSet, basename="community-role")
router.register("members", views.MemberViewSet, basename="community-member")
router.register("boards", views.BoardViewSet, basename="community-board")
router.register("posts", views.PostViewSet, basename="community-post")
router.register(
    rf"posts/(?P<post_pk>{UUID_PATTERN})/comments", views.PostCommentViewSet, basename="community-post-comment"
)
router.register("comments", views.CommentViewSet, basename="community-comment")
router.register(
    rf"comments/(?P<comment_pk>{UUID_PATTERN})/replies", views.CommentReplyViewSet, basename="community-comment-reply"
)
router.register("replies", views.ReplyViewSet, basename="community-reply")
router.register("tags", views.TagViewSet, basename="community-tag")
router.register("reports", views.ReportViewSet, basename="community-report")

urlpatterns = [
    path("settings", views.SettingsView.as_view(), name="community-settings"),
    path("auth/token", views.MemberTokenView.as_view(), name="community-auth-token"),
    *router.urls,
]
