from django.urls import path

from core.api.routers import ApiRouter
from inbox.api import views

router = ApiRouter()
router.register("tickets", views.TicketViewSet, basename="inbox-ticket")
router.register("jobs", views.BulkJobViewSet, basename="inbox-job")
router.register("interactors", views.InteractorViewSet, basename="inbox-interactor")
router.register("rules", views.RuleViewSet, basename="inbox-rule")
router.register("keyword-lists", views.KeywordListViewSet, basename="inbox-keyword-list")
router.register("interactor-lists", views.InteractorListViewSet, basename="inbox-interactor-list")

urlpatterns = [
    path("webhooks/<str:network>", views.InboxWebhookView.as_view(), name="inbox-webhook"),
    *router.urls,
]
