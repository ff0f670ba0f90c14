from __future__ import annotations

import pytest

from core import url_safety

PUBLIC_IP = "93.184.216.34"


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    """No test resolves real names: every host is public except the names tests use for private targets."""
    private = {"internal.example": "10.0.0.5", "localhost": "127.0.0.1"}

    def resolve(host: str, port: int) -> list[str]:
        if host in private:
            return [private[host]]
        if all(part.isdigit() for part in host.split(".")) or ":" in host:
            return [host]
        return [PUBLIC_IP]

    monkeypatch.setattr(url_safety, "resolve_host", resolve)


@pytest.fixture
def run_after_commit(django_capture_on_commit_callbacks):
    """Use as `with run_after_commit():` so after-commit work (tasks, eager in tests) runs at block exit."""

    def make():
        return django_capture_on_commit_callbacks(execute=True)

    return make


@pytest.fixture(autouse=True)
def _notifications_deliverer(monkeypatch):
    """core/tests/test_notify.py resets the deliverer to plain email when it finishes; ours is the installed one."""
    from core import notify
    from notifications.services.notices import deliver_notice

    monkeypatch.setattr(notify, "_deliverer", deliver_notice)


@pytest.fixture
def without_default_integrations(tenant):
    """Routing tests use exactly the integrations they create: the integrations every new tenant gets (in-app feed,
    the site's SMTP) are deleted first, as the tenant's owner may through the API."""
    from core import tenancy
    from core.auth import Principal
    from notifications.models import Integration
    from notifications.services.defaults import DEFAULT_INTEGRATIONS
    from notifications.services.integrations import delete_integration

    staff = Principal(tenant=tenant, permissions=frozenset(), kind="staff")
    with tenancy.tenant_context(tenant):
        defaults = Integration.objects.filter(identifier__in=[row[0] for row in DEFAULT_INTEGRATIONS])
        assert len(defaults) == len(DEFAULT_INTEGRATIONS)  # the tenant-created hook installed them
        for integration in defaults:
            delete_integration(integration, actor=staff)
