from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import AuditLogEntry
from tenants.models import (
    ApiKey,
    Membership,
    Team,
    TeamMember,
    TeamRole,
    Tenant,
    TenantPlan,
    TenantStatus,
    User,
    validate_timezone,
)
from tenants.roles import ALL_PERMISSIONS, ApiKeyScope, Role, permissions_for_role

LOCALES = ["en", "de", "fr", "es", "it", "nl", "pt"]
MAX_BATCH = 100
PERMISSION_CHOICES = sorted(ALL_PERMISSIONS)


class ApiKeyOutput(serializers.ModelSerializer):
    prefix = serializers.SerializerMethodField(
        help_text="The visible start of the key; the secret is never shown again."
    )
    is_active = serializers.BooleanField(source="is_usable", read_only=True)
    created_by = serializers.EmailField(source="created_by.email", default=None, read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "is_active",
            "created_by",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_prefix(self, key: ApiKey) -> str:
        return f"hb_{key.prefix}_"


class ApiKeyWithSecretOutput(ApiKeyOutput):
    key = serializers.SerializerMethodField(help_text="The full key. Shown once: store it now.")

    class Meta(ApiKeyOutput.Meta):
        fields = [*ApiKeyOutput.Meta.fields, "key"]
        read_only_fields = fields

    def get_key(self, key: ApiKey) -> str:
        return self.context["raw_key"]


class ApiKeyCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKeyScope.choices), min_length=1, max_length=len(ApiKeyScope.values)
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value):
        from django.utils import timezone

        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.")
        return value


class AuditLogEntryOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")
    actor_user_id = serializers.UUIDField(read_only=True, allow_null=True)  # null: an API key or the platform acted

    class Meta:
        model = AuditLogEntry
        fields = [
            "id",
            "actor",
            "actor_user_id",
            "actor_api_key_id",
            "caller_name",
            "action",
            "object_type",
            "object_id",
            "changes",
            "request_id",
            "ip_address",
            "created_at",
        ]
        read_only_fields = fields


# --- Current user (/me) ----------------------------------------------------------------------------------------


class UserProfileOutput(serializers.ModelSerializer):
    has_totp = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "locale", "timezone", "avatar_url", "has_totp"]
        read_only_fields = fields


class TenantSummaryOutput(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "status", "plan"]
        read_only_fields = fields


class MembershipSummaryOutput(serializers.Serializer):
    id = serializers.UUIDField(source="tenant.id", help_text="The tenant's id.")
    name = serializers.CharField(source="tenant.name")
    slug = serializers.CharField(source="tenant.slug")
    status = serializers.CharField(source="tenant.status")
    role = serializers.ChoiceField(choices=Role.choices)


class MeOutput(serializers.Serializer):
    user = UserProfileOutput(allow_null=True, help_text="Null for API-key credentials.")
    tenant = TenantSummaryOutput()
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True)
    memberships = MembershipSummaryOutput(many=True, help_text="Every tenant the user belongs to.")
    permissions = serializers.ListField(child=serializers.CharField(), help_text="Effective permissions, sorted.")


class MeUpdateInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    avatar_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)


# --- Current tenant -------------------------------------------------------------------------------------------


class ExternalIdSerializer(serializers.Serializer):
    platform = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=64)
    external_id = serializers.CharField(max_length=255)


def external_ids_to_map(items: list[dict]) -> dict[str, str]:
    platforms = [item["platform"] for item in items]
    if len(platforms) != len(set(platforms)):
        raise serializers.ValidationError("One id per platform.")
    return {item["platform"]: item["external_id"] for item in items}


class ExternalIdsField(serializers.ListField):
    """`[{platform, externalId}]` on the wire, a platform -> id map inside."""

    child = ExternalIdSerializer()

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return external_ids_to_map(super().to_internal_value(data))


SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"


class SlugField(serializers.RegexField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 80)
        kwargs.setdefault(
            "error_messages", {"invalid": "Lower-case letters, digits and inner hyphens only (URL-safe)."}
        )
        super().__init__(SLUG_PATTERN, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data.strip().lower() if isinstance(data, str) else data)


class TimeRangeSerializer(serializers.Serializer):
    start = serializers.RegexField(r"^([01]\d|2[0-3]):[0-5]\d$", help_text="HH:MM")
    end = serializers.RegexField(r"^([01]\d|2[0-4]):[0-5]\d$", help_text="HH:MM (24:00 allowed)")

    def validate(self, attrs):
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"end": ["Must be after start."]})
        return attrs


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHoursField(serializers.DictField):
    """`{mon: [{start, end}], ...}`; days not given are closed."""

    child = serializers.ListField(child=TimeRangeSerializer(), max_length=6)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = sorted(set(value) - set(WEEKDAYS))
        if unknown:
            raise serializers.ValidationError(f"Unknown day(s) {', '.join(unknown)}; use {', '.join(WEEKDAYS)}.")
        return value


class TenantSettingsInput(serializers.Serializer):
    """Known tenant settings; unknown keys are refused (a typo must not be stored silently). `null` unsets a key."""

    approval_required = serializers.BooleanField(required=False, allow_null=True)
    approval_policy = serializers.ChoiceField(choices=["any", "all"], required=False, allow_null=True)
    approval_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), required=False, allow_null=True, max_length=len(Role)
    )
    approval_required_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        required=False,
        allow_null=True,
        max_length=len(Role),
        help_text="Authors with these roles need approval (default: every role without cp.post.approve).",
    )
    shortener_mode = serializers.ChoiceField(choices=["OFF", "GENERIC", "OWN"], required=False, allow_null=True)
    business_hours = BusinessHoursField(required=False, allow_null=True)
    default_role = serializers.ChoiceField(
        choices=Role.choices,
        required=False,
        allow_null=True,
        help_text="Role of users provisioned by token exchange (not OWNER).",
    )

    provision_max_role = serializers.ChoiceField(
        choices=[role for role in Role.choices if role[0] != Role.OWNER],
        required=False,
        allow_null=True,
        help_text=(
            "The broadest role token exchange may provision (default EDITOR): a requested role granting anything "
            "this role does not is refused with 403 `EXCHANGE_ROLE_FORBIDDEN`."
        ),
    )

    def validate_default_role(self, value):
        if value == Role.OWNER:
            raise serializers.ValidationError("Provisioned users cannot be owners.")
        return value

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown setting."] for name in unknown})
        return super().to_internal_value(data)


class TenantOutput(serializers.ModelSerializer):
    parent_id = serializers.UUIDField(read_only=True, allow_null=True)
    features = serializers.DictField(child=serializers.BooleanField(), read_only=True)
    limits = serializers.DictField(child=serializers.IntegerField(allow_null=True), read_only=True)
    settings = serializers.DictField(read_only=True)
    external_ids = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = [
            "id",
            "name",
            "slug",
            "status",
            "parent_id",
            "timezone",
            "locale",
            "plan",
            "features",
            "limits",
            "settings",
            "external_ids",
            "expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ExternalIdSerializer(many=True))
    def get_external_ids(self, tenant: Tenant) -> list[dict]:
        return [{"platform": row.platform, "external_id": row.external_id} for row in tenant.external_ids.all()]


class TenantUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    slug = SlugField(required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    plan = serializers.ChoiceField(
        choices=TenantPlan.choices,
        required=False,
        help_text="Read-only: only the current value is accepted (403 `PLAN_READ_ONLY`); staff or billing change it.",
    )
    settings = TenantSettingsInput(required=False)
    external_ids = ExternalIdsField(required=False)


HEX_COLOUR = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"


def _colour(help_text: str):
    return serializers.RegexField(
        HEX_COLOUR,
        required=False,
        allow_null=True,
        help_text=help_text,
        error_messages={"invalid": "A hex colour such as #1a2b3c."},
    )


class ThemeSerializer(serializers.Serializer):
    """Seed 000 entity theme: colours (hex) and image URLs. PUT replaces the whole theme."""

    primary_color = _colour("Main brand colour.")
    secondary_color = _colour("Secondary brand colour.")
    accent_color = _colour("Highlights, links.")
    background_color = _colour("Page background.")
    text_color = _colour("Body text.")
    logo_url = serializers.URLField(max_length=1000, required=False, allow_null=True)
    banner_url = serializers.URLField(max_length=1000, required=False, allow_null=True)
    favicon_url = serializers.URLField(max_length=1000, required=False, allow_null=True)

    def to_representation(self, theme: dict):
        return {name: theme.get(name) for name in self.fields}


class UsageItemOutput(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True, help_text="Null: unlimited.")


class UsageOutput(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    channels = UsageItemOutput()
    users = UsageItemOutput()
    storage_bytes = UsageItemOutput()
    monthly_active_users = UsageItemOutput()


# --- Sub-tenants ------------------------------------------------------------------------------------------------


class SubTenantCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = SlugField(required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    plan = serializers.ChoiceField(
        choices=TenantPlan.choices, required=False, help_text="Only the parent's plan (403 `PLAN_READ_ONLY`)."
    )
    status = serializers.ChoiceField(
        choices=TenantStatus.choices,
        default=TenantStatus.ACTIVE,
        help_text="`active` or `pending` (disabled until `POST .../enable`).",
    )
    external_ids = ExternalIdsField(required=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_status(self, value):
        if value not in {TenantStatus.ACTIVE, TenantStatus.PENDING}:
            raise serializers.ValidationError("A new tenant is active or pending.")
        return value


class SubTenantUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    slug = SlugField(required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_timezone])
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    plan = serializers.ChoiceField(
        choices=TenantPlan.choices, required=False, help_text="Read-only (403 `PLAN_READ_ONLY`)."
    )
    status = serializers.ChoiceField(
        choices=TenantStatus.choices,
        required=False,
        help_text="`active` or `suspended`; archive with DELETE, re-enable with POST .../enable.",
    )
    external_ids = ExternalIdsField(required=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_status(self, value):
        if value not in {TenantStatus.ACTIVE, TenantStatus.SUSPENDED}:
            raise serializers.ValidationError("Set active or suspended here; archive with DELETE.")
        return value


# --- Users (members of the tenant) -----------------------------------------------------------------------------


class MemberOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="user_id", read_only=True, help_text="The user's id.")
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    locale = serializers.CharField(source="user.locale", read_only=True)
    timezone = serializers.CharField(source="user.timezone", read_only=True)
    avatar_url = serializers.CharField(source="user.avatar_url", read_only=True)
    has_totp = serializers.BooleanField(source="user.has_totp", read_only=True)
    last_login_at = serializers.DateTimeField(source="user.last_login", read_only=True, allow_null=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)
    team_ids = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "locale",
            "timezone",
            "avatar_url",
            "role",
            "custom_permissions",
            "permissions",
            "external_user_id",
            "team_ids",
            "has_totp",
            "is_active",
            "last_login_at",
            "joined_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_team_ids(self, membership: Membership) -> list[str]:
        rows = getattr(membership.user, "tenant_team_memberships", None)
        if rows is None:
            rows = TeamMember.objects.filter(user_id=membership.user_id).order_by("team_id")
        return [str(row.team_id) for row in rows]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_permissions(self, membership: Membership) -> list[str]:
        return sorted(permissions_for_role(membership.role, membership.custom_permissions))


class CustomPermissionsInput(serializers.Serializer):
    add = serializers.ListField(child=serializers.ChoiceField(choices=PERMISSION_CHOICES), default=list)
    remove = serializers.ListField(child=serializers.ChoiceField(choices=PERMISSION_CHOICES), default=list)


class MemberInviteInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    locale = serializers.ChoiceField(choices=LOCALES, required=False)
    external_user_id = serializers.CharField(max_length=255, required=False, allow_null=True)


class MemberUpdateInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    custom_permissions = CustomPermissionsInput(required=False)
    external_user_id = serializers.CharField(max_length=255, required=False, allow_null=True, allow_blank=True)


# --- Teams -------------------------------------------------------------------------------------------------------


class TeamOutput(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "description", "is_default", "member_count", "created_at", "updated_at"]
        read_only_fields = fields


class TeamCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("May not be blank.")
        return value.strip()


class TeamUpdateInput(TeamCreateInput):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class TeamMemberOutput(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    external_user_id = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = TeamMember
        fields = [
            "id",
            "user_id",
            "email",
            "first_name",
            "last_name",
            "external_user_id",
            "role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TeamMemberBriefOutput(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = TeamMember
        fields = ["id", "user_id", "role", "created_at", "updated_at"]
        read_only_fields = fields


class TeamMemberItemInput(serializers.Serializer):
    user_id = serializers.UUIDField(required=False, allow_null=True)
    external_user_id = serializers.CharField(max_length=255, required=False, allow_null=True)
    role = serializers.ChoiceField(choices=TeamRole.choices, default=TeamRole.MEMBER)

    def validate(self, attrs):
        given = [name for name in ("user_id", "external_user_id") if attrs.get(name) is not None]
        if len(given) != 1:
            raise serializers.ValidationError("Give exactly one of userId or externalUserId.")
        return {name: attrs[name] for name in (*given, "role")}


class TeamMembersAddInput(serializers.Serializer):
    members = serializers.ListField(child=TeamMemberItemInput(), min_length=1, max_length=MAX_BATCH)


class TeamMembersRemoveInput(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.UUIDField(), required=False, default=list, max_length=MAX_BATCH)
    external_user_ids = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, default=list, max_length=MAX_BATCH
    )

    def validate(self, attrs):
        if not attrs["user_ids"] and not attrs["external_user_ids"]:
            raise serializers.ValidationError("Give userIds or externalUserIds.")
        return attrs


class BatchSuccessOutput(serializers.Serializer):
    input = serializers.DictField(help_text="The item as sent.")
    team_member = TeamMemberBriefOutput()


class BatchFailureOutput(serializers.Serializer):
    input = serializers.DictField(help_text="The item as sent.")
    code = serializers.CharField(help_text="NOT_A_MEMBER, ALREADY_IN_TEAM, NOT_IN_TEAM, DUPLICATE_IN_REQUEST")
    reason = serializers.CharField()


class BatchSummaryOutput(serializers.Serializer):
    total = serializers.IntegerField()
    successful = serializers.IntegerField()
    failed = serializers.IntegerField()


class BatchResultOutput(serializers.Serializer):
    successful = BatchSuccessOutput(many=True)
    failed = BatchFailureOutput(many=True)
    summary = BatchSummaryOutput()
