import pytest

from core import audit, tenancy
from tenants.roles import Role

URL = "/api/v1/audit-log/"


@pytest.fixture
def entries(tenant, other_tenant):
    with tenancy.tenant_context(tenant):
        mine = audit.record("thing.created", actor=None, object_type="thing", object_id="mine")
    with tenancy.tenant_context(other_tenant):
        theirs = audit.record("thing.created", actor=None, object_type="thing", object_id="theirs")
    return mine, theirs


def test_lists_only_the_callers_tenant_in_page_and_cursor_mode(owner_client, entries):
    mine, theirs = entries
    for params in ({}, {"cursor": ""}):
        rows = owner_client.get(URL, {"action": "thing.created", **params}).json()["results"]
        assert [row["id"] for row in rows] == [str(mine.pk)]
        assert str(theirs.pk) not in {row["id"] for row in rows}
        assert rows[0]["objectId"] == "mine" and rows[0]["action"] == "thing.created"
    assert owner_client.get(URL, {"objectId": "theirs"}).json()["results"] == []


def test_api_key_sees_only_its_tenant(tenant, api_key_client_for, entries):
    client = api_key_client_for(tenant, scopes=["read"])
    ids = {row["id"] for row in client.get(URL, {"pageSize": 100}).json()["results"]}
    assert str(entries[0].pk) in ids and str(entries[1].pk) not in ids


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER, Role.MANAGER, Role.AGENT, Role.ANALYST])
def test_members_without_audit_permission_are_forbidden(tenant, make_member, api_client_for, role, entries):
    response = api_client_for(make_member(tenant, role)).get(URL)
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"


def test_audit_log_is_read_only(owner_client, entries):
    response = owner_client.post(URL, {"action": "forged"}, format="json")
    assert response.status_code == 405 and response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    with tenancy.tenant_context(entries[0].tenant):
        from core.models import AuditLogEntry

        assert not AuditLogEntry.objects.filter(action="forged").exists()
