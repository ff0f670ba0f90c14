"""Dashboards: create, change, delete (widgets checked against the metric catalogue)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction

from analytics import metrics
from analytics.errors import DashboardExists
from analytics.models import Dashboard
from core import audit
from core.auth import Principal
from core.errors import ValidationFailed

MAX_WIDGETS = 24
FIELDS = ("name", "description", "widgets", "channel_ids", "range_days", "compare_to")


def clean_widgets(widgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Widgets as stored: every metric in the catalogue, its grouping allowed, an id per widget (kept if given)."""
    if len(widgets) > MAX_WIDGETS:
        raise ValidationFailed(details={"widgets": [f"At most {MAX_WIDGETS} widgets."]})
    errors: dict[str, list[str]] = {}
    cleaned = []
    for index, widget in enumerate(widgets):
        definition = metrics.CATALOGUE.get(widget["metric"])
        if definition is None:
            errors[str(index)] = [f"Unknown metric: {widget['metric']}."]
            continue
        if widget.get("group_by") and widget["group_by"] not in definition.group_by:
            errors[str(index)] = [f"{definition.key} can be grouped by: {', '.join(definition.group_by)}."]
            continue
        cleaned.append(
            {
                "id": widget.get("id") or uuid.uuid4().hex[:12],
                "metric": definition.key,
                "title": widget.get("title") or definition.title,
                "chart": widget["chart"],
                "group_by": widget.get("group_by"),
                "position": widget["position"],
            }
        )
    if errors:
        raise ValidationFailed(details={"widgets": errors})
    return cleaned


def _clean(values: dict[str, Any], actor: Principal) -> dict[str, Any]:
    values = {key: value for key, value in values.items() if key in FIELDS}
    if "widgets" in values:
        values["widgets"] = clean_widgets(values["widgets"])
    if values.get("channel_ids"):
        scope = metrics.scope_for(actor, values["channel_ids"], "UTC")  # the actor must see every channel
        values["channel_ids"] = [str(i) for i in scope.ids]
    return values


def _save(dashboard: Dashboard) -> None:
    try:
        with transaction.atomic():
            dashboard.save()
    except IntegrityError:
        raise DashboardExists(details={"name": dashboard.name}) from None


def create_dashboard(*, actor: Principal, **values: Any) -> Dashboard:
    """A new dashboard (name unique per tenant, case-insensitively)."""
    dashboard = Dashboard(created_by=actor.user, **_clean(values, actor))
    with transaction.atomic():
        _save(dashboard)
        audit.record("analytics.dashboard.create", dashboard, actor=actor, changes={"name": dashboard.name})
    return dashboard


def update_dashboard(dashboard: Dashboard, *, actor: Principal, **values: Any) -> Dashboard:
    changes = _clean(values, actor)
    for name, value in changes.items():
        setattr(dashboard, name, value)
    with transaction.atomic():
        _save(dashboard)
        audit.record("analytics.dashboard.update", dashboard, actor=actor, changes={"fields": sorted(changes)})
    return dashboard


def delete_dashboard(dashboard: Dashboard, *, actor: Principal) -> None:
    """Delete the dashboard, its shared links (they stop working) and its email reports."""
    with transaction.atomic():
        audit.record("analytics.dashboard.delete", dashboard, actor=actor, changes={"name": dashboard.name})
        dashboard.delete()
