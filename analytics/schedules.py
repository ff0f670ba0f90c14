"""Beat entries of the analytics app."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Hourly: a report goes out in the first hour after its period ends in the tenant's time zone.
    "analytics-dispatch-due-reports": {"task": "analytics.tasks.dispatch_due_reports", "schedule": crontab(minute=5)},
}
