"""Shared fixtures: tenants, members by role, API clients for a member or an API key."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from core import tenancy
from tenants.roles import Role
from tenants.tests.factories import MembershipFactory, TenantFactory


def pytest_configure(config) -> None:
    """Give each pytest-xdist worker its own Redis cache database.

    Every test starts with `cache.clear()`, which flushes the whole Redis database: workers sharing one would wipe
    each other's rate-limit counters and locks mid-test. The Makefile caps workers at 4, so databases 10-13.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    cache_settings = django_settings.CACHES["default"]
    if worker and cache_settings["BACKEND"].endswith("RedisCache"):
        index = int(worker.removeprefix("gw"))
        cache_settings["LOCATION"] = urlunsplit(urlsplit(cache_settings["LOCATION"])._replace(path=f"/{10 + index}"))


@pytest.fixture(autouse=True)
def _isolated_test(settings):
    """Fast password hashing, eager Celery, a clean cache, and no tenant context leaking between tests."""
    from config.celery import app

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.conf.task_always_eager = True
    cache.clear()
    tenancy.clear_tenant()
    yield
    tenancy.clear_tenant()


requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (row-level security / skip_locked); running on SQLite"
)


@pytest.fixture
def tenant(db):
    return TenantFactory(name="Acme", plan="business")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(name="Globex", plan="business")


@pytest.fixture
def make_member(db):
    """make_member(tenant, role=Role.EDITOR, **user_fields) -> Membership."""

    def make(tenant, role: str = Role.EDITOR, **user_fields):
        return MembershipFactory(tenant=tenant, role=role, **{f"user__{k}": v for k, v in user_fields.items()})

    return make


@pytest.fixture
def owner(tenant, make_member):
    return make_member(tenant, Role.OWNER)


@pytest.fixture
def api_client_for(db):
    """api_client_for(membership) -> APIClient authenticated with a fresh access token of that membership."""
    from tenants.tokens import start_session

    def make(membership) -> APIClient:
        client = APIClient()
        pair = start_session(membership)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
        client.token_pair = pair
        return client

    return make


@pytest.fixture
def api_key_client_for(db):
    """api_key_client_for(tenant, scopes=["read", "write"]) -> APIClient using a new API key of that tenant."""
    from tenants.services.api_keys import create_api_key

    def make(tenant, scopes=("read", "write")) -> APIClient:
        with tenancy.tenant_context(tenant):
            key, raw = create_api_key(actor=None, name="test key", scopes=list(scopes))
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=raw)
        client.api_key, client.raw_key = key, raw
        return client

    return make


@pytest.fixture
def owner_client(owner, api_client_for):
    return api_client_for(owner)
