"""Background work of the tenants app (see README "Celery": name, queue and time limits on every decorator)."""

from __future__ import annotations

from celery import shared_task

from tenants.services import auth as auth_services
from tenants.services import sso


@shared_task(name="tenants.send_password_reset", queue="notify", soft_time_limit=30, time_limit=60)
def send_password_reset(*, email: str, reset_id: str) -> None:
    """Look the email up and mail the reset link if it belongs to an account; idempotent by `reset_id`."""
    auth_services.send_password_reset_mail(email=email, reset_id=reset_id)


@shared_task(name="tenants.purge_sso_login_states", queue="sync", soft_time_limit=60, time_limit=90)
def purge_sso_login_states() -> int:
    """Beat, daily: forget SSO sign-ins started more than a day ago (used or not); safe to run twice."""
    return sso.purge_login_states()
