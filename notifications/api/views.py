"""Notifications API: providers, integrations, subscribers, topics, workflows, triggers, messages, in-app feed."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import tenancy
from core.api.inputs import validated
from core.api.pagination import PageOrCursorPagination
from core.api.schema import error_responses
from core.api.viewsets import TenantAPIView, TenantViewSet
from core.errors import NotFound, PermissionDenied, ValidationFailed
from notifications import selectors
from notifications.api import serializers as s
from notifications.errors import UnknownWorkflow
from notifications.models import Message
from notifications.providers import PROVIDERS
from notifications.services import chat_connections as chat_services
from notifications.services import feed as feed_services
from notifications.services import integrations as integration_services
from notifications.services import receipts as receipt_services
from notifications.services import subscribers as subscriber_services
from notifications.services import triggers as trigger_services
from notifications.services import workflows as workflow_services
from notifications.services.defaults import install_defaults
from notifications.services.delivery import context_for_subscriber
from notifications.services.receipts import RECEIPT_PROVIDERS

READ, WRITE, MANAGE = "notifications.read", "notifications.write", "notifications.manage"


class ProvidersView(TenantAPIView):
    """Channel types and providers with the credential fields each needs (seed 001)."""

    required_permissions = {"get": READ}

    @extend_schema(responses={200: s.ProviderOutput(many=True)})
    def get(self, request):
        return Response(s.ProviderOutput(list(PROVIDERS.values()), many=True).data)


class IntegrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Integrations: credentials are write-only (only their names are shown); delete is a soft delete."""

    serializer_class = s.IntegrationOutput
    required_permissions = {"list": READ, "retrieve": READ, "*": MANAGE}
    idempotent_actions = {"create", "check", "primary"}
    filterset_fields = ["channel", "provider_id", "is_active"]

    def scope_queryset(self):
        return selectors.integrations()

    @extend_schema(request=s.IntegrationInput, responses={201: s.IntegrationOutput})
    def create(self, request):
        integration = integration_services.create_integration(
            actor=self.principal, **validated(s.IntegrationInput, request)
        )
        return Response(s.IntegrationOutput(integration).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.IntegrationUpdateInput, responses={200: s.IntegrationOutput})
    def update(self, request, pk=None):
        integration = self.get_object()  # first: another tenant's id is a 404 whatever the body
        changes = validated(s.IntegrationUpdateInput, request)
        integration = integration_services.update_integration(integration, actor=self.principal, **changes)
        return Response(s.IntegrationOutput(integration).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        integration_services.delete_integration(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.IntegrationOutput})
    @action(detail=True, methods=["post"])
    def primary(self, request, pk=None):
        integration = integration_services.make_primary(self.get_object(), actor=self.principal)
        return Response(s.IntegrationOutput(integration).data)

    @extend_schema(request=None, responses={200: s.IntegrationOutput})
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        """A harmless authenticated call to the provider (400 INTEGRATION_CHECK_FAILED with its answer)."""
        integration = integration_services.check_integration(self.get_object(), actor=self.principal)
        return Response(s.IntegrationOutput(integration).data)

    @extend_schema(request=s.ExplainInput, responses={200: s.ExplainOutput})
    @action(detail=False, methods=["post"])
    def explain(self, request):
        """Which integration a message on `channel` to this subscriber with this payload would go through, and why."""
        data = validated(s.ExplainInput, request)
        subscriber = None
        if data["subscriber_id"]:
            subscriber = selectors.subscribers().filter(subscriber_id=data["subscriber_id"]).first()
            if subscriber is None:
                raise ValidationFailed(details={"subscriberId": ["Unknown subscriber."]})
        context = {"payload": data["payload"], "subscriber": context_for_subscriber(subscriber)}
        candidates = integration_services.route(data["channel"], context)
        selected = next((c.integration for c in candidates if c.eligible), None)
        body = {
            "selected": s.IntegrationOutput(selected).data if selected else None,
            "candidates": [
                {
                    "integration": s.IntegrationOutput(c.integration).data,
                    "eligible": c.eligible,
                    "reason": c.reason,
                    "trace": c.trace,
                }
                for c in candidates
            ],
        }
        return Response(body)


class ChatConnectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's chat targets (Slack, Discord incoming webhooks; X DMs from a connected X channel) as notification
    targets: each is a subscriber (`subscriberId`) that a workflow's chat step posts to. A webhook URL is write-only
    and stored encrypted."""

    serializer_class = s.ChatConnectionOutput
    required_permissions = {"list": READ, "retrieve": READ, "*": MANAGE}
    idempotent_actions = {"create"}
    filterset_fields = ["network"]
    search_fields = ["name", "subscriber__subscriber_id"]

    def scope_queryset(self):
        return selectors.chat_connections()

    @extend_schema(
        request=s.CHAT_CONNECTION_INPUT_SCHEMA,
        responses={201: s.ChatConnectionOutput, **error_responses(409, 429, 503)},
        description="Connect a chat target; the body's shape depends on `network`. `slack`, `discord`: "
        "`webhookUrl`, 400 `WEBHOOK_URL_NOT_ALLOWED` unless it is the network's https webhook URL on a public host. "
        "`x`: `channelId` (a connected X channel of this workspace, granted dm.write, that sends the DMs) and "
        "`recipientId` (an X user id, or an @username looked up through the channel: 400 when X has no such "
        "account, 429/503 when X rate-limits or fails the lookup), 400 `CHAT_CHANNEL_NOT_USABLE` for any other "
        "channel id. 409 "
        "`CHAT_CONNECTION_EXISTS`. Also creates an active, credential-free integration of the network when the "
        "tenant has none, so chat steps route through it.",
    )
    def create(self, request):
        network = validated(s.ChatConnectionInput, request)["network"]
        data = validated(s.CHAT_CONNECTION_INPUTS[network], request)
        connection = chat_services.connect(actor=self.principal, **data)
        return Response(s.ChatConnectionOutput(connection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, description="Disconnect: the stored URL is deleted.")
    def destroy(self, request, pk=None):
        chat_services.disconnect(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={204: None},
        description="Post a test message to the channel (X: DM the recipient) now; 400 `CHAT_TEST_FAILED` with the "
        "network's answer.",
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        chat_services.send_test(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Subscribers, addressed by the tenant's own `subscriberId`."""

    serializer_class = s.SubscriberOutput
    lookup_field = "subscriber_id"
    lookup_url_kwarg = "subscriber_id"
    lookup_value_regex = r"[^/]+"
    required_permissions = {"list": READ, "retrieve": READ, "preferences": READ, "*": WRITE}
    idempotent_actions = {"create", "bulk"}
    search_fields = ["subscriber_id", "email", "first_name", "last_name"]
    filterset_fields = ["email", "phone"]

    def scope_queryset(self):
        return selectors.subscribers()

    @extend_schema(request=s.SubscriberInput, responses={201: s.SubscriberOutput})
    def create(self, request):
        subscriber = subscriber_services.create_subscriber(
            actor=self.principal, **validated(s.SubscriberInput, request)
        )
        return Response(s.SubscriberOutput(subscriber).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.BulkSubscriberInput, responses={200: s.BulkSubscriberOutput})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Create or update up to 500 subscribers; per-item results."""
        items = validated(s.BulkSubscriberInput, request)["subscribers"]
        result = subscriber_services.bulk_create_subscribers(actor=self.principal, items=items)
        return Response(s.BulkSubscriberOutput(result).data)

    @extend_schema(request=s.SubscriberUpdateInput, responses={200: s.SubscriberOutput})
    def partial_update(self, request, subscriber_id=None):
        subscriber = self.get_object()  # first: another tenant's id is a 404 whatever the body
        changes = validated(s.SubscriberUpdateInput, request, partial=True)
        subscriber = subscriber_services.update_subscriber(subscriber, actor=self.principal, **changes)
        return Response(s.SubscriberOutput(subscriber).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, subscriber_id=None):
        subscriber_services.delete_subscriber(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.CredentialsInput, responses={200: s.CredentialsOutput})
    @action(detail=True, methods=["put"])
    def credentials(self, request, subscriber_id=None):
        """Replace the subscriber's credentials for one provider (device tokens, webhook URL, push subscriptions)."""
        subscriber = self.get_object()  # first: another tenant's id is a 404 whatever the body
        data = validated(s.CredentialsInput, request)
        if data["provider_id"] not in PROVIDERS:
            raise ValidationFailed(details={"providerId": [f"Unknown provider {data['provider_id']!r}."]})
        row = subscriber_services.set_credentials(subscriber, actor=self.principal, **data)
        return Response(s.CredentialsOutput(row).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"credentials/(?P<provider_id>[a-z_]+)")
    def delete_credentials(self, request, subscriber_id=None, provider_id=None):
        """Forget the subscriber's credentials for one provider (404 when there are none)."""
        if not subscriber_services.delete_credentials(self.get_object(), actor=self.principal, provider_id=provider_id):
            raise NotFound("The subscriber has no credentials for this provider.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], request=None, responses={200: s.PreferenceOutput(many=True)})
    @extend_schema(methods=["PATCH"], request=s.PreferenceInput, responses={200: s.PreferenceOutput(many=True)})
    @action(detail=True, methods=["get", "patch"], pagination_class=None)
    def preferences(self, request, subscriber_id=None):
        """Global preference plus one per workflow; PATCH merges channel switches (omit `workflowId`: global)."""
        subscriber = self.get_object()
        if request.method == "PATCH":
            if not self.principal.has(WRITE):
                raise PermissionDenied()
            data = validated(s.PreferenceInput, request)
            workflow = None
            if data["workflow_id"]:
                workflow = selectors.workflows().filter(identifier=data["workflow_id"]).first()
                if workflow is None:
                    raise ValidationFailed(details={"workflowId": ["Unknown workflow."]})
            subscriber_services.update_preference(
                subscriber, actor=self.principal, channels=data["channels"], workflow=workflow
            )
        return Response(_preferences(subscriber))


def _preferences(subscriber) -> list[dict]:
    stored = {p.workflow_id: p.channels for p in subscriber.preferences.all()}
    rows = [{"workflow_id": None, "channels": stored.get(None, {}), "critical": False}]
    for workflow in selectors.workflows():
        rows.append(
            {
                "workflow_id": workflow.identifier,
                "channels": stored.get(workflow.pk, {}),
                "critical": workflow.is_critical,
            }
        )
    return rows


class TopicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = s.TopicOutput
    lookup_field = "key"
    lookup_url_kwarg = "key"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    required_permissions = {"list": READ, "retrieve": READ, "*": WRITE}
    idempotent_actions = {"create"}

    def scope_queryset(self):
        return selectors.topics()

    @extend_schema(request=s.TopicInput, responses={201: s.TopicOutput})
    def create(self, request):
        topic = subscriber_services.create_topic(actor=self.principal, **validated(s.TopicInput, request))
        return Response(s.TopicOutput(topic).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TopicUpdateInput, responses={200: s.TopicOutput})
    def partial_update(self, request, key=None):
        topic = subscriber_services.update_topic(
            self.get_object(), actor=self.principal, **validated(s.TopicUpdateInput, request)
        )
        return Response(s.TopicOutput(topic).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, key=None):
        subscriber_services.delete_topic(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["POST", "DELETE"], request=s.TopicMembersInput, responses={200: s.TopicMembersOutput})
    @action(detail=True, methods=["post", "delete"])
    def subscribers(self, request, key=None):
        """Add (POST) or remove (DELETE) subscribers in bulk by subscriberId; unknown ids are a 400."""
        topic = self.get_object()
        ids = list(dict.fromkeys(validated(s.TopicMembersInput, request)["subscribers"]))
        found = selectors.subscribers_by_id(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValidationFailed(details={"subscribers": [f"Unknown subscriber: {', '.join(missing[:20])}."]})
        change = (
            subscriber_services.add_topic_subscribers
            if request.method == "POST"
            else subscriber_services.remove_topic_subscribers
        )
        changed = change(topic, actor=self.principal, subscribers=list(found.values()))
        return Response({"changed": changed})


class WorkflowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = s.WorkflowOutput
    required_permissions = {"list": READ, "retrieve": READ, "*": MANAGE}
    idempotent_actions = {"create"}
    search_fields = ["identifier", "name"]

    def scope_queryset(self):
        return selectors.workflows()

    def _fields(self, data: dict) -> dict:
        group_id = data.pop("group_id", None)
        if group_id is not None:
            group = selectors.workflow_groups().filter(pk=group_id).first()
            if group is None:
                raise ValidationFailed(details={"groupId": ["Unknown workflow group."]})
            data["group"] = group
        elif "group_id" in self.request.data:
            data["group"] = None
        return data

    @extend_schema(request=s.WorkflowInput, responses={201: s.WorkflowOutput, **error_responses(409)})
    def create(self, request):
        workflow = workflow_services.create_workflow(
            actor=self.principal, **self._fields(validated(s.WorkflowInput, request))
        )
        return Response(s.WorkflowOutput(workflow).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.WorkflowInput, responses={200: s.WorkflowOutput, **error_responses(409)})
    def update(self, request, pk=None):
        workflow = self.get_object()  # first: another tenant's id is a 404 whatever the body
        data = self._fields(validated(s.WorkflowInput, request, partial=self.action == "partial_update"))
        workflow = workflow_services.update_workflow(workflow, actor=self.principal, **data)
        return Response(s.WorkflowOutput(workflow).data)

    @extend_schema(request=s.WorkflowInput, responses={200: s.WorkflowOutput, **error_responses(409)})
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        workflow_services.delete_workflow(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.WorkflowOutput(many=True)})
    @action(detail=False, methods=["post"], pagination_class=None)
    def defaults(self, request):
        """Create the workflows of Hubbub's own notices that are missing (approvals, failures, invites, password
        resets), and an in-app and a site-mail integration where the tenant has none on that channel (so those
        notices still arrive); returns the workflows created. Until then the notices arrive as plain emails."""
        created = install_defaults(actor=self.principal)
        return Response(s.WorkflowOutput(created, many=True).data)


class WorkflowGroupViewSet(mixins.ListModelMixin, TenantViewSet):
    serializer_class = s.WorkflowGroupOutput
    required_permissions = {"list": READ, "*": MANAGE}

    def scope_queryset(self):
        return selectors.workflow_groups()

    @extend_schema(request=s.WorkflowGroupInput, responses={201: s.WorkflowGroupOutput})
    def create(self, request):
        group = workflow_services.create_group(actor=self.principal, **validated(s.WorkflowGroupInput, request))
        return Response(s.WorkflowGroupOutput(group).data, status=status.HTTP_201_CREATED)


def _trigger(data: dict, principal) -> tuple[dict, bool]:
    workflow = trigger_services.resolve_workflow(data["workflow_id"])
    result = trigger_services.trigger(
        workflow,
        triggered_by=principal.label,
        to=data["to"],
        topic_keys=data["topic_key"],
        payload=data["payload"],
        transaction_id=data.get("transaction_id"),
    )
    body = {
        "acknowledged": True,
        "transaction_id": result.event.transaction_id,
        "status": result.event.status,
        "duplicate": not result.created,
        "job_count": result.job_count,
    }
    return body, result.created


class EventViewSet(TenantViewSet):
    """Trigger a workflow (idempotent on `transactionId`), in bulk, or cancel what has not run yet."""

    required_permissions = {"*": WRITE}
    idempotent_actions = {"trigger", "bulk"}
    lookup_field = "transaction_id"
    lookup_url_kwarg = "transaction_id"
    lookup_value_regex = r"[^/]+"

    def scope_queryset(self):
        return selectors.events().order_by("-created_at", "-id")

    @extend_schema(request=s.TriggerInput, responses={201: s.TriggerOutput, 200: s.TriggerOutput})
    def trigger(self, request):
        """201 for a new trigger; 200 with `duplicate: true` when this `transactionId` was triggered before."""
        body, created = _trigger(dict(validated(s.TriggerInput, request)), self.principal)
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=s.BulkTriggerInput, responses={200: s.BulkTriggerOutput})
    def bulk(self, request):
        """Up to 100 triggers; each succeeds or fails on its own (per-item results in input order)."""
        results = []
        for item in validated(s.BulkTriggerInput, request)["events"]:
            try:
                with transaction.atomic():
                    body, _ = _trigger(dict(item), self.principal)
                results.append(body)
            except (ValidationFailed, UnknownWorkflow) as exc:
                results.append(
                    {
                        "transaction_id": item.get("transaction_id"),
                        "status": "error",
                        "error": {"code": exc.code, "message": exc.message, "details": exc.details},
                    }
                )
        return Response({"results": results})

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, transaction_id=None):
        """Cancel the trigger's jobs still waiting (delay, digest, retry)."""
        trigger_services.cancel(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = s.MessageOutput
    required_permissions = {"*": READ}
    filterset_fields = ["channel", "status"]

    def scope_queryset(self):
        return selectors.messages()

    @extend_schema(
        parameters=[
            OpenApiParameter("subscriberId", str, required=False),
            OpenApiParameter("transactionId", str, required=False),
        ]
    )
    def list(self, request):
        # The list's own query filters live here, not in scope_queryset(): detail routes and schema generation
        # build the queryset without them (and without a request).
        queryset = self.filter_queryset(self.get_queryset())
        params = request.query_params
        if params.get("subscriber_id"):
            queryset = queryset.filter(subscriber__subscriber_id=params["subscriber_id"])
        if params.get("transaction_id"):
            queryset = queryset.filter(event__transaction_id=params["transaction_id"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: s.ExecutionDetailOutput(many=True)})
    @action(detail=True, methods=["get"])
    def executions(self, request, pk=None):
        """Every step and provider attempt of the message's job, oldest first (paginated)."""
        page = self.paginate_queryset(selectors.executions_of(self.get_object()))
        return self.get_paginated_response(s.ExecutionDetailOutput(page, many=True).data)


class FeedViewSet(TenantViewSet):
    """A member's own in-app feed (their token); with `subscriberId` and `notifications.read`, anyone's."""

    required_permissions = {}
    serializer_class = s.FeedItemOutput
    pagination_class = PageOrCursorPagination

    def _subscriber(self, subscriber_id: str | None):
        if subscriber_id:
            if not self.principal.has(READ):
                raise PermissionDenied("Reading another subscriber's feed needs notifications.read.")
            subscriber = selectors.subscribers().filter(subscriber_id=subscriber_id).first()
            if subscriber is None:
                raise NotFound("Unknown subscriber.")
            return subscriber
        if self.principal.user is None:
            raise ValidationFailed(details={"subscriberId": ["Required for an API key."]})
        return subscriber_services.subscriber_for_user(self.principal.user)

    def scope_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        query = validated(s.FeedQuery, self.request, source="query")
        feed = selectors.feed_of(self._subscriber(query.get("subscriber_id")))
        if query.get("feed_identifier") is not None:
            feed = feed.filter(feed_identifier=query["feed_identifier"])
        if query["read"] is not None:
            feed = feed.filter(read_at__isnull=not query["read"])
        if query["seen"] is not None:
            feed = feed.filter(seen_at__isnull=not query["seen"])
        return feed

    @extend_schema(parameters=[s.FeedQuery], responses={200: s.FeedItemOutput(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.FeedItemOutput(page, many=True).data)

    @extend_schema(parameters=[s.FeedQuery], responses={200: s.FeedCountsOutput})
    @action(detail=False, methods=["get"])
    def counts(self, request):
        query = validated(s.FeedQuery, request, source="query")
        subscriber = self._subscriber(query.get("subscriber_id"))
        return Response(selectors.feed_counts(subscriber, feed_identifier=query.get("feed_identifier")))

    @extend_schema(request=s.FeedMarkInput, responses={200: s.FeedMarkOutput})
    @action(detail=False, methods=["post"])
    def mark(self, request):
        """Mark `ids` (or `all`, optionally of one feed) as seen, unseen, read or unread."""
        data = validated(s.FeedMarkInput, request)
        feed = selectors.feed_of(self._subscriber(data.get("subscriber_id")))
        if data.get("feed_identifier") is not None:
            feed = feed.filter(feed_identifier=data["feed_identifier"])
        if not data.get("all"):
            feed = feed.filter(pk__in=data["ids"])
        return Response({"changed": feed_services.mark(feed.order_by(), as_=data["as"])})

    @extend_schema(request=s.FeedActionInput, responses={200: s.FeedItemOutput})
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<button>[-a-zA-Z0-9_]+)")
    def actions(self, request, pk=None, button=None):
        """Mark an action button of a feed item as done (or pending again)."""
        data = validated(s.FeedActionInput, request)
        message = selectors.feed_of(self._subscriber(data.get("subscriber_id"))).filter(pk=pk).first()
        if message is None:
            raise NotFound()
        message = feed_services.complete_action(message, key=button, status=data["status"])
        return Response(s.FeedItemOutput(message).data)


class ReceiptView(APIView):
    """A provider's delivery status callback (public: the provider's signature, checked with the key of the
    integration the URL names, is the credential; unsigned -> 401, forged -> 403, nothing changed)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="notifications_receipt",
        parameters=[
            OpenApiParameter("provider", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(RECEIPT_PROVIDERS)),
            OpenApiParameter("integration_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
        ],
        request=OpenApiTypes.OBJECT,
        responses={200: s.ReceiptResultOutput, **error_responses(400, 401, 403, 404)},
        description="SendGrid Event Webhook (JSON array, ECDSA-signed), Twilio SMS status callback (form, "
        "X-Twilio-Signature) or Mailgun webhook (JSON, HMAC signature): marks the named messages delivered or "
        "failed. Repeating a callback changes nothing.",
    )
    def post(self, request, provider: str, integration_id: str):
        integration = (
            selectors.integration_for_receipt(integration_id, provider) if provider in RECEIPT_PROVIDERS else None
        )
        if integration is None:
            raise NotFound("No integration takes receipts here.")
        body = request.body  # the raw bytes are what the provider signed
        url = settings.PUBLIC_BASE_URL + request.get_full_path()
        with tenancy.tenant_context(integration.tenant):
            found = receipt_services.verify_and_parse(integration, body=body, headers=request.headers, url=url)
            changed = receipt_services.apply_receipts(integration, found)
        return Response({"received": len(found), "changed": changed})
