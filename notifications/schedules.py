"""Beat entries of the notifications app (merged in config/celery.py)."""

BEAT_SCHEDULE = {
    "notifications-sweep-due-jobs": {"task": "notifications.sweep_due_jobs", "schedule": 10.0},
    "notifications-sweep-webhook-deliveries": {"task": "notifications.sweep_webhook_deliveries", "schedule": 15.0},
}
