import threading

import pytest
from django.apps import apps
from django.db import connection, transaction

from conftest import requires_postgres
from core import tenancy
from core.models import TenantScopedManager, TenantScopedModel, tenant_scoped_models
from tenants.models import Team


def test_scoped_manager_raises_without_tenant(tenant):
    with pytest.raises(tenancy.NoTenantContext):
        list(Team.objects.all())


def test_scoped_manager_sees_only_current_tenant(tenant, other_tenant):
    with tenancy.tenant_context(tenant):
        Team.objects.create(name="Social")
        names = set(Team.objects.values_list("name", flat=True))
    assert names == {"Everyone", "Social"}
    with tenancy.tenant_context(other_tenant):
        assert set(Team.objects.values_list("name", flat=True)) == {"Everyone"}


def test_saving_a_row_of_another_tenant_is_refused(tenant, other_tenant):
    with tenancy.tenant_context(tenant):
        team = Team.objects.get(is_default=True)
    with tenancy.tenant_context(other_tenant), pytest.raises(tenancy.TenantMismatch):
        team.name = "Hijacked"
        team.save()


def test_nested_contexts_restore_the_outer_tenant(tenant, other_tenant):
    with tenancy.tenant_context(tenant):
        with tenancy.tenant_context(other_tenant):
            assert tenancy.get_current_tenant_id() == other_tenant.pk
        assert tenancy.get_current_tenant_id() == tenant.pk
    assert tenancy.get_current_tenant_id() is None


def test_context_does_not_leak_into_other_threads(tenant):
    seen = []
    with tenancy.tenant_context(tenant):
        thread = threading.Thread(target=lambda: seen.append(tenancy.get_current_tenant_id()))
        thread.start()
        thread.join()
    assert seen == [None]


# Models that point at a tenant without being owned by one, each with its reason.
NOT_TENANT_OWNED = {
    "tenants.Tenant": "`parent` links an agency to its client tenants",
    "tenants.TenantExternalId": "looked up across tenants by platform id (GET /tenants/by-external-id)",
}


def test_every_model_pointing_at_a_tenant_is_tenant_scoped_or_a_declared_exception():
    """Catches a tenant-owned model that forgot to inherit TenantScopedModel (it would have no scoping and no RLS)."""
    tenant_model = tenancy.get_tenant_model()
    unscoped = [
        model._meta.label
        for model in apps.get_models()
        if any(
            field.many_to_one and field.concrete and field.related_model is tenant_model
            for field in model._meta.get_fields()
        )
        and not issubclass(model, TenantScopedModel)
        and model._meta.label not in NOT_TENANT_OWNED
    ]
    assert unscoped == [], f"inherit core.models.TenantScopedModel or add a reason to NOT_TENANT_OWNED: {unscoped}"


def test_every_tenant_model_uses_the_scoped_manager_and_an_unscoped_default():
    models = tenant_scoped_models()
    assert len(models) > 10, "no tenant-scoped models found"
    for model in models:
        assert isinstance(model.objects, TenantScopedManager), model
        assert not isinstance(model._default_manager, TenantScopedManager), model
        assert not model._meta.get_field("tenant").null, model


def _raw_team_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM tenants_team")
        return {row[0] for row in cursor.fetchall()}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_row_level_security_hides_other_tenants_rows_from_raw_sql(tenant, other_tenant):
    with tenancy.tenant_context(tenant):
        Team.objects.create(name="Only in A")
    with tenancy.tenant_context(other_tenant):
        assert "Only in A" not in _raw_team_names()
        assert _raw_team_names() == {"Everyone"}
    with tenancy.tenant_context(tenant):
        assert _raw_team_names() == {"Everyone", "Only in A"}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_row_level_security_returns_nothing_without_tenant(tenant):
    assert _raw_team_names() == set()
    with tenancy.platform_access():
        assert "Everyone" in _raw_team_names()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_row_level_security_refuses_writing_into_another_tenant(tenant, other_tenant):
    from django.db import DatabaseError

    with (
        tenancy.tenant_context(tenant),
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO tenants_team (id, tenant_id, name, description, is_default, created_at, updated_at) "
            "VALUES (gen_random_uuid(), %s, 'Smuggled', '', false, now(), now())",
            [str(other_tenant.pk)],
        )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_tenant_setting_survives_a_rolled_back_savepoint(tenant):
    with tenancy.tenant_context(tenant), transaction.atomic():
        try:
            with transaction.atomic():
                assert "Everyone" in _raw_team_names()
                raise RuntimeError("roll back the savepoint")
        except RuntimeError:
            pass
        assert "Everyone" in _raw_team_names()


@requires_postgres
def test_every_tenant_table_has_forced_row_level_security(db):
    tables = [model._meta.db_table for model in tenant_scoped_models()]
    with tenancy.platform_access(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relrowsecurity AND relforcerowsecurity",
            [tables],
        )
        secured = {row[0] for row in cursor.fetchall()}
    assert secured == set(tables)


@requires_postgres
def test_application_role_cannot_bypass_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, bypass, superuser = cursor.fetchone()
    assert user == "hubbub_app"
    assert not bypass and not superuser


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_row_level_security_upkeep_restores_a_missing_policy_and_leaves_current_ones_alone(tenant):
    from django.test.utils import CaptureQueriesContext

    from core.db.rls import ensure_row_level_security

    table = Team._meta.db_table
    with tenancy.owner_mode(), connection.cursor() as cursor:
        cursor.execute(f"DROP POLICY tenant_isolation ON {table}")
    with tenancy.tenant_context(tenant):
        assert _raw_team_names() == set()  # forced RLS with no admitting policy: nothing visible

    with CaptureQueriesContext(connection) as repair:
        ensure_row_level_security()
    assert any(f'CREATE POLICY tenant_isolation ON "{table}"' in q["sql"] for q in repair.captured_queries)
    with tenancy.tenant_context(tenant):
        assert _raw_team_names() == {"Everyone"}

    with CaptureQueriesContext(connection) as again:
        ensure_row_level_security()
    assert not [q["sql"] for q in again.captured_queries if "POLICY" in q["sql"] and "pg_policy" not in q["sql"]]
