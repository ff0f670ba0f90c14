"""Input and output shapes of the analytics API (snake_case here; camelCase on the wire)."""

from __future__ import annotations

from rest_framework import serializers

from analytics import metrics, selectors
from analytics.models import CompareTo, Dashboard, EmailReport, ReportFrequency, ReportType, SharedLink
from core.api.inputs import TenantScopedPrimaryKeyRelatedField

MAX_IDS = 500


# --- metrics ---------------------------------------------------------------------------------------------------------
class ComparisonInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=["previous", "custom"])
    to = serializers.DateField(required=False)

    def validate(self, attrs):
        if attrs["type"] == "custom" and ("from" not in attrs or "to" not in attrs):
            raise serializers.ValidationError("A custom comparison needs `from` and `to`.")
        return attrs


ComparisonInput._declared_fields["from"] = serializers.DateField(required=False)


class MetricQueryInput(serializers.Serializer):
    to = serializers.DateField()
    compare_to = ComparisonInput(required=False, allow_null=True)
    channel_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=MAX_IDS)
    tag_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=MAX_IDS)
    group_by = serializers.ChoiceField(choices=metrics.POST_GROUPS, required=False, allow_null=True)


MetricQueryInput._declared_fields["from"] = serializers.DateField()


class MetricPointOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    to = serializers.DateField(required=False, help_text="Last day of a time bucket (within the range).")
    incomplete_data = serializers.BooleanField(help_text="A network has not delivered every day (or post) yet.")


MetricPointOutput._declared_fields["from"] = serializers.DateField(
    required=False, help_text="First day of a time bucket (within the range)."
)


class MetricTotalOutput(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    incomplete_data = serializers.BooleanField()


class MetricSeriesOutput(serializers.Serializer):
    to = serializers.DateField()
    total = MetricTotalOutput()
    data = MetricPointOutput(many=True)


MetricSeriesOutput._declared_fields["from"] = serializers.DateField()


class ChangeOutput(serializers.Serializer):
    absolute = serializers.FloatField()
    relative = serializers.FloatField(allow_null=True, help_text="null when the comparison total is 0.")


class MetricResultOutput(MetricSeriesOutput):
    metric = serializers.CharField()
    title = serializers.CharField()
    unit = serializers.ChoiceField(choices=["count", "ratio"])
    group_by = serializers.CharField(allow_null=True)
    comparison = MetricSeriesOutput(allow_null=True)
    change = ChangeOutput(allow_null=True)
    incomplete_data = serializers.BooleanField()


class CatalogueMetricOutput(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    source = serializers.ChoiceField(choices=["channel", "post"])
    unit = serializers.ChoiceField(choices=["count", "ratio"])
    group_by = serializers.ListField(child=serializers.CharField())
    filters = serializers.ListField(child=serializers.CharField())


class CatalogueOutput(serializers.Serializer):
    metrics = CatalogueMetricOutput(many=True)
    charts = serializers.ListField(child=serializers.CharField())


# --- dashboards ------------------------------------------------------------------------------------------------------
class WidgetPosition(serializers.Serializer):
    x = serializers.IntegerField(min_value=0, max_value=100)
    y = serializers.IntegerField(min_value=0, max_value=1000)
    w = serializers.IntegerField(min_value=1, max_value=100)
    h = serializers.IntegerField(min_value=1, max_value=100)


class WidgetInput(serializers.Serializer):
    id = serializers.RegexField(r"^[A-Za-z0-9_-]{1,40}$", required=False)
    metric = serializers.CharField(max_length=60)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    chart = serializers.ChoiceField(choices=metrics.CHART_TYPES)
    group_by = serializers.ChoiceField(choices=metrics.POST_GROUPS, required=False, allow_null=True)
    position = WidgetPosition()


class WidgetOutput(serializers.Serializer):
    id = serializers.CharField()
    metric = serializers.CharField()
    title = serializers.CharField()
    chart = serializers.CharField()
    group_by = serializers.CharField(allow_null=True)
    position = WidgetPosition()


class DashboardInput(serializers.Serializer):
    name = serializers.CharField(min_length=3, max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    widgets = WidgetInput(many=True, required=False)
    channel_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=MAX_IDS)
    range_days = serializers.IntegerField(min_value=1, max_value=metrics.MAX_RANGE_DAYS, required=False)
    compare_to = serializers.ChoiceField(choices=CompareTo.choices, required=False)


class DashboardOutput(serializers.ModelSerializer):
    widgets = WidgetOutput(many=True)
    channel_ids = serializers.ListField(child=serializers.UUIDField())

    class Meta:
        model = Dashboard
        fields = [
            "id",
            "name",
            "description",
            "widgets",
            "channel_ids",
            "range_days",
            "compare_to",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DashboardRenderQuery(serializers.Serializer):
    to = serializers.DateField(required=False)
    compare = serializers.BooleanField(required=False, allow_null=True, default=None)


DashboardRenderQuery._declared_fields["from"] = serializers.DateField(
    required=False, help_text="Default: `rangeDays` days ending today (local)."
)


class RenderedWidgetOutput(WidgetOutput):
    result = MetricResultOutput()


class DashboardRenderOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    to = serializers.DateField()
    compare = serializers.BooleanField()
    widgets = RenderedWidgetOutput(many=True)


# --- shared links ----------------------------------------------------------------------------------------------------


DashboardRenderOutput._declared_fields["from"] = serializers.DateField()


class SharedLinkInput(serializers.Serializer):
    dashboard_id = TenantScopedPrimaryKeyRelatedField(lambda request: selectors.dashboards(), label_name="dashboard")
    name = serializers.CharField(min_length=3, max_length=200)
    expires_at = serializers.DateTimeField(required=False, help_text="Default: in 30 days; at most 365 days ahead.")


class SharedLinkUpdateInput(serializers.Serializer):
    name = serializers.CharField(min_length=3, max_length=200, required=False)
    expires_at = serializers.DateTimeField(required=False)


class SharedLinkOutput(serializers.ModelSerializer):
    dashboard_id = serializers.UUIDField()
    channel_ids = serializers.ListField(child=serializers.UUIDField())
    is_usable = serializers.BooleanField()

    class Meta:
        model = SharedLink
        fields = [
            "id",
            "dashboard_id",
            "name",
            "channel_ids",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "is_usable",
            "created_at",
        ]
        read_only_fields = fields


class SharedLinkCreatedOutput(SharedLinkOutput):
    url = serializers.CharField(help_text="The only time the secret URL is shown.")

    class Meta(SharedLinkOutput.Meta):
        fields = [*SharedLinkOutput.Meta.fields, "url"]
        read_only_fields = fields


class PublicDashboardOutput(DashboardRenderOutput):
    expires_at = serializers.DateTimeField()


# --- email reports ---------------------------------------------------------------------------------------------------
class EmailReportInput(serializers.Serializer):
    name = serializers.CharField(min_length=3, max_length=200)
    report_type = serializers.ChoiceField(choices=ReportType.choices)
    dashboard_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: selectors.dashboards(), label_name="dashboard", required=False, allow_null=True
    )
    frequency = serializers.ChoiceField(choices=ReportFrequency.choices)
    recipients = serializers.ListField(child=serializers.EmailField(), min_length=1, max_length=50)
    is_active = serializers.BooleanField(required=False)


class EmailReportOutput(serializers.ModelSerializer):
    dashboard_id = serializers.UUIDField(allow_null=True)
    recipients = serializers.ListField(child=serializers.EmailField())

    class Meta:
        model = EmailReport
        fields = [
            "id",
            "name",
            "report_type",
            "dashboard_id",
            "frequency",
            "recipients",
            "is_active",
            "last_sent_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReportTypeOutput(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    format = serializers.CharField()


class SendTestInput(serializers.Serializer):
    to = serializers.ListField(
        child=serializers.EmailField(), required=False, max_length=10, help_text="Default: your own address."
    )


class SendTestOutput(serializers.Serializer):
    to = serializers.DateField()


SendTestOutput._declared_fields["from"] = serializers.DateField()
