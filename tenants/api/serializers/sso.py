"""The tenant's single sign-on configuration (`/api/v1/tenant/sso`) and SSO sign-in (`/api/v1/auth/sso/...`)."""

from __future__ import annotations

from rest_framework import serializers

from tenants.api.serializers.auth import AuthTenantOutput
from tenants.roles import Role

ASSIGNABLE_ROLES = [role for role in Role.values if role != Role.OWNER]


class SsoConfigInput(serializers.Serializer):
    issuer = serializers.URLField(
        max_length=500, help_text="The provider's issuer (https), exactly as its discovery document names it."
    )
    client_id = serializers.CharField(max_length=255)
    client_secret = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        help_text="Write-only, stored encrypted. Required the first time; omit it to keep the stored one.",
    )
    allowed_domains = serializers.ListField(
        child=serializers.CharField(max_length=253),
        min_length=1,
        max_length=50,
        help_text="Email domains whose provider-verified addresses may sign in (and join on first sign-in).",
    )
    default_role = serializers.ChoiceField(
        choices=ASSIGNABLE_ROLES, default=Role.VIEWER, help_text="Role of members created on first sign-in."
    )
    enforce = serializers.BooleanField(
        default=False,
        help_text="Refuse password login (and switching in) for members other than owners, who keep the password "
        "as break-glass.",
    )


class SsoConfigOutput(serializers.Serializer):
    issuer = serializers.CharField()
    client_id = serializers.CharField()
    has_client_secret = serializers.SerializerMethodField(help_text="A secret is stored (it is never returned).")
    allowed_domains = serializers.ListField(child=serializers.CharField())
    default_role = serializers.CharField()
    enforce = serializers.BooleanField()
    redirect_uri = serializers.SerializerMethodField(help_text="Register this redirect URI with the provider.")
    authorization_endpoint = serializers.CharField(source="provider_metadata.authorization_endpoint")
    token_endpoint = serializers.CharField(source="provider_metadata.token_endpoint")
    jwks_uri = serializers.CharField(source="provider_metadata.jwks_uri")
    metadata_fetched_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_has_client_secret(self, config) -> bool:
        return bool(config.client_secret)

    def get_redirect_uri(self, config) -> str:
        return self.context["redirect_uri"]


class SsoStartInput(serializers.Serializer):
    tenant = serializers.CharField(max_length=80, required=False, allow_blank=True, help_text="The tenant's alias.")
    email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, help_text="Finds the tenant by the email's domain."
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("tenant") and not attrs.get("email"):
            raise serializers.ValidationError({"tenant": ["Send the tenant's alias or an email address."]})
        return attrs


class SsoStartOutput(serializers.Serializer):
    auth_url = serializers.CharField(help_text="Send the browser here to sign in at the identity provider.")
    state = serializers.CharField(help_text="Signed, single use, expires at `expiresAt`.")
    expires_at = serializers.DateTimeField()
    tenant = AuthTenantOutput()


class SsoCallbackInput(serializers.Serializer):
    state = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    code = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    error = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
