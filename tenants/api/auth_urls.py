"""/api/v1/auth/ routes; the trailing slash is optional, as everywhere in the API."""

from django.urls import re_path

from tenants.api import auth_views as views


def _route(path: str, view, name: str):
    return re_path(rf"^{path}/?$", view.as_view(), name=name)


urlpatterns = [
    _route("register", views.RegisterView, "auth-register"),
    _route("email/verify/resend", views.EmailVerifyResendView, "auth-email-verify-resend"),
    _route("email/verify", views.EmailVerifyView, "auth-email-verify"),
    _route("invite/accept", views.InviteAcceptView, "auth-invite-accept"),
    _route("activate", views.InviteAcceptView, "auth-activate"),
    _route("login", views.LoginView, "auth-login"),
    _route("sso/start", views.SsoStartView, "auth-sso-start"),
    _route("sso/callback", views.SsoCallbackView, "auth-sso-callback"),
    _route("refresh", views.RefreshView, "auth-refresh"),
    _route("logout", views.LogoutView, "auth-logout"),
    _route("token", views.TokenExchangeView, "auth-token"),
    _route("switch-tenant", views.SwitchTenantView, "auth-switch-tenant"),
    _route("totp/setup", views.TotpSetupView, "auth-totp-setup"),
    _route("totp/verify", views.TotpVerifyView, "auth-totp-verify"),
    _route("totp/disable", views.TotpDisableView, "auth-totp-disable"),
    _route("totp", views.TotpView, "auth-totp"),
    _route("password/reset/confirm", views.PasswordResetConfirmView, "auth-password-reset-confirm"),
    _route("password/reset", views.PasswordResetView, "auth-password-reset"),
    _route("password/change", views.PasswordChangeView, "auth-password-change"),
]
