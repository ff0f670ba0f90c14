from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import health

api_v1 = [
    path("", include("tenants.api.urls")),
    path("", include("social.api.urls")),
    path("cp/", include("contentplanner.api.urls")),
    path("notifications/", include("notifications.api.urls")),
    path("webhooks/", include("notifications.api.webhook_urls")),
    path("inbox/", include("inbox.api.urls")),
    path("community/", include("community.api.urls")),
    path("ads/", include("ads.api.urls")),
    path("public/", include("contentplanner.api.public_urls")),
    path("public/inbox/", include("inbox.api.public_urls")),
    path("analytics/", include("analytics.api.urls")),
    path("public/", include("analytics.api.public_urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("social.public_urls")),
]

handler400 = "core.api.exceptions.bad_request"
handler403 = "core.api.exceptions.permission_denied"
handler404 = "core.api.exceptions.not_found"
handler500 = "core.api.exceptions.server_error"
