from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core import tenancy
from core.api.inputs import validated
from core.api.pagination import PageOrCursorPagination
from core.api.schema import error_responses
from core.api.viewsets import TenantAPIView, TenantViewSet
from core.errors import NotFound, PermissionDenied
from tenants import selectors
from tenants.api import serializers as s
from tenants.api.serializers import sso as sso_s
from tenants.errors import SsoNotConfigured
from tenants.models import Team, Tenant
from tenants.services import api_keys as api_key_services
from tenants.services import members as member_services
from tenants.services import sso as sso_services
from tenants.services import teams as team_services
from tenants.services import workspaces as workspace_services


class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tenant API keys. The secret is returned once, at creation and rotation."""

    serializer_class = s.ApiKeyOutput
    required_permissions = {"*": "tenants.apikey.manage"}
    search_fields = ["name", "prefix"]
    idempotent_actions = {"create", "rotate"}

    def scope_queryset(self):
        return selectors.api_keys()

    @extend_schema(request=s.ApiKeyCreateInput, responses={201: s.ApiKeyWithSecretOutput})
    def create(self, request):
        data = validated(s.ApiKeyCreateInput, request)
        key, raw = api_key_services.create_api_key(actor=self.principal, **data)
        return Response(s.ApiKeyWithSecretOutput(key, context={"raw_key": raw}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        api_key_services.revoke_api_key(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.ApiKeyWithSecretOutput})
    @action(detail=True, methods=["post"])
    def rotate(self, request, pk=None):
        key, raw = api_key_services.rotate_api_key(self.get_object(), actor=self.principal)
        return Response(s.ApiKeyWithSecretOutput(key, context={"raw_key": raw}).data)


class AuditLogViewSet(mixins.ListModelMixin, TenantViewSet):
    """Who did what, when, from which credential (newest first). Read-only."""

    serializer_class = s.AuditLogEntryOutput
    required_permissions = {"*": "tenants.audit.read"}
    pagination_class = PageOrCursorPagination
    filterset_fields = ["action", "object_type", "object_id"]
    search_fields = ["action", "object_type", "object_id", "actor_label", "caller_name", "actor_user__email"]

    def scope_queryset(self):
        return selectors.audit_log_entries()


SSO_NOT_CONFIGURED = "404 `SSO_NOT_CONFIGURED` when the tenant has no single sign-on."
UNKNOWN_FIELDS_NOTE = " Unknown JSON fields are ignored (tenant `settings` keys excepted: unknown ones are a 400)."


class MeView(TenantAPIView):
    """The caller: profile, current tenant and role, all memberships, effective permissions."""

    required_permissions = {"get": None, "patch": None}

    def _body(self) -> dict:
        principal = self.principal
        user = principal.user
        return s.MeOutput(
            {
                "user": user,
                "impersonation": selectors.impersonation_of(principal),
                "tenant": principal.tenant,
                "role": principal.role,
                "memberships": selectors.memberships_of(user) if user is not None else [],
                "permissions": sorted(principal.permissions),
            }
        ).data

    @extend_schema(responses={200: s.MeOutput}, description="The current user." + UNKNOWN_FIELDS_NOTE)
    def get(self, request):
        return Response(self._body())

    @extend_schema(request=s.MeUpdateInput, responses={200: s.MeOutput}, description="Edit your profile.")
    def patch(self, request):
        if self.principal.user is None:
            raise PermissionDenied("API keys have no user profile.")
        data = validated(s.MeUpdateInput, request)
        member_services.update_profile(self.principal.user, actor=self.principal, **data)
        return Response(self._body())


class TenantView(TenantAPIView):
    """The current tenant: name, alias, timezone, locale, plan, features, limits, settings.
    Unknown JSON fields are ignored, except unknown `settings` keys (400)."""

    required_permissions = {"get": "tenants.tenant.read", "patch": "tenants.tenant.manage"}

    def _tenant(self) -> Tenant:
        return Tenant.objects.prefetch_related("external_ids").get(pk=self.principal.tenant.pk)

    @extend_schema(responses={200: s.TenantOutput})
    def get(self, request):
        return Response(s.TenantOutput(self._tenant()).data)

    @extend_schema(
        request=s.TenantUpdateInput,
        responses={200: s.TenantOutput, **error_responses(409)},
        description="Partial update. `settings` merges key by key (null removes a key); `externalIds` replaces "
        "the list; `plan` is read-only (403 `PLAN_READ_ONLY` for another value: staff or billing change it). "
        "409 `SLUG_TAKEN` / `EXTERNAL_ID_TAKEN`." + UNKNOWN_FIELDS_NOTE,
    )
    def patch(self, request):
        data = validated(s.TenantUpdateInput, request)
        workspace_services.update_tenant(self.principal.tenant, actor=self.principal, **data)
        return Response(s.TenantOutput(self._tenant()).data)


class TenantThemeView(TenantAPIView):
    """The tenant's theme (seed 000): colours and image URLs."""

    required_permissions = {"get": "tenants.tenant.read", "put": "tenants.tenant.manage"}

    @extend_schema(responses={200: s.ThemeSerializer})
    def get(self, request):
        return Response(s.ThemeSerializer(self.principal.tenant.theme).data)

    @extend_schema(
        request=s.ThemeSerializer,
        responses={200: s.ThemeSerializer},
        description="Replace the theme; fields not given are cleared." + UNKNOWN_FIELDS_NOTE,
    )
    def put(self, request):
        data = validated(s.ThemeSerializer, request)
        theme = {name: value for name, value in data.items() if value is not None}
        tenant = workspace_services.set_theme(self.principal.tenant, actor=self.principal, theme=theme)
        return Response(s.ThemeSerializer(tenant.theme).data)


class TenantSsoView(TenantAPIView):
    """The tenant's single sign-on (OpenID Connect): identity provider, allowed email domains, the role of members
    created on first sign-in, and whether password login is switched off for members other than owners."""

    required_permissions = {"*": "tenants.tenant.manage"}

    def _body(self, config) -> dict:
        return sso_s.SsoConfigOutput(config, context={"redirect_uri": sso_services.callback_url()}).data

    @extend_schema(responses={200: sso_s.SsoConfigOutput, **error_responses(404)}, description=SSO_NOT_CONFIGURED)
    def get(self, request):
        config = selectors.sso_config()
        if config is None:
            raise SsoNotConfigured()
        return Response(self._body(config))

    @extend_schema(
        request=sso_s.SsoConfigInput,
        responses={200: sso_s.SsoConfigOutput},
        description=(
            "Create or replace the configuration. The issuer's discovery document "
            "(`{issuer}/.well-known/openid-configuration`) is fetched first (public https hosts only): 400 "
            "`SSO_ISSUER_UNREACHABLE` when it cannot be fetched, 400 `SSO_ISSUER_INVALID` when it is not a usable "
            "OpenID Connect configuration or names another issuer (the reason under `details.issuer`). "
            "`clientSecret` is write-only: required the first time, omitted to keep the stored one. `defaultRole` "
            "is never OWNER. Register `redirectUri` (from the response) with the provider." + UNKNOWN_FIELDS_NOTE
        ),
    )
    def put(self, request):
        data = validated(sso_s.SsoConfigInput, request)
        config = sso_services.save_config(actor=self.principal, **data)
        return Response(self._body(config))

    @extend_schema(
        request=None,
        responses={204: None, **error_responses(404)},
        description="Remove single sign-on: everyone signs in with a password again. " + SSO_NOT_CONFIGURED,
    )
    def delete(self, request):
        sso_services.delete_config(actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TenantUsageView(TenantAPIView):
    """Usage against the plan's limits: channels, users, storage, monthly active users of a month."""

    required_permissions = {"get": "tenants.tenant.read"}

    @extend_schema(parameters=[s.UsageQueryInput], responses={200: s.UsageOutput})
    def get(self, request):
        query = validated(s.UsageQueryInput, request, source="query")
        month = query.get("month") or timezone.now().date().replace(day=1)
        return Response(s.UsageOutput(selectors.tenant_usage(self.principal.tenant, month)).data)


class TenantMauView(TenantAPIView):
    """Monthly active users (seed 000 MAU): the members who made an authenticated request in a month."""

    required_permissions = {"get": "tenants.tenant.read"}

    @extend_schema(
        parameters=[s.UsageQueryInput],
        responses={200: s.MauOutput},
        description="400 `VALIDATION_FAILED` naming `month` unless it is YYYY-MM. API keys and staff impersonation "
        "sessions are not users' activity and are not counted.",
    )
    def get(self, request):
        query = validated(s.UsageQueryInput, request, source="query")
        month = query.get("month") or _this_month()
        body = {
            "month": month.strftime("%Y-%m"),
            "active_users": selectors.monthly_active_users(month),
            "limit": self.principal.tenant.limits.get("monthlyActiveUsers"),
        }
        return Response(s.MauOutput(body).data)


class TenantMauHistoryView(TenantAPIView):
    """Monthly active users of the last `months` months (default 12), oldest first."""

    required_permissions = {"get": "tenants.tenant.read"}

    @extend_schema(parameters=[s.MauHistoryQueryInput], responses={200: s.MauHistoryOutput})
    def get(self, request):
        query = validated(s.MauHistoryQueryInput, request, source="query")
        body = {
            "months": selectors.monthly_active_users_history(_this_month(), query["months"]),
            "limit": self.principal.tenant.limits.get("monthlyActiveUsers"),
        }
        return Response(s.MauHistoryOutput(body).data)


def _this_month():
    return timezone.now().date().replace(day=1)


class LinkedAccountViewSet(mixins.ListModelMixin, TenantViewSet):
    """The tenants (workspaces) the signed-in user belongs to, with their role in each: the accounts linked to
    this person. Switch to one with POST /auth/switch-tenant."""

    serializer_class = s.LinkedAccountOutput
    required_permissions = {"list": None}
    filterset_fields = ["role"]

    def scope_queryset(self):
        principal = self.principal
        return selectors.linked_accounts(principal.user, current_tenant_id=principal.tenant.pk)

    @extend_schema(
        responses={200: s.LinkedAccountOutput(many=True), **error_responses(403)},
        description="Active memberships only, by tenant name; archived or expired tenants are listed with "
        "`isUsable: false`. 403 `FORBIDDEN` for API keys (a key belongs to one tenant, not to a person).",
    )
    def list(self, request):
        if self.principal.user is None:
            raise PermissionDenied("API keys belong to one tenant, not to a person: no linked accounts.")
        with tenancy.platform_access():  # the user's memberships in other tenants
            return super().list(request)


class PlanListView(TenantAPIView):
    """The plans on offer (and the caller's own, even when not public), with limits and features."""

    required_permissions = {"get": "tenants.tenant.read"}

    @extend_schema(responses={200: s.PlanOutput(many=True)})
    def get(self, request):
        return Response(s.PlanOutput(selectors.plans_for(self.principal.tenant), many=True).data)


class SubTenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Client tenants of the caller's tenant (agency -> clients); platform staff see all. Plan feature
    `subTenants` required (403 `FEATURE_NOT_AVAILABLE`). Unknown JSON fields are ignored."""

    serializer_class = s.TenantOutput
    required_permissions = {"*": "tenants.subtenant.manage"}
    filterset_fields = ["status", "plan"]
    search_fields = ["name", "slug"]

    def scope_queryset(self):
        return selectors.subtenants(self.principal)

    def check_permissions(self, request):
        super().check_permissions(request)
        principal = self.principal
        if not (principal.user is not None and principal.user.is_staff):
            workspace_services.require_feature(principal.tenant, "subTenants")

    @extend_schema(request=s.SubTenantCreateInput, responses={201: s.TenantOutput, **error_responses(409)})
    def create(self, request):
        data = validated(s.SubTenantCreateInput, request)
        child = workspace_services.create_subtenant(self.principal.tenant, actor=self.principal, **data)
        return Response(s.TenantOutput(self._fresh(child)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SubTenantUpdateInput, responses={200: s.TenantOutput, **error_responses(409)})
    def partial_update(self, request, pk=None):
        child = self.get_object()
        data = validated(s.SubTenantUpdateInput, request)
        workspace_services.update_tenant(child, actor=self.principal, **data)
        return Response(s.TenantOutput(self._fresh(child)).data)

    @extend_schema(request=None, responses={204: None}, description="Archive (the tenant is kept, not deleted).")
    def destroy(self, request, pk=None):
        workspace_services.archive_tenant(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.TenantOutput}, description="pending/suspended -> active.")
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        child = workspace_services.enable_tenant(self.get_object(), actor=self.principal)
        return Response(s.TenantOutput(self._fresh(child)).data)

    @extend_schema(
        request=None,
        responses={200: s.TenantOutput, **error_responses(409)},
        description="Platform staff only (403 `STAFF_ONLY`; staff see every tenant here): archive the tenant. Its "
        "members' tokens and its API keys are refused from the next request (401 `TENANT_INACTIVE`). Idempotent.",
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        tenant = workspace_services.set_archived_by_staff(self.get_object(), actor=self.principal, archived=True)
        return Response(s.TenantOutput(self._fresh(tenant)).data)

    @extend_schema(
        request=None,
        responses={200: s.TenantOutput, **error_responses(409)},
        description="Platform staff only (403 `STAFF_ONLY`): archived -> active, its credentials work again. "
        "409 `INVALID_STATE` when the tenant is not archived.",
    )
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        tenant = workspace_services.set_archived_by_staff(self.get_object(), actor=self.principal, archived=False)
        return Response(s.TenantOutput(self._fresh(tenant)).data)

    @extend_schema(responses={200: s.TenantOutput})
    @action(detail=False, methods=["get"], url_path=r"by-alias/(?P<alias>[^/]+)")
    def by_alias(self, request, alias=None):
        return Response(s.TenantOutput(self._lookup(slug=alias.lower())).data)

    @extend_schema(responses={200: s.TenantOutput})
    @action(detail=False, methods=["get"], url_path=r"by-external-id/(?P<platform>[^/]+)/(?P<external_id>[^/]+)")
    def by_external_id(self, request, platform=None, external_id=None):
        return Response(
            s.TenantOutput(self._lookup(external_ids__platform=platform, external_ids__external_id=external_id)).data
        )

    def _lookup(self, **filters) -> Tenant:
        tenant = self.get_queryset().filter(**filters).first()
        if tenant is None:
            raise NotFound()
        return tenant

    def _fresh(self, tenant: Tenant) -> Tenant:
        return Tenant.objects.prefetch_related("external_ids").get(pk=tenant.pk)


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Members of the current tenant; `id` is the user's id. Invite by email, change role, remove."""

    serializer_class = s.MemberOutput
    lookup_field = "user_id"
    lookup_url_kwarg = "pk"
    required_permissions = {"list": "tenants.user.read", "retrieve": "tenants.user.read", "*": "tenants.user.manage"}
    filterset_fields = ["role", "is_active"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "external_user_id"]

    def scope_queryset(self):
        return selectors.members()

    @extend_schema(
        request=s.MemberInviteInput,
        responses={201: s.MemberOutput, **error_responses(409)},
        description="Invite by email: a new user gets an emailed set-password link. 403 `LIMIT_REACHED` at the "
        "plan's user limit; 409 `ALREADY_MEMBER`." + UNKNOWN_FIELDS_NOTE,
    )
    def create(self, request):
        data = validated(s.MemberInviteInput, request)
        membership = member_services.invite_member(actor=self.principal, **data)
        return Response(s.MemberOutput(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.MemberUpdateInput,
        responses={200: s.MemberOutput, **error_responses(409)},
        description="Change role, custom permissions (`{add, remove}`) or external user id. Only an owner grants "
        "OWNER; the last owner cannot be demoted (409 `LAST_OWNER`)." + UNKNOWN_FIELDS_NOTE,
    )
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        data = validated(s.MemberUpdateInput, request)
        values = dict(data)
        if "external_user_id" in values:
            values["set_external_user_id"] = True
        membership = member_services.update_member(membership, actor=self.principal, **values)
        return Response(s.MemberOutput(membership).data)

    @extend_schema(
        request=None,
        responses={204: None, **error_responses(409)},
        description="Remove from the tenant (and its teams) and end their sessions here; the user account stays.",
    )
    def destroy(self, request, pk=None):
        member_services.remove_member(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Teams of the current tenant. The default team cannot be deleted; names are unique (case-insensitive)."""

    serializer_class = s.TeamOutput
    required_permissions = {
        "list": "tenants.team.read",
        "retrieve": "tenants.team.read",
        "members": "tenants.team.read",
        "*": "tenants.team.manage",
    }
    search_fields = ["name"]
    filterset_fields = ["is_default"]

    def scope_queryset(self):
        return selectors.teams()

    def _fresh(self, team: Team) -> Team:
        return selectors.teams().get(pk=team.pk)

    @extend_schema(
        request=s.TeamCreateInput,
        responses={201: s.TeamOutput, **error_responses(409)},
        description="409 `TEAM_NAME_TAKEN`; 403 `FEATURE_NOT_AVAILABLE` without the plan feature `teams`."
        + UNKNOWN_FIELDS_NOTE,
    )
    def create(self, request):
        data = validated(s.TeamCreateInput, request)
        team = team_services.create_team(actor=self.principal, **data)
        return Response(s.TeamOutput(self._fresh(team)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TeamUpdateInput, responses={200: s.TeamOutput, **error_responses(409)})
    def partial_update(self, request, pk=None):
        team = self.get_object()
        data = validated(s.TeamUpdateInput, request)
        team_services.update_team(team, actor=self.principal, **data)
        return Response(s.TeamOutput(self._fresh(team)).data)

    @extend_schema(request=None, responses={204: None, **error_responses(409)})
    def destroy(self, request, pk=None):
        team_services.delete_team(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: s.TeamMemberOutput(many=True)}, description="Members of the team.")
    @action(detail=True, methods=["get"])
    def members(self, request, pk=None):
        page = self.paginate_queryset(selectors.team_members(self.get_object()))
        return self.get_paginated_response(s.TeamMemberOutput(page, many=True).data)

    @extend_schema(
        request=s.TeamMembersAddInput,
        responses={201: s.BatchResultOutput, 200: s.BatchResultOutput},
        description="Add members of the tenant (by `userId` or `externalUserId`): 201 when every item succeeds, "
        "200 with per-item `failed` entries otherwise (seed 002)." + UNKNOWN_FIELDS_NOTE,
    )
    @members.mapping.post
    def add_members(self, request, pk=None):
        team = self.get_object()
        data = validated(s.TeamMembersAddInput, request)
        result = team_services.add_team_members(team, actor=self.principal, members=data["members"])
        return self._batch_response(result, all_ok_status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.TeamMembersRemoveInput,
        responses={200: s.BatchResultOutput},
        description="Remove members by `userIds` and/or `externalUserIds`; same per-item result shape.",
    )
    @members.mapping.delete
    def remove_members(self, request, pk=None):
        team = self.get_object()
        data = validated(s.TeamMembersRemoveInput, request)
        result = team_services.remove_team_members(team, actor=self.principal, **data)
        return self._batch_response(result, all_ok_status=status.HTTP_200_OK)

    def _batch_response(self, result, *, all_ok_status: int) -> Response:
        body = s.BatchResultOutput(
            {"successful": result.successful, "failed": result.failed, "summary": result.summary}
        ).data
        return Response(body, status=status.HTTP_200_OK if result.failed else all_ok_status)
