"""The project's URLs plus /api/v1/webhooks/, which config/urls.py mounts once the branch is merged."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/v1/webhooks/", include("notifications.api.webhook_urls")), *project_urlpatterns]
