"""Row-level security on PostgreSQL: the third layer of tenant isolation.

After every `migrate`, each table of a `TenantScopedModel` gets `ENABLE` and `FORCE ROW LEVEL SECURITY` and a
policy that admits only rows whose `tenant_id` equals `current_setting('app.tenant_id')`. The application role
(settings.DATABASE_APP_ROLE) gets DML rights on every table and owns none, so it cannot bypass the policy; the
migrating role keeps a permissive policy of its own for admin and platform jobs (`tenancy.platform_access()`).
Doing this in `post_migrate` covers every tenant table, present and future, without per-app migrations.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import connections
from django.db.models.signals import post_migrate

from core.tenancy import owner_mode, owner_mode_active

__all__ = ["app_role_ready", "connect_signals", "ensure_row_level_security", "owner_mode", "owner_mode_active"]

_role_ready_cache: dict[str, bool] = {}


def app_role_ready(connection) -> bool:
    """The application role exists (it is created by the first migrate); until then queries run as connected."""
    key = connection.settings_dict["NAME"] or ""
    if not _role_ready_cache.get(key):
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.DATABASE_APP_ROLE])
            _role_ready_cache[key] = cursor.fetchone() is not None
    return _role_ready_cache[key]


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def ensure_row_level_security(using: str = "default") -> None:
    """Create the app role, grant it DML, and put the tenant policy on every tenant-scoped table. Idempotent."""
    from core.models import tenant_scoped_models

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    role = settings.DATABASE_APP_ROLE
    quoted_role = _quote(connection, role)
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) THEN "
            f"CREATE ROLE {quoted_role} NOLOGIN NOBYPASSRLS; END IF; END $$;",
            [role],
        )
        cursor.execute(f"GRANT {quoted_role} TO CURRENT_USER")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted_role}")
        privileges = "SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES"
        cursor.execute(f"GRANT {privileges} ON ALL TABLES IN SCHEMA public TO {quoted_role}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted_role}")
        cursor.execute(
            "SELECT c.relname, p.polname, obj_description(p.oid, 'pg_policy') FROM pg_policy p "
            "JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relrowsecurity AND c.relforcerowsecurity"
        )
        in_place = {(table, policy): marker for table, policy, marker in cursor.fetchall()}
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        for model in tenant_scoped_models():
            table_name = model._meta.db_table
            table = _quote(connection, table_name)
            column = _quote(connection, model._meta.get_field("tenant").column)
            condition = f"{column} = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
            # Every test flush re-runs post_migrate: rewriting ~150 tables' policies each time cost seconds, so a
            # table whose policies carry the marker of exactly this definition is left alone.
            marker = "hubbub:" + hashlib.sha256(f"{role}|{owner}|{condition}".encode()).hexdigest()[:16]
            if all(in_place.get((table_name, policy)) == marker for policy in ("tenant_isolation", "platform_owner")):
                continue
            cursor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
            cursor.execute(
                f"CREATE POLICY tenant_isolation ON {table} TO {quoted_role} "
                f"USING ({condition}) WITH CHECK ({condition})"
            )
            cursor.execute(f"DROP POLICY IF EXISTS platform_owner ON {table}")
            cursor.execute(f"CREATE POLICY platform_owner ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")
            for policy in ("tenant_isolation", "platform_owner"):
                cursor.execute(f"COMMENT ON POLICY {policy} ON {table} IS %s", [marker])
    _role_ready_cache.clear()


def _after_migrate(sender, using: str = "default", **kwargs) -> None:
    if sender.name == "core":
        ensure_row_level_security(using)


def connect_signals() -> None:
    post_migrate.connect(_after_migrate, dispatch_uid="core.rls.after_migrate")
