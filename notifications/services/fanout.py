"""A trigger's first in-app step done in the database, set-wise, inside the trigger's transaction.

A trigger to a topic of 10,000 would otherwise wait for workers to walk every job through the in-app step; here
one INSERT ... SELECT stores every recipient's feed item (visible when the trigger commits) and two more write the
execution details, so the jobs start at the next step. Only when the database can do exactly what the worker
would: the first step is in-app, has no conditions (they are evaluated in Python) and its templates use only
constants (payload, tenant) and plain subscriber columns; preferences are an EXISTS over `Preference`. Anything
else runs in the workers as before (`delivery._channel_steps`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, JSONField, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat, Left
from django.utils import timezone

from core.db import bulk
from notifications import templates
from notifications.models import Channel, Event, ExecutionDetail, Job, Message, MessageStatus, Preference, Workflow

IN_APP_PROVIDER = "hubbub_inapp"
STORED = {"stored": True}  # an in-app item is delivered by being stored
SUBSCRIBER_COLUMNS = frozenset({"subscriber_id", "email", "phone", "first_name", "last_name", "locale"})
TURNED_OFF = "The subscriber turned {channel} off."
ADDED_TO_FEED = "Added to the in-app feed."


def in_app_fields(step: dict[str, Any]) -> dict[str, Any]:
    """What every in-app message of `step` stores besides its text (the worker's and the trigger's rows alike)."""
    return {
        "actions": [{**a, "status": "pending"} for a in step.get("actions") or []],
        "feed_identifier": step.get("feed_identifier", ""),
        "status": MessageStatus.SENT,
        "provider_id": IN_APP_PROVIDER,
        "provider_response": STORED,
        "attempt_count": 1,
    }


def allowed_by_preferences(jobs: QuerySet, workflow: Workflow, channel: str) -> QuerySet:
    """The jobs whose subscriber has not turned `channel` off (the workflow's own switch first, then the global
    one), as `delivery._allowed_by_preferences` decides per job."""
    if workflow.is_critical or workflow.preference_settings.get(channel) is False:
        return jobs
    mine = Preference.objects.filter(subscriber=OuterRef("subscriber_id"))
    for_workflow = mine.filter(workflow=workflow)
    return jobs.exclude(Exists(for_workflow.filter(**{f"channels__{channel}": False}))).exclude(
        ~Q(Exists(for_workflow.filter(channels__has_key=channel)))
        & Q(Exists(mine.filter(workflow__isnull=True, **{f"channels__{channel}": False})))
    )


def _rendered(parts: list[str | templates.Column]) -> Any:
    expressions = [
        F(f"subscriber__{part.name}") if isinstance(part, templates.Column) else Value(part)
        for part in parts
        if part != ""
    ]
    if not expressions:
        return Value("")
    return expressions[0] if len(expressions) == 1 else Concat(*expressions, output_field=TextField())


def in_app_step_in_sql(workflow: Workflow, payload: dict[str, Any], tenant_name: str) -> dict[str, Any] | None:
    """The first step's subject and body as SQL expressions over a job's row, or None when the workers must run it."""
    steps = workflow.steps
    if not steps or steps[0]["type"] != Channel.IN_APP or steps[0].get("conditions"):
        return None
    constants = {"payload": payload, "step": {}, "tenant": {"name": tenant_name}}
    compiled = {
        name: templates.as_columns(steps[0].get(name, ""), constants, SUBSCRIBER_COLUMNS, "subscriber")
        for name in ("subject", "body")
    }
    if any(parts is None for parts in compiled.values()):
        return None
    return {"subject": Left(_rendered(compiled["subject"]), 500), "content": _rendered(compiled["body"])}


def store_in_app_step(event: Event, text: dict[str, Any]) -> None:
    """Step 0 for every job of `event` (just inserted): the feed items of the subscribers who allow in-app and an
    execution detail per job. Unique (job, step) and ON CONFLICT DO NOTHING keep it once per job."""
    workflow, now = event.workflow, timezone.now()
    jobs = Job.objects.filter(event=event)
    stored = {
        name: Value(value, output_field=JSONField()) if isinstance(value, dict | list) else Value(value)
        for name, value in in_app_fields(workflow.steps[0]).items()
    }
    bulk.insert_select(
        Message,
        allowed_by_preferences(jobs, workflow, Channel.IN_APP),
        {
            "job": F("pk"),
            "event": F("event_id"),
            "subscriber": F("subscriber_id"),
            "step_index": Value(0),
            "channel": Value(Channel.IN_APP),
            **text,
            **stored,
            "provider_message_id": Value(""),
            "sent_at": Value(now),
        },
        skip_conflicts_on=("job", "step_index"),
    )
    detail = {"step_index": Value(0), "provider_id": Value("")}
    bulk.insert_select(
        ExecutionDetail,
        Message.objects.filter(event=event, step_index=0),
        {"job": F("job_id"), "message": F("pk"), "status": Value("success"), "detail": Value(ADDED_TO_FEED), **detail},
    )
    bulk.insert_select(
        ExecutionDetail,
        jobs.exclude(Exists(Message.objects.filter(job=OuterRef("pk"), step_index=0))),
        {
            "job": F("pk"),
            "status": Value("skipped"),
            "detail": Value(TURNED_OFF.format(channel=Channel.IN_APP)),
            **detail,
        },
    )
