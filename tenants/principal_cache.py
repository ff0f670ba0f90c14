"""The rows a request's Principal is built from, cached between requests (issue 16: authentication was the largest
per-request cost: one five-table join and its model instances on every bearer request, a key lookup on every API key
request).

An entry holds plain field values of the session, membership, user, tenant and API key, never a secret: no token
or API key (entries are keyed by the session id, or by an HMAC of the key under SECRET_KEY that proves nothing
without the key), no password hash, TOTP secret, recovery code hashes or API key hash (those fields come back
deferred: reading one loads it from the database). The authentication classes rebuild the instances and run the
same checks as on a database read, so time-bound ends (expiry dates) apply on every request.

Invalidation is a version stamp per tenant and per user, stored next to the entries: an entry records the stamps it
was built under, read BEFORE its rows were read, and is served only while they are unchanged, so a change is one
cache write, not a scan. The stamps change (`invalidate`) when a row an entry is built from changes: model
signals for save/delete (admin, services), `PrincipalSourceQuerySet.update()` for queryset updates, both
immediately and again after the transaction commits (a request that read the old rows in between stored the
first new stamp, which the second one outdates). A missing stamp (evicted, flushed) is never equal to a stored one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.utils.crypto import salted_hmac

PREFIX = "principal:"
# Never kept in an entry: they authenticate (or verify) someone. Rebuilt instances have them deferred.
SECRET_FIELDS = frozenset({"password", "totp_secret", "totp_recovery_code_hashes", "key_hash"})
# Bookkeeping columns no principal decision reads: updating only these leaves cached principals valid.
BOOKKEEPING_FIELDS = frozenset(
    {"last_used_at", "used_at", "last_login", "failed_login_count", "locked_until", "last_activity_at", "updated_at"}
)


def _timeout() -> int:
    return settings.PRINCIPAL_CACHE_SECONDS


def _stamp_timeout() -> int:
    """Stamps outlive the entries built under them (a stamp gone is a miss, never a stale hit); a day bounds them."""
    return max(86400, 2 * _timeout())


def enabled() -> bool:
    return _timeout() > 0


def tenant_stamp_key(tenant_id: Any) -> str:
    return f"{PREFIX}t:{tenant_id}"


def user_stamp_key(user_id: Any) -> str:
    return f"{PREFIX}u:{user_id}"


def session_entry_key(session_id: Any) -> str:
    return f"{PREFIX}s:{session_id}"


def api_key_entry_key(raw_key: str) -> str:
    return f"{PREFIX}k:{salted_hmac('principal-cache', raw_key).hexdigest()}"


def api_key_tenant_key(prefix: str) -> str:
    """Which tenant a key prefix belongs to (never changes): lets a miss read the tenant stamp before the rows."""
    return f"{PREFIX}p:{prefix}"


# --- invalidation --------------------------------------------------------------------------------------------------


def invalidate(*, tenant_ids: Iterable[Any] = (), user_ids: Iterable[Any] = ()) -> None:
    """Outdate every cached principal of these tenants and users (one stamp write each, now and after commit)."""
    keys = [tenant_stamp_key(pk) for pk in set(tenant_ids)] + [user_stamp_key(pk) for pk in set(user_ids)]
    if not keys:
        return
    _restamp(keys)
    transaction.on_commit(lambda: _restamp(keys))


def _restamp(keys: list[str]) -> None:
    cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=_stamp_timeout())


def _stamps(keys: list[str], known: dict[str, Any]) -> tuple[str, ...]:
    """The current stamps of `keys` (values already read in `known`); missing ones are created first."""
    missing = [key for key in keys if known.get(key) is None]
    if missing:
        for key in missing:
            cache.add(key, uuid.uuid4().hex, timeout=_stamp_timeout())
        known = {**known, **cache.get_many(missing)}
    return tuple(known.get(key) or "" for key in keys)


class PrincipalSourceQuerySet(models.QuerySet):
    """`update()` on rows principals are built from outdates them (save and delete send signals; update does not).

    The model's `PRINCIPAL_CACHE_SCOPE` = (`"tenant"` or `"user"`, the column holding the ids to outdate).
    """

    def update(self, **kwargs: Any) -> int:
        scope = getattr(self.model, "PRINCIPAL_CACHE_SCOPE", None)  # historical models (migrations) have none
        if scope is None or set(kwargs) <= BOOKKEEPING_FIELDS:
            return super().update(**kwargs)
        kind, column = scope
        ids = set(self.values_list(column, flat=True))
        count = super().update(**kwargs)
        invalidate(**{f"{kind}_ids": ids})
        return count


def on_saved_or_deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """post_save/post_delete receiver for the models principals are built from (connected in TenantsConfig)."""
    if kwargs.get("created"):
        return  # a new row changes no principal that exists
    update_fields = kwargs.get("update_fields")
    if update_fields and set(update_fields) <= BOOKKEEPING_FIELDS:
        return
    kind, column = sender.PRINCIPAL_CACHE_SCOPE
    invalidate(**{f"{kind}_ids": [getattr(instance, column)]})


# --- entries -------------------------------------------------------------------------------------------------------


def snapshot(instance: models.Model | None) -> dict[str, Any] | None:
    """A row's field values, secrets left out."""
    if instance is None:
        return None
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in SECRET_FIELDS
    }


def rebuild(model: type[models.Model], values: dict[str, Any] | None) -> Any:
    """The instance a database read would have given (the fields left out are deferred: read from the database)."""
    if values is None:
        return None
    return model.from_db(DEFAULT_DB_ALIAS, list(values), list(values.values()))


class Lookup:
    """One cache read of an entry and the stamps it depends on; `store()` saves rows under the stamps read here."""

    def __init__(self, entry_key: str, stamp_keys: list[str]) -> None:
        self.entry_key = entry_key
        self.stamp_keys = stamp_keys
        if not enabled():
            self.entry, self.stamps = None, ()
            return
        found = cache.get_many([entry_key, *stamp_keys])
        self.stamps = _stamps(stamp_keys, found)
        entry = found.get(entry_key)
        self.entry = entry["rows"] if entry is not None and entry["stamps"] == self.stamps else None

    def store(self, rows: dict[str, Any]) -> None:
        if enabled():
            cache.set(self.entry_key, {"stamps": self.stamps, "rows": rows}, timeout=_timeout())
