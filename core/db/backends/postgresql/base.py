"""PostgreSQL backend that applies the tenancy context to the session before each query.

Every query runs as the application role (no table ownership, no BYPASSRLS) with `app.tenant_id` set to the
current tenant, so the row-level-security policies of core/db/rls.py hold even if the ORM scoping is bypassed
(raw SQL, a forgotten filter). `platform_access()` and migrations run as the connecting (owner) role instead.
The applied state is cached per connection and re-sent only when the wanted state differs: a session-level
`set_config` survives COMMIT, so the cache is kept across transactions and forgotten only where PostgreSQL undoes
the setting (a rollback, a savepoint rollback) or the session is new. A request or task that stays in one tenant
sends it once per connection, not after every BEGIN.
"""

from django.conf import settings
from django.db.backends.postgresql import base

from core import tenancy
from core.db import rls

_UNKNOWN = object()


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

    def _desired_session_state(self) -> tuple[str | None, str]:
        state = tenancy.current_state()
        if state.owner or state.platform:
            return None, ""
        tenant_id = state.tenant.pk if state.tenant is not None else None
        return settings.DATABASE_APP_ROLE, str(tenant_id) if tenant_id else ""

    def _apply_tenancy(self, execute, sql, params, many, context):
        desired = self._desired_session_state()
        if desired != self._rls_applied and rls.app_role_ready(self):
            role, tenant_id = desired
            raw = context["cursor"].cursor
            raw.execute(
                "SELECT set_config('role', %s, false), set_config('app.tenant_id', %s, false)",
                [role or "none", tenant_id],
            )
            self._rls_applied = desired
        return execute(sql, params, many, context)
