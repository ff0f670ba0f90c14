"""Workflows and groups. Steps are validated when saved: every template must render, so a send never fails on a
template (400 INVALID_TEMPLATE naming the step and field)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from core import audit, extensions
from core.auth import Principal
from core.errors import ValidationFailed
from notifications import conditions as conditions_module
from notifications import templates
from notifications.errors import InvalidTemplate, WorkflowExists
from notifications.models import CHANNEL_STEP_TYPES, StepType, Workflow, WorkflowGroup

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
MAX_STEPS = 20
TEMPLATE_FIELDS = ("subject", "body", "html")


def step_seconds(step: dict[str, Any]) -> int:
    return int(step.get("amount") or 0) * UNIT_SECONDS.get(step.get("unit") or "minutes", 60)


def validate_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Normalised steps, or 400 naming the step (`steps[2].body`)."""
    if not isinstance(steps, list) or not steps:
        raise ValidationFailed(details={"steps": ["A workflow needs at least one step."]})
    if len(steps) > MAX_STEPS:
        raise ValidationFailed(details={"steps": [f"At most {MAX_STEPS} steps."]})
    clean = []
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not isinstance(step, dict) or step.get("type") not in StepType.values:
            raise ValidationFailed(details={f"{where}.type": [f"One of {', '.join(StepType.values)}."]})
        kind = step["type"]
        for name in TEMPLATE_FIELDS:
            value = step.get(name, "")
            if not isinstance(value, str):
                raise InvalidTemplate(details={f"{where}.{name}": ["Must be a string."]})
            try:
                templates.validate(value)
            except templates.TemplateError as exc:
                raise InvalidTemplate(details={f"{where}.{name}": [str(exc)]}) from None
        if kind in CHANNEL_STEP_TYPES and not step.get("body"):
            raise ValidationFailed(details={f"{where}.body": ["A channel step needs a body."]})
        if kind in (StepType.DELAY, StepType.DIGEST):
            if step.get("unit", "minutes") not in UNIT_SECONDS:
                raise ValidationFailed(details={f"{where}.unit": [f"One of {', '.join(UNIT_SECONDS)}."]})
            if not isinstance(step.get("amount"), int) or not 0 < step["amount"] <= 60 * 24 * 30:
                raise ValidationFailed(details={f"{where}.amount": ["A whole number from 1."]})
        if kind == StepType.DIGEST and step.get("digest_key"):
            try:
                templates.validate("{{" + str(step["digest_key"]) + "}}")
            except templates.TemplateError as exc:
                raise ValidationFailed(details={f"{where}.digestKey": [str(exc)]}) from None
        try:
            conditions_module.validate(step.get("conditions") or [])
        except conditions_module.ConditionError as exc:
            raise ValidationFailed(details={f"{where}.conditions": [str(exc)]}) from None
        actions = step.get("actions") or []
        if not isinstance(actions, list) or any(
            not isinstance(a, dict) or not a.get("label") or not a.get("key") for a in actions
        ):
            raise ValidationFailed(details={f"{where}.actions": ["Each action needs a key and a label."]})
        clean.append(step)
    return clean


def create_workflow(*, actor: Principal, identifier: str, name: str, steps: list, **fields: Any) -> Workflow:
    steps = validate_steps(steps)
    try:
        with transaction.atomic():
            workflow = Workflow.objects.create(identifier=identifier, name=name, steps=steps, **fields)
            audit.record("notifications.workflow.create", workflow, actor=actor, changes={"identifier": identifier})
    except IntegrityError:
        raise WorkflowExists(details={"identifier": [f"{identifier!r} exists."]}) from None
    return workflow


def update_workflow(workflow: Workflow, *, actor: Principal, **changes: Any) -> Workflow:
    if "steps" in changes:
        changes["steps"] = validate_steps(changes["steps"])
    try:
        with transaction.atomic():
            for name, value in changes.items():
                setattr(workflow, name, value)
            workflow.save()
            audit.record("notifications.workflow.update", workflow, actor=actor, changes={"fields": sorted(changes)})
    except IntegrityError:
        raise WorkflowExists() from None
    return workflow


def delete_workflow(workflow: Workflow, *, actor: Principal) -> None:
    with transaction.atomic():
        audit.record("notifications.workflow.delete", workflow, actor=actor)
        workflow.delete()


def create_group(*, actor: Principal, name: str) -> WorkflowGroup:
    try:
        with transaction.atomic():
            return WorkflowGroup.objects.create(name=name)
    except IntegrityError:
        raise WorkflowExists("A group with this name exists.", details={"name": [f"{name!r} exists."]}) from None


# Hubbub's own notices (what apps pass to `core.notify.notify`, registered in `core.extensions.register_notice`): an
# in-app item plus the email, which carries the notice's own subject and body. Critical notices (invitations,
# password resets, mail to people outside the workspace) are email only and ignore preferences. Tenants edit these
# like any workflow.
_NOTICE_STEPS = [
    {"type": "in_app", "subject": "{{payload.subject}}", "body": "{{payload.subject}}"},
    {"type": "email", "subject": "{{payload.subject}}", "body": "{{payload.body}}"},
]
_CRITICAL_STEPS = [{"type": "email", "subject": "{{payload.subject}}", "body": "{{payload.body}}"}]


def ensure_default_workflows(*, actor: Principal | None) -> list[Workflow]:
    """Create the workflows of Hubbub's own notices that the tenant does not have yet (idempotent)."""
    group, _ = WorkflowGroup.objects.get_or_create(name="Hubbub")
    existing = set(Workflow.objects.values_list("identifier", flat=True))
    created = []
    for notice in sorted(extensions.notice_types().values(), key=lambda n: n.name):
        if notice.name in existing:
            continue
        steps = _CRITICAL_STEPS if notice.is_critical else _NOTICE_STEPS
        workflow = Workflow.objects.create(
            identifier=notice.name,
            name=notice.title,
            group=group,
            is_critical=notice.is_critical,
            steps=validate_steps(steps),
        )
        if actor is not None:
            audit.record("notifications.workflow.create", workflow, actor=actor, changes={"identifier": notice.name})
        created.append(workflow)
    return created
