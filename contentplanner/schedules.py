"""Beat entries of the content planner (merged by config/celery.py; exactly one beat process runs them)."""

DISPATCH_INTERVAL_SECONDS = 5.0

BEAT_SCHEDULE = {
    "cp-dispatch-due-posts": {
        "task": "contentplanner.tasks.dispatch_due_posts",
        "schedule": DISPATCH_INTERVAL_SECONDS,
        # A tick nobody ran within two intervals is obsolete: the next one does the same work.
        "options": {"queue": "publish", "expires": DISPATCH_INTERVAL_SECONDS * 2},
    },
}
