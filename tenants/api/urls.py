from django.urls import include, path

from core.api.routers import ApiRouter
from tenants.api import views

router = ApiRouter()
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")
router.register("audit-log", views.AuditLogViewSet, basename="audit-log")

urlpatterns = [
    path("auth/", include("tenants.api.auth_urls")),
    *router.urls,
]
