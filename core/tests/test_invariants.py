"""Invariants that keep tenant isolation structural rather than remembered."""

from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from core.api.permissions import required_permission_for
from core.api.viewsets import TenantAPIMixin, TenantAPIView, TenantViewSet

# Views that run without a tenant credential, each for a reason: they authenticate by other means or are public.
PUBLIC_VIEWS = {
    "healthz",
    "readyz",
    "short_link_redirect",  # /s/{code}: public redirect, looked up across tenants by its unguessable code
    "RegisterView",
    "LoginView",
    "RefreshView",
    "LogoutView",
    "PasswordResetView",
    "PasswordResetConfirmView",
    "InboxWebhookView",  # network push: each request is verified by the network's signature (or CRC/verify token)
    "EmailVerifyView",  # the signed, expiring token from the verification mail names the user
    "InviteAcceptView",  # the invite's uid + single-use token name the user
    "OAuthCallbackView",  # the browser returns here; the signed, single-use state names the tenant
    "BitlyCallbackView",  # the same, for connecting the tenant's bit.ly account
    "SsoStartView",  # names a tenant by alias or email domain; returns only its identity provider's authorize URL
    "SsoCallbackView",  # the browser returns here; the signed, single-use state names the tenant (tenants SSO)
    "PublicApprovalView",  # a client's signed, expiring, single-use approval link (contentplanner) names the tenant
    "CalendarFeedView",  # a member's secret, revocable ICS feed URL (contentplanner) names the tenant
    "PublicTicketsView",  # inbox public ticket API: the custom channel's token (digest lookup) names tenant+channel
    "PublicTicketView",  # idem
    "PublicReplySuccessView",  # idem
    "PublicDashboardView",  # a shared dashboard's signed, expiring, revocable link (analytics) names the tenant
    "PublicDashboardMetricView",  # the same link, one of the dashboard's own metrics
    "ReceiptView",  # a provider's delivery status callback, verified with the signing key of the integration it names
    "SpectacularAPIView",
    "SpectacularSwaggerView",
    "SpectacularRedocView",
}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_api_view_derives_from_the_tenant_base_or_is_an_explicit_public_view():
    offenders = []
    for path, callback in _walk(get_resolver().url_patterns):
        if path.startswith("admin/"):
            continue
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        name = view.__name__ if view is not None else callback.__name__
        if (view is None or not issubclass(view, TenantAPIMixin)) and name not in PUBLIC_VIEWS:
            offenders.append(f"{path} -> {name}")
    assert offenders == []


def test_tenant_views_never_override_queryset_object_lookup_or_permissions():
    from core.api.viewsets import PROTECTED_IN_TENANT_VIEWSETS, TenantViewSet

    list(_walk(get_resolver().url_patterns))  # import every view module

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    views = list(subclasses(TenantViewSet))
    assert len(views) > 10
    overriding = [
        view.__qualname__ for view in views if any(name in vars(view) for name in PROTECTED_IN_TENANT_VIEWSETS)
    ]
    assert overriding == []


@pytest.mark.parametrize("name", ["get_queryset", "get_object", "get_permissions"])
def test_a_viewset_overriding_a_protected_method_is_refused_when_defined(name):
    with pytest.raises(TypeError, match=f"may not override {name}"):
        type("Sneaky", (TenantViewSet,), {name: lambda self: None})


def test_a_mixin_cannot_smuggle_in_an_override():
    class Mixin:
        def get_object(self):
            return None

    with pytest.raises(TypeError, match="Mixin does"):
        type("Sneaky", (Mixin, TenantViewSet), {})


def test_a_singleton_view_may_not_rewrite_its_permissions():
    with pytest.raises(TypeError, match="get_permissions"):
        type("Sneaky", (TenantAPIView,), {"get_permissions": lambda self: []})


@pytest.mark.parametrize(
    "action, method, expected",
    [("feed", "GET", "read"), ("feed", "POST", "comment"), ("other", "POST", "write"), (None, "PUT", "put")],
)
def test_required_permissions_take_the_most_specific_key(action, method, expected):
    view = SimpleNamespace(
        action=action,
        required_permissions={"feed:get": "read", "feed": "comment", "put": "put", "*": "write"},
    )
    assert required_permission_for(view, SimpleNamespace(method=method)) == expected
