"""Public routes of the social app (no credential): the short-link redirect `/s/<code>`."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from core.api.exceptions import error_response
from social.services.shortlinks import peek_target, record_click


@csrf_exempt  # no cookie credential is involved: other methods get the 405 below, not a CSRF page
def short_link_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """302 to the link's target, counting the click (GET only: HEAD probes are not clicks); 404 if unknown."""
    if request.method not in ("GET", "HEAD"):
        response = error_response(request, status=405, code="METHOD_NOT_ALLOWED", message="Method not allowed.")
        response["Allow"] = "GET, HEAD"
        return response
    target = record_click(code) if request.method == "GET" else peek_target(code)
    if target is None:
        return error_response(request, status=404, code="NOT_FOUND", message="This short link does not exist.")
    response = HttpResponseRedirect(target)
    # Every visit must reach us to be counted: no shared or browser caching of the redirect.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response


urlpatterns = [path("s/<str:code>", short_link_redirect, name="short-link-redirect")]
