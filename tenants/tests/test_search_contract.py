"""Every list operation whose schema advertises `search` really searches, and write operations advertise no list
filters. Walks the generated OpenAPI schema, so a new list endpoint is covered without anyone listing it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator

from core.tests.test_route_contract import make_world

NO_MATCH = "zq-no-such-thing-zq"

# Values for required query parameters of a searchable operation (a calendar's range).
_today = date.today()
REQUIRED_VALUES = {"from": str(_today - timedelta(days=30)), "to": str(_today + timedelta(days=30))}

# Lists the demo data and the route contract's builders fill, so an ignored `search` shows as a non-empty answer.
FILLED = (
    "contentplanner.PostGroup",
    "notifications.ChatConnection",
    "social.Media",
    "social.ShortLink",
    "tenants.Tenant",
    "tenants.Team",
)


def _operations() -> tuple[list[str], list[tuple[str, str]], dict[str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    searchable, filtered_writes, required = [], [], {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            if method in {"post", "put", "patch", "delete"} and names & {"search", "ordering", "page", "pageSize"}:
                filtered_writes.append((method, path))
            if method == "get" and "search" in names and "{" not in path:
                searchable.append(path)
                required[path] = {
                    p["name"]: REQUIRED_VALUES[p["name"]]
                    for p in operation.get("parameters", [])
                    if p.get("in") == "query" and p.get("required")
                }
    return sorted(searchable), filtered_writes, required


SEARCHABLE, FILTERED_WRITES, REQUIRED_QUERY = _operations()


def test_no_write_operation_advertises_list_parameters():
    assert FILTERED_WRITES == []


def test_the_walk_finds_the_searchable_lists():
    assert {
        "/api/v1/api-keys/",
        "/api/v1/audit-log/",
        "/api/v1/channels/",
        "/api/v1/users/",
        "/api/v1/cp/campaigns/",
        "/api/v1/cp/post-groups/",
        "/api/v1/cp/tags/",
    } <= set(SEARCHABLE)


@pytest.fixture
def world(db, api_client_for, api_key_client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = make_world("Searchers", api_client_for, api_key_client_for)
    for label in FILLED:
        world.object_of(label)
    return world


def _size(response) -> int | None:
    if not response.get("Content-Type", "").startswith("application/json"):
        return None  # a file download (exports): searched through the same filter as its list
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return len(body["results"])
    return len(body) if isinstance(body, list) else None


@pytest.mark.parametrize("path", SEARCHABLE)
def test_search_filters_every_list_that_advertises_it(world, path):
    everything = world.owner_client.get(path, REQUIRED_QUERY[path])
    assert everything.status_code == 200, everything.content[:300]
    searched = world.owner_client.get(path, {**REQUIRED_QUERY[path], "search": NO_MATCH})
    assert searched.status_code == 200, searched.content[:300]
    size = _size(everything)
    if size is None:
        return
    assert size > 0, f"{path}: no rows to search; give the world some (FILLED)"
    assert _size(searched) == 0, f"{path} ignores ?search="
