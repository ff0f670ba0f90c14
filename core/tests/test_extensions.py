"""The one registry through which apps contribute to each other (core.extensions)."""

import pytest
from rest_framework import serializers

from core import extensions
from tenants.roles import Role


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(extensions, "_tenant_settings", dict(extensions._tenant_settings))
    monkeypatch.setattr(extensions, "_usage_counters", dict(extensions._usage_counters))


def test_a_registered_tenant_setting_is_validated_and_stored(registry, tenant, make_member, api_client_for):
    extensions.register_tenant_setting("reply_window_hours", lambda: serializers.IntegerField(min_value=1))
    client = api_client_for(make_member(tenant, Role.ADMIN))
    bad = client.patch("/api/v1/tenant", {"settings": {"replyWindowHours": 0}}, format="json")
    assert bad.status_code == 400
    ok = client.patch("/api/v1/tenant", {"settings": {"replyWindowHours": 4}}, format="json")
    assert ok.status_code == 200, ok.json()
    tenant.refresh_from_db()
    assert tenant.settings["reply_window_hours"] == 4


def test_an_unregistered_setting_is_still_refused(tenant, make_member, api_client_for):
    client = api_client_for(make_member(tenant, Role.ADMIN))
    response = client.patch("/api/v1/tenant", {"settings": {"replyWindowHours": 4}}, format="json")
    assert response.status_code == 400


def test_usage_of_a_name_nobody_counts_is_zero_and_a_registered_counter_is_used(registry):
    assert extensions.usage("tickets") == 0
    extensions.register_usage_counter("tickets", lambda: 3)
    assert extensions.usage("tickets") == 3


def test_installed_apps_with_demo_data_are_discovered_in_order():
    assert [label for label, _module in extensions.demo_modules()][:2] == ["social", "contentplanner"]
