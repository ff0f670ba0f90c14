"""Demo data of the analytics app (called by `manage.py seed_demo` after social and contentplanner): two weeks of
channel figures collected from the sandbox network, a "Monthly overview" dashboard of eight widgets, a shared link
to it and a weekly email report.

Idempotent: the dashboard, link and report are found by name; collecting a channel day again upserts it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from analytics import selectors
from analytics.models import Dashboard, ReportFrequency, ReportType
from analytics.services import dashboards, email_reports, shared_links
from contentplanner.services import metrics as cp_metrics
from core import tenancy
from core.auth import Principal
from social import selectors as social_selectors
from tenants.roles import Role, permissions_for_role

NAME = "Monthly overview"
COLLECTED_DAYS = 14


def _widget(n: int, metric: str, chart: str, group_by: str | None, w: int = 6) -> dict[str, Any]:
    return {
        "metric": metric,
        "chart": chart,
        "group_by": group_by,
        "position": {"x": (n % 2) * 6, "y": n // 2 * 4, "w": w, "h": 4},
    }


WIDGETS = [
    _widget(0, "followers", "line", "day"),
    _widget(1, "impressions", "line", "day"),
    _widget(2, "engagements", "bar", "week"),
    _widget(3, "engagementRate", "number", None),
    _widget(4, "postsPublished", "bar", "channel"),
    _widget(5, "postImpressions", "line", "week"),
    _widget(6, "postEngagements", "table", "tag"),
    _widget(7, "postClicks", "number", None),
]


def seed_demo(*, tenant: Any, owner: Any) -> Dashboard:
    actor = Principal(
        tenant=tenant, permissions=permissions_for_role(Role.OWNER), kind="user", user=owner, role=Role.OWNER
    )
    with tenancy.acting_as(actor):
        today = timezone.now().date()
        for channel in social_selectors.channels().filter(network__in=cp_metrics.COLLECTABLE_NETWORKS):
            for n in range(1, COLLECTED_DAYS + 1):
                cp_metrics.collect_channel_metrics(channel, today - timedelta(days=n))
        dashboard = selectors.dashboards().filter(name=NAME).first()
        if dashboard is None:
            dashboard = dashboards.create_dashboard(
                actor=actor, name=NAME, description="Audience, reach and engagement of every channel.", widgets=WIDGETS
            )
        if not selectors.shared_links().filter(dashboard=dashboard, name="Client view").exists():
            shared_links.create_link(dashboard, actor=actor, name="Client view")
        if not selectors.email_reports().filter(name="Weekly overview").exists():
            email_reports.create_report(
                actor=actor,
                name="Weekly overview",
                report_type=ReportType.DASHBOARD,
                dashboard=dashboard,
                frequency=ReportFrequency.WEEKLY,
                recipients=[owner.email or "owner@example.com"],
            )
    return dashboard
