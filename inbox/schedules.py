"""Beat entries of the inbox (merged by config/celery.py)."""

SWEEP_INTERVAL_SECONDS = 10.0

BEAT_SCHEDULE = {
    "inbox-sweep-ingestion": {
        "task": "inbox.tasks.sweep_ingestion",
        "schedule": SWEEP_INTERVAL_SECONDS,
        # A tick nobody ran within two intervals is obsolete: the next one claims the same cursors.
        "options": {"queue": "sync", "expires": SWEEP_INTERVAL_SECONDS * 2},
    },
    "inbox-sweep-actions": {"task": "inbox.tasks.sweep_actions", "schedule": 60.0, "options": {"expires": 120}},
    "inbox-wake-snoozed": {"task": "inbox.tasks.wake_snoozed", "schedule": 30.0, "options": {"expires": 60}},
    "inbox-sweep-followups": {"task": "inbox.tasks.sweep_followups", "schedule": 30.0, "options": {"expires": 60}},
    "inbox-compact-ticket-counts": {
        "task": "inbox.tasks.compact_ticket_counts",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    "inbox-reconcile-ticket-counts": {
        "task": "inbox.tasks.reconcile_ticket_counts",
        "schedule": 3600.0,
        "options": {"expires": 1800},
    },
    "inbox-evaluate-alerts": {"task": "inbox.tasks.evaluate_alerts", "schedule": 60.0, "options": {"expires": 60}},
}
