"""Single sign-on by OpenID Connect per tenant, against a local fake issuer (tenants/tests/fake_oidc.py): a tenant
registered through the API configures its provider, people sign in and join just in time, and every refusal
leaves nothing behind."""

from __future__ import annotations

import time

import httpx
import pytest
import respx
from django.utils import timezone
from rest_framework.test import APIClient

from core import tenancy, url_safety
from core.models import AuditLogEntry
from tenants.models import AuthSession, Membership, SsoIdentity, SsoLoginState, Tenant, TenantSso, User
from tenants.tests.fake_oidc import CLIENT_ID, CLIENT_SECRET, FORGED_KEY, ISSUER, PUBLIC_IP, FakeIssuer
from tenants.tests.signup import register_tenant

SSO = "/api/v1/tenant/sso"
START = "/api/v1/auth/sso/start"
CALLBACK = "/api/v1/auth/sso/callback"
PASSWORD = "a-long-enough-pass-42"


@pytest.fixture
def provider(monkeypatch):
    monkeypatch.setattr(url_safety, "resolve_host", lambda host, port: [PUBLIC_IP])
    with respx.mock(assert_all_called=False) as router:
        yield FakeIssuer(router)


def register(email: str, tenant_name: str) -> tuple[APIClient, dict]:
    client, body = register_tenant(email, tenant_name, password=PASSWORD)
    return client, body["tenant"]


def config(**overrides) -> dict:
    return {
        "issuer": ISSUER,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "allowedDomains": ["Acme.example"],
        "defaultRole": "EDITOR",
        **overrides,
    }


@pytest.fixture
def acme(db, provider):
    """A tenant registered through the API with SSO configured through the API: (owner client, tenant)."""
    client, tenant = register("owner@acme.example", "Acme SSO")
    User.objects.filter(email="owner@acme.example").update(email_verified_at=timezone.now())  # may invite
    response = client.put(SSO, config(), format="json")
    assert response.status_code == 200, response.json()
    return client, tenant


def sign_in(provider: FakeIssuer, tenant_slug: str, **person) -> httpx.Response:
    start = APIClient().post(START, {"tenant": tenant_slug}, format="json")
    assert start.status_code == 200, start.json()
    return APIClient().get(CALLBACK, provider.authorize(start.json()["authUrl"], **person))


def counts() -> tuple[int, ...]:
    with tenancy.platform_access():
        return (
            User.objects.count(),
            Membership.all_tenants.count(),
            SsoIdentity.all_tenants.count(),
            AuthSession.all_tenants.count(),
        )


# --- configuration ----------------------------------------------------------------------------------------------------


def test_a_new_tenant_configures_sso_and_the_secret_is_write_only(acme, provider):
    client, tenant = acme
    body = client.get(SSO).json()
    assert body["issuer"] == ISSUER and body["clientId"] == CLIENT_ID
    assert body["allowedDomains"] == ["acme.example"] and body["defaultRole"] == "EDITOR" and body["enforce"] is False
    assert body["hasClientSecret"] is True and "clientSecret" not in body
    assert CLIENT_SECRET not in str(body)
    assert body["redirectUri"].endswith("/api/v1/auth/sso/callback")
    assert body["tokenEndpoint"] == f"{ISSUER}/token" and body["jwksUri"] == f"{ISSUER}/jwks"
    with tenancy.platform_access():
        row = TenantSso.all_tenants.get(tenant_id=tenant["id"])
        entry = AuditLogEntry.all_tenants.get(tenant_id=tenant["id"], action="tenant.sso_configured")
    assert row.client_secret == CLIENT_SECRET  # decrypted by the field; stored encrypted (core.fields)
    assert entry.changes["client_secret"] == "********"

    # A change without a secret keeps the stored one: the token endpoint still sees it.
    kept = client.put(SSO, config(clientSecret="", defaultRole="VIEWER"), format="json")
    assert kept.status_code == 200 and kept.json()["defaultRole"] == "VIEWER"
    assert sign_in(provider, tenant["slug"]).status_code == 200


def test_saving_checks_the_discovery_document(db, provider, monkeypatch):
    client, _tenant = register("owner@acme.example", "Acme SSO")

    provider.discovery.mock(return_value=httpx.Response(503))
    down = client.put(SSO, config(), format="json")
    assert down.status_code == 400 and down.json()["error"]["code"] == "SSO_ISSUER_UNREACHABLE"

    provider.discovery.mock(return_value=httpx.Response(200, json={**provider.metadata(), "issuer": "https://x.test"}))
    other = client.put(SSO, config(), format="json")
    assert other.status_code == 400 and other.json()["error"]["code"] == "SSO_ISSUER_INVALID"
    assert "https://x.test" in other.json()["error"]["details"]["issuer"][0]

    provider.discovery.mock(return_value=httpx.Response(200, text="<html>login</html>"))
    html = client.put(SSO, config(), format="json")
    assert html.status_code == 400 and html.json()["error"]["code"] == "SSO_ISSUER_INVALID"

    monkeypatch.setattr(url_safety, "resolve_host", lambda host, port: ["10.0.0.5"])
    private = client.put(SSO, config(), format="json")
    assert private.status_code == 400 and private.json()["error"]["code"] == "SSO_ISSUER_UNREACHABLE"
    assert private.json()["error"]["details"]["reason"] == "URL_NOT_ALLOWED"

    plain = client.put(SSO, config(issuer="http://idp.example.com"), format="json")
    assert plain.status_code == 400 and plain.json()["error"]["code"] == "SSO_ISSUER_INVALID"
    with tenancy.platform_access():
        assert not TenantSso.all_tenants.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"clientSecret": ""}, "clientSecret"),
        ({"defaultRole": "OWNER"}, "defaultRole"),
        ({"allowedDomains": ["not a domain"]}, "allowedDomains"),
        ({"allowedDomains": []}, "allowedDomains"),
        ({"issuer": "not a url"}, "issuer"),
    ],
)
def test_bad_configuration_is_a_400_and_stores_nothing(db, provider, change, field):
    client, _tenant = register("owner@acme.example", "Acme SSO")
    response = client.put(SSO, config(**change), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["details"]
    with tenancy.platform_access():
        assert not TenantSso.all_tenants.exists()


def test_get_and_delete_without_sso_are_404(db, provider):
    client, _tenant = register("owner@acme.example", "Acme SSO")
    assert client.get(SSO).json()["error"]["code"] == "SSO_NOT_CONFIGURED"
    assert client.delete(SSO).status_code == 404


def test_only_owners_and_admins_manage_sso_and_only_their_tenants(acme, provider, make_member, api_client_for):
    _client, tenant = acme
    with tenancy.platform_access():
        row = TenantSso.all_tenants.get(tenant_id=tenant["id"])
        before = (row.updated_at, AuditLogEntry.all_tenants.count())
    for role in ("MANAGER", "EDITOR", "VIEWER"):
        member = api_client_for(make_member(row.tenant, role))
        assert member.get(SSO).status_code == 403
        assert member.put(SSO, config(enforce=True), format="json").status_code == 403
        assert member.delete(SSO).status_code == 403
    assert APIClient().get(SSO).status_code == 401
    with tenancy.platform_access():
        row.refresh_from_db()
        assert (row.updated_at, AuditLogEntry.all_tenants.count()) == before

    admin = api_client_for(make_member(row.tenant, "ADMIN"))
    assert admin.put(SSO, config(enforce=True, clientSecret=""), format="json").json()["enforce"] is True

    # Another tenant's admin sees and changes only their own configuration.
    other_client, other = register("owner@globex.example", "Globex")
    assert other_client.get(SSO).status_code == 404
    assert other_client.delete(SSO).status_code == 404
    saved = other_client.put(SSO, config(allowedDomains=["globex.example"]), format="json")
    assert saved.status_code == 200
    with tenancy.platform_access():
        assert TenantSso.all_tenants.get(tenant_id=tenant["id"]).allowed_domains == ["acme.example"]
        assert TenantSso.all_tenants.get(tenant_id=other["id"]).allowed_domains == ["globex.example"]
    assert other_client.delete(SSO).status_code == 204
    with tenancy.platform_access():
        assert list(TenantSso.all_tenants.values_list("tenant_id", flat=True)) == [row.tenant_id]


# --- sign-in ----------------------------------------------------------------------------------------------------------


def test_an_unknown_person_of_an_allowed_domain_joins_just_in_time(acme, provider):
    _client, tenant = acme
    response = sign_in(provider, tenant["slug"], sub="alice-1", email="Alice@Acme.example")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["tenant"]["id"] == tenant["id"] and body["user"]["email"] == "alice@acme.example"
    assert response["Cache-Control"] == "no-store"

    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['accessToken']}")
    profile = me.get("/api/v1/me").json()
    assert profile["role"] == "EDITOR" and profile["tenant"]["id"] == tenant["id"]
    user = User.objects.get(email="alice@acme.example")
    assert not user.has_usable_password() and user.email_verified_at is not None
    assert (user.first_name, user.last_name) == ("Alice", "Example")
    with tenancy.platform_access():
        link = SsoIdentity.all_tenants.get(user=user)
        actions = set(AuditLogEntry.all_tenants.filter(tenant_id=tenant["id"]).values_list("action", flat=True))
        login = AuditLogEntry.all_tenants.get(tenant_id=tenant["id"], action="auth.login", actor_user=user)
        session = AuthSession.all_tenants.get(user=user)
    assert (link.issuer, link.subject) == (ISSUER, "alice-1")
    assert {"member.sso_provisioned", "auth.sso_linked", "auth.login"} <= actions
    assert login.changes == {"method": "sso", "issuer": ISSUER}
    assert session.sign_in_method == "sso"
    # The refresh token works like a password login's.
    refreshed = APIClient().post("/api/v1/auth/refresh", {"refreshToken": body["refreshToken"]}, format="json")
    assert refreshed.status_code == 200


def test_the_account_is_found_by_issuer_and_subject_not_by_the_email(acme, provider):
    _client, tenant = acme
    first = sign_in(provider, tenant["slug"], sub="alice-1", email="alice@acme.example")
    assert first.status_code == 200
    before = counts()
    renamed = sign_in(provider, tenant["slug"], sub="alice-1", email="alice.smith@acme.example")
    assert renamed.status_code == 200 and renamed.json()["user"]["id"] == first.json()["user"]["id"]
    assert counts()[:3] == before[:3]
    with tenancy.platform_access():
        assert SsoIdentity.all_tenants.get().email == "alice.smith@acme.example"


def test_an_account_made_elsewhere_is_refused_until_it_is_a_member_then_linked(acme, provider):
    _client, tenant = acme
    _other_client, other = register("bob@acme.example", "Bob's own tenant")
    bob = User.objects.get(email="bob@acme.example")
    before = counts()
    refused = sign_in(provider, tenant["slug"], sub="bob-idp", email="bob@acme.example")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "SSO_ACCOUNT_EXISTS"
    assert counts() == before  # no membership, no link, no session
    with tenancy.platform_access():
        assert not Membership.all_tenants.filter(user=bob, tenant_id=tenant["id"]).exists()

    with tenancy.platform_access():
        acme_tenant = Tenant.objects.get(pk=tenant["id"])
    with tenancy.tenant_context(acme_tenant):
        Membership.objects.create(user=bob, role="EDITOR")  # as an accepted invitation leaves it
    response = sign_in(provider, tenant["slug"], sub="bob-idp", email="bob@acme.example")
    assert response.status_code == 200 and response.json()["user"]["id"] == str(bob.pk)
    with tenancy.platform_access():
        tenants = set(Membership.all_tenants.filter(user=bob).values_list("tenant_id", "role"))
        assert SsoIdentity.all_tenants.filter(user=bob, subject="bob-idp").count() == 1
    assert {(str(t), r) for t, r in tenants} == {(other["id"], "OWNER"), (tenant["id"], "EDITOR")}
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)  # the password stays for their own tenant


def test_the_tenant_is_found_by_the_email_domain(acme, provider):
    _client, tenant = acme
    started = APIClient().post(START, {"email": "carol@ACME.example"}, format="json")
    assert started.status_code == 200 and started.json()["tenant"]["id"] == tenant["id"]
    assert "login_hint=carol" in started.json()["authUrl"]
    unknown = APIClient().post(START, {"email": "dan@nowhere.example"}, format="json")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "SSO_NOT_CONFIGURED"
    assert APIClient().post(START, {"tenant": "no-such-alias"}, format="json").status_code == 404
    assert APIClient().post(START, {}, format="json").status_code == 400

    other_client, _other = register("owner@globex.example", "Globex")
    assert other_client.put(SSO, config(clientId=CLIENT_ID), format="json").status_code == 200  # acme.example too
    ambiguous = APIClient().post(START, {"email": "carol@acme.example"}, format="json")
    assert ambiguous.status_code == 409 and ambiguous.json()["error"]["code"] == "SSO_TENANT_AMBIGUOUS"


REFUSALS = [
    ("wrong nonce", {"nonce": "not-the-one-we-sent"}, {}, 401, "SSO_TOKEN_INVALID"),
    ("wrong audience", {"aud": "another-client"}, {}, 401, "SSO_TOKEN_INVALID"),
    ("wrong issuer", {"iss": "https://evil.example.com"}, {}, 401, "SSO_TOKEN_INVALID"),
    ("expired", {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, {}, 401, "SSO_TOKEN_INVALID"),
    ("no nonce", {"nonce": None}, {}, 401, "SSO_TOKEN_INVALID"),
    ("bad signature", {}, {"signing_key": FORGED_KEY}, 401, "SSO_TOKEN_INVALID"),
    ("unverified email", {"email_verified": False}, {}, 403, "SSO_EMAIL_NOT_VERIFIED"),
    ("no email", {"email": None}, {}, 403, "SSO_EMAIL_NOT_VERIFIED"),
    ("disallowed domain", {"email": "eve@evil.example"}, {}, 403, "SSO_DOMAIN_NOT_ALLOWED"),
    ("subdomain", {"email": "eve@mail.acme.example"}, {}, 403, "SSO_DOMAIN_NOT_ALLOWED"),
    ("wrong client secret", {}, {"client_secret": "rotated-at-the-idp"}, 401, "SSO_PROVIDER_ERROR"),
]


@pytest.mark.parametrize(("claims", "fake", "status", "code"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_a_bad_sign_in_is_refused_and_creates_nothing(acme, provider, claims, fake, status, code):
    _client, tenant = acme
    provider.claims = claims
    for name, value in fake.items():
        setattr(provider, name, value)
    before = counts()
    response = sign_in(provider, tenant["slug"], sub="mallory", email="mallory@acme.example")
    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code
    assert "accessToken" not in response.json()
    assert counts() == before
    assert not User.objects.filter(email__startswith="mallory").exists()


def test_a_state_works_once(acme, provider):
    _client, tenant = acme
    start = APIClient().post(START, {"tenant": tenant["slug"]}, format="json").json()
    params = provider.authorize(start["authUrl"])
    assert APIClient().get(CALLBACK, params).status_code == 200
    before, calls = counts(), provider.token_calls
    fresh_code = provider.authorize(start["authUrl"])["code"]
    replay = APIClient().get(CALLBACK, {"code": fresh_code, "state": start["state"]})
    assert replay.status_code == 400 and replay.json()["error"]["code"] == "SSO_STATE_INVALID"
    assert counts() == before and provider.token_calls == calls  # refused before the provider is asked

    forged = APIClient().get(CALLBACK, {"code": fresh_code, "state": start["state"][:-3] + "abc"})
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "SSO_STATE_INVALID"
    assert APIClient().get(CALLBACK, {"code": fresh_code}).status_code == 400


def test_an_expired_state_is_refused(acme, provider, time_machine):
    _client, tenant = acme
    start = APIClient().post(START, {"tenant": tenant["slug"]}, format="json").json()
    params = provider.authorize(start["authUrl"])
    time_machine.move_to(time.time() + 11 * 60)
    before = counts()
    response = APIClient().get(CALLBACK, params)
    assert response.status_code == 400 and response.json()["error"]["code"] == "SSO_STATE_INVALID"
    assert counts() == before


def test_the_provider_refusing_is_a_401(acme, provider):
    _client, tenant = acme
    start = APIClient().post(START, {"tenant": tenant["slug"]}, format="json").json()
    before = counts()
    response = APIClient().get(CALLBACK, {"state": start["state"], "error": "access_denied"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "SSO_PROVIDER_ERROR"
    assert counts() == before
    with tenancy.platform_access():
        assert SsoLoginState.all_tenants.get().consumed_at is not None


def test_a_removed_or_disabled_member_is_refused(acme, provider):
    client, tenant = acme
    assert sign_in(provider, tenant["slug"], sub="alice-1").status_code == 200
    alice = next(m for m in client.get("/api/v1/users/").json()["results"] if m["email"] == "alice@acme.example")
    assert client.delete(f"/api/v1/users/{alice['id']}").status_code == 204
    before = counts()
    removed = sign_in(provider, tenant["slug"], sub="alice-1")
    assert removed.status_code == 403 and removed.json()["error"]["code"] == "SSO_MEMBER_REMOVED"
    assert counts() == before

    # An invite brings them back; a disabled membership is refused.
    invited = client.post("/api/v1/users/", {"email": "alice@acme.example", "role": "VIEWER"}, format="json")
    assert invited.status_code == 201, invited.json()
    assert sign_in(provider, tenant["slug"], sub="alice-1").json()["user"]["email"] == "alice@acme.example"
    with tenancy.platform_access():
        Membership.all_tenants.filter(user__email="alice@acme.example").update(is_active=False)
    blocked = sign_in(provider, tenant["slug"], sub="alice-1")
    assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "MEMBERSHIP_INACTIVE"


def test_jit_membership_respects_the_user_limit(acme, provider):
    _client, tenant = acme
    Tenant.objects.filter(pk=tenant["id"]).update(limit_overrides={"users": 1})
    before = counts()
    response = sign_in(provider, tenant["slug"], sub="alice-1")
    assert response.status_code == 403 and response.json()["error"]["code"] == "LIMIT_REACHED"
    assert counts() == before


# --- enforcement ------------------------------------------------------------------------------------------------------


def test_enforced_sso_refuses_password_login_except_for_owners(acme, provider):
    client, tenant = acme
    invited = client.post("/api/v1/users/", {"email": "ed@acme.example", "role": "EDITOR"}, format="json")
    assert invited.status_code == 201
    editor = User.objects.get(email="ed@acme.example")
    editor.set_password(PASSWORD)
    editor.save()
    login = {"email": "ed@acme.example", "password": PASSWORD}
    assert APIClient().post("/api/v1/auth/login", login, format="json").status_code == 200

    assert client.put(SSO, config(enforce=True, clientSecret=""), format="json").status_code == 200
    refused = APIClient().post("/api/v1/auth/login", login, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "SSO_REQUIRED"
    assert refused.json()["error"]["details"] == {"tenant": tenant["slug"]}
    owner = {"email": "owner@acme.example", "password": PASSWORD}
    assert APIClient().post("/api/v1/auth/login", owner, format="json").status_code == 200  # break-glass
    assert sign_in(provider, tenant["slug"], sub="ed-idp", email="ed@acme.example").status_code == 200

    # No way around it by switching in from a password session of another tenant.
    other_client, _other = register("gina@globex.example", "Globex")
    invited = client.post("/api/v1/users/", {"email": "gina@globex.example", "role": "EDITOR"}, format="json")
    assert invited.status_code == 201, invited.json()
    switched = other_client.post("/api/v1/auth/switch-tenant", {"tenantId": tenant["id"]}, format="json")
    assert switched.status_code == 403 and switched.json()["error"]["code"] == "SSO_REQUIRED"


def test_an_sso_session_cannot_switch_tenants(acme, provider):
    _client, tenant = acme
    register("alice@acme.example", "Alice's own")  # the same person owns another tenant, by password
    alice = User.objects.get(email="alice@acme.example")
    with tenancy.platform_access():
        acme_tenant = Tenant.objects.get(pk=tenant["id"])
    with tenancy.tenant_context(acme_tenant):
        Membership.objects.create(user=alice, role="EDITOR")  # invited to acme and accepted
    body = sign_in(provider, tenant["slug"], sub="alice-1").json()
    with tenancy.platform_access():
        own = Membership.all_tenants.exclude(tenant_id=tenant["id"]).get(user=alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['accessToken']}")
    response = client.post("/api/v1/auth/switch-tenant", {"tenantId": str(own.tenant_id)}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "SSO_SESSION_BOUND"


def test_deleting_sso_restores_password_login(acme, provider):
    client, _tenant = acme
    assert client.put(SSO, config(enforce=True, clientSecret=""), format="json").status_code == 200
    assert client.delete(SSO).status_code == 204
    with tenancy.platform_access():
        assert not TenantSso.all_tenants.exists()
        assert AuditLogEntry.all_tenants.filter(action="tenant.sso_deleted").count() == 1
    assert APIClient().post(START, {"email": "x@acme.example"}, format="json").status_code == 404


def test_old_started_sign_ins_are_purged_daily(acme, provider, time_machine):
    from tenants.tasks import purge_sso_login_states

    _client, tenant = acme
    APIClient().post(START, {"tenant": tenant["slug"]}, format="json")
    assert purge_sso_login_states.delay().get() == 0
    time_machine.move_to(time.time() + 25 * 3600)
    APIClient().post(START, {"tenant": tenant["slug"]}, format="json")
    assert purge_sso_login_states.delay().get() == 1
    with tenancy.platform_access():
        assert SsoLoginState.all_tenants.count() == 1


def test_a_tenants_provider_never_signs_in_platform_staff(acme, provider):
    _client, tenant = acme
    User.objects.create_user("root@acme.example", "x", is_staff=True)
    before = counts()
    response = sign_in(provider, tenant["slug"], sub="root", email="root@acme.example")
    assert response.status_code == 403 and response.json()["error"]["code"] == "SSO_ACCOUNT_NOT_ALLOWED"
    assert counts() == before


def test_a_first_configuration_without_a_client_secret_is_a_400_and_stores_nothing(db, provider):
    client, _tenant = register("owner@zero.example", "Zero")
    body = {key: value for key, value in config().items() if key != "clientSecret"}
    response = client.put(SSO, body, format="json")
    assert response.status_code == 400
    with tenancy.platform_access():
        assert not TenantSso.all_tenants.exists()
