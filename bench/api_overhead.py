"""API overhead: Hubbub's list and detail endpoints against a bare DRF viewset over the same rows, in one process.

Creates a throwaway PostgreSQL database (`hubbub_bench_api`, dropped at the end), 20 tenants with 120 teams and 120
posts each, and times interleaved requests in shuffled order through the whole Django stack (django.test.Client):

- Hubbub: `GET /api/v1/teams/`, `/api/v1/teams/{id}/`, `/api/v1/cp/posts/`, `/api/v1/cp/posts/{id}/` with a bearer token
  (authentication, tenancy, RLS, permissions, filters, pagination, camelCase rendering, throttling).
- bare: a `ReadOnlyModelViewSet` with the same serializer class and the same queryset (the same selector's
  select_related/prefetch), no authentication/permissions/throttling/filters, DRF's JSONRenderer, reading through a
  second database alias with Django's stock PostgreSQL backend as the owner (no RLS), behind the same middleware.

It prints p50/p95 per endpoint and page size (20 and 100) and the Hubbub/bare ratio, and the round trips per request
counted on the PostgreSQL wire protocol (a counting TCP proxy in front of the server: every simple Query and every
Sync of the extended protocol is one round trip), not from Django's query log (which misses `set_config`, health
checks, BEGIN/COMMIT).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub .venv/bin/python bench/api_overhead.py [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import struct
import sys
import threading
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DATABASE_TEST_NAME"] = os.environ.get("BENCH_DATABASE_NAME", "hubbub_bench_api")
os.environ["THROTTLE_RATE"] = "100000000/min"  # the limiter runs (one round trip), it never refuses
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/hubbub).")


class CountingProxy:
    """TCP proxy to PostgreSQL counting client->server round trips: 'Q' (simple query) and 'S' (Sync) messages."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.round_trips = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(self.target)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()
            threading.Thread(target=self._client_to_server, args=(client, server), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()

    def _client_to_server(self, client: socket.socket, server: socket.socket) -> None:
        buffer = b""
        started = False  # before the startup message, messages carry no type byte
        try:
            while data := client.recv(65536):
                server.sendall(data)
                buffer += data
                while True:
                    if not started:
                        if len(buffer) < 8:
                            break
                        length, code = struct.unpack("!II", buffer[:8])
                        if len(buffer) < length:
                            break
                        buffer = buffer[length:]
                        started = code == 196608  # protocol 3.0 startup (not an SSL/GSS request)
                        continue
                    if len(buffer) < 5:
                        break
                    kind, length = buffer[:1], struct.unpack("!I", buffer[1:5])[0]
                    if len(buffer) < 1 + length:
                        break
                    if kind in (b"Q", b"S"):
                        with self._lock:
                            self.round_trips += 1
                    buffer = buffer[1 + length :]
        except OSError:
            pass
        finally:
            server.close()


def configure_databases(proxy_port: int | None) -> None:
    from django.conf import settings

    default = settings.DATABASES["default"]
    if proxy_port is not None:
        default["HOST"], default["PORT"] = "127.0.0.1", proxy_port
        default.setdefault("OPTIONS", {})["sslmode"] = "disable"
    bare = {**default, "ENGINE": "django.db.backends.postgresql", "TEST": {"MIRROR": "default"}}
    settings.DATABASES["bare"] = bare


PROXY: CountingProxy | None = None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests per endpoint, page size and variant")
    parser.add_argument("--tenants", type=int, default=20)
    args = parser.parse_args()

    import dj_database_url

    parsed = dj_database_url.parse(os.environ["DATABASE_URL"])
    global PROXY
    PROXY = CountingProxy(parsed["HOST"] or "127.0.0.1", int(parsed["PORT"] or 5432))

    import django
    from django.conf import settings

    configure_databases(PROXY.port)
    django.setup()

    from django.db import connections
    from django.test.utils import setup_test_environment

    from bench._throwaway_db import throwaway_database

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    with throwaway_database() as name:
        connections["bare"].close()
        connections["bare"].settings_dict["NAME"] = name
        try:
            return run(args, name)
        finally:
            connections.close_all()  # the bare alias too, before the database is dropped


def run(args, name: str) -> int:
    from django.test import Client

    data = populate(args.tenants)
    install_urls(data)
    hubbub_clients = {tenant_id: bearer_client(owner) for tenant_id, owner in data["owners"].items()}
    bare_client = Client()
    cases = []
    for page_size in (20, 100):
        cases.append(("teams list", page_size, "/api/v1/teams/", "/bare/teams/{tenant}/"))
        cases.append(("posts list", page_size, "/api/v1/cp/posts/", "/bare/posts/{tenant}/"))
    cases.append(("teams detail", None, "/api/v1/teams/{team}/", "/bare/teams/{tenant}/{team}/"))
    cases.append(("posts detail", None, "/api/v1/cp/posts/{post}/", "/bare/posts/{tenant}/{post}/"))
    plan = []
    for case in cases:
        for variant in ("hubbub", "bare"):
            plan += [(case, variant)] * args.requests
    random.Random(7).shuffle(plan)
    tenants = list(data["owners"])
    timings: dict[tuple, list[float]] = {}
    trips: dict[tuple, list[int]] = {}
    for index in range(len(plan) + 2 * len(cases)):
        # a warm-up pass over every case and variant first
        (label, page_size, hubbub_path, bare_path), variant = (
            plan[index - 2 * len(cases)]
            if index >= 2 * len(cases)
            else (cases[index // 2], ("hubbub", "bare")[index % 2])
        )
        tenant = tenants[index % len(tenants)]
        values = {"tenant": tenant, "team": data["teams"][tenant], "post": data["posts"][tenant]}
        path = (hubbub_path if variant == "hubbub" else bare_path).format(**values)
        query = {"pageSize": page_size} if variant == "hubbub" and page_size else {}
        if variant == "bare" and page_size:
            query = {"page_size": page_size}
        client = hubbub_clients[tenant] if variant == "hubbub" else bare_client
        before = PROXY.round_trips
        t0 = time.perf_counter()
        response = client.get(path, query)
        elapsed = time.perf_counter() - t0
        if response.status_code != 200:
            raise SystemExit(f"{variant} {path} -> {response.status_code}: {response.content[:300]!r}")
        if index < 2 * len(cases):
            continue
        key = (label, page_size, variant)
        timings.setdefault(key, []).append(elapsed * 1000)
        trips.setdefault(key, []).append(PROXY.round_trips - before)
    print(f"database {name}: {args.tenants} tenants x 120 teams, 120 posts; {args.requests} requests per row")
    print(f"{'endpoint':<14}{'page':>5}  {'hubbub p50/p95 ms':>18}  {'bare p50/p95 ms':>16}  ratio p50/p95  trips")
    for label, page_size, *_ in cases:
        hub, bare = timings[(label, page_size, "hubbub")], timings[(label, page_size, "bare")]
        hub_trips = statistics.median(trips[(label, page_size, "hubbub")])
        bare_trips = statistics.median(trips[(label, page_size, "bare")])
        print(
            f"{label:<14}{page_size or '-':>5}  {pct(hub, 50):8.2f}/{pct(hub, 95):<8.2f}  "
            f"{pct(bare, 50):7.2f}/{pct(bare, 95):<7.2f}  {pct(hub, 50) / pct(bare, 50):5.2f}x/"
            f"{pct(hub, 95) / pct(bare, 95):.2f}x  {hub_trips:.0f} vs {bare_trips:.0f}"
        )
    return 0


def pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def populate(tenant_count: int) -> dict:
    from contentplanner.models import Post, PostState
    from core import tenancy
    from social.models import Channel
    from tenants.models import Membership, Team, User
    from tenants.services import workspaces

    owners, teams, posts = {}, {}, {}
    for index in range(tenant_count):
        tenant = workspaces.create_tenant(actor=None, name=f"Overhead {index}", plan="business")
        with tenancy.platform_access():
            user = User.objects.create(email=f"owner{index}@bench.local", first_name="O", last_name=str(index))
            owners[str(tenant.pk)] = Membership.all_tenants.create(tenant=tenant, user=user, role="OWNER")
            created = Team.all_tenants.bulk_create([Team(tenant=tenant, name=f"Team {n:03}") for n in range(120)])
            channel = Channel.all_tenants.create(
                tenant=tenant, network="sandbox", external_id=f"o-{index}", name="Bench", access_token="sbx"
            )
            made = Post.all_tenants.bulk_create(
                [
                    Post(tenant=tenant, channel=channel, state=PostState.DRAFT, text=f"Post {n}", network_options={})
                    for n in range(120)
                ]
            )
        teams[str(tenant.pk)], posts[str(tenant.pk)] = str(created[0].pk), str(made[0].pk)
    return {"owners": owners, "teams": teams, "posts": posts}


def bearer_client(membership):
    from django.test import Client

    from tenants.tokens import start_session

    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {start_session(membership).access_token}"
    return client


def install_urls(data: dict) -> None:
    """The bare viewsets under /bare/, in front of Hubbub's own URLs."""
    from django.conf import settings
    from django.urls import clear_url_caches, include, path
    from rest_framework import pagination, renderers, viewsets

    from contentplanner import selectors as cp_selectors
    from contentplanner.api.serializers import posts as cp_serializers
    from core import tenancy
    from tenants import selectors as tenant_selectors
    from tenants.api.serializers import teams as tenant_serializers
    from tenants.roles import member_principal

    querysets = {}
    for tenant_id, owner in data["owners"].items():
        principal = member_principal(owner, tenant=owner.tenant)
        with tenancy.acting_as(principal):
            querysets[("teams", tenant_id)] = tenant_selectors.teams().using("bare")
            querysets[("posts", tenant_id)] = cp_selectors.posts_visible_to(principal).using("bare")

    class Pages(pagination.PageNumberPagination):
        page_size = 25
        page_size_query_param = "page_size"

    def bare(kind: str, serializer):
        class Bare(viewsets.ReadOnlyModelViewSet):
            authentication_classes: list = []
            permission_classes: list = []
            throttle_classes: list = []
            filter_backends: list = []
            renderer_classes = [renderers.JSONRenderer]
            pagination_class = Pages
            serializer_class = serializer

            def get_queryset(self):
                return querysets[(kind, self.kwargs["tenant"])].all()

        return Bare

    teams = bare("teams", tenant_serializers.TeamOutput)
    posts = bare("posts", cp_serializers.PostOutput)
    module = types.ModuleType("bench_api_overhead_urls")
    module.urlpatterns = [
        path("bare/teams/<str:tenant>/", teams.as_view({"get": "list"})),
        path("bare/teams/<str:tenant>/<str:pk>/", teams.as_view({"get": "retrieve"})),
        path("bare/posts/<str:tenant>/", posts.as_view({"get": "list"})),
        path("bare/posts/<str:tenant>/<str:pk>/", posts.as_view({"get": "retrieve"})),
        path("", include(settings.ROOT_URLCONF)),
    ]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()


if __name__ == "__main__":
    sys.exit(main())
