"""Content shared by posts and groups: validated API input (ids) -> the services' content dict (rows), and the
ordered media of a post or group.

Ids are resolved through selectors of this tenant only, so another tenant's id and an unknown one answer alike
(400 with the one message format of `core.api.inputs.resolve_ids`).
"""

from __future__ import annotations

from contentplanner import selectors
from contentplanner.models import Post, PostGroup, PostGroupMedia, PostMedia
from contentplanner.services.validation import resolve_publish_at
from core.api.inputs import resolve_ids
from core.errors import ValidationFailed
from social.services import publishing as social_publishing
from tenants import selectors as tenant_selectors

CONTENT_FIELDS = ("text", "title", "first_comment", "network_options")
LINK_FIELDS = {
    "url": "link_url",
    "title": "link_title",
    "description": "link_description",
    "image_url": "link_image_url",
}


def resolve_content(data: dict) -> dict:
    """The content dict for create/update (model field names, rows for ids). Every unknown id -> one 400 naming
    each field at fault."""
    content: dict = {name: data[name] for name in CONTENT_FIELDS if name in data}
    if "type" in data:
        content["post_type"] = data["type"]
    if "link" in data:
        link = data["link"] or {}
        for key, field in LINK_FIELDS.items():
            content[field] = link.get(key, "")
    errors: dict[str, list[str]] = {}

    def collect(resolve):
        try:
            return resolve()
        except ValidationFailed as exc:
            errors.update(exc.details)
            return None

    if "media" in data:
        rows = collect(
            lambda: resolve_ids(
                social_publishing.library_media(),
                [item["media_id"] for item in data["media"]],
                field="media",
                label="media",
            )
        )
        if rows is not None:
            content["media"] = [(row, item.get("alt_text", "")) for row, item in zip(rows, data["media"], strict=True)]
    if "campaign_id" in data:
        campaign_id = data["campaign_id"]
        content["campaign"] = None
        if campaign_id:
            found = collect(
                lambda: resolve_ids(selectors.campaigns(), [campaign_id], field="campaignId", label="campaign")
            )
            content["campaign"] = found[0] if found else None
    if "tag_ids" in data:
        tags = collect(
            lambda: resolve_ids(selectors.tags(), list(dict.fromkeys(data["tag_ids"])), field="tagIds", label="tag")
        )
        content["tags"] = tags or []
    if "assignee_id" in data:
        assignee_id = data["assignee_id"]
        membership = tenant_selectors.active_members().filter(user_id=assignee_id).first() if assignee_id else None
        if assignee_id and membership is None:
            errors["assigneeId"] = ["Not a member of this workspace."]
        content["assignee"] = membership.user if membership else None
    if "publish_timezone" in data:
        content["publish_timezone"] = data["publish_timezone"]
    if data.get("publish_at"):
        content["publish_at"], content["publish_timezone"] = resolve_publish_at(
            data["publish_at"], data.get("publish_timezone") or None
        )
    elif "publish_at" in data:
        content["publish_at"] = None
    if errors:
        raise ValidationFailed(details=errors)
    return content


def replace_media(owner: Post | PostGroup, media: list[tuple]) -> None:
    """Replace the ordered media of a post or group with `media` ((Media, alt text) pairs, in order)."""
    through, field = (PostMedia, "post") if isinstance(owner, Post) else (PostGroupMedia, "group")
    through.objects.filter(**{field: owner}).delete()
    through.objects.bulk_create(
        [
            through(tenant_id=owner.tenant_id, media=item, position=index, alt_text=alt or "", **{field: owner})
            for index, (item, alt) in enumerate(media)
        ]
    )
