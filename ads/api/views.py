"""Ads endpoints. Thin: inputs parsed here, rules (including the per-account permission) in ads.services, reads in
ads.selectors. Route permissions: reads `ads.read`, writes `ads.write`, connecting `ads.account.manage`; the
per-account level (VIEWER < ANALYST < MANAGER < ADMIN) is checked by the services on every route."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ads import selectors
from ads.api import serializers as s
from ads.models import AdAccount, AdPermissionLevel
from ads.services import accounts as account_services
from ads.services import connect as connect_services
from ads.services import creation, insights, leads, targeting
from ads.services.access import require
from core.api.inputs import validated
from core.api.schema import ErrorSerializer
from core.api.viewsets import TenantViewSet
from core.errors import NotFound, ValidationFailed
from tenants import selectors as tenant_selectors

READ, WRITE, CONNECT = "ads.read", "ads.write", "ads.account.manage"

PLATFORM_ERRORS = {
    409: OpenApiResponse(ErrorSerializer, description="`AD_ACCOUNT_NEEDS_RECONNECT`: the grant expired."),
    502: OpenApiResponse(ErrorSerializer, description="`PLATFORM_OUTCOME_UNKNOWN`: sent, no answer."),
    503: OpenApiResponse(ErrorSerializer, description="`PLATFORM_UNAVAILABLE`."),
}
MIRROR_PARAMS = [
    OpenApiParameter("ids", OpenApiTypes.STR, description="Platform ids, comma-separated."),
    OpenApiParameter("campaignIds", OpenApiTypes.STR, description="Comma-separated campaign ids."),
    OpenApiParameter("adSetIds", OpenApiTypes.STR, description="Comma-separated ad set ids."),
    OpenApiParameter("status", OpenApiTypes.STR, description="ACTIVE, PAUSED, ARCHIVED, DELETED (comma-separated)."),
    OpenApiParameter("fields", OpenApiTypes.STR, description="Only these fields (comma-separated; `id` always)."),
    OpenApiParameter("page", OpenApiTypes.INT),
    OpenApiParameter("pageSize", OpenApiTypes.INT),
]


class AdAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Ad accounts the caller may see: all for tenant admins and API keys, else those granted to them."""

    serializer_class = s.AdAccountOutput
    required_permissions = {
        "list": READ,
        "retrieve": READ,
        "connect": CONNECT,
        "mirror_campaigns": READ,
        "ad_sets": READ,
        "mirror_ads": READ,
        "creatives": READ,
        "insights": READ,
        "lead_forms": READ,
        "form_leads": READ,
        "targeting_search": READ,
        "permissions": READ,
        "*": WRITE,
    }
    idempotent_actions = {"connect", "mirror_campaigns", "boost", "lead_forms"}

    def scope_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no principal
            return selectors.accounts()
        return selectors.accounts_visible_to(self.principal)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "principal": getattr(self.request, "auth", None)}

    def perform_content_negotiation(self, request, force=False):
        # `?format=csv` on the leads route is our export switch, not DRF's renderer override: never 404 on it.
        return super().perform_content_negotiation(request, force=force or self.action == "form_leads")

    def _account(self, level: str = AdPermissionLevel.VIEWER) -> AdAccount:
        account = self.get_object()
        require(self.principal, account, level)
        return account

    def _page(self, queryset, serializer_class, **context):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True, context=context).data)

    @extend_schema(request=s.AdAccountUpdateInput, responses={200: s.AdAccountOutput})
    def partial_update(self, request, pk=None):
        account = self._account(AdPermissionLevel.ADMIN)
        values = validated(s.AdAccountUpdateInput, request)
        team = None
        if values.get("team_id"):
            team = tenant_selectors.teams().filter(pk=values["team_id"]).first()
            if team is None:
                raise ValidationFailed(details={"teamId": [f"Unknown team: {values['team_id']}."]})
        account = account_services.update_account(
            account,
            actor=self.principal,
            name=values.get("name"),
            team=team,
            clear_team="team_id" in values and values["team_id"] is None,
        )
        return Response(s.AdAccountOutput(account, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: s.AdAccountRemovalOutput})
    def destroy(self, request, pk=None):
        """Remove the account and its connection data here (nothing changes at the platform)."""
        removal = account_services.remove_account(self.get_object(), actor=self.principal)
        return Response(s.AdAccountRemovalOutput(removal).data)

    @extend_schema(request=s.AdsConnectInput, responses={201: s.AdsConnectOutput})
    @action(detail=False, methods=["post"])
    def connect(self, request):
        """Start connecting an ad platform (`meta`, or the offline `sandbox`): the authorize URL with our signed,
        single-use, 10-minute state. The platform sends the browser to the OAuth callback."""
        values = validated(s.AdsConnectInput, request)
        team = None
        if values.get("team_id"):
            team = tenant_selectors.teams().filter(pk=values["team_id"]).first()
            if team is None:
                raise ValidationFailed(details={"teamId": [f"Unknown team: {values['team_id']}."]})
        start = connect_services.start_connect(
            actor=self.principal, platform_name=values["platform"], redirect_uri=values["redirect_uri"], team=team
        )
        return Response(s.AdsConnectOutput(start).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AdSyncInput, responses={202: s.AdSyncQueuedOutput})
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Queue a sync now (MANAGER). While the platform's rate limit pauses the account, the sync waits."""
        account = self._account(AdPermissionLevel.MANAGER)
        values = validated(s.AdSyncInput, request)
        account_services.request_sync(account, actor=self.principal, full=values["full"])
        return Response(
            {"queued": True, "sync_paused_until": account.sync_paused_until}, status=status.HTTP_202_ACCEPTED
        )

    # --- permissions ---
    @extend_schema(responses={200: s.AdPermissionOutput(many=True)})
    @action(detail=True, methods=["get"])
    def permissions(self, request, pk=None):
        account = self._account(AdPermissionLevel.ADMIN)
        return Response(s.AdPermissionOutput(selectors.account_permissions(account), many=True).data)

    @extend_schema(methods=["PUT"], request=s.AdPermissionInput, responses={200: s.AdPermissionOutput})
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["put", "delete"], url_path=r"permissions/(?P<user_id>[0-9a-fA-F-]{32,36})")
    def permission(self, request, pk=None, user_id=None):
        """Grant or change (PUT) or revoke (DELETE) one member's permission on this account (ADMIN)."""
        account = self._account(AdPermissionLevel.ADMIN)
        if request.method == "DELETE":
            account_services.revoke_permission(
                account, actor=self.principal, user=account_services.member_user(user_id)
            )
            return Response(status=status.HTTP_204_NO_CONTENT)
        values = validated(s.AdPermissionInput, request)
        require(self.principal, account, AdPermissionLevel.ADMIN)
        grant = account_services.grant_permission(
            account, actor=self.principal, user=account_services.member_user(user_id), permission=values["permission"]
        )
        return Response(s.AdPermissionOutput(grant).data)

    # --- mirror ---
    def _mirror_query(self, request) -> dict:
        return validated(s.AdMirrorQueryInput, request, source="query")

    @extend_schema(methods=["GET"], parameters=MIRROR_PARAMS, responses={200: s.AdCampaignOutput(many=True)})
    @extend_schema(
        methods=["POST"],
        request=s.AdCampaignCreateInput,
        responses={201: s.AdCreatedOutput, 429: OpenApiResponse(ErrorSerializer), **PLATFORM_ERRORS},
    )
    @action(detail=True, methods=["get", "post"], url_path="campaigns")
    def mirror_campaigns(self, request, pk=None):
        """GET: the synced campaigns. POST: create per objective (`traffic`, `sales`, `awareness`, `engagement`)
        campaign, ad set, creative and ad in one call; a failing step deletes what was created before it at the
        platform and answers `AD_CREATION_FAILED` with the details."""
        if request.method == "POST":
            account = self._account(AdPermissionLevel.MANAGER)
            values = validated(s.AdCampaignCreateInput, request)
            created = creation.create_campaign(account, actor=self.principal, spec=values)
            return Response(s.AdCreatedOutput(created).data, status=status.HTTP_201_CREATED)
        account = self._account()
        q = self._mirror_query(request)
        queryset = selectors.campaigns(account, ids=q.get("ids"), statuses=q.get("status"))
        return self._page(queryset.select_related("ad_account"), s.AdCampaignOutput, fields=q.get("fields"))

    @extend_schema(parameters=MIRROR_PARAMS, responses={200: s.AdSetOutput(many=True)})
    @action(detail=True, methods=["get"], url_path="ad-sets")
    def ad_sets(self, request, pk=None):
        account = self._account()
        q = self._mirror_query(request)
        queryset = selectors.ad_sets(
            account, ids=q.get("ids"), campaign_ids=q.get("campaign_ids"), statuses=q.get("status")
        )
        return self._page(queryset.select_related("ad_account"), s.AdSetOutput, fields=q.get("fields"))

    @extend_schema(parameters=MIRROR_PARAMS, responses={200: s.AdOutput(many=True)})
    @action(detail=True, methods=["get"], url_path="ads")
    def mirror_ads(self, request, pk=None):
        account = self._account()
        q = self._mirror_query(request)
        queryset = selectors.ads(
            account,
            ids=q.get("ids"),
            campaign_ids=q.get("campaign_ids"),
            ad_set_ids=q.get("ad_set_ids"),
            statuses=q.get("status"),
        )
        return self._page(queryset, s.AdOutput, fields=q.get("fields"))

    @extend_schema(parameters=MIRROR_PARAMS, responses={200: s.AdCreativeOutput(many=True)})
    @action(detail=True, methods=["get"])
    def creatives(self, request, pk=None):
        account = self._account()
        q = self._mirror_query(request)
        queryset = selectors.creatives(
            account, ids=q.get("ids"), campaign_ids=q.get("campaign_ids"), ad_set_ids=q.get("ad_set_ids")
        )
        return self._page(queryset, s.AdCreativeOutput, fields=q.get("fields"))

    @extend_schema(
        request=s.AdBoostInput,
        responses={201: s.AdCreatedOutput, 429: OpenApiResponse(ErrorSerializer), **PLATFORM_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def boost(self, request, pk=None):
        """Promote a published post (`postId` of a Hubbub post, or `remotePostId` + `pageId`) for `days` days."""
        account = self._account(AdPermissionLevel.MANAGER)
        values = validated(s.AdBoostInput, request)
        created = creation.boost_post(account, actor=self.principal, spec=values)
        return Response(s.AdCreatedOutput(created).data, status=status.HTTP_201_CREATED)

    # --- insights ---
    @extend_schema(
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, enum=["account", "campaign", "adset", "ad"]),
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter(
                "breakdown",
                OpenApiTypes.STR,
                enum=["age", "gender", "country", "publisher_platform", "impression_device"],
            ),
            OpenApiParameter("metrics", OpenApiTypes.STR, description="Comma-separated; default all."),
            OpenApiParameter("ids", OpenApiTypes.STR, description="Object ids at the level, comma-separated."),
        ],
        responses={200: s.AdInsightsOutput, 429: OpenApiResponse(ErrorSerializer), **PLATFORM_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def insights(self, request, pk=None):
        """Daily rows and totals. `source` says whether they came from the stored rows or live from the
        platform (levels/breakdowns or dates not stored)."""
        account = self.get_object()
        q = validated(s.AdInsightsQueryInput, request, source="query")
        result = insights.query_insights(
            account,
            actor=self.principal,
            level=q["level"],
            since=q["from"],
            until=q["to"],
            breakdown=q.get("breakdown") or "",
            metrics=tuple(q.get("metrics") or insights.METRICS),
            ids=q.get("ids"),
        )
        return Response(s.AdInsightsOutput(result).data)

    # --- lead forms ---
    @extend_schema(methods=["GET"], responses={200: s.LeadFormOutput(many=True)})
    @extend_schema(
        methods=["POST"], request=s.LeadFormCreateInput, responses={201: s.LeadFormOutput, **PLATFORM_ERRORS}
    )
    @action(detail=True, methods=["get", "post"], url_path="lead-forms")
    def lead_forms(self, request, pk=None):
        if request.method == "POST":
            account = self._account(AdPermissionLevel.MANAGER)
            values = validated(s.LeadFormCreateInput, request)
            form = leads.create_lead_form(account, actor=self.principal, spec=values)
            return Response(s.LeadFormOutput(form).data, status=status.HTTP_201_CREATED)
        account = self._account()
        return self._page(selectors.lead_forms(account), s.LeadFormOutput)

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"])],
        responses={200: s.LeadOutput(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"], url_path=r"lead-forms/(?P<form_id>[0-9a-fA-F-]{32,36})/leads")
    def form_leads(self, request, pk=None, form_id=None):
        """The synced leads of a form (ANALYST: leads are personal data); `format=csv` downloads them all."""
        account = self._account(AdPermissionLevel.ANALYST)
        form = selectors.lead_forms(account).filter(pk=form_id).first()
        if form is None:
            raise NotFound()
        q = validated(s.AdLeadsQueryInput, request, source="query")
        if q["format"] == "csv":
            response = HttpResponse(leads.leads_csv(form, actor=self.principal), content_type="text/csv")
            response["Content-Disposition"] = f'attachment; filename="leads-{form.remote_id}.csv"'
            return response
        return self._page(selectors.leads(form), s.LeadOutput)

    # --- targeting ---
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "type",
                OpenApiTypes.STR,
                required=True,
                enum=["location", "interest", "behavior", "demographic", "locale"],
            ),
            OpenApiParameter("query", OpenApiTypes.STR, required=True),
        ],
        responses={200: s.AdTargetingSearchOutput, 429: OpenApiResponse(ErrorSerializer), **PLATFORM_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="targeting/search")
    def targeting_search(self, request, pk=None):
        account = self.get_object()
        q = validated(s.AdTargetingSearchInput, request, source="query")
        results, cached = targeting.search(account, actor=self.principal, kind=q["type"], query=q["query"])
        return Response(s.AdTargetingSearchOutput({"results": results, "cached": cached}).data)


class MirrorStatusViewSet(TenantViewSet):
    """POST /ads/{campaigns,ad-sets,ads}/{id}/status: ACTIVE or PAUSED at the platform, then the mirror."""

    kind = ""
    required_permissions = {"*": WRITE}
    idempotent_actions = {"status"}

    def scope_queryset(self):
        model = creation.MODELS[self.kind]
        return (
            model.objects.filter(ad_account__in=selectors.accounts_visible_to(self.principal))
            .select_related("ad_account__connection")
            .order_by("id")
        )

    @extend_schema(
        request=s.AdStatusInput,
        responses={200: s.AdStatusOutput, 429: OpenApiResponse(ErrorSerializer), **PLATFORM_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        obj = self.get_object()
        obj.ad_account = selectors.accounts_visible_to(self.principal).get(pk=obj.ad_account_id)
        require(self.principal, obj.ad_account, AdPermissionLevel.MANAGER)
        values = validated(s.AdStatusInput, request)
        obj = creation.change_status(obj, actor=self.principal, status=values["status"])
        return Response(s.AdStatusOutput(obj).data)


class CampaignStatusViewSet(MirrorStatusViewSet):
    kind = "campaign"


class AdSetStatusViewSet(MirrorStatusViewSet):
    kind = "adset"


class AdStatusViewSet(MirrorStatusViewSet):
    kind = "ad"


class OAuthCallbackView(APIView):
    """The browser returns here from the ad platform (no credential): the signed, single-use state names the
    tenant and the user. (Named like social's callback on purpose: core's invariant test lists public views by
    class name.)"""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="ads_oauth_callback",
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, required=False),
            OpenApiParameter("state", OpenApiTypes.STR, required=True),
            OpenApiParameter("error", OpenApiTypes.STR, required=False, description="e.g. `access_denied`."),
        ],
        responses={
            302: OpenApiResponse(
                description="To the `redirectUri` given at connect, with `status=connected&adAccountIds=...` or "
                "`status=error&code=...` (`ACCESS_DENIED`, `OAUTH_STATE_EXPIRED`, `OAUTH_STATE_USED`, ...)."
            ),
            400: OpenApiResponse(ErrorSerializer, description="`OAUTH_STATE_INVALID`: missing or forged state."),
        },
    )
    def get(self, request, platform: str):
        params = {key: request.query_params.get(key, "") for key in ("code", "state", "error")}
        outcome = connect_services.handle_callback(platform_name=platform, params=params)
        response = HttpResponseRedirect(outcome.redirect_url)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
