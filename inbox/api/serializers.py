"""Inbox API shapes: outputs per resource, inputs per action (never `__all__`)."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from rest_framework import serializers

from core.api.inputs import TenantScopedPrimaryKeyRelatedField
from core.api.permissions import principal_of
from core.api.renderers import CamelCaseRows, camelize_for_wire
from inbox import selectors
from inbox.models import (
    ActionStatus,
    BulkJob,
    Category,
    Folder,
    Interactor,
    InteractorList,
    InteractorListEntry,
    KeywordList,
    ReplySuggestion,
    Rule,
    RuleTrigger,
    Sentiment,
    Template,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketNote,
    TicketStatus,
    TicketType,
)
from inbox.services.tickets import BULK_ACTIONS


class ChannelSummary(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    network = serializers.CharField()


class InteractorOutput(serializers.ModelSerializer):
    class Meta:
        model = Interactor
        fields = [
            "id",
            "network",
            "network_user_id",
            "name",
            "handle",
            "avatar_url",
            "profile_url",
            "follower_count",
            "is_blocked",
            "erased_at",
            "created_at",
        ]
        read_only_fields = fields


class CategorySummary(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class TicketOutput(serializers.ModelSerializer):
    channel = ChannelSummary(read_only=True)
    categories = CategorySummary(many=True, read_only=True, help_text="Prefetched by the ticket selectors.")
    interactor = InteractorOutput(read_only=True, allow_null=True)
    assignee_id = serializers.UUIDField(read_only=True, allow_null=True)
    team_id = serializers.UUIDField(read_only=True, allow_null=True)
    parent_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "channel",
            "network",
            "type",
            "network_item_id",
            "parent_id",
            "parent_network_item_id",
            "root_network_item_id",
            "interactor",
            "text",
            "attachments",
            "url",
            "rating",
            "status",
            "archive_reason",
            "snoozed_until",
            "sentiment",
            "is_priority",
            "is_unread",
            "is_hidden",
            "is_liked",
            "is_own",
            "is_deleted_in_network",
            "is_edited",
            "edit_history",
            "assignee_id",
            "team_id",
            "network_created_at",
            "network_updated_at",
            "archived_at",
            "first_response_at",
            "resolved_at",
            "categories",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _uuid(value) -> str | None:
    return None if value is None else str(value)


def _url(value: str) -> str | None:
    return value or None  # core.api.fields.UrlField: no URL is null, never ""


def _moment(value, zone) -> str | None:
    """DRF's DateTimeField output (ISO 8601 in the current time zone, `Z` for UTC) without a field per value."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def ticket_rows_data(rows: list[dict], categories: dict) -> CamelCaseRows:
    """Exactly what `TicketOutput(many=True).data` gives for these tickets once rendered, built from
    `selectors.ticket_rows` and `selectors.ticket_categories` with the wire's camelCase keys: a list page spent more
    time building model instances, in the nested serializers' per-field calls and in the renderer's walk over every
    key than in the database (TicketOutput stays the schema; a test compares every row with the detail)."""
    zone = timezone.get_current_timezone()
    return CamelCaseRows(
        {
            "id": str(row["id"]),
            "channel": {"id": str(row["channel_id"]), "name": row["channel_name"], "network": row["channel_network"]},
            "network": row["network"],
            "type": row["type"],
            "networkItemId": row["network_item_id"],
            "parentId": _uuid(row["parent_id"]),
            "parentNetworkItemId": row["parent_network_item_id"],
            "rootNetworkItemId": row["root_network_item_id"],
            "interactor": None if row["interactor_id"] is None else _interactor_data(row, zone),
            "text": row["text"],
            "attachments": camelize_for_wire(row["attachments"]),
            "url": _url(row["url"]),
            "rating": camelize_for_wire(row["rating"]),
            "status": row["status"],
            "archiveReason": row["archive_reason"],
            "snoozedUntil": _moment(row["snoozed_until"], zone),
            "sentiment": row["sentiment"],
            "isPriority": row["is_priority"],
            "isUnread": row["is_unread"],
            "isHidden": row["is_hidden"],
            "isLiked": row["is_liked"],
            "isOwn": row["is_own"],
            "isDeletedInNetwork": row["is_deleted_in_network"],
            "isEdited": row["is_edited"],
            "editHistory": camelize_for_wire(row["edit_history"]),
            "assigneeId": _uuid(row["assignee_id"]),
            "teamId": _uuid(row["team_id"]),
            "networkCreatedAt": _moment(row["network_created_at"], zone),
            "networkUpdatedAt": _moment(row["network_updated_at"], zone),
            "archivedAt": _moment(row["archived_at"], zone),
            "firstResponseAt": _moment(row["first_response_at"], zone),
            "resolvedAt": _moment(row["resolved_at"], zone),
            "categories": [
                {"id": str(category["id"]), "name": category["name"]} for category in categories.get(row["id"], ())
            ],
            "createdAt": _moment(row["created_at"], zone),
            "updatedAt": _moment(row["updated_at"], zone),
        }
        for row in rows
    )


def _interactor_data(row: dict, zone) -> dict:
    """InteractorOutput's fields from a `selectors.ticket_rows` row (`interactor_<field>`)."""
    return {
        "id": str(row["interactor_id"]),
        "network": row["interactor_network"],
        "networkUserId": row["interactor_network_user_id"],
        "name": row["interactor_name"],
        "handle": row["interactor_handle"],
        "avatarUrl": _url(row["interactor_avatar_url"]),
        "profileUrl": _url(row["interactor_profile_url"]),
        "followerCount": row["interactor_follower_count"],
        "isBlocked": row["interactor_is_blocked"],
        "erasedAt": _moment(row["interactor_erased_at"], zone),
        "createdAt": _moment(row["interactor_created_at"], zone),
    }


class TreeNodeOutput(TicketOutput):
    depth = serializers.IntegerField(read_only=True)

    class Meta(TicketOutput.Meta):
        fields = [*TicketOutput.Meta.fields, "depth"]
        read_only_fields = fields


class FolderCountOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="Tickets matching the folder.")
    unread = serializers.IntegerField(help_text="... open and unread.")


class TicketCountsOutput(serializers.Serializer):
    total = serializers.IntegerField()
    unread = serializers.IntegerField(help_text="Open and unread.")
    open = serializers.IntegerField()
    snoozed = serializers.IntegerField()
    archived = serializers.IntegerField()
    deleted = serializers.IntegerField()
    folders = FolderCountOutput(many=True, required=False, help_text="With `folders=1`: each folder, in order.")


class TicketFilterInput(serializers.Serializer):
    """The list's filters (also the `filter` of a bulk action)."""

    status = serializers.ListField(child=serializers.ChoiceField(choices=TicketStatus.choices), required=False)
    channel = serializers.ListField(child=serializers.UUIDField(), required=False)
    network = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
    type = serializers.ListField(child=serializers.ChoiceField(choices=TicketType.choices), required=False)
    assignee = serializers.CharField(required=False, help_text="`me`, `none` or a user id.")
    team = serializers.UUIDField(required=False)
    sentiment = serializers.ListField(child=serializers.ChoiceField(choices=Sentiment.choices), required=False)
    priority = serializers.BooleanField(required=False, allow_null=True, default=None)
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)
    own = serializers.BooleanField(required=False, allow_null=True, default=None)
    interactor = serializers.UUIDField(required=False)
    created_from = serializers.DateTimeField(required=False)
    created_to = serializers.DateTimeField(required=False)
    search = serializers.CharField(required=False, max_length=200)
    category = serializers.UUIDField(required=False, help_text="Tickets in this category or any under it.")
    folder = serializers.UUIDField(required=False, help_text="Apply the folder's saved filters (with these ones).")

    def validate_assignee(self, value: str) -> str:
        if value in ("me", "none"):
            return value
        try:
            serializers.UUIDField().to_internal_value(value)
        except serializers.ValidationError:
            raise serializers.ValidationError("`me`, `none` or a user id.") from None
        return value


class TicketPatchInput(serializers.Serializer):
    updated_at = serializers.DateTimeField(required=False, help_text="Alternative to the If-Match header.")
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False, allow_null=True)
    is_priority = serializers.BooleanField(required=False)
    is_unread = serializers.BooleanField(required=False)
    status = serializers.ChoiceField(choices=[TicketStatus.OPEN, TicketStatus.ARCHIVED], required=False)
    assignee_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: _members_users(), label_name="user", required=False, allow_null=True
    )
    team_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: _teams(), label_name="team", required=False, allow_null=True
    )


def _members_users():
    from tenants.models import User
    from tenants.selectors import members

    return User.objects.filter(pk__in=members().filter(is_active=True).values("user_id"))


def _teams():
    from tenants.selectors import teams

    return teams()


class ActionInput(serializers.Serializer):
    """Parameters per action; only the ones of the requested action are read."""

    text = serializers.CharField(required=False, allow_blank=False, max_length=100_000, help_text="reply")
    private = serializers.BooleanField(required=False, default=False, help_text="reply: as a private message")
    user_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: _members_users(), label_name="user", required=False, allow_null=True, help_text="assign"
    )
    team_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: _teams(), label_name="team", required=False, allow_null=True, help_text="assign"
    )
    value = serializers.ChoiceField(
        choices=Sentiment.choices, required=False, allow_null=True, help_text="sentiment (null clears)"
    )
    until = serializers.DateTimeField(required=False, help_text="snooze")
    emails = serializers.ListField(child=serializers.EmailField(), required=False, max_length=20, help_text="forward")
    subject = serializers.CharField(required=False, max_length=200, help_text="forward")
    note = serializers.CharField(required=False, max_length=5000, help_text="forward")
    template_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: selectors.templates_visible_to(principal_of(request)),
        label_name="template",
        required=False,
        help_text="reply: a saved reply, rendered for you (unless `text` is given: then `text` is sent as written)",
    )
    category_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=100, help_text="categorize: the new set"
    )
    media_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=10,
        help_text="reply: media library ids. Custom channels take what their rules allow; Facebook one image on a "
        "comment reply, images in Messenger; Instagram images in Direct only (409 on comment replies and private "
        "replies to comments).",
    )

    def params_for(self, action: str) -> dict:
        data = self.validated_data
        if action == "reply":
            if not data.get("text") and not data.get("template_id") and not data.get("media_ids"):
                raise serializers.ValidationError(
                    {"text": ["Required for a reply (unless it gives templateId or carries mediaIds)."]}
                )
            params = {"text": data.get("text", ""), "private": data.get("private", False)}
            if data.get("template_id"):
                params["template"] = data["template_id"]
            if data.get("media_ids"):
                params["media_ids"] = [str(media_id) for media_id in data["media_ids"]]
            return params
        if action == "categorize":
            if "category_ids" not in data:
                raise serializers.ValidationError({"categoryIds": ["Required (an empty list removes them all)."]})
            return {"categoryIds": [str(pk) for pk in data["category_ids"]]}
        if action == "assign":
            if "user_id" not in data and "team_id" not in data:
                raise serializers.ValidationError({"userId": ["userId or teamId (null to unassign)."]})
            params = {}
            if "user_id" in data:
                params["user"] = data["user_id"]
            if "team_id" in data:
                params["team"] = data["team_id"]
            return params
        if action == "sentiment":
            if "value" not in data:
                raise serializers.ValidationError({"value": ["Required (null clears)."]})
            return {"value": data["value"]}
        if action == "snooze":
            if "until" not in data:
                raise serializers.ValidationError({"until": ["Required."]})
            return {"until": data["until"]}
        if action == "forward":
            return {k: data[k] for k in ("emails", "subject", "note") if k in data}
        return {}


class TicketActionOutput(serializers.ModelSerializer):
    ticket_id = serializers.UUIDField(read_only=True)
    status = serializers.ChoiceField(choices=ActionStatus.choices, read_only=True)
    error = serializers.SerializerMethodField()

    class Meta:
        model = TicketAction
        fields = [
            "id",
            "ticket_id",
            "action",
            "params",
            "status",
            "attempt",
            "outcome_unknown",
            "error",
            "result",
            "actor_label",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields

    def get_error(self, action: TicketAction) -> dict | None:
        if not action.error_code:
            return None
        return {"code": action.error_code, "message": action.error_message}


class RetryInput(serializers.Serializer):
    confirm_not_sent = serializers.BooleanField(
        required=False, default=False, help_text="Needed when the outcome was unknown: you checked it did not happen."
    )


class TicketEventOutput(serializers.ModelSerializer):
    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor_label", "data", "created_at"]
        read_only_fields = fields


class NoteOutput(serializers.ModelSerializer):
    author_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = TicketNote
        fields = ["id", "author_id", "author_label", "text", "created_at"]
        read_only_fields = fields


class NoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)


class BulkInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=BULK_ACTIONS)
    ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=10_000)
    filter = TicketFilterInput(required=False)
    params = ActionInput(required=False)

    def validate(self, attrs: dict) -> dict:
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError({"ids": ["Give either ids or filter."]})
        return attrs


class BulkJobOutput(serializers.ModelSerializer):
    total = serializers.IntegerField(source="total_count", read_only=True)
    done = serializers.IntegerField(source="done_count", read_only=True)
    failed = serializers.IntegerField(source="failed_count", read_only=True)

    class Meta:
        model = BulkJob
        fields = ["id", "action", "status", "total", "done", "failed", "errors", "created_at", "finished_at"]
        read_only_fields = fields


class BlockInput(serializers.Serializer):
    channel_id = serializers.UUIDField(
        required=False, help_text="The channel to block through; default: the channel of their latest ticket."
    )


class SuggestInput(serializers.Serializer):
    text = serializers.CharField(max_length=100_000)
    private = serializers.BooleanField(required=False, default=False)


class SuggestionApproveInput(serializers.Serializer):
    text = serializers.CharField(required=False, max_length=100_000, help_text="Replaces the suggested text.")


class SuggestionRejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class SuggestionOutput(serializers.ModelSerializer):
    ticket_id = serializers.UUIDField(read_only=True)
    action_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = ReplySuggestion
        fields = [
            "id",
            "ticket_id",
            "text",
            "is_private",
            "status",
            "author_label",
            "decided_by_label",
            "decided_at",
            "rejection_reason",
            "sent_text",
            "action_id",
            "created_at",
        ]
        read_only_fields = fields


# --- organisation: categories, templates, folders ------------------------------------------------------------------
class CategoryOutput(serializers.ModelSerializer):
    parent_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Category
        fields = ["id", "name", "parent_id", "position", "is_hidden", "created_at", "updated_at"]
        read_only_fields = fields


class CategoryInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    parent_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: selectors.categories(), label_name="category", required=False, allow_null=True
    )
    position = serializers.IntegerField(required=False, min_value=0, help_text="Default: last among its siblings.")
    is_hidden = serializers.BooleanField(required=False, default=False)


class CategoryPatchInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    position = serializers.IntegerField(required=False, min_value=0)
    is_hidden = serializers.BooleanField(required=False)


class CategoryMoveInput(serializers.Serializer):
    parent_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: selectors.categories(),
        label_name="category",
        allow_null=True,
        help_text="null: make it a root.",
    )
    position = serializers.IntegerField(required=False, min_value=0)


class CategoryReassignInput(serializers.Serializer):
    target_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: selectors.categories(),
        label_name="category",
        allow_null=True,
        help_text="Where the tickets go; null removes this category from them.",
    )


class CategoryDeleteQuery(serializers.Serializer):
    reassign_to = TenantScopedPrimaryKeyRelatedField(
        lambda request: selectors.categories(), label_name="category", required=False
    )


class ReassignedOutput(serializers.Serializer):
    tickets = serializers.IntegerField(help_text="Tickets moved (or uncategorized).")


class CategoryImportInput(serializers.Serializer):
    file = serializers.FileField(help_text="CSV, first column a path such as `Sales/Leads` (header `path` optional).")


class CategoryImportRowOutput(serializers.Serializer):
    row = serializers.IntegerField()
    path = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "exists", "error"])
    category_id = serializers.UUIDField(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class CategoryImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    errors = serializers.IntegerField()
    rows = CategoryImportRowOutput(many=True)


class CategoryTicketCountOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="Tickets you see in this category itself.")
    count_with_descendants = serializers.IntegerField(help_text="... in it or any category under it.")


class TemplateOutput(serializers.ModelSerializer):
    team_id = serializers.UUIDField(read_only=True, allow_null=True)
    created_by_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Template
        fields = ["id", "name", "text", "team_id", "created_by_id", "created_at", "updated_at"]
        read_only_fields = fields


class TemplateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    text = serializers.CharField(
        max_length=100_000, help_text="Placeholders: {{interactor.name}}, {{agent.firstName}}, {{channel.name}}, ..."
    )
    team_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: _teams(), label_name="team", required=False, allow_null=True, help_text="null: whole tenant"
    )


def filters_to_json(filters: dict) -> dict:
    """Validated list filters as storable JSON (ids and times as strings; unset flags left out)."""
    return json.loads(json.dumps({k: v for k, v in filters.items() if v is not None}, cls=DjangoJSONEncoder))


class FolderOutput(serializers.ModelSerializer):
    class Meta:
        model = Folder
        fields = ["id", "name", "filters", "position", "created_at", "updated_at"]
        read_only_fields = fields


class FolderInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    filters = TicketFilterInput(help_text="The ticket list's query parameters (without `folder`).")

    def validate_filters(self, value: dict) -> dict:
        if value.get("folder"):
            raise serializers.ValidationError({"folder": ["A folder cannot include another folder."]})
        return filters_to_json(value)


class FolderReorderInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), max_length=1000, help_text="Every folder, in order.")


class TicketCountsQuery(serializers.Serializer):
    folders = serializers.BooleanField(required=False, default=False, help_text="Add the count of every folder.")


# --- smart rules, keyword lists, interactor lists ------------------------------------------------------------------
class StrictInput(serializers.Serializer):
    """Refuses keys it does not know (a misspelt condition must not be dropped silently)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown key."] for key in unknown})
        return super().to_internal_value(data)


def _channels():
    from social.selectors import channels

    return channels()


def _in_tenant(model):
    return lambda request: model.objects.all()


class RuleConditionsInput(StrictInput):
    """Every condition given must hold; none given: every new ticket matches."""

    message_has_keyword = TenantScopedPrimaryKeyRelatedField(
        _in_tenant(KeywordList), label_name="keyword list", required=False, help_text="A keyword list id."
    )
    message_has_mention = serializers.BooleanField(required=False, help_text="The text has (true) / has no @mention.")
    message_consists_of_mentions = serializers.BooleanField(required=False)
    type = serializers.ListField(
        child=serializers.ChoiceField(choices=TicketType.choices), required=False, min_length=1
    )
    channel = serializers.ListField(
        child=TenantScopedPrimaryKeyRelatedField(lambda request: _channels(), label_name="channel"),
        required=False,
        min_length=1,
    )
    network = serializers.ListField(child=serializers.CharField(max_length=20), required=False, min_length=1)
    interactor_in_list = TenantScopedPrimaryKeyRelatedField(
        _in_tenant(InteractorList), label_name="interactor list", required=False, help_text="An interactor list id."
    )
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False)

    @staticmethod
    def storage(data: dict) -> dict:
        """The JSON kept on the rule: ids as strings."""
        stored = dict(data)
        for key in ("message_has_keyword", "interactor_in_list"):
            if key in stored:
                stored[key] = str(stored[key].pk)
        if "channel" in stored:
            stored["channel"] = [str(c.pk) for c in stored["channel"]]
        return stored


# Which keys each action takes, and which it needs (assign: exactly one of userId / teamId).
RULE_ACTION_KEYS = {
    "archive": set(),
    "markAsPriority": set(),
    "assign": {"user_id", "team_id"},
    "hide": set(),
    "delete": set(),
    "forwardByMail": {"recipients", "subject", "message"},
    "like": set(),
    "categorize": {"category_ids"},
    "setSentiment": {"value"},
    "reply": {"template_id", "private"},
}
RULE_ACTION_TYPES = list(RULE_ACTION_KEYS)
RULE_ACTION_REQUIRED = {
    "forwardByMail": {"recipients"},
    "categorize": {"category_ids"},
    "setSentiment": {"value"},
    "reply": {"template_id"},
}


class RuleActionInput(StrictInput):
    type = serializers.ChoiceField(choices=RULE_ACTION_TYPES)
    user_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: _members_users(), label_name="user", required=False, help_text="assign"
    )
    team_id = TenantScopedPrimaryKeyRelatedField(
        lambda request: _teams(), label_name="team", required=False, help_text="assign (round-robin in the team)"
    )
    recipients = serializers.ListField(
        child=serializers.EmailField(), required=False, min_length=1, max_length=20, help_text="forwardByMail"
    )
    subject = serializers.CharField(required=False, max_length=200, help_text="forwardByMail")
    message = serializers.CharField(required=False, max_length=5000, help_text="forwardByMail")
    category_ids = serializers.ListField(
        child=TenantScopedPrimaryKeyRelatedField(_in_tenant(Category), label_name="category"),
        required=False,
        min_length=1,
        max_length=20,
        help_text="categorize",
    )
    value = serializers.ChoiceField(choices=Sentiment.choices, required=False, help_text="setSentiment")
    template_id = TenantScopedPrimaryKeyRelatedField(
        _in_tenant(Template), label_name="template", required=False, help_text="reply"
    )
    private = serializers.BooleanField(required=False, help_text="reply: as a private message")

    def validate(self, attrs: dict) -> dict:
        kind = attrs.get("type")
        if kind is None:  # a PATCH validates partially; an action still needs its type
            raise serializers.ValidationError({"type": ["Required."]})
        given = set(attrs) - {"type"}
        errors = {key: [f"Not a parameter of {kind}."] for key in sorted(given - RULE_ACTION_KEYS[kind])}
        errors.update({key: [f"Required for {kind}."] for key in sorted(RULE_ACTION_REQUIRED.get(kind, set()) - given)})
        if kind == "assign" and len(given & {"user_id", "team_id"}) != 1:
            errors["user_id"] = ["Either userId or teamId."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    @staticmethod
    def storage(data: dict) -> dict:
        stored = dict(data)
        for key in ("user_id", "team_id", "template_id"):
            if key in stored:
                stored[key] = str(stored[key].pk)
        if "category_ids" in stored:
            stored["category_ids"] = [str(c.pk) for c in stored["category_ids"]]
        return stored


class RuleInput(StrictInput):
    name = serializers.CharField(max_length=200)
    is_active = serializers.BooleanField(required=False, default=True)
    position = serializers.IntegerField(required=False, min_value=0, help_text="Weight: lower runs first.")
    trigger = serializers.ChoiceField(choices=RuleTrigger.choices, required=False, default=RuleTrigger.TICKET_CREATED)
    conditions = RuleConditionsInput(required=False)
    actions = RuleActionInput(many=True, min_length=1, max_length=20, help_text="Run in this order.")

    def storage(self) -> dict:
        data = dict(self.validated_data)
        if "conditions" in data:
            data["conditions"] = RuleConditionsInput.storage(data["conditions"])
        if "actions" in data:
            data["actions"] = [RuleActionInput.storage(spec) for spec in data["actions"]]
        return data


class RuleConditionsOutput(serializers.Serializer):
    message_has_keyword = serializers.UUIDField(required=False)
    message_has_mention = serializers.BooleanField(required=False)
    message_consists_of_mentions = serializers.BooleanField(required=False)
    type = serializers.ListField(child=serializers.CharField(), required=False)
    channel = serializers.ListField(child=serializers.UUIDField(), required=False)
    network = serializers.ListField(child=serializers.CharField(), required=False)
    interactor_in_list = serializers.UUIDField(required=False)
    sentiment = serializers.CharField(required=False)


class RuleActionOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=RULE_ACTION_TYPES)
    user_id = serializers.UUIDField(required=False)
    team_id = serializers.UUIDField(required=False)
    recipients = serializers.ListField(child=serializers.EmailField(), required=False)
    subject = serializers.CharField(required=False)
    message = serializers.CharField(required=False)
    category_ids = serializers.ListField(child=serializers.UUIDField(), required=False)
    value = serializers.CharField(required=False)
    template_id = serializers.UUIDField(required=False)
    private = serializers.BooleanField(required=False)


class RuleOutput(serializers.ModelSerializer):
    conditions = RuleConditionsOutput(read_only=True)
    actions = RuleActionOutput(many=True, read_only=True)

    class Meta:
        model = Rule
        fields = ["id", "name", "is_active", "position", "trigger", "conditions", "actions", "created_at", "updated_at"]
        read_only_fields = fields


class RuleReorderInput(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.UUIDField(),
        min_length=1,
        max_length=1000,
        help_text="Rules in their new order, first runs first.",
    )


class RuleTestInput(StrictInput):
    """A stored ticket (`ticketId`), or a sample ticket described by the other fields."""

    ticket_id = serializers.UUIDField(required=False)
    text = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    type = serializers.ChoiceField(choices=TicketType.choices, required=False, default=TicketType.COMMENT)
    channel_id = TenantScopedPrimaryKeyRelatedField(lambda request: _channels(), label_name="channel", required=False)
    network = serializers.CharField(required=False, max_length=20)
    interactor_id = TenantScopedPrimaryKeyRelatedField(_in_tenant(Interactor), label_name="interactor", required=False)
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False)


class ConditionResultOutput(serializers.Serializer):
    condition = serializers.CharField()
    matched = serializers.BooleanField()
    detail = serializers.CharField()
    keyword = serializers.CharField(allow_null=True, help_text="messageHasKeyword: the keyword found.")


class RuleTestOutput(serializers.Serializer):
    matches = serializers.BooleanField()
    conditions = ConditionResultOutput(many=True)
    actions = RuleActionOutput(many=True, help_text="What would run, in order.")


class KeywordListInput(StrictInput):
    name = serializers.CharField(max_length=200)
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=5000, help_text="Words or phrases; case-insensitive."
    )


class KeywordListOutput(serializers.ModelSerializer):
    keyword_count = serializers.SerializerMethodField()

    class Meta:
        model = KeywordList
        fields = ["id", "name", "keywords", "keyword_count", "created_at", "updated_at"]
        read_only_fields = fields

    def get_keyword_count(self, row: KeywordList) -> int:
        return len(row.keywords)


class InteractorListInput(StrictInput):
    name = serializers.CharField(max_length=200)


class InteractorListOutput(serializers.ModelSerializer):
    entry_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = InteractorList
        fields = ["id", "name", "entry_count", "created_at", "updated_at"]
        read_only_fields = fields


class InteractorListEntryInput(StrictInput):
    channel_id = serializers.UUIDField()
    interactor_id = serializers.UUIDField()


class InteractorListEntriesInput(StrictInput):
    entries = InteractorListEntryInput(many=True, min_length=1, max_length=500)


class InteractorListEntryOutput(serializers.ModelSerializer):
    channel_id = serializers.UUIDField(read_only=True)
    interactor = InteractorOutput(read_only=True)

    class Meta:
        model = InteractorListEntry
        fields = ["id", "channel_id", "interactor", "created_at"]
        read_only_fields = fields


class InteractorListChangeOutput(serializers.Serializer):
    changed = serializers.IntegerField(help_text="Entries added (POST) or removed (DELETE).")


class InteractorSearchInput(serializers.Serializer):
    channel = serializers.UUIDField(required=False, help_text="People who wrote to this channel.")
    search = serializers.CharField(required=False, max_length=200, help_text="Name or handle.")
