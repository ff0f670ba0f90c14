"""Input plumbing: validated() renders errors in the documented shape; ids resolve only inside the tenant."""

import pytest
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core import tenancy
from core.api.inputs import TenantScopedPrimaryKeyRelatedField, resolve_ids, validated
from core.errors import ValidationFailed
from tenants.models import Team


def _team(tenant, name):
    with tenancy.tenant_context(tenant):
        return Team.objects.create(tenant=tenant, name=name)


class NameInput(serializers.Serializer):
    name = serializers.CharField(max_length=5)


def _request(method="post", data=None, query=""):
    factory = APIRequestFactory()
    raw = factory.post(f"/x{query}", data or {}, format="json") if method == "post" else factory.get(f"/x{query}")
    return Request(raw, parsers=[JSONParser()])


def test_validated_reads_body_and_query():
    assert validated(NameInput, _request(data={"name": "abc"})) == {"name": "abc"}
    assert validated(NameInput, _request("get", query="?name=xy"), source="query") == {"name": "xy"}


def test_validated_raises_validation_failed_with_field_details():
    with pytest.raises(ValidationFailed) as exc:
        validated(NameInput, _request(data={"name": "too long"}))
    assert set(exc.value.details) == {"name"}


class TeamInput(serializers.Serializer):
    team = TenantScopedPrimaryKeyRelatedField(lambda request: Team.objects.all(), label_name="team")


def test_related_field_resolves_in_tenant_and_treats_other_tenant_as_unknown(tenant, other_tenant):
    foreign, own = _team(other_tenant, "Theirs"), _team(tenant, "Ours")
    with tenancy.tenant_context(tenant):
        ok = TeamInput(data={"team": str(own.pk)})
        assert ok.is_valid(), ok.errors
        assert ok.validated_data["team"] == own
        bad = TeamInput(data={"team": str(foreign.pk)})
        assert not bad.is_valid()
        assert bad.errors["team"] == [f"Unknown team: {foreign.pk}."]


def test_resolve_ids_keeps_order_and_names_every_missing_id(tenant, other_tenant):
    foreign, a, b = _team(other_tenant, "Theirs"), _team(tenant, "A"), _team(tenant, "B")
    with tenancy.tenant_context(tenant):
        assert resolve_ids(Team.objects.all(), [b.pk, a.pk], field="teamIds", label="team") == [b, a]
        with pytest.raises(ValidationFailed) as exc:
            resolve_ids(Team.objects.all(), [a.pk, foreign.pk], field="teamIds", label="team")
    assert exc.value.details == {"teamIds": [f"Unknown team: {foreign.pk}."]}
