"""Domain errors of the analytics app, with stable codes (rendered by core's exception handler).

Codes: UNKNOWN_METRIC (404), DASHBOARD_EXISTS (409), SHARED_LINK_INVALID (404), SHARED_LINK_SCOPE (404),
REPORT_DASHBOARD_REQUIRED (400), RANGE_TOO_LONG (400).
"""

from __future__ import annotations

from core.errors import Conflict, NotFound, ValidationFailed


class UnknownMetric(NotFound):
    code = "UNKNOWN_METRIC"
    message = "No such metric."


class DashboardExists(Conflict):
    code = "DASHBOARD_EXISTS"
    message = "A dashboard with this name already exists."


class SharedLinkInvalid(NotFound):
    """Unknown, forged, revoked or expired: the holder learns nothing more than "not valid"."""

    code = "SHARED_LINK_INVALID"
    message = "This shared dashboard link is not valid."


class SharedLinkScope(NotFound):
    """A metric or channel that is not part of the shared dashboard (answered like a missing one)."""

    code = "SHARED_LINK_SCOPE"
    message = "This is not part of the shared dashboard."


class ReportDashboardRequired(ValidationFailed):
    code = "REPORT_DASHBOARD_REQUIRED"
    message = "A dashboard report needs a dashboard; other report types take none."


class RangeTooLong(ValidationFailed):
    code = "RANGE_TOO_LONG"
    message = "The date range is too long."
