"""Public content planner routes (mounted at /api/v1/public/): secret links, no credential."""

from django.urls import path

from contentplanner.api import public

urlpatterns = [
    path("approvals/<str:token>", public.PublicApprovalView.as_view(), name="cp-public-approval"),
    path("calendar/<str:token>", public.CalendarFeedView.as_view(), name="cp-public-calendar"),
]
