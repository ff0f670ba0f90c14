"""Beat entries of the content planner (merged by config/celery.py; exactly one beat process runs them)."""

from celery.schedules import crontab

# How often the dispatcher claims due posts: on average a post waits half of it before its task is sent. An idle
# tick is three indexed queries on the dispatcher's own worker.
DISPATCH_INTERVAL_SECONDS = 1.0

BEAT_SCHEDULE = {
    "cp-dispatch-due-posts": {
        "task": "contentplanner.tasks.dispatch_due_posts",
        "schedule": DISPATCH_INTERVAL_SECONDS,
        # A tick nobody ran within two intervals is obsolete: the next one does the same work.
        "options": {"queue": "dispatch", "expires": DISPATCH_INTERVAL_SECONDS * 2},
    },
    # Metrics (contentplanner.tasks, queue `sync`): post metrics hourly, channel figures for yesterday once a day.
    "cp-dispatch-post-metrics": {
        "task": "contentplanner.tasks.dispatch_post_metrics",
        "schedule": crontab(minute=17),
        "options": {"queue": "sync", "expires": 30 * 60},
    },
    "cp-dispatch-channel-metrics": {
        "task": "contentplanner.tasks.dispatch_channel_metrics",
        "schedule": crontab(hour=2, minute=41),
        "options": {"queue": "sync", "expires": 6 * 60 * 60},
    },
    "cp-sweep-approvals": {
        "task": "contentplanner.tasks.sweep_approvals",
        "schedule": crontab(minute="7-59/15"),
        "options": {"queue": "sync", "expires": 10 * 60},
    },
    "cp-remind-client-approvals": {
        "task": "contentplanner.tasks.remind_client_approvals",
        "schedule": crontab(minute="*/15"),
        "options": {"queue": "sync", "expires": 10 * 60},
    },
}
