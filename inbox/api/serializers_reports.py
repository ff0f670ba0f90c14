"""Wire formats of the inbox reports and of agents' round-robin settings.

The report outputs are plain dicts built by `inbox.reports`; these shapes document them for OpenAPI.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from inbox.models import InboxAgent

REPORT_FORMATS = ("json", "csv")


class ReportQuery(serializers.Serializer):
    to = serializers.DateField(required=False)
    channel = serializers.ListField(child=serializers.UUIDField(), required=False)
    team = serializers.UUIDField(required=False)
    format = serializers.ChoiceField(choices=REPORT_FORMATS, default="json")


ReportQuery._declared_fields["from"] = serializers.DateField(required=False)

REPORT_DESCRIPTION = (
    "Read from a per-day summary the inbox keeps as tickets change: counts are exact; medians and p90 are "
    "interpolated in log-scale histograms of business seconds, within one bucket of the exact percentile "
    "(percentile_cont): above a minute a bucket is sqrt(2) (~41%) wide, below a minute one bucket spans [0, 60) s, "
    "and durations of 91 days or more share the last bucket (answered as 7,864,320 s). Days are local dates in the "
    "tenant's time zone as it was when the summary was written (a change of zone takes a rebuild by staff)."
)

REPORT_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First local day (tenant time zone). Default: `to` - 29."),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, description="Last local day, inclusive. Default: today. At most 366 days."
    ),
    OpenApiParameter("channel", OpenApiTypes.UUID, many=True),
    OpenApiParameter("team", OpenApiTypes.UUID, description="Tickets routed to this team."),
    OpenApiParameter("format", OpenApiTypes.STR, enum=list(REPORT_FORMATS), description="`csv`: the same rows."),
]


def _metrics() -> dict[str, serializers.Field]:
    seconds = (
        "Business-hours seconds, from the summary's histograms: within one bucket of the exact percentile (buckets "
        "sqrt(2) wide above a minute, [0, 60) below); null without data."
    )
    return {
        "created": serializers.IntegerField(help_text="Tickets that came in."),
        "answered": serializers.IntegerField(help_text="Tickets first answered."),
        "resolved": serializers.IntegerField(help_text="Tickets resolved."),
        "archived": serializers.IntegerField(help_text="Tickets archived."),
        "first_response_median_seconds": serializers.FloatField(allow_null=True, help_text=seconds),
        "first_response_p90_seconds": serializers.FloatField(allow_null=True, help_text=seconds),
        "resolution_median_seconds": serializers.FloatField(allow_null=True, help_text=seconds),
        "resolution_p90_seconds": serializers.FloatField(allow_null=True, help_text=seconds),
    }


def _range() -> dict[str, serializers.Field]:
    return {"from": serializers.DateField(), "to": serializers.DateField(), "timezone": serializers.CharField()}


OverviewReport = inline_serializer(
    name="InboxOverviewReport",
    fields={
        **_range(),
        "totals": inline_serializer(name="InboxReportTotals", fields=_metrics()),
        "days": inline_serializer(
            name="InboxReportDay", many=True, fields={"date": serializers.DateField(), **_metrics()}
        ),
    },
)


def dimension_report(name: str, id_field: serializers.Field) -> serializers.Serializer:
    return inline_serializer(
        name=f"Inbox{name}Report",
        fields={
            **_range(),
            "results": inline_serializer(
                name=f"Inbox{name}ReportRow",
                many=True,
                fields={"id": id_field, "name": serializers.CharField(), **_metrics()},
            ),
        },
    )


class AgentOutput(serializers.ModelSerializer):
    user_id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.SerializerMethodField()
    open_ticket_count = serializers.IntegerField(read_only=True, help_text="Open or snoozed tickets assigned.")

    class Meta:
        model = InboxAgent
        fields = (
            "id",
            "user_id",
            "email",
            "name",
            "max_open_tickets",
            "is_available",
            "last_assigned_at",
            "open_ticket_count",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_name(self, agent: InboxAgent) -> str:
        return agent.user.full_name


class AgentPatchInput(serializers.Serializer):
    max_open_tickets = serializers.IntegerField(
        min_value=0, max_value=100_000, allow_null=True, required=False, help_text="null: no limit (managers)."
    )
    is_available = serializers.BooleanField(required=False, help_text="Agents may set their own.")
