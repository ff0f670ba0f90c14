"""Beat entries of the social app (merged by config/celery.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "social-token-refresh": {
        "task": "social.tasks.dispatch_token_refreshes",
        "schedule": crontab(minute="*/10"),
    },
}
