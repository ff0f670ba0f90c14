"""Hubbub settings: one module, configured only by environment variables with embedded defaults.

With no environment set it runs on SQLite and an embedded Celery broker (SQLAlchemy transport on a SQLite file),
so a newcomer needs nothing installed. `DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and Redis.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HUBBUB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _development_secret(name: str, length: int = 50) -> str:
    """A secret generated once per checkout and kept in var/, so development restarts keep sessions and keys."""
    path = VAR_DIR / f".{name}"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(length))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret("secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / ReDoc assets served by us: the docs work without a CDN
    "core",
    "tenants",
    "social",
    "contentplanner",
    "notifications",
    "inbox",
    "community",
    "ads",
    "analytics",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.middleware.RequestEdgeMiddleware",
    "core.middleware.TenantContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.PlatformAdminMiddleware",
    "djangorestframework_camel_case.middleware.CamelCaseMiddleWare",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite by default; PostgreSQL (through our RLS-aware backend) when DATABASE_URL says so.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'hubbub.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "core.db.backends.postgresql"
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("DATABASE_TEST_NAME") or None
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# The role the application runs as on PostgreSQL: it owns no table and lacks BYPASSRLS (see core/db/rls.py).
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "hubbub_app")
# Behind PgBouncer in transaction pool mode: the tenant setting is transaction-local (core/db/backends/postgresql).
DATABASE_TRANSACTION_POOLING = env_bool("DATABASE_TRANSACTION_POOLING", False)
if DATABASE_TRANSACTION_POOLING:  # a named cursor outlives the transaction its server connection was lent for
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenants.User"
# The model core's tenancy scopes by (resolved with apps.get_model, like AUTH_USER_MODEL): core names no app.
TENANT_MODEL = "tenants.Tenant"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env_list("PASSWORD_HASHERS") or [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": os.environ.get("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Request bodies: JSON bodies above this get 413 PAYLOAD_TOO_LARGE; uploads stream to disk above the memory limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_JSON_BODY_BYTES", 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", 512 * 1024 * 1024))

# Encryption at rest for secrets (channel tokens, TOTP secrets): comma-separated Fernet keys, newest first.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or [_development_secret("field_encryption_key", 32)]

# Tokens
JWT_SIGNING_KEY = os.environ.get("JWT_SIGNING_KEY") or SECRET_KEY
ACCESS_TOKEN_LIFETIME = timedelta(seconds=int(os.environ.get("ACCESS_TOKEN_SECONDS", 3600)))
REFRESH_TOKEN_LIFETIME = timedelta(seconds=int(os.environ.get("REFRESH_TOKEN_SECONDS", 86400)))
# Authenticated principals are cached this long (tenants/principal_cache.py; changes outdate them at once); 0: off.
PRINCIPAL_CACHE_SECONDS = int(os.environ.get("PRINCIPAL_CACHE_SECONDS", 300))
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", 5))
LOGIN_LOCKOUT = timedelta(seconds=int(os.environ.get("LOGIN_LOCKOUT_SECONDS", 900)))
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_SECONDS", 3600))
# How long an emailed email-verification link works.
EMAIL_VERIFICATION_SECONDS = int(os.environ.get("EMAIL_VERIFICATION_SECONDS", 3 * 86400))
# How long a staff impersonation session lasts (minutes).
IMPERSONATION_MINUTES = int(os.environ.get("IMPERSONATION_MINUTES", 30))

# The plan (a tenants.Plan code) new sign-ups get. Empty (the default, for self-hosted installations): the top plan,
# so a self-hoster is never limited by a SaaS plan; a hosted service sets e.g. DEFAULT_PLAN=free.
DEFAULT_PLAN = os.environ.get("DEFAULT_PLAN", "")

# Social network apps (OAuth clients). Empty values: the network can be listed but not connected.
SOCIAL_NETWORKS = ("facebook", "instagram", "linkedin", "x", "youtube", "tiktok", "pinterest", "wordpress")
NETWORK_APPS = {
    network: {
        "client_id": os.environ.get(f"{network.upper()}_CLIENT_ID", ""),
        "client_secret": os.environ.get(f"{network.upper()}_CLIENT_SECRET", ""),
    }
    for network in SOCIAL_NETWORKS
}
# The bit.ly OAuth app tenants connect their own bit.ly account with (shortener mode OWN); empty: paste a token.
BITLY_APP = {
    "client_id": os.environ.get("BITLY_CLIENT_ID", ""),
    "client_secret": os.environ.get("BITLY_CLIENT_SECRET", ""),
}
NETWORK_HTTP_TIMEOUT = float(os.environ.get("NETWORK_HTTP_TIMEOUT", 20))
# Hosts the browser may be sent back to after connecting a channel (empty: any https host, http on localhost).
OAUTH_ALLOWED_REDIRECT_HOSTS = env_list("OAUTH_ALLOWED_REDIRECT_HOSTS")
# Where the offline sandbox network "authorizes" (a page of the embedding app in demos).
SANDBOX_AUTHORIZE_URL = os.environ.get("SANDBOX_AUTHORIZE_URL", "https://sandbox.hubbub.invalid/oauth/authorize")

# Inbox: network push receivers refuse every request until their secrets are set; polling interval per channel.
INBOX_META_APP_SECRET = os.environ.get("INBOX_META_APP_SECRET", "")  # empty: FACEBOOK_CLIENT_SECRET
INBOX_META_VERIFY_TOKEN = os.environ.get("INBOX_META_VERIFY_TOKEN", "")
INBOX_X_CONSUMER_SECRET = os.environ.get("INBOX_X_CONSUMER_SECRET", "")
INBOX_POLL_INTERVAL_SECONDS = int(os.environ.get("INBOX_POLL_INTERVAL_SECONDS", 120))
# Outgoing webhooks may target these private hosts (everything else must be public).
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS")

# Mail: console in development, SMTP by env.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Notification provider API roots by provider id ("sendgrid=http://127.0.0.1:9000/v3,ses=..."): a regional or
# self-hosted endpoint, or a local fake in benchmarks. Operator-only; tenants never choose where credentials go.
NOTIFICATIONS_PROVIDER_API_BASES = dict(
    item.split("=", 1) for item in env_list("NOTIFICATIONS_PROVIDER_API_BASES") if "=" in item
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Hubbub <no-reply@hubbub.local>")

# Cache: Redis when configured (shared throttling and locks across processes), local memory otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_CACHE_URL = os.environ.get("REDIS_CACHE_URL", REDIS_URL)
if REDIS_CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hubbub"}}

# User JSON keeps its keys both ways (the parser does not underscoreize inside it, the renderer does not camelize it):
# a post's network options are read by the adapters with the network's own names (`boardId`, `replySettings`).
JSON_CAMEL_CASE = {"JSON_UNDERSCOREIZE": {"ignore_fields": ("network_options",)}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.BearerTokenAuthentication",
        "tenants.authentication.ApiKeyAuthentication",
        "tenants.authentication.BasicApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.IsTenantMember"],
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.CamelCaseJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # camelCase parsers that refuse unstorable input (deep nesting, NaN, NUL, surrogates): core/api/parsers.py
        "core.api.parsers.JSONParser",
        "core.api.parsers.MultiPartParser",
        "core.api.parsers.FormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.api.filters.DeclaredSearchFilter",
        "core.api.filters.CamelCaseOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "principal": os.environ.get("THROTTLE_RATE", "1200/min"),
        "auth": os.environ.get("AUTH_THROTTLE_RATE", "30/min"),
    },
    "SEARCH_PARAM": "search",
    "ORDERING_PARAM": "ordering",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hubbub API",
    "DESCRIPTION": (
        "Multi-tenant social media management. The tenant is implied by the credential. Every error has the "
        "shape `{error: {code, message, details}, statusCode, path, timestamp, requestId}`."
    ),
    "VERSION": "1.0.0",
    # Operations are grouped by the resource after /api/v1/ (teams, cp, inbox, ...), not all under "v1".
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    # Hundreds of operations: the docs open with the sections collapsed and a filter box, so they load at once.
    "SWAGGER_UI_SETTINGS": {"docExpansion": "none", "filter": True, "deepLinking": True},
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The API speaks JSON: bodies are documented as JSON only (the media upload declares its multipart form itself).
    # Form encodings stay accepted, undocumented; listing three encodings per body broke generated clients.
    "PARSER_WHITELIST": ["core.api.parsers.JSONParser"],
    "CAMELIZE_NAMES": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.align_path_parameters",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "tenants.roles.Role",
        "TeamRoleEnum": "tenants.models.TeamRole",
        "TenantStatusEnum": "tenants.models.TenantStatus",
        "PermissionEnum": "tenants.api.serializers.PERMISSION_CHOICES",
        "PublicInteractionTypeEnum": "inbox.api.public_serializers.TYPES",
        "InboxAlertKindEnum": "inbox.models.AlertKind",
        "RuleActionTypeEnum": "inbox.api.serializers.RULE_ACTION_TYPES",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_AUTHENTICATION": [],
}

# Celery: Redis in production; an embedded SQLite-backed broker otherwise (needs no server).
CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless this is set, which makes
# CONN_MAX_AGE meaningless in workers: a new PostgreSQL connection (a backend fork, ~2-5 ms of CPU) per task. With
# it a worker keeps its connection (the fixup recycles it every ~N tasks); config/celery.py drops a broken or
# obsolete one before each task, so a dropped connection costs one failed health check, not a failed task.
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))
# Network calls of one publish batch run on this many threads per worker process (contentplanner.publishing.batch).
PUBLISH_NETWORK_CONCURRENCY = int(os.environ.get("PUBLISH_NETWORK_CONCURRENCY", "4"))
# Visibility timeout must exceed every task's hard time limit, or Redis redelivers running tasks. (The embedded
# SQLAlchemy transport passes its options to create_engine and has no such timeout.)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600} if REDIS_URL else {}
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE: dict = {}  # filled from each installed app's `schedules.BEAT_SCHEDULE` in config/celery.py

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s tenant=%(tenant_id)s] %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and PUBLIC_BASE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
# A CSRF refusal (e.g. a POST to a public page) answers in the API's error shape, not Django's HTML page.
CSRF_FAILURE_VIEW = "core.api.exceptions.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS", "security.W004,security.W008,security.W012,security.W016")
