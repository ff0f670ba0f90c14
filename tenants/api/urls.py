from django.urls import include, path, re_path

from core.api.routers import ApiRouter
from tenants.api import views

router = ApiRouter()
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")
router.register("audit-log", views.AuditLogViewSet, basename="audit-log")
router.register("tenants", views.SubTenantViewSet, basename="subtenant")
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")
router.register("accounts/linked", views.LinkedAccountViewSet, basename="linked-account")

urlpatterns = [
    path("auth/", include("tenants.api.auth_urls")),
    re_path(r"^me/?$", views.MeView.as_view(), name="me"),
    re_path(r"^tenant/?$", views.TenantView.as_view(), name="tenant"),
    re_path(r"^tenant/theme/?$", views.TenantThemeView.as_view(), name="tenant-theme"),
    re_path(r"^tenant/sso/?$", views.TenantSsoView.as_view(), name="tenant-sso"),
    re_path(r"^tenant/usage/?$", views.TenantUsageView.as_view(), name="tenant-usage"),
    re_path(r"^tenant/mau/?$", views.TenantMauView.as_view(), name="tenant-mau"),
    re_path(r"^tenant/mau/history/?$", views.TenantMauHistoryView.as_view(), name="tenant-mau-history"),
    re_path(r"^plans/?$", views.PlanListView.as_view(), name="plans"),
    *router.urls,
]
