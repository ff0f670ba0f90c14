"""The public ticket API of custom channels (mounted at /api/v1/public/inbox/; channel token auth)."""

from django.urls import path

from inbox.api import public

urlpatterns = [
    path("tickets", public.PublicTicketsView.as_view(), name="inbox-public-tickets"),
    path("tickets/<uuid:ticket_id>", public.PublicTicketView.as_view(), name="inbox-public-ticket"),
    path(
        "tickets/<uuid:ticket_id>/replies/<uuid:reply_id>/success",
        public.PublicReplySuccessView.as_view(),
        name="inbox-public-reply-success",
    ),
]
