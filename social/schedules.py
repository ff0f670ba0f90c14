"""Beat entries of the social app (merged by config/celery.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "social-token-refresh": {
        "task": "social.tasks.dispatch_token_refreshes",
        "schedule": crontab(minute="*/10"),
    },
    "social-purge-oauth-states": {
        "task": "social.tasks.purge_oauth_states",
        "schedule": crontab(minute=17, hour=3),
    },
}
