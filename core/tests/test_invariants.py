"""Invariants that keep tenant isolation structural rather than remembered."""

from django.urls import URLPattern, URLResolver, get_resolver

from core.api.viewsets import TenantAPIMixin

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
    "OAuthCallbackView",  # the browser returns here; the signed, single-use state names the tenant
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


def test_tenant_views_never_override_queryset_or_object_lookup():
    from core.api.viewsets import TenantViewSet

    list(_walk(get_resolver().url_patterns))  # import every view module

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    views = list(subclasses(TenantViewSet))
    assert len(views) > 10
    overriding = [view.__qualname__ for view in views if "get_queryset" in vars(view) or "get_object" in vars(view)]
    assert overriding == []
