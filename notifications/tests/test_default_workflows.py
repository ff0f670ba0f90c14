"""Every new tenant gets an editable workflow per registered notice (the tenant-created hook), and every notice an
app sends, like every webhook event an app emits, is registered."""

from __future__ import annotations

import ast
import re
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.core.management import call_command
from rest_framework.test import APIClient

from core import extensions, tenancy
from notifications.models import Integration, Message, Workflow
from tenants.models import Tenant

BASE = "/api/v1/notifications"
ROOT = Path(settings.BASE_DIR)
APPS = ("core", "tenants", "social", "contentplanner", "notifications", "inbox", "community", "ads")
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def test_a_registered_tenant_sees_the_defaults_and_its_notices_run_through_them(db, django_capture_on_commit_callbacks):
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        registered = client.post(
            "/api/v1/auth/register",
            {
                "tenantName": "Fresh Co",
                "email": "founder@fresh.example",
                "password": "a-long-pass-2026!",
                "firstName": "Fay",
                "lastName": "Founder",
            },
            format="json",
        )
    assert registered.status_code == 201, registered.json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {registered.json()['accessToken']}")
    token = re.search(r"POST /api/v1/auth/email/verify: (\S+)", mail.outbox[0].body).group(1)
    assert client.post("/api/v1/auth/email/verify", {"token": token}, format="json").status_code < 300

    listed = client.get(f"{BASE}/workflows/?pageSize=100").json()["results"]
    assert {w["identifier"] for w in listed} == set(extensions.notice_types())
    invitation = next(w for w in listed if w["identifier"] == "tenants.member_invited")
    assert invitation["critical"] is True and invitation["active"] is True

    # An app event: inviting a member sends the invitation through the tenant's workflow (site SMTP by default).
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post("/api/v1/users/", {"email": "mia@fresh.example", "role": "EDITOR"}, format="json")
    assert invited.status_code == 201, invited.json()
    (sent,) = mail.outbox
    assert sent.to == ["mia@fresh.example"] and sent.subject == "You have been invited to Fresh Co"
    (message,) = client.get(f"{BASE}/messages/").json()["results"]
    assert (message["workflowId"], message["channel"], message["status"], message["providerId"]) == (
        "tenants.member_invited",
        "email",
        "sent",
        "smtp",
    )
    assert message["subject"] == sent.subject and message["subscriberId"] == invited.json()["id"]

    # The tenant edits the workflow; the next invitation uses its words around the app's own text.
    steps = [{"type": "email", "subject": "Join us at Fresh Co", "body": "{{payload.body}}\n-- Fay"}]
    edited = client.patch(f"{BASE}/workflows/{invitation['id']}", {"steps": steps}, format="json")
    assert edited.status_code == 200, edited.json()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/users/", {"email": "max@fresh.example", "role": "VIEWER"}, format="json")
    (sent,) = mail.outbox
    assert sent.subject == "Join us at Fresh Co" and sent.body.endswith("-- Fay") and "invited you" in sent.body


def test_an_in_app_notice_reaches_a_members_feed_through_a_default_workflow(
    tenant, make_member, django_capture_on_commit_callbacks
):
    from core import notify

    member = make_member(tenant, email="mia@acme.test")
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify(
            "social.channel.needs_attention",
            to=[member.user.email],
            subject="Reconnect X",
            body="Your X channel needs to be reconnected.",
            tenant_id=tenant.pk,
        )
    with tenancy.tenant_context(tenant):
        channels = dict(
            Message.objects.filter(event__workflow__identifier="social.channel.needs_attention").values_list(
                "channel", "status"
            )
        )
    assert channels == {"in_app": "sent", "email": "sent"}
    assert [m.subject for m in mail.outbox] == ["Reconnect X"]


def test_sub_tenants_and_the_demo_get_the_defaults_once(db, tenant, owner, api_client_for):
    client = api_client_for(owner)
    created = client.post("/api/v1/tenants/", {"name": "Client A"}, format="json")
    assert created.status_code == 201, created.json()
    child = Tenant.objects.get(pk=created.json()["id"])
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    for each in (child, Tenant.objects.get(slug="demo")):
        with tenancy.tenant_context(each):
            identifiers = list(Workflow.objects.filter(group__name="Hubbub").values_list("identifier", flat=True))
            assert sorted(identifiers) == sorted(extensions.notice_types())  # once each, though seeded twice
            assert Integration.objects.filter(identifier="site-smtp", is_deleted=False).count() == 1


# --- every emitter is registered -----------------------------------------------------------------------------------
def _sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" not in path.parts and "migrations" not in path.parts:
                yield path, ast.parse(path.read_text())


def _constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _event_names(call: ast.Call, constants: dict[str, str]) -> list[str | re.Pattern]:
    """String events in a call's arguments: literals, module constants (also `events.X`), f-strings as patterns."""
    found: list[str | re.Pattern] = []
    for arg in call.args[:2]:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and EVENT_NAME.match(arg.value):
            found.append(arg.value)
        elif isinstance(arg, ast.Name | ast.Attribute):
            name = arg.id if isinstance(arg, ast.Name) else arg.attr
            if name in constants and EVENT_NAME.match(constants[name]):
                found.append(constants[name])
        elif isinstance(arg, ast.JoinedStr):
            parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]+" for v in arg.values]
            found.append(re.compile("^" + "".join(parts) + "$"))
    return found


def _emitted(call_names: set[str], *, needs_keyword: str = "") -> list[str | re.Pattern]:
    sources = list(_sources())
    constants: dict[str, str] = {}
    for _path, tree in sources:
        constants.update(_constants(tree))
    found = []
    for _path, tree in sources:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) in call_names:
                keywords = {k.arg for k in node.keywords}
                if needs_keyword and _call_name(node) == "notify" and needs_keyword not in keywords:
                    continue  # not a tenant's notice (account mail: password reset, email verification)
                found += _event_names(node, constants)
    return found


def _registered(names: set[str], emitted: list[str | re.Pattern]) -> tuple[list, set[str]]:
    missing = [e for e in emitted if (e not in names if isinstance(e, str) else not any(e.match(n) for n in names))]
    unused = {n for n in names if not any(e == n if isinstance(e, str) else e.match(n) for e in emitted)}
    return missing, unused


def test_every_notice_an_app_sends_is_registered_and_every_registered_one_is_sent():
    emitted = _emitted({"notify", "notify_author"}, needs_keyword="tenant_id")
    assert "contentplanner.approval.requested" in emitted and "social.channel.needs_attention" in emitted
    missing, unused = _registered(set(extensions.notice_types()), emitted)
    assert missing == [] and unused == set()


def test_every_webhook_event_an_app_emits_is_registered_and_every_registered_one_is_emitted():
    emitted = _emitted({"emit"})
    assert "community.member.joined" in emitted and "notification.failed" in emitted
    missing, unused = _registered(set(extensions.webhook_event_types()), emitted)
    assert missing == [] and unused == set()
