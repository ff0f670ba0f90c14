import sys
import types
from io import StringIO

from django.core.management import call_command

from core import tenancy
from tenants.models import ApiKey, Membership, Team, TeamMember, Tenant, User


def run() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_the_demo_world_once(db, monkeypatch):
    calls = []
    fake = types.ModuleType("social.demo")
    fake.seed_demo = lambda *, tenant, owner: calls.append((tenant.slug, owner.email))
    monkeypatch.setitem(sys.modules, "social.demo", fake)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: name != "contentplanner.demo" or None)

    first = run()
    tenant = Tenant.objects.get(slug="demo")
    assert tenant.name == "Demo Agency" and tenant.plan == "business"
    owner = User.objects.get(email="demo@hubbub.local")
    assert owner.check_password("hubbub-demo")
    assert User.objects.get(email="admin@hubbub.local").is_superuser
    with tenancy.tenant_context(tenant):
        roles = dict(Membership.objects.values_list("user__email", "role"))
        assert roles == {
            "demo@hubbub.local": "OWNER",
            "editor@hubbub.local": "EDITOR",
            "approver@hubbub.local": "APPROVER",
        }
        social = Team.objects.get(name="Social")
        assert TeamMember.objects.filter(team=social).count() == 3
        key = ApiKey.objects.get(name="Demo key")
    assert f"hb_{key.prefix}_" in first and "http://localhost:8000/api/docs/" in first and "/admin/" in first
    assert calls == [("demo", "demo@hubbub.local")]

    second = run()
    assert "exists" in second and f"hb_{key.prefix}_" not in second and "rotate" in second
    assert Tenant.objects.filter(slug="demo").count() == 1
    with tenancy.tenant_context(tenant):
        assert Membership.objects.count() == 3 and ApiKey.objects.count() == 1 and Team.objects.count() == 2
    assert User.objects.filter(email__endswith="@hubbub.local").count() == 4
