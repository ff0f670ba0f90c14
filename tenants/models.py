"""Tenants, users, memberships, teams, API keys and sessions."""

from __future__ import annotations

import hashlib
import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.fields import EncryptedTextField
from core.models import TenantScopedManager, TenantScopedModel, TenantScopedQuerySet, TimestampedModel
from tenants import plans
from tenants.principal_cache import PrincipalSourceQuerySet
from tenants.roles import ApiKeyScope, Role


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}.")


class TenantStatus(models.TextChoices):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"


class TenantPlan(models.TextChoices):
    """The seeded plans' codes (operators may add more in the admin: `Plan`)."""

    FREE = "free"
    TEAM = "team"
    BUSINESS = "business"
    ENTERPRISE = "enterprise"


def validate_limits(value: object) -> None:
    if not isinstance(value, dict):
        raise ValidationError("A JSON object of limit -> number (null or absent: unlimited).")
    unknown = sorted(set(value) - set(plans.LIMITS))
    if unknown:
        raise ValidationError(f"Unknown limit(s) {', '.join(unknown)}; known: {', '.join(plans.LIMITS)}.")
    for name, limit in value.items():
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
            raise ValidationError(f"{name}: a whole number >= 0, or null for unlimited.")


def validate_features(value: object) -> None:
    if not isinstance(value, list):
        raise ValidationError("A JSON list of feature names.")
    unknown = sorted(set(map(str, value)) - set(plans.FEATURES))
    if unknown:
        raise ValidationError(f"Unknown feature(s) {', '.join(unknown)}; known: {', '.join(plans.FEATURES)}.")


class Plan(TimestampedModel):
    """A plan tenants are on: limits and features, editable by staff in the admin. Platform-wide (not tenant data).
    A change applies at once: tenants read their plan's row on every request."""

    code = models.SlugField(max_length=20, unique=True, help_text="Stored on tenants; never rename a plan in use.")
    name = models.CharField(max_length=100)
    price_label = models.CharField(max_length=100, blank=True, help_text="Shown to customers, e.g. “€49 / month”.")
    is_public = models.BooleanField(default=True, help_text="Offered to customers (else: assigned by staff only).")
    sort_order = models.PositiveIntegerField(default=0, help_text="Higher = bigger plan; the top plan is the default.")
    limits = models.JSONField(
        default=dict, blank=True, validators=[validate_limits], help_text="limit -> number; absent or null: unlimited."
    )
    features = models.JSONField(default=list, blank=True, validators=[validate_features])

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        plans.forget_plan(self.code)

    def delete(self, *args, **kwargs):
        code = self.code
        result = super().delete(*args, **kwargs)
        plans.forget_plan(code)
        return result


class PrincipalSourceManager(models.Manager.from_queryset(PrincipalSourceQuerySet)):
    pass


class ScopedPrincipalSourceQuerySet(PrincipalSourceQuerySet, TenantScopedQuerySet):
    pass


class ScopedPrincipalSourceManager(TenantScopedManager.from_queryset(ScopedPrincipalSourceQuerySet)):
    pass


class Tenant(TimestampedModel):
    """A workspace of one organisation. Not itself tenant-scoped: it is the scope."""

    # Cached principals depend on this row (tenants.principal_cache): changes outdate the tenant's.
    PRINCIPAL_CACHE_SCOPE = ("tenant", "pk")
    objects = PrincipalSourceManager()

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, help_text="The alias: unique, URL-safe.")
    status = models.CharField(max_length=20, choices=TenantStatus.choices, default=TenantStatus.ACTIVE, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", db_index=True
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    locale = models.CharField(max_length=16, default="en")
    plan = models.CharField(max_length=20, default=TenantPlan.FREE, help_text="The code of a Plan.")
    limit_overrides = models.JSONField(default=dict, blank=True)
    feature_overrides = models.JSONField(default=dict, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    theme = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def plan_row(self) -> Plan | None:
        """The Plan row, read once per instance (a request loads its tenant fresh, so an admin edit applies to
        the next request)."""
        cached = getattr(self, "_plan_row", None)
        if cached is None or cached.code != self.plan:
            cached = self._plan_row = plans.get_plan(self.plan)
        return cached

    @property
    def limits(self) -> dict[str, int | None]:
        return plans.plan_limits(self.plan_row, self.limit_overrides)

    @property
    def features(self) -> dict[str, bool]:
        return plans.plan_features(self.plan_row, self.feature_overrides)

    @property
    def is_usable(self) -> bool:
        if self.status != TenantStatus.ACTIVE:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class TenantExternalId(TimestampedModel):
    """A tenant's id on another platform (seed 000 custom entity ids); unique per platform among the client tenants
    of one parent (tenants/services/workspaces.py checks it), so a clash never discloses another customer's ids."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="external_ids")
    platform = models.CharField(max_length=64)
    external_id = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "platform"], name="uniq_tenant_platform"),
        ]
        ordering = ["platform", "id"]


class UserManager(BaseUserManager.from_queryset(PrincipalSourceQuerySet)):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, email: str) -> User:
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin, TimestampedModel):
    """A person. Belongs to tenants through memberships; platform staff have `is_staff`."""

    email = models.EmailField(max_length=254, unique=True, help_text="Stored lower-cased: login is case-insensitive.")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    locale = models.CharField(max_length=16, default="en")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    avatar_url = models.URLField(max_length=1000, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    totp_secret = EncryptedTextField(blank=True, default="")
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_recovery_code_hashes = models.JSONField(default=list, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by the emailed verification link or an accepted invite."
    )

    objects = UserManager()
    PRINCIPAL_CACHE_SCOPE = ("user", "pk")

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email", "id"]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class Membership(TenantScopedModel):
    """A user's place in a tenant: role, custom permissions, external id (seed 002 `externalUserId`)."""

    PRINCIPAL_CACHE_SCOPE = ("user", "user_id")
    all_tenants = PrincipalSourceManager()
    objects = ScopedPrincipalSourceManager()

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.EDITOR)
    custom_permissions = models.JSONField(default=dict, blank=True, help_text='{"add": [...], "remove": [...]}')
    read_only_channel_ids = models.JSONField(default=list, blank=True)
    external_user_id = models.CharField(max_length=255, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="uniq_membership"),
            models.UniqueConstraint(
                fields=["tenant", "external_user_id"],
                condition=models.Q(external_user_id__isnull=False),
                name="uniq_membership_external_user_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.tenant_id} as {self.role}"


class TeamRole(models.TextChoices):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class Team(TenantScopedModel):
    """A group of members and channels inside a tenant; members see their teams' channels."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="uniq_team_name_ci"),
            models.UniqueConstraint(fields=["tenant"], condition=models.Q(is_default=True), name="uniq_default_team"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(TenantScopedModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    role = models.CharField(max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="uniq_team_member")]


API_KEY_PREFIX = "hb"


def hash_secret(secret: str) -> str:
    """SHA-256: keys and refresh tokens are long random strings, so a slow password hash adds nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(TenantScopedModel):
    """A tenant API key `hb_<prefix>_<secret>`: only the prefix and the secret's hash are stored."""

    PRINCIPAL_CACHE_SCOPE = ("tenant", "tenant_id")
    all_tenants = PrincipalSourceManager()
    objects = ScopedPrincipalSourceManager()

    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({API_KEY_PREFIX}_{self.prefix}_…)"

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    @property
    def valid_scopes(self) -> list[str]:
        return [scope for scope in self.scopes if scope in ApiKeyScope.values]


class AuthSession(TenantScopedModel):
    """One login: a family of rotating refresh tokens. Access tokens name it (`sid`) and die with it."""

    PRINCIPAL_CACHE_SCOPE = ("user", "user_id")
    all_tenants = PrincipalSourceManager()
    objects = ScopedPrincipalSourceManager()

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="sessions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=64, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    impersonator = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    impersonation_read_only = models.BooleanField(
        default=False, help_text="Impersonation without write access: only GET/HEAD/OPTIONS requests."
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Hard end (impersonation sessions).")
    # Set for sessions minted by token exchange: the session never acts beyond the key's scopes, and dies with it.
    api_key = models.ForeignKey(
        "tenants.ApiKey", null=True, blank=True, on_delete=models.CASCADE, related_name="exchanged_sessions"
    )
    # "password", "recovery_code", "totp", "sso"; empty for sessions from registration, exchange, impersonation.
    sign_in_method = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("impersonate", "Can impersonate members (read-only)"),
            ("impersonate_write", "Can impersonate members with write access"),
        ]

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class RefreshToken(TenantScopedModel):
    """One refresh token of a session; used once. Presenting a used one revokes the whole session (reuse)."""

    session = models.ForeignKey(AuthSession, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class MonthlyActiveUser(TenantScopedModel):
    """A user who made an authenticated request in a month (seed 000 MAU)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month.")

    class Meta:
        ordering = ["-month", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "user", "month"], name="uniq_mau")]


class TenantSso(TenantScopedModel):
    """A tenant's OpenID Connect identity provider (one per tenant): members sign in there and are let in by
    their verified email's domain (tenants/services/sso.py). The client secret is encrypted and never shown."""

    issuer = models.URLField(max_length=500, help_text="Exactly the `issuer` of its discovery document (https).")
    client_id = models.CharField(max_length=255)
    client_secret = EncryptedTextField(blank=True, default="")
    allowed_domains = models.JSONField(
        default=list, blank=True, help_text="Email domains (lower case) whose verified addresses may sign in."
    )
    default_role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    enforce = models.BooleanField(
        default=False, help_text="Password login refused for members of this tenant, except owners (break-glass)."
    )
    # The discovery document's endpoints, read when the configuration is saved (or refreshed from the admin).
    provider_metadata = models.JSONField(default=dict, blank=True)
    metadata_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "tenant SSO configuration"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="uniq_tenant_sso")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.issuer} ({self.client_id})"

    def clean(self) -> None:
        if self.default_role == Role.OWNER:
            raise ValidationError({"default_role": "Members created by SSO are never owners."})


class SsoIdentity(TenantScopedModel):
    """Links an identity provider's account (issuer, sub) to a user, per tenant: later sign-ins find the user by
    this pair, whatever the email says then. A link whose membership was removed keeps the person out."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sso_identities")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, help_text="The email of the last sign-in.")
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "SSO identities"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "issuer", "subject"], name="uniq_sso_identity"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject}@{self.issuer} -> {self.user_id}"


class SsoLoginState(TenantScopedModel):
    """One started SSO sign-in: the single-use nonce of its signed `state`, the OIDC `nonce` the ID token must
    carry, and the PKCE verifier (never in a URL)."""

    state_nonce = models.CharField(max_length=64, unique=True)
    oidc_nonce = models.CharField(max_length=64)
    code_verifier = EncryptedTextField()
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
