"""The audit log names the actor the service was given, never whoever happens to be in the tenancy state."""

import ast
from pathlib import Path

from django.conf import settings

from core import audit, tenancy
from core.auth import Principal
from core.models import AuditLogEntry


def test_the_explicit_actor_wins_over_the_acting_principal(tenant, owner, make_member):
    other = make_member(tenant)
    acting = Principal(tenant=tenant, permissions=frozenset(), kind="user", user=owner.user)
    named = Principal(tenant=tenant, permissions=frozenset(), kind="user", user=other.user)
    with tenancy.acting_as(acting):
        entry = audit.record("test.named", actor=named)
        system = audit.record("test.system", actor=None)
    assert (entry.actor_user_id, entry.actor_label) == (other.user_id, other.user.email)
    assert (system.actor_user_id, system.actor_label) == (None, "system")


def test_staff_are_named_by_actor_user(tenant, owner):
    with tenancy.tenant_context(tenant):
        entry = audit.record("test.staff", actor=None, actor_user=owner.user)
        assert AuditLogEntry.objects.get(pk=entry.pk).actor_label == owner.user.email


def _record_calls_without_actor(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        f"{path}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "record"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "audit"
        and not any(keyword.arg == "actor" for keyword in node.keywords)
    ]


def test_every_audit_call_names_its_actor():
    root = Path(settings.BASE_DIR)
    local_apps = [app for app in settings.INSTALLED_APPS if (root / app / "apps.py").exists()]
    offenders = [
        call
        for app in local_apps
        for path in (root / app).rglob("*.py")
        if "tests" not in path.parts
        for call in _record_calls_without_actor(path)
    ]
    assert offenders == [], "pass actor=<Principal> (or actor=None for the system) to audit.record"
