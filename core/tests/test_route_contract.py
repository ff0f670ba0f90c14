"""The tenant API contract, generated from the URLconf (NetBox's generated API matrix, for tenancy and roles).

For every route of a tenant view and every HTTP method it answers:
- anonymous -> 401;
- another tenant's object in the path (detail routes), asked by this tenant's OWNER -> 404, and nothing changed;
- the lowest credential (a VIEWER member; a read-scope API key where only keys are accepted) on a write it is not
  granted -> 403, and nothing changed.

A new route or action is covered without anyone listing it. The objects come from the apps' demo data
(`<app>/demo.py`, the `seed_demo` convention) plus the few builders below; a route whose object or path value
cannot be found fails `test_every_tenant_route_is_covered` with what to add.

Each app declares what its routes need in its own `<app>/tests/route_contract.py` (any of `OBJECT_BUILDERS`,
`PATH_VALUES`, `GRANTED_TO_EVERY_ROLE`, `EXEMPT`, `LOWEST_CLIENTS`, with the shapes below); they are merged here.
"""

from __future__ import annotations

import importlib
import io
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image
from rest_framework.test import APIClient

from core import extensions, tenancy
from core.api.permissions import required_permission_for
from core.api.viewsets import TenantAPIMixin, TenantViewSet
from core.models import AuditLogEntry
from tenants.authentication import BearerTokenAuthentication
from tenants.models import Team, Tenant
from tenants.roles import Role
from tenants.services import workspaces
from tenants.tests.factories import MembershipFactory, TenantFactory

SAFE_METHODS = {"get", "head", "options"}


# --- the routes ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    pattern: str  # the regex/route of the URL, as Django shows it
    view: type
    method: str
    action: str | None  # the viewset action, None for APIViews
    kwargs: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} /{self.pattern} ({self.view.__name__}{'.' + self.action if self.action else ''})"


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback, pattern.pattern


def tenant_routes() -> list[Route]:
    routes = []
    for path, callback, pattern in _walk(get_resolver().url_patterns):
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if view is None or not issubclass(view, TenantAPIMixin):
            continue
        actions = getattr(callback, "actions", None) or {
            method: None for method in ("get", "post", "put", "patch", "delete") if hasattr(view, method)
        }
        regex = getattr(pattern, "regex", None)
        kwargs = tuple(regex.groupindex) if regex is not None else ()
        for method, action in actions.items():
            routes.append(Route(path, view, method, action, kwargs))
    return routes


def url_for(route: Route, values: dict[str, str]) -> str:
    """The concrete URL of `route` with `values` for its named groups (regex and `<converter:name>` routes)."""
    path = route.pattern.replace("^", "").replace("/?$", "/").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", lambda m: str(values[m.group(1)]), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    return "/" + path


# --- the objects in the path -----------------------------------------------------------------------------------------


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def _media(world: World) -> None:
    upload = SimpleUploadedFile("pixel.png", _png(), "image/png")
    assert world.owner_client.post("/api/v1/media/", {"file": upload}, format="multipart").status_code == 201


def _short_link(world: World) -> None:
    response = world.owner_client.post("/api/v1/shortlinks/", {"url": "https://example.com/a"}, format="json")
    assert response.status_code == 201, response.json()


def _connect_grant(world: World) -> None:
    started = world.owner_client.post(
        "/api/v1/channels/connect",
        {"network": "sandbox", "redirectUri": "https://app.example.com/done", "choose": True},
        format="json",
    ).json()
    callback = APIClient().get("/api/v1/channels/oauth/callback/sandbox", {"code": "c", "state": started["state"]})
    assert "status=choose" in callback["Location"], callback["Location"]


def _subtenant(world: World) -> None:
    child = workspaces.create_tenant(actor=None, name=f"Client of {world.tenant.name}", parent=world.tenant)
    with tenancy.tenant_context(child):
        workspaces.set_external_ids(child, {"crm": f"crm-{child.pk.hex[:8]}"})


def _team(world: World) -> None:
    assert world.owner_client.post("/api/v1/teams/", {"name": "Contract"}, format="json").status_code == 201


def _post_group(world: World) -> None:
    channels = world.owner_client.get("/api/v1/channels/").json()["results"]
    payload = {"channelIds": [channels[0]["id"]], "text": "Contract"}
    response = world.owner_client.post("/api/v1/cp/post-groups/", payload, format="json")
    assert response.status_code == 201, response.json()


def _calendar_feed(world: World) -> None:
    assert world.owner_client.post("/api/v1/cp/calendar-feeds/", {"name": "Contract"}, format="json").status_code == 201


def _post_import(world: World) -> None:
    upload = SimpleUploadedFile("posts.csv", b"channel,text\nnowhere,Contract\n", "text/csv")
    response = world.owner_client.post("/api/v1/cp/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.json()


# Models the demo data does not create: built through the API (or the service) of the tenant being set up.
OBJECT_BUILDERS: dict[str, Callable[[World], None]] = {
    "contentplanner.CalendarFeed": _calendar_feed,
    "contentplanner.PostGroup": _post_group,
    "contentplanner.PostImport": _post_import,
    "social.ConnectGrant": _connect_grant,
    "social.Media": _media,
    "social.ShortLink": _short_link,
    "tenants.Tenant": _subtenant,
    "tenants.Team": _team,
}

# Path values that are not the viewset's own lookup: (view, kwarg) -> value in a world.
PATH_VALUES: dict[tuple[str, str], Callable[[World], Any]] = {
    ("SubTenantViewSet", "alias"): lambda world: world.object_of("tenants.Tenant").slug,
    ("SubTenantViewSet", "platform"): lambda world: "crm",
    ("SubTenantViewSet", "external_id"): lambda world: world.object_of("tenants.Tenant").external_ids.get().external_id,
    ("TeamChannelsView", "team_id"): lambda world: world.object_of("tenants.Team").pk,
    ("PostMetricsView", "pk"): lambda world: world.object_of("contentplanner.Post").pk,
    ("ChannelViewSet", "kind"): lambda world: "boards",
    ("ChannelViewSet", "grant_id"): lambda world: world.object_of("social.ConnectGrant").pk,
}

# Routes exempt from one check, each with its reason. Keep this short: an entry is a hole in the contract.
EXEMPT: dict[tuple[str, str, str], str] = {}


@dataclass
class World:
    """One tenant with its owner, a VIEWER, a read-scope API key and an object of every kind the routes name."""

    tenant: Tenant
    owner: Any
    owner_client: APIClient
    viewer_client: APIClient
    read_key_client: APIClient
    objects: dict[str, Model] = field(default_factory=dict)

    def object_of(self, label: str) -> Model:
        if label not in self.objects:
            self.objects[label] = self._find(label) or self._build(label)
        return self.objects[label]

    def _find(self, label: str) -> Model | None:
        model = _model(label)
        with tenancy.platform_access():
            if model is Tenant:
                return Tenant.objects.filter(parent=self.tenant).prefetch_related("external_ids").first()
            queryset = model.all_tenants.filter(tenant=self.tenant)
            if model is Team:
                queryset = queryset.filter(is_default=False)  # the default team answers 409 to edits
            return queryset.order_by("created_at").first()

    def _build(self, label: str) -> Model:
        builder = OBJECT_BUILDERS.get(label)
        if builder is None:
            raise LookupError(
                f"no {label} in the demo data of a tenant: create one in its app's demo.py, or add a builder to "
                "OBJECT_BUILDERS in core/tests/test_route_contract.py"
            )
        builder(self)
        found = self._find(label)
        assert found is not None, f"the builder of {label} made none"
        return found


def _model(label: str) -> type[Model]:
    return apps.get_model(label)


def make_world(name: str, api_client_for, api_key_client_for) -> World:
    tenant = TenantFactory(name=name, plan="enterprise")
    owner = MembershipFactory(tenant=tenant, role=Role.OWNER)
    viewer = MembershipFactory(tenant=tenant, role=Role.VIEWER)
    for _label, module in extensions.demo_modules():
        module.seed_demo(tenant=tenant, owner=owner.user)
    return World(
        tenant=tenant,
        owner=owner,
        owner_client=api_client_for(owner),
        viewer_client=api_client_for(viewer),
        read_key_client=api_key_client_for(tenant, scopes=["read"]),
    )


def detail_model(route: Route) -> str | None:
    """The model the viewset's lookup names (from its own queryset, so new actions need no entry)."""
    if not (issubclass(route.view, TenantViewSet) and (route.view.lookup_url_kwarg or "pk") in route.kwargs):
        return None
    view = route.view()
    view.swagger_fake_view = True
    view.request = None
    return view.get_queryset().model._meta.label


def path_values(route: Route, world: World) -> dict[str, Any]:
    values = {}
    lookup_kwarg = getattr(route.view, "lookup_url_kwarg", None) or "pk"
    label = detail_model(route)
    for name in route.kwargs:
        if label is not None and name == lookup_kwarg:
            values[name] = getattr(world.object_of(label), route.view.lookup_field)
        elif (route.view.__name__, name) in PATH_VALUES:
            values[name] = PATH_VALUES[(route.view.__name__, name)](world)
        else:
            raise LookupError(
                f"{route.label}: no value for the path parameter {name!r}; add "
                f"PATH_VALUES[({route.view.__name__!r}, {name!r})] in core/tests/test_route_contract.py"
            )
    return values


def snapshot(world: World, route: Route) -> tuple:
    """What a denied request must leave untouched: the object in the path, its table, and the audit log."""
    label = detail_model(route)
    with tenancy.platform_access():
        audit = AuditLogEntry.all_tenants.filter(tenant=world.tenant).count()
        if label is None:
            return (audit,)
        obj = world.object_of(label)
        model = type(obj)
        manager = model.objects if model is Tenant else model.all_tenants
        return audit, manager.count(), manager.filter(pk=obj.pk).values().first()


def send(client: APIClient, route: Route, url: str):
    return client.generic(route.method.upper(), url, data="{}", content_type="application/json")


def lowest_client(route: Route, world: World) -> APIClient:
    if route.view.__name__ in LOWEST_CLIENTS:
        return LOWEST_CLIENTS[route.view.__name__](world)
    if BearerTokenAuthentication in route.view.authentication_classes:
        return world.viewer_client
    return world.read_key_client


def route_key(route: Route) -> tuple[str, str]:
    return route.view.__name__, route.action or route.method


# Writes the lowest credential may make, each with its reason; every other write must answer it 403. Declared here,
# not derived from the views' required_permissions, so a view that forgets its permission fails the contract.
GRANTED_TO_EVERY_ROLE = {
    ("MeView", "patch"): "the caller's own profile",
    ("SwitchTenantView", "post"): "the caller's own memberships",
    ("TotpSetupView", "post"): "the caller's own second factor",
    ("TotpVerifyView", "post"): "the caller's own second factor",
    ("TotpDisableView", "post"): "the caller's own second factor",
    ("TotpView", "delete"): "the caller's own second factor",
    ("PasswordChangeView", "post"): "the caller's own password",
    ("EmailVerifyResendView", "post"): "the caller's own email verification",
    ("TokenExchangeView", "post"): "any key exchanges for members it covers; the service checks provisioning "
    "(tenants.user.provision) and privileged roles (tenants.user.manage)",
}


# The credential that stands for "the lowest role" on a view that accepts neither members' tokens nor tenant keys
# (e.g. community member tokens): view name -> a builder of that client in a world.
LOWEST_CLIENTS: dict[str, Callable[[World], APIClient]] = {}


def _merge_app_declarations() -> None:
    """Fold every app's `<app>/tests/route_contract.py` declarations into the tables above."""
    tables = {
        "OBJECT_BUILDERS": OBJECT_BUILDERS,
        "PATH_VALUES": PATH_VALUES,
        "GRANTED_TO_EVERY_ROLE": GRANTED_TO_EVERY_ROLE,
        "EXEMPT": EXEMPT,
        "LOWEST_CLIENTS": LOWEST_CLIENTS,
    }
    for app_config in apps.get_app_configs():
        if not app_config.path.startswith(str(settings.BASE_DIR)):
            continue
        try:
            module = importlib.import_module(f"{app_config.name}.tests.route_contract")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{app_config.name}.tests", f"{app_config.name}.tests.route_contract"):
                raise
            continue
        for name, table in tables.items():
            table.update(getattr(module, name, {}))


_merge_app_declarations()


# --- the tests -------------------------------------------------------------------------------------------------------


@pytest.fixture
def worlds(db, api_client_for, api_key_client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mine = make_world("Mine", api_client_for, api_key_client_for)
    theirs = make_world("Theirs", api_client_for, api_key_client_for)
    return mine, theirs


def test_the_walk_finds_the_tenant_routes():
    labels = {route.label for route in tenant_routes()}
    assert len(labels) > 60
    assert any(label.startswith("DELETE /api/v1/^teams/(?P<pk>") for label in labels)


def test_every_tenant_route_is_covered(worlds):
    _mine, theirs = worlds
    missing = []
    for route in tenant_routes():
        try:
            path_values(route, theirs)
        except LookupError as exc:
            missing.append(str(exc))
    assert missing == []


def test_anonymous_gets_401_everywhere(worlds):
    mine, _theirs = worlds
    wrong = []
    for route in tenant_routes():
        response = send(APIClient(), route, url_for(route, path_values(route, mine)))
        if response.status_code != 401 and (route.pattern, route.method, "anonymous") not in EXEMPT:
            wrong.append(f"{route.label} -> {response.status_code}")
    assert wrong == []


def test_another_tenants_object_is_404_and_stays_unchanged(worlds):
    mine, theirs = worlds
    wrong = []
    for route in tenant_routes():
        if detail_model(route) is None and not any((route.view.__name__, k) in PATH_VALUES for k in route.kwargs):
            continue  # no object in the path
        if (route.pattern, route.method, "other_tenant") in EXEMPT:
            continue
        url = url_for(route, path_values(route, theirs))
        before = snapshot(theirs, route)
        response = send(mine.owner_client, route, url)
        after = snapshot(theirs, route)
        if response.status_code != 404 or before != after:
            wrong.append(f"{route.label} -> {response.status_code}{'' if before == after else ', and it changed'}")
    assert wrong == []


def test_the_lowest_credential_is_refused_writes_it_is_not_granted(worlds):
    mine, _theirs = worlds
    wrong, checked = [], 0
    for route in tenant_routes():
        if route.method in SAFE_METHODS or route_key(route) in GRANTED_TO_EVERY_ROLE:
            continue
        if (route.pattern, route.method, "lowest_role") in EXEMPT:
            continue
        checked += 1
        url = url_for(route, path_values(route, mine))
        before = snapshot(mine, route)
        response = send(lowest_client(route, mine), route, url)
        after = snapshot(mine, route)
        if response.status_code != 403 or before != after:
            wrong.append(f"{route.label} -> {response.status_code}{'' if before == after else ', and it changed'}")
    assert checked > 30
    assert wrong == []


def test_the_writes_granted_to_every_role_are_routes_that_exist_and_need_no_permission():
    routes = {route_key(route): route for route in tenant_routes()}
    assert set(GRANTED_TO_EVERY_ROLE) <= set(routes)
    for key in GRANTED_TO_EVERY_ROLE:
        route = routes[key]
        view = SimpleNamespace(action=route.action, required_permissions=route.view.required_permissions)
        assert required_permission_for(view, SimpleNamespace(method=route.method.upper())) is None, key


def test_an_unknown_id_is_404_like_another_tenants(worlds):
    mine, _theirs = worlds
    route = next(r for r in tenant_routes() if r.view.__name__ == "TeamViewSet" and r.action == "retrieve")
    assert send(mine.owner_client, route, url_for(route, {"pk": uuid.uuid4()})).status_code == 404
