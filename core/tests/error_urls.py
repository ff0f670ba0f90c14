"""URLs for the error-format tests: the real ones plus a view that crashes."""

from django.urls import path

from config.urls import urlpatterns as real_urlpatterns


def crash(request):
    raise RuntimeError("boom: internal detail that must not leak")


urlpatterns = [path("__crash__", crash), *real_urlpatterns]

handler404 = "core.api.exceptions.not_found"
handler500 = "core.api.exceptions.server_error"
