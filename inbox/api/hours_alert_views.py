"""Business hours per channel and alerts. Thin: inputs validated here, rules in inbox.services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.inputs import validated
from core.api.schema import error_responses
from core.api.viewsets import TenantViewSet
from inbox import selectors
from inbox.api import alert_serializers as a
from inbox.api import business_hours_serializers as b
from inbox.models import Alert
from inbox.services import alerts as alert_services
from inbox.services import business_hours as hours_services

READ = "inbox.ticket.read"
CONFIGURE = "inbox.config.manage"
ALERTS = "inbox.alert.manage"


class InboxChannelViewSet(TenantViewSet):
    """The inbox settings of a channel the caller sees (another tenant's, or another team's channel: 404)."""

    required_permissions = {"business_hours": READ, "set_business_hours": CONFIGURE}

    def scope_queryset(self):
        from social.selectors import channels_visible_to

        return channels_visible_to(self.principal)

    @extend_schema(responses={200: b.BusinessHoursOutput, **error_responses(404)})
    @action(detail=True, methods=["get"], url_path="business-hours")
    def business_hours(self, request, pk=None):
        """The channel's business hours. Without any (`isConfigured: false`), the channel counts as open around the
        clock: SLA durations are wall-clock time and no auto-reply is sent."""
        channel = self.get_object()
        return Response(b.BusinessHoursOutput.of(channel, selectors.business_hours_of(channel)).data)

    @extend_schema(request=b.BusinessHoursInput, responses={200: b.BusinessHoursOutput, **error_responses(400, 404)})
    @business_hours.mapping.put
    def set_business_hours(self, request, pk=None):
        """Replace the business hours: weekly periods in the timezone (several a day, no overlaps, `end` may be
        24:00), holidays, and the auto-reply sent once per person per closed period. Empty `periods`: removed."""
        channel = self.get_object()
        data = validated(b.BusinessHoursInput, request)
        auto_reply = data.get("auto_reply") or {"enabled": False, "text": ""}
        document = hours_services.normalise_hours(
            timezone=data["timezone"],
            periods=data["periods"],
            holidays=data["holidays"],
            auto_reply_enabled=auto_reply["enabled"],
            auto_reply_text=auto_reply.get("text", ""),
        )
        hours = hours_services.set_business_hours(channel, actor=self.principal, document=document)
        return Response(b.BusinessHoursOutput.of(channel, hours).data)


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Alerts mailed to members or addresses once per incident (volume bursts, unanswered priority tickets)."""

    serializer_class = a.AlertOutput
    required_permissions = {"*": ALERTS}

    def scope_queryset(self):
        return selectors.alerts()

    @extend_schema(request=a.AlertInput, responses={201: a.AlertOutput, **error_responses(400)})
    def create(self, request):
        values = a.alert_values(validated(a.AlertInput, request))
        alert = alert_services.create_alert(actor=self.principal, values=values)
        return Response(a.AlertOutput(selectors.alerts().get(pk=alert.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=a.AlertInput, responses={200: a.AlertOutput, **error_responses(400, 404)})
    def partial_update(self, request, pk=None):
        alert: Alert = self.get_object()
        values = a.alert_values(validated(a.AlertInput, request, partial=True))
        alert = alert_services.update_alert(alert, actor=self.principal, changes=values)
        return Response(a.AlertOutput(selectors.alerts().get(pk=alert.pk)).data)

    @extend_schema(request=None, responses={204: None, **error_responses(404)})
    def destroy(self, request, pk=None):
        alert_services.delete_alert(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: a.AlertIncidentOutput(many=True)})
    @action(detail=True, methods=["get"])
    def incidents(self, request, pk=None):
        """The alert's incidents, newest first (the last 100)."""
        rows = selectors.alert_incidents(self.get_object())[:100]
        return Response(a.AlertIncidentOutput(rows, many=True).data)
