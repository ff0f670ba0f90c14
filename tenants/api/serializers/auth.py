"""Input and output of the /api/v1/auth/ endpoints (snake_case here, camelCase on the wire)."""

from __future__ import annotations

from rest_framework import serializers

from tenants.models import Tenant, User
from tenants.roles import Role
from tenants.tokens import TokenPair

# --- inputs --------------------------------------------------------------------------------------------------------


class RegisterInput(serializers.Serializer):
    tenant_name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)


class LoginInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="A 6-digit authenticator code or a recovery code."
    )
    tenant_id = serializers.UUIDField(required=False, allow_null=True)


class RefreshTokenInput(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=200)


class TokenExchangeInput(serializers.Serializer):
    external_user_id = serializers.CharField(max_length=255)
    email = serializers.EmailField(max_length=254, required=False, allow_null=True)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(
        choices=Role.choices,
        required=False,
        default=Role.EDITOR,
        help_text="Role of a newly provisioned member (never OWNER); ignored for existing members.",
    )

    def validate_role(self, value: str) -> str:
        if value == Role.OWNER:
            raise serializers.ValidationError("Token exchange never creates owners.")
        return value


class SwitchTenantInput(serializers.Serializer):
    tenant_id = serializers.UUIDField()


class OtpInput(serializers.Serializer):
    otp = serializers.CharField(max_length=32)


class TotpDisableInput(serializers.Serializer):
    password = serializers.CharField(
        max_length=128, required=False, allow_blank=True, trim_whitespace=False, style={"input_type": "password"}
    )
    otp = serializers.CharField(max_length=32, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("password") and not attrs.get("otp"):
            raise serializers.ValidationError({"password": ["Send the password or a one-time code."]})
        return attrs


class PasswordResetInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)


class PasswordResetConfirmInput(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class PasswordChangeInput(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


# --- outputs -------------------------------------------------------------------------------------------------------


class AuthTenantOutput(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class AuthUserOutput(serializers.ModelSerializer):
    has_totp = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "has_totp"]
        read_only_fields = fields


class TokenOutput(serializers.Serializer):
    access_token = serializers.CharField(help_text="JWT, valid `expiresIn` seconds, bound to `tenant`.")
    refresh_token = serializers.CharField(help_text="Single use: each refresh returns a new one.")
    token_type = serializers.CharField(help_text="Always `Bearer`.")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    tenant = AuthTenantOutput()
    user = AuthUserOutput()


def token_output(pair: TokenPair) -> dict:
    session = pair.session
    return TokenOutput({**pair.as_response(), "tenant": session.membership.tenant, "user": session.user}).data


class TotpSetupOutput(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32 secret for authenticator apps that cannot scan the URI.")
    otpauth_uri = serializers.CharField(help_text="`otpauth://` URI, usually shown as a QR code.")


class RecoveryCodesOutput(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Each works once instead of a code. Shown only now: store them."
    )


class EmailVerifyInput(serializers.Serializer):
    token = serializers.CharField(max_length=500)


class InviteAcceptInput(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
