"""Beat entries of the ads app (merged by config/celery.py once `ads` is in its LOCAL_APPS)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "ads-dispatch-syncs": {"task": "ads.tasks.dispatch_ad_syncs", "schedule": crontab(minute="*/15")},
}
