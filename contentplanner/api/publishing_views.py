"""Publishing actions on a post: publish now, retry a failed post, and the attempts that explain what happened.

Registered as explicit paths in contentplanner/api/urls.py (posts/{id}/publish, /retry, /attempts). The writes go
through the post services (approval, channel and content checks), which hand over to contentplanner.publishing.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from contentplanner import selectors
from contentplanner.api import serializers as s
from contentplanner.models import Post, PublishAttempt
from contentplanner.services import posts as post_services
from core.api.schema import error_responses
from core.api.viewsets import TenantViewSet


class PublishAttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = PublishAttempt
        fields = [
            "id",
            "number",
            "started_at",
            "finished_at",
            "outcome",
            "error_code",
            "error_message",
            "network_status_code",
            "network_request_id",
            "latency_ms",
        ]
        read_only_fields = fields


class PostPublishingViewSet(TenantViewSet):
    """POST /cp/posts/{id}/publish, POST /cp/posts/{id}/retry, GET /cp/posts/{id}/attempts."""

    serializer_class = s.PostOutput
    required_permissions = {"publish": "cp.post.publish", "retry": "cp.post.publish", "attempts": "cp.post.read"}
    idempotent_actions = {"publish", "retry"}

    def scope_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no principal
            return Post.objects.all()
        return selectors.posts_visible_to(self.principal)

    @extend_schema(
        operation_id="cp_posts_publish_now",
        request=None,
        responses={200: s.PostOutput, **error_responses(400, 404, 409)},
        description="Publish a draft or approved post now (409 APPROVAL_REQUIRED when its author needs approval, "
        "409 INVALID_STATE from other states). The response shows it `publishing`; the attempt runs in the "
        "background. Supports `Idempotency-Key`.",
    )
    def publish(self, request, pk=None):
        post = post_services.publish_post_now(self.get_object(), actor=self.principal)
        return Response(s.PostOutput(self.scope_queryset().get(pk=post.pk)).data)

    @extend_schema(
        operation_id="cp_posts_retry",
        request=None,
        responses={200: s.PostOutput, **error_responses(400, 404, 409)},
        description="Send a failed post back to `scheduled` (now, if its publish time has passed). Attempt numbers "
        "continue; it gets a fresh budget of automatic retries. Supports `Idempotency-Key`.",
    )
    def retry(self, request, pk=None):
        post = post_services.retry_failed_post(self.get_object(), actor=self.principal)
        return Response(s.PostOutput(self.scope_queryset().get(pk=post.pk)).data)

    @extend_schema(
        operation_id="cp_posts_attempts",
        request=None,
        responses={200: PublishAttemptOutput(many=True), **error_responses(404)},
        description="The post's publish attempts, oldest first, paginated (a post retried for days has many): "
        "outcome (`pending`, `published`, `failed`, `unknown`, `reconciled`), network status code and request id, "
        "latency.",
    )
    def attempts(self, request, pk=None):
        post = self.get_object()
        attempts = self.paginate_queryset(PublishAttempt.objects.filter(post=post).order_by("number", "id"))
        return self.get_paginated_response(PublishAttemptOutput(attempts, many=True).data)
