"""Many rows written in one statement, for hot paths where Django's bulk_create / bulk_update cost more than the SQL.

- `insert_rows`: one INSERT of many rows (pk, timestamps and the current tenant filled in), optionally skipping rows
  that meet a unique key and returning columns of the rows it inserted (an exactly-once claim);
- `update_rows`: one UPDATE ... FROM of many rows, each with its own changes; a field a row does not name keeps its
  value (Django's bulk_update writes every listed field of every row with a CASE per row);
- `insert_select`: one INSERT ... SELECT of the rows a queryset yields (e.g. a row per member of a group), so rows
  computed from other rows never travel through Python.

On PostgreSQL the rows travel as one JSON document read back with `jsonb_to_recordset` / `jsonb_array_elements` and
typed by the model's columns. Django binds parameters on the client: a VALUES list or arrays of 500 rows are
thousands of values quoted one by one in Python, which cost more than running the statement; one JSON string is
one quote. On SQLite (tests, development) the same calls go through the ORM.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import timezone

from core import tenancy


def insert_rows(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_conflicts_on: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert `rows` (field name or attname -> value; every row names the same fields) in one statement. The pk,
    `created_at`/`updated_at` and `tenant` are filled in when a row does not name them; other fields not named are
    NULL. With `skip_conflicts_on` (the fields of a unique key), a row that meets an existing one is skipped.
    Returns the `returning` fields of the rows this call inserted."""
    if not rows:
        return []
    given = [model._meta.get_field(name) for name in rows[0]]
    filled = _filled_columns(model, {f.column for f in given})
    if connection.vendor != "postgresql":
        return _insert_with_orm(model, rows, given, filled, skip_conflicts_on, returning)
    select = ["gen_random_uuid()" if value is None else "%s" for value in filled.values()]
    params = [value for value in filled.values() if value is not None]
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join([*filled, *(f.column for f in given)])}) "
        f"SELECT {', '.join([*select, *(f'v.{f.column}' for f in given)])} "
        f"FROM jsonb_to_recordset(%s::jsonb) AS v({_column_types(given)})"
    )
    if skip_conflicts_on:
        sql += f" ON CONFLICT ({', '.join(_columns(model, skip_conflicts_on))}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(_columns(model, returning))}"
    document = [{f.column: row[name] for f, name in zip(given, row, strict=True)} for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, _json(document)])
        return cursor.fetchall() if returning else []


def update_rows(model: type[models.Model], changes: Mapping[Any, Mapping[str, Any]]) -> int:
    """Apply `changes` (pk -> field name or attname -> new value) to rows of the current tenant in one UPDATE;
    `updated_at` becomes now. Returns how many rows were updated. (A JSON field set to None becomes JSON null.)"""
    changes = {pk: change for pk, change in changes.items() if change}
    if not changes:
        return 0
    fields = {name: model._meta.get_field(name) for change in changes.values() for name in change}
    now = timezone.now()
    if connection.vendor != "postgresql":
        return _update_with_orm(model, changes, fields, now)
    table, pk = model._meta.db_table, model._meta.pk
    assignments = []
    for name, field in fields.items():
        value = (
            f"(v.doc->'{field.column}')"
            if field.db_type(connection) == "jsonb"
            else (f"(v.doc->>'{field.column}')::{field.db_type(connection)}")
        )
        if all(name in change for change in changes.values()):
            assignments.append(f"{field.column} = {value}")
        else:  # rows that do not name it keep their value
            assignments.append(
                f"{field.column} = CASE WHEN v.doc ? '{field.column}' THEN {value} ELSE t.{field.column} END"
            )
    params: list[Any] = []
    if _has_field(model, "updated_at") and "updated_at" not in fields:
        assignments.append("updated_at = %s")
        params.append(now)
    document = [
        {pk.column: row_pk, **{fields[name].column: value for name, value in change.items()}}
        for row_pk, change in changes.items()
    ]
    params.append(_json(document))
    sql = (
        f"UPDATE {table} AS t SET {', '.join(assignments)} FROM jsonb_array_elements(%s::jsonb) AS v(doc) "
        f"WHERE t.{pk.column} = (v.doc->>'{pk.column}')::{pk.db_type(connection)}"
    )
    if _has_field(model, "tenant"):
        sql += " AND t.tenant_id = %s"
        params.append(tenancy.require_current_tenant().pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert_select(
    model: type[models.Model],
    source: models.QuerySet,
    values: Mapping[str, Any],
    *,
    skip_conflicts_on: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert one row of `model` per row of `source`, in one statement on every database: `values` maps field names
    to expressions over `source` (F(), Value(), Concat()...). The pk, `created_at`/`updated_at` and `tenant` are
    filled in when not named. With `skip_conflicts_on`, rows meeting an existing row of that unique key are skipped.
    Returns the `returning` fields of the rows this call inserted."""
    aliases = {
        f"ins_{index}": (model._meta.get_field(name), expression)
        for index, (name, expression) in enumerate(values.items())
    }
    queryset = source.annotate(**{alias: expression for alias, (_, expression) in aliases.items()}).values(*aliases)
    select_sql, select_params = queryset.query.sql_with_params()
    quote = connection.ops.quote_name
    filled = _filled_columns(model, {field.column for field, _ in aliases.values()})
    generated = "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"
    head = [generated if value is None else "%s" for value in filled.values()]
    head_params = [_db_value(model, column, value) for column, value in filled.items() if value is not None]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(c) for c in [*filled, *(field.column for field, _ in aliases.values())])}) "
        f"SELECT {', '.join([*head, *(f'src.{quote(alias)}' for alias in aliases)])} FROM ({select_sql}) AS src"
        # SQLite reads `ON CONFLICT` after a bare FROM as a join's ON: the WHERE ends the SELECT.
        " WHERE true"
    )
    if skip_conflicts_on:
        sql += f" ON CONFLICT ({', '.join(quote(c) for c in _columns(model, skip_conflicts_on))}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(quote(c) for c in _columns(model, returning))}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*head_params, *select_params])
        if not returning:
            return []
        fields = [model._meta.get_field(name) for name in returning]
        return [
            tuple(field.to_python(value) for field, value in zip(fields, row, strict=True)) for row in cursor.fetchall()
        ]


def _db_value(model, column: str, value: Any) -> Any:
    field = next(f for f in model._meta.concrete_fields if f.column == column)
    return field.get_db_prep_value(value, connection)


def _filled_columns(model, given_columns: set[str]) -> dict[str, Any]:
    """Columns a row does not name that are filled in (None: a UUID generated by the database; an integer pk is
    left to its sequence)."""
    now = timezone.now()
    filled: dict[str, Any] = {}
    if isinstance(model._meta.pk, models.UUIDField) and model._meta.pk.column not in given_columns:
        filled[model._meta.pk.column] = None
    for name in ("created_at", "updated_at"):
        if _has_field(model, name) and name not in given_columns:
            filled[name] = now
    if _has_field(model, "tenant") and "tenant_id" not in given_columns:
        filled["tenant_id"] = tenancy.require_current_tenant().pk
    return filled


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def _columns(model, names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def _column_types(fields) -> str:
    return ", ".join(f"{f.column} {f.db_type(connection)}" for f in fields)


def _json(document: list[dict]) -> str:
    return json.dumps(document, default=_jsonable, separators=(",", ":"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def _insert_with_orm(model, rows, given, filled, skip_conflicts_on, returning) -> list[tuple]:
    tenant_id = filled.get("tenant_id")
    objects = []
    for row in rows:
        values = {f.attname: row[name] for f, name in zip(given, row, strict=True)}
        if tenant_id is not None:
            values["tenant_id"] = tenant_id
        objects.append(model(**values))
    model._base_manager.bulk_create(objects, ignore_conflicts=bool(skip_conflicts_on))
    if not returning:
        return []
    # Rows that met an existing one were skipped (their in-memory pk was never stored).
    fields = [model._meta.get_field(name).attname for name in returning]
    return list(model._base_manager.filter(pk__in=[o.pk for o in objects]).values_list(*fields))


def _update_with_orm(model, changes, fields, now) -> int:
    by_fields: dict[tuple[str, ...], list] = defaultdict(list)
    stamp = _has_field(model, "updated_at") and not any(f.name == "updated_at" for f in fields.values())
    for pk, change in changes.items():
        row = model(pk=pk)
        for name, value in change.items():
            setattr(row, fields[name].attname, value)
        if stamp:
            row.updated_at = now
        by_fields[tuple(sorted(change))].append(row)
    queryset = model._base_manager.all()
    if _has_field(model, "tenant"):
        queryset = queryset.filter(tenant_id=tenancy.require_current_tenant().pk)
    touched = ["updated_at"] if stamp else []
    return sum(queryset.bulk_update(rows, [*names, *touched]) for names, rows in by_fields.items())


def update_objects(objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Save `fields` of every object (all of one model) in one UPDATE, as `update_rows` does."""
    if not objs:
        return 0
    model = type(objs[0])
    attnames = [model._meta.get_field(name).attname for name in fields]
    return update_rows(model, {obj.pk: {name: getattr(obj, name) for name in attnames} for obj in objs})
