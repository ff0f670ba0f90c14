"""PostgreSQL backend that applies the tenancy context to the session before each query.

Every query runs as the application role (no table ownership, no BYPASSRLS) with `app.tenant_id` set to the
current tenant, so the row-level-security policies of core/db/rls.py hold even if the ORM scoping is bypassed
(raw SQL, a forgotten filter). `platform_access()` and migrations run as the connecting (owner) role instead.
The applied state is cached per connection and re-sent only when the wanted state differs: a session-level
`set_config` survives COMMIT, so the cache is kept across transactions and forgotten only where PostgreSQL undoes
the setting (a rollback, a savepoint rollback) or the session is new. A request or task that stays in one tenant
sends it once per connection, not after every BEGIN.

When it is sent before an ORM statement it rides in the same simple-protocol query (Django binds parameters on the
client, so psycopg sends one 'Q' message): `SELECT set_config(...); <statement>` is one round trip, not two. The
setting is trusted only once that query succeeded: a failing statement undoes it (implicit or explicit transaction).
"""

import re

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base

from core import tenancy
from core.db import rls

_UNKNOWN = object()
_SETTING_SQL = "SELECT set_config('role', {role}, {local}), set_config('app.tenant_id', {tenant}, {local})"
# Statements that may share a multi-statement query (not e.g. CREATE INDEX CONCURRENTLY, which refuses to).
_FOLDABLE = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_-]*$")  # role names and UUIDs: inlined as literals with nothing to escape


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._rls_applied = _UNKNOWN
        # The maintenance connection (CREATE/DROP DATABASE) works on no tenant table: it stays the owner.
        if self.alias != "__no_db__":
            self.execute_wrappers.append(self._apply_tenancy)

    def get_new_connection(self, conn_params):
        self._rls_applied = _UNKNOWN
        return super().get_new_connection(conn_params)

    def _savepoint_rollback(self, sid) -> None:
        super()._savepoint_rollback(sid)
        self._rls_applied = _UNKNOWN

    def _rollback(self) -> None:
        super()._rollback()
        self._rls_applied = _UNKNOWN

    def _commit(self) -> None:
        super()._commit()
        if settings.DATABASE_TRANSACTION_POOLING:  # the transaction-local setting ended with the transaction
            self._rls_applied = _UNKNOWN

    def _desired_session_state(self) -> tuple[str | None, str]:
        state = tenancy.current_state()
        if state.owner or state.platform:
            return None, ""
        tenant_id = state.tenant.pk if state.tenant is not None else None
        return settings.DATABASE_APP_ROLE, str(tenant_id) if tenant_id else ""

    def _apply_tenancy(self, execute, sql, params, many, context):
        desired = self._desired_session_state()
        pooled = settings.DATABASE_TRANSACTION_POOLING
        if pooled and self.get_autocommit():
            return self._apply_per_statement(execute, sql, params, many, context, desired)
        if desired == self._rls_applied or not rls.app_role_ready(self):
            return execute(sql, params, many, context)
        role, tenant_id = desired
        raw = context["cursor"].cursor
        local = "true" if pooled else "false"
        if self._can_share_query(raw, sql, many, (role or "none", tenant_id)):
            setting = _SETTING_SQL.format(role=f"'{role or 'none'}'", tenant=f"'{tenant_id}'", local=local)
            self._rls_applied = _UNKNOWN
            result = execute(f"{setting}; {sql}", params, many, context)
            raw.nextset()  # the caller reads the statement's result, not the setting's
            self._rls_applied = desired
            return result
        raw.execute(_SETTING_SQL.format(role="%s", tenant="%s", local=local), [role or "none", tenant_id])
        self._rls_applied = desired
        return execute(sql, params, many, context)

    def _apply_per_statement(self, execute, sql, params, many, context, desired):
        """Transaction pooling, autocommit: each statement is its own transaction and carries its own setting."""
        role, tenant_id = desired
        if role is None or not rls.app_role_ready(self):
            return execute(sql, params, many, context)  # as connected: pooled connections never keep a setting
        raw = context["cursor"].cursor
        if not self._can_share_query(raw, sql, many, (role, tenant_id)):
            raise RuntimeError(
                "With DATABASE_TRANSACTION_POOLING this statement cannot carry the tenant setting outside a "
                "transaction: run it inside transaction.atomic()."
            )
        setting = _SETTING_SQL.format(role=f"'{role}'", tenant=f"'{tenant_id}'", local="true")
        result = execute(f"{setting}; {sql}", params, many, context)
        raw.nextset()
        return result

    @staticmethod
    def _can_share_query(raw, sql, many: bool, values: tuple[str, str]) -> bool:
        return (
            not many
            and isinstance(sql, str)
            and isinstance(raw, psycopg.ClientCursor)  # not a named (server-side) cursor: DECLARE takes one statement
            and not raw.connection._pipeline
            and _FOLDABLE.match(sql) is not None
            and all(_PLAIN_VALUE.match(value) for value in values)
        )
