"""Content planner endpoints: post groups, posts and their actions (approval, publishing, feed), campaigns, tags.
Thin: validate, scope (selectors), call services, render."""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from contentplanner import selectors
from contentplanner.api.filters import PostFilter
from contentplanner.api.serializers import analytics as a
from contentplanner.api.serializers import planner as p
from contentplanner.api.serializers import posts as s
from contentplanner.models import Post, PostGroup
from contentplanner.selectors import analytics
from contentplanner.services import approval as approval_services
from contentplanner.services import campaigns as campaign_services
from contentplanner.services import external_approval, operations
from contentplanner.services import feed as feed_services
from contentplanner.services import groups as group_services
from contentplanner.services import posts as post_services
from contentplanner.services import tags as tag_services
from contentplanner.services.content import resolve_content
from contentplanner.services.validation import resolve_publish_at
from core.api.inputs import resolve_ids, validated
from core.api.pagination import PageOrCursorPagination
from core.api.schema import error_responses
from core.api.viewsets import TenantViewSet
from core.auth import Principal
from core.errors import NotFound
from social import selectors as social_selectors


def visible_channels(principal: Principal, ids: list) -> list:
    """The caller's visible channels with these ids, in input order; an invisible or unknown one -> 400."""
    return resolve_ids(social_selectors.channels_visible_to(principal), ids, field="channelIds", label="channel")


POST_ERRORS = error_responses(400, 404, 409)
MAX_SERIES_POINTS = 2000  # a post's metrics series: the newest collections


class PostGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """One message planned for several channels; creating a group creates one draft post per channel."""

    serializer_class = s.PostGroupOutput
    required_permissions = {
        "list": "cp.post.read",
        "retrieve": "cp.post.read",
        "working_draft": "cp.post.read",
        "schedule": "cp.post.publish",
        "publish": "cp.post.publish",
        "*": "cp.post.write",
    }
    idempotent_actions = {"create", "schedule", "publish", "duplicate", "submit", "add_channels", "save_draft"}
    ordering_fields = ["created_at", "publish_at", "updated_at"]
    search_fields = ["title", "text"]

    def scope_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PostGroup.objects.all()
        return selectors.post_groups_visible_to(self.principal)

    def _fresh(self, group):
        return self.scope_queryset().get(pk=group.pk)

    @extend_schema(request=s.GroupCreateInput, responses={201: s.PostGroupOutput, **POST_ERRORS})
    def create(self, request):
        data = validated(s.GroupCreateInput, request)
        channels = visible_channels(self.principal, data.pop("channel_ids"))
        working_draft = data.pop("working_draft")
        group = group_services.create_group(
            actor=self.principal, channels=channels, content=resolve_content(data), working_draft=working_draft
        )
        return Response(s.PostGroupOutput(self._fresh(group)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="cp_post_groups_working_draft",
        responses={200: s.PostGroupOutput, **error_responses(404)},
        description="The caller's working draft (to resume composing), or 404 when they have none open.",
    )
    @action(detail=False, methods=["get"], url_path="working-draft")
    def working_draft(self, request):
        group = selectors.working_draft_of(self.principal)
        if group is None:
            raise NotFound("You have no working draft.")
        return Response(s.PostGroupOutput(group).data)

    @extend_schema(
        operation_id="cp_post_groups_save_draft",
        request=None,
        responses={200: s.PostGroupOutput, **POST_ERRORS},
        description="The caller's working draft becomes ordinary drafts the team sees (preDraft -> draft for every "
        "post). Only its author; 409 NOT_A_WORKING_DRAFT otherwise. Scheduling, publishing or deleting the group "
        "also ends the working draft.",
    )
    @action(detail=True, methods=["post"], url_path="save-draft")
    def save_draft(self, request, pk=None):
        group = self.get_object()
        group_services.save_working_draft(group, actor=self.principal)
        return Response(s.PostGroupOutput(self._fresh(group)).data)

    @extend_schema(request=s.GroupUpdateInput, responses={200: s.PostGroupOutput, **POST_ERRORS})
    def partial_update(self, request, pk=None):
        group = self.get_object()
        data = validated(s.GroupUpdateInput, request, partial=True)
        group_services.update_group(group, actor=self.principal, changes=resolve_content(data))
        return Response(s.PostGroupOutput(self._fresh(group)).data)

    @extend_schema(
        request=None,
        responses={204: None, **error_responses(404)},
        description="Deletes the group's deletable posts (preDraft, draft, approved, rejected, failed); the group "
        "disappears once none of its posts is left (this discards a working draft). Scheduled/published posts stay "
        "(unschedule them first).",
    )
    def destroy(self, request, pk=None):
        group_services.delete_group(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.ScheduleInput, responses={200: s.PostGroupOutput, **POST_ERRORS})
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        group = self.get_object()
        data = validated(s.ScheduleInput, request)
        publish_at, tz = None, None
        if data.get("publish_at"):
            publish_at, tz = resolve_publish_at(data["publish_at"], data.get("publish_timezone") or None)
        group_services.schedule_group(group, actor=self.principal, publish_at=publish_at, publish_timezone=tz)
        return Response(s.PostGroupOutput(self._fresh(group)).data)

    @extend_schema(request=None, responses={200: s.PostGroupOutput, **POST_ERRORS})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        group = self.get_object()
        group_services.publish_group(group, actor=self.principal)
        return Response(s.PostGroupOutput(self._fresh(group)).data)

    @extend_schema(request=None, responses={201: s.PostGroupOutput, **POST_ERRORS})
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        copy = group_services.duplicate_group(self.get_object(), actor=self.principal)
        return Response(s.PostGroupOutput(self._fresh(copy)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="cp_post_groups_submit",
        request=None,
        responses={200: s.PostGroupOutput, **POST_ERRORS},
        description="Submit every draft post of the group for approval, all or nothing (409 GROUP_ACTION_FAILED "
        "with per-post reasons).",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        group = self.get_object()
        operations.submit_group(group, actor=self.principal)
        return Response(s.PostGroupOutput(self._fresh(group)).data)

    @extend_schema(
        operation_id="cp_post_groups_add_channels",
        request=p.AddChannelsInput,
        responses={200: s.PostGroupOutput, **POST_ERRORS},
        description="Plan the group's message on more channels: one draft post per new channel, from the group's "
        "shared content.",
    )
    @action(detail=True, methods=["post"], url_path="channels")
    def add_channels(self, request, pk=None):
        group = self.get_object()
        data = validated(p.AddChannelsInput, request)
        channels = visible_channels(self.principal, data["channel_ids"])
        operations.add_channels(group, actor=self.principal, channels=channels)
        return Response(s.PostGroupOutput(self._fresh(group)).data)


class PostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Posts (one publication on one channel) and their state transitions, publishing included (publish now,
    retry, attempts). Illegal transitions: 409 INVALID_STATE."""

    serializer_class = s.PostOutput
    filterset_class = PostFilter
    ordering_fields = ["created_at", "publish_at", "updated_at", "state"]
    required_permissions = {
        "list": "cp.post.read",
        "retrieve": "cp.post.read",
        "approval_requests:get": "cp.post.read",
        "approval_requests:post": "cp.post.write",
        "client_approvals": "cp.post.read",
        "attempts": "cp.post.read",
        "metrics": "cp.analytics.read",
        "approve": "cp.post.approve",
        "reject": "cp.post.approve",
        "schedule": "cp.post.publish",
        "unschedule": "cp.post.publish",
        "publish": "cp.post.publish",
        "retry": "cp.post.publish",
        "retry_first_comment": "cp.post.publish",
        "mark_published": "cp.post.publish",
        # The feed: reading needs cp.post.read, commenting cp.post.comment.
        "feed:get": "cp.post.read",
        "feed:post": "cp.post.comment",
        "*": "cp.post.write",
    }
    idempotent_actions = {
        "create",
        "duplicate",
        "submit",
        "approve",
        "reject",
        "schedule",
        "unschedule",
        "publish",
        "retry",
        "feed",
        "approval_requests",
        "change_channel",
        "copy_to_siblings",
        "mark_published",
    }

    def scope_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Post.objects.all()
        return selectors.posts_visible_to(self.principal)

    def _render(self, post, status_code=status.HTTP_200_OK) -> Response:
        return Response(s.PostOutput(self.scope_queryset().get(pk=post.pk)).data, status=status_code)

    @extend_schema(request=s.PostCreateInput, responses={201: s.PostOutput, **POST_ERRORS})
    def create(self, request):
        data = validated(s.PostCreateInput, request)
        (channel,) = visible_channels(self.principal, [data.pop("channel_id")])
        content = resolve_content(data)
        if "network_options" in content and channel.network in content["network_options"]:
            content["network_options"] = content["network_options"][channel.network]
        post = post_services.create_post(actor=self.principal, channel=channel, content=content)
        return self._render(post, status.HTTP_201_CREATED)

    @extend_schema(request=s.PostUpdateInput, responses={200: s.PostOutput, **POST_ERRORS})
    def partial_update(self, request, pk=None):
        post = self.get_object()
        data = validated(s.PostUpdateInput, request, partial=True)
        post_services.update_post(post, actor=self.principal, changes=resolve_content(data))
        return self._render(post)

    @extend_schema(request=None, responses={204: None, **error_responses(404, 409)})
    def destroy(self, request, pk=None):
        post_services.delete_post(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.DuplicateInput, responses={201: s.PostOutput(many=True), **POST_ERRORS})
    # The copies are a plain array, not a list view: no filters or pages to advertise.
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def duplicate(self, request, pk=None):
        post = self.get_object()
        data = validated(s.DuplicateInput, request)
        channels = visible_channels(self.principal, data["channel_ids"]) if data.get("channel_ids") else None
        copies = post_services.duplicate_post(post, actor=self.principal, channels=channels)
        fresh = self.scope_queryset().filter(pk__in=[c.pk for c in copies]).order_by("created_at", "id")
        return Response(s.PostOutput(fresh, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.PostOutput, **POST_ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._render(approval_services.submit_post(self.get_object(), actor=self.principal))

    @extend_schema(request=s.DecisionInput, responses={200: s.PostOutput, **POST_ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = validated(s.DecisionInput, request)
        post = approval_services.approve_post(self.get_object(), actor=self.principal, comment=data["comment"])
        return self._render(post)

    @extend_schema(request=s.RejectInput, responses={200: s.PostOutput, **POST_ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        post = self.get_object()
        data = validated(s.RejectInput, request)
        return self._render(approval_services.reject_post(post, actor=self.principal, comment=data["comment"]))

    @extend_schema(request=s.ScheduleInput, responses={200: s.PostOutput, **POST_ERRORS})
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        post = self.get_object()
        data = validated(s.ScheduleInput, request)
        publish_at, tz = None, None
        if data.get("publish_at"):
            publish_at, tz = resolve_publish_at(data["publish_at"], data.get("publish_timezone") or None)
        post = post_services.schedule_post(post, actor=self.principal, publish_at=publish_at, publish_timezone=tz)
        return self._render(post)

    @extend_schema(request=None, responses={200: s.PostOutput, **POST_ERRORS})
    @action(detail=True, methods=["post"])
    def unschedule(self, request, pk=None):
        return self._render(post_services.unschedule_post(self.get_object(), actor=self.principal))

    @extend_schema(
        operation_id="cp_posts_publish_now",
        request=None,
        responses={200: s.PostOutput, **error_responses(400, 404, 409)},
        description="Publish a draft or approved post now (409 APPROVAL_REQUIRED when its author needs approval, "
        "409 INVALID_STATE from other states). The response shows it `publishing`; the attempt runs in the "
        "background. Supports `Idempotency-Key`.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._render(post_services.request_publish_now(self.get_object(), actor=self.principal))

    @extend_schema(
        operation_id="cp_posts_retry",
        request=None,
        responses={200: s.PostOutput, **error_responses(400, 404, 409)},
        description="Send a failed post back to `scheduled` (now, if its publish time has passed). Attempt numbers "
        "continue; it gets a fresh budget of automatic retries. Supports `Idempotency-Key`.",
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return self._render(post_services.retry_post(self.get_object(), actor=self.principal))

    @extend_schema(
        operation_id="cp_posts_change_channel",
        request=p.ChangeChannelInput,
        responses={200: s.PostOutput, **POST_ERRORS},
        description="Move a post that is not scheduled or published to another visible channel; its content is "
        "re-validated for the new network (warnings). A post waiting for approval restarts its round; an approved "
        "post moved by a non-approver goes back to approval.",
    )
    @action(detail=True, methods=["post"], url_path="change-channel")
    def change_channel(self, request, pk=None):
        post = self.get_object()
        data = validated(p.ChangeChannelInput, request)
        (channel,) = visible_channels(self.principal, [data["channel_id"]])
        return self._render(operations.change_channel(post, actor=self.principal, channel=channel))

    @extend_schema(
        operation_id="cp_posts_copy_to_siblings",
        request=p.CopyToSiblingsInput,
        responses={200: s.PostOutput(many=True), **POST_ERRORS},
        description="Copy chosen fields of this post to sibling posts of its group, all or nothing; each sibling is "
        "edited as by PATCH (it becomes customised; approval effects apply; published ones refuse).",
    )
    @action(detail=True, methods=["post"], url_path="copy-to-siblings")
    def copy_to_siblings(self, request, pk=None):
        post = self.get_object()
        data = validated(p.CopyToSiblingsInput, request)
        siblings = resolve_ids(self.scope_queryset(), data["post_ids"], field="postIds", label="post")
        fields = [re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() for name in data["fields"]]
        updated = operations.copy_to_siblings(post, actor=self.principal, fields=fields, siblings=siblings)
        fresh = self.scope_queryset().filter(pk__in=[u.pk for u in updated]).order_by("created_at", "id")
        return Response(s.PostOutput(fresh, many=True).data)

    @extend_schema(
        operation_id="cp_posts_retry_first_comment",
        request=None,
        responses={200: s.PostOutput, **error_responses(404, 409)},
        description="Send the first comment of a published post again after the network refused it "
        "(`firstCommentFailed`); it goes out in the background, once (409 INVALID_STATE when it did not fail or "
        "is being sent already). A new refusal sets `firstCommentFailed` again and explains it in the feed.",
    )
    @action(detail=True, methods=["post"], url_path="first-comment/retry")
    def retry_first_comment(self, request, pk=None):
        return self._render(post_services.retry_first_comment(self.get_object(), actor=self.principal))

    @extend_schema(
        operation_id="cp_posts_mark_published",
        request=p.MarkPublishedInput,
        responses={200: s.PostOutput, **POST_ERRORS},
        description="Record that the post was published by hand (e.g. a story, a placeholder channel), with the "
        "URL where it is visible. From draft (409 APPROVAL_REQUIRED when its author needs approval), approved, "
        "scheduled or failed.",
    )
    @action(detail=True, methods=["post"], url_path="mark-published")
    def mark_published(self, request, pk=None):
        post = self.get_object()
        data = validated(p.MarkPublishedInput, request)
        return self._render(operations.mark_published(post, actor=self.principal, network_url=data["network_url"]))

    @extend_schema(
        operation_id="cp_posts_attempts",
        request=None,
        responses={200: s.PublishAttemptOutput(many=True), **error_responses(404)},
        description="The post's publish attempts, oldest first, paginated (a post retried for days has many): "
        "outcome (`pending`, `published`, `failed`, `unknown`, `reconciled`), network status code and request id, "
        "latency.",
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def attempts(self, request, pk=None):
        attempts = self.paginate_queryset(selectors.publish_attempts(self.get_object()))
        return self.get_paginated_response(s.PublishAttemptOutput(attempts, many=True).data)

    @extend_schema(
        operation_id="cp_posts_metrics",
        summary="A post's metrics over time",
        request=None,
        responses={200: a.PostMetricsSeries, **error_responses(404)},
        description=f"Every collection of the post's metrics, oldest first (the newest {MAX_SERIES_POINTS}).",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def metrics(self, request, pk=None):
        post = self.get_object()
        return Response({"post_id": post.pk, "results": analytics.metrics_series(post, limit=MAX_SERIES_POINTS)})

    @extend_schema(
        methods=["GET"], request=None, responses={200: s.ApprovalRequestOutput(many=True), **error_responses(404)}
    )
    @extend_schema(
        methods=["POST"],
        operation_id="cp_posts_request_client_approval",
        request=p.ExternalApprovalInput,
        responses={201: p.ExternalApprovalOutput(many=True), **POST_ERRORS},
        description="Ask clients (no account needed) to approve the post: each email gets a signed, single-use link "
        "to `/api/v1/public/approvals/{token}` that expires after `expiresInHours`. A draft goes to "
        "needsApproval; a post waiting for approval gets the clients added to its round. Editing the post "
        "restarts the round (fresh links). 409 APPROVAL_CLOSED from other states.",
    )
    @action(
        detail=True, methods=["get", "post"], url_path="approval-requests", pagination_class=None, filterset_class=None
    )
    def approval_requests(self, request, pk=None):
        post = self.get_object()
        if request.method == "POST":
            data = validated(p.ExternalApprovalInput, request)
            links = external_approval.request_external_approval(
                post,
                actor=self.principal,
                emails=data["emails"],
                message=data["message"],
                expires_in_hours=data["expires_in_hours"],
            )
            return Response(p.ExternalApprovalOutput(links, many=True).data, status=status.HTTP_201_CREATED)
        return Response(s.ApprovalRequestOutput(selectors.approval_requests(post), many=True).data)

    @extend_schema(
        request=None,
        responses={200: p.ExternalApprovalOutput(many=True), **error_responses(404)},
        description="The client approval links sent for the post (never the links themselves) and their decisions.",
    )
    @action(detail=True, methods=["get"], url_path="client-approvals", pagination_class=None, filterset_class=None)
    def client_approvals(self, request, pk=None):
        post = self.get_object()
        return Response(p.ExternalApprovalOutput(selectors.external_approvals(post), many=True).data)

    @extend_schema(methods=["GET"], request=None, responses={200: s.FeedItemOutput(many=True), **error_responses(404)})
    @extend_schema(methods=["POST"], request=s.CommentInput, responses={201: s.FeedItemOutput, **POST_ERRORS})
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=PageOrCursorPagination,
        filterset_class=None,
        ordering_fields=[],
    )
    def feed(self, request, pk=None):
        post = self.get_object()
        if request.method == "POST":
            data = validated(s.CommentInput, request)
            item = feed_services.add_comment(
                post, actor=self.principal, message=data["message"], mentions=data["mentions"]
            )
            return Response(s.FeedItemOutput(item).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.feed_items(post))
        return self.get_paginated_response(s.FeedItemOutput(page, many=True).data)


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Content campaigns: coloured date ranges. Deleting one detaches it from posts."""

    serializer_class = s.CampaignOutput
    required_permissions = {"list": "cp.campaign.read", "retrieve": "cp.campaign.read", "*": "cp.campaign.manage"}
    idempotent_actions = {"create"}
    ordering_fields = ["name", "starts_on", "created_at"]
    search_fields = ["name", "description"]

    def scope_queryset(self):
        return selectors.campaigns()

    @extend_schema(request=s.CampaignInput, responses={201: s.CampaignOutput, **error_responses(400)})
    def create(self, request):
        campaign = campaign_services.create_campaign(actor=self.principal, **validated(s.CampaignInput, request))
        return Response(s.CampaignOutput(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CampaignInput, responses={200: s.CampaignOutput, **error_responses(400, 404)})
    def partial_update(self, request, pk=None):
        campaign = self.get_object()
        campaign = campaign_services.update_campaign(
            campaign, actor=self.principal, **validated(s.CampaignInput, request, partial=True)
        )
        return Response(s.CampaignOutput(campaign).data)

    @extend_schema(request=None, responses={204: None, **error_responses(404)})
    def destroy(self, request, pk=None):
        campaign_services.delete_campaign(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Content tags; names are unique per workspace, case-insensitively (409 TAG_EXISTS)."""

    serializer_class = s.TagOutput
    required_permissions = {
        "list": "cp.tag.read",
        "retrieve": "cp.tag.read",
        "create": "cp.tag.write",
        "*": "cp.tag.manage",
    }
    idempotent_actions = {"create"}
    ordering_fields = ["name", "created_at"]
    search_fields = ["name"]

    def scope_queryset(self):
        return selectors.tags()

    @extend_schema(request=s.TagInput, responses={201: s.TagOutput, **error_responses(400, 409)})
    def create(self, request):
        tag = tag_services.create_tag(actor=self.principal, **validated(s.TagInput, request))
        return Response(s.TagOutput(tag).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TagInput, responses={200: s.TagOutput, **error_responses(400, 404, 409)})
    def partial_update(self, request, pk=None):
        tag = self.get_object()
        return Response(
            s.TagOutput(
                tag_services.update_tag(tag, actor=self.principal, **validated(s.TagInput, request, partial=True))
            ).data
        )

    @extend_schema(request=None, responses={204: None, **error_responses(404)})
    def destroy(self, request, pk=None):
        tag_services.delete_tag(self.get_object(), actor=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)
