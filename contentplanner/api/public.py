"""Public (no credential) content planner routes: the client approval page behind a secret link, and the calendar
feed. Both are rate limited per client IP; the token is the only credential and is never logged in our answers."""

from __future__ import annotations

from django.http import HttpResponse
from django.template import engines
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from contentplanner.api.serializers import planner as p
from contentplanner.services import calendar_feeds, external_approval
from core import tenancy
from core.api.inputs import validated
from core.api.schema import ErrorSerializer
from core.errors import DomainError


class JsonOrPage(BaseContentNegotiation):
    """These views answer JSON through DRF, or a page/ICS file as a plain HttpResponse they build themselves (the
    renderer is never used for those): any Accept header is fine, errors are JSON unless the view renders a page."""

    def select_parser(self, request, parsers):
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PublicLinkThrottle(SimpleRateThrottle):
    """Secret-link pages per client IP: enough for a person, too few to guess tokens."""

    scope = "cp_public_link"
    rate = "60/min"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


PAGE = engines["django"].from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Post approval</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
.post{border:1px solid #ddd;border-radius:8px;padding:1rem;white-space:pre-wrap}.muted{color:#666}
.problem{background:#fff3f3;border:1px solid #e99;padding:1rem;border-radius:8px}
textarea{width:100%;min-height:5rem}button{padding:.5rem 1rem;margin-right:.5rem}img{max-width:100%}</style>
</head><body>
{% if problem %}<div class="problem"><h1>{{ problem_title }}</h1><p>{{ problem_message }}</p>
<p class="muted">Code: {{ problem }}</p></div>{% endif %}
{% if preview %}<h1>{{ preview.workspace }} asks you to approve a post</h1>
{% if preview.message %}<p>{{ preview.message }}</p>{% endif %}
<p class="muted">{{ preview.channel_name }} ({{ preview.network }}, {{ preview.post_type }}){% if preview.publish_at %}
 &middot; planned for {{ preview.publish_at|date:"Y-m-d H:i" }} UTC{% endif %}</p>
<div class="post">{% if preview.title %}<strong>{{ preview.title }}</strong>
{% endif %}{{ preview.text }}{% if preview.link_url %}
{{ preview.link_url }}{% endif %}</div>
{% for item in preview.media %}<p><img src="{{ item.url }}" alt="{{ item.alt_text }}"></p>{% endfor %}
{% if preview.first_comment %}<p class="muted">First comment: {{ preview.first_comment }}</p>{% endif %}
{% if preview.usable %}<form method="post"><p><label>Comment (required to reject)<br>
<textarea name="comment" maxlength="5000"></textarea></label></p>
<button name="decision" value="approve">Approve</button><button name="decision" value="reject">Reject</button>
</form><p class="muted">This link works once and expires {{ preview.expires_at|date:"Y-m-d H:i" }} UTC.</p>
{% endif %}{% endif %}
{% if done %}<h1>Thank you</h1><p>Your decision ({{ done }}) was recorded and the team was told.</p>{% endif %}
</body></html>"""
)

TITLES = {
    "APPROVAL_LINK_USED": "This link was already used",
    "APPROVAL_LINK_EXPIRED": "This link has expired",
    "APPROVAL_LINK_OUTDATED": "The post has changed",
    "APPROVAL_CLOSED": "This post no longer needs your approval",
    "APPROVAL_LINK_INVALID": "This link is not valid",
}


def wants_html(request) -> bool:
    if request.query_params.get("format") == "html" or request.content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return True
    accept = request.META.get("HTTP_ACCEPT", "")
    return "text/html" in accept and "application/json" not in accept


def html(context: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(PAGE.render(context), status=status, content_type="text/html; charset=utf-8")
    _private(response)
    return response


def _private(response) -> None:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to the media host's logs
    response["X-Robots-Tag"] = "noindex"


def problem_page(exc: DomainError) -> HttpResponse:
    return html(
        {
            "problem": exc.code,
            "problem_title": TITLES.get(exc.code, "This link cannot be used"),
            "problem_message": exc.message,
        },
        status=exc.status,
    )


class PublicApprovalView(APIView):
    """A client's view of one post behind a secret approval link, and their decision."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicLinkThrottle]
    content_negotiation_class = JsonOrPage

    @extend_schema(
        operation_id="public_approvals_retrieve",
        responses={
            200: p.PublicApprovalOutput,
            404: OpenApiResponse(ErrorSerializer, description="APPROVAL_LINK_INVALID"),
        },
        description="The post preview for a client approval link (JSON; a small HTML page for browsers or with "
        "`?format=html`). A used, expired or outdated link still shows the preview with `usable: false` and "
        "`problem` naming why.",
    )
    def get(self, request, token: str):
        try:
            opened = external_approval.open_link(token)
        except DomainError as exc:
            if wants_html(request):
                return problem_page(exc)
            raise
        with tenancy.tenant_context(opened.link.tenant):
            preview = external_approval.preview(opened)
        if wants_html(request):
            context = {"preview": preview}
            if preview["problem"]:
                context.update(problem=preview["problem"], problem_title=TITLES.get(preview["problem"], ""))
                context["problem_message"] = preview["problem_message"]
            return html(context)
        response = Response(p.PublicApprovalOutput(preview).data)
        _private(response)
        return response

    @extend_schema(
        operation_id="public_approvals_decide",
        request=p.PublicDecisionInput,
        responses={
            200: p.ExternalApprovalOutput,
            400: OpenApiResponse(ErrorSerializer, description="VALIDATION_ERROR (a reject needs a comment)"),
            404: OpenApiResponse(ErrorSerializer, description="APPROVAL_LINK_INVALID"),
            409: OpenApiResponse(ErrorSerializer, description="APPROVAL_CLOSED"),
            410: OpenApiResponse(
                ErrorSerializer, description="APPROVAL_LINK_USED, APPROVAL_LINK_EXPIRED or APPROVAL_LINK_OUTDATED"
            ),
        },
        description="Approve or reject (a comment is required to reject). The link works once.",
    )
    def post(self, request, token: str):
        as_html = wants_html(request)
        try:
            data = validated(p.PublicDecisionInput, request)
            link = external_approval.decide(token, decision=data["decision"], comment=data["comment"])
        except DomainError as exc:
            if as_html:
                return problem_page(exc)
            raise
        if as_html:
            return html({"done": "approved" if data["decision"] == "approve" else "rejected"})
        response = Response(p.ExternalApprovalOutput(link).data)
        _private(response)
        return response


class CalendarFeedView(APIView):
    """The ICS calendar behind a secret feed URL."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicLinkThrottle]
    content_negotiation_class = JsonOrPage

    @extend_schema(
        operation_id="public_calendar_feed",
        responses={
            (200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="iCalendar (RFC 5545)"),
            404: OpenApiResponse(ErrorSerializer, description="CALENDAR_FEED_INVALID (unknown or revoked)"),
        },
        description="Scheduled and published posts (the last 90 days and the next 365) of the feed's member or "
        "team, as an iCalendar file for calendar apps.",
    )
    def get(self, request, token: str):
        body = calendar_feeds.render_feed(token, now=timezone.now())
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        _private(response)
        return response
