"""Beat entries of the tenants app (merged by config/celery.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "tenants-purge-sso-login-states": {
        "task": "tenants.purge_sso_login_states",
        "schedule": crontab(minute=23, hour=3),
    },
}
