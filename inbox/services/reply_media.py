"""Media attached to an agent's reply (`mediaIds`): files of the tenant's media library, allowed by the network's
rules, resolved before anything is stored or sent.

- Custom channels (`deliver`: the whole reply body goes to the integrator's endpoint) take any media their rules
  allow.
- Network adapters declare `reply_media`, the images each reply method takes (`{"reply": 1, "send_message": 4}`
  on Facebook: one image on a comment reply, images as their own messages in a direct reply) and
  `reply_image_types`; the network fetches each image from the library's public URL. A reply method they do not
  list (an Instagram comment reply, any network without media in its API) is refused with NOT_SUPPORTED rather
  than sent without its media, and so is a private reply to a comment (one text message on Meta).
"""

from __future__ import annotations

from core.errors import ValidationFailed
from inbox.errors import ActionNotSupported
from inbox.models import Ticket
from social.networks.base import PublishRequest
from social.selectors import media_public_url
from social.services.publishing import library_media, media_item_for


def resolve_reply_media(
    ticket: Ticket, adapter, media_ids: list, *, text: str = "", method: str = "reply", private: bool = False
) -> list[dict]:
    """The reply's media (`id`, `url`, `mimeType`, `kind`), in the order given. 409 when the network takes no media
    on this kind of reply (`method`: the adapter method that sends it; `private`: a private reply to a comment);
    400 for an id outside the tenant's library, or media the network refuses or cannot fetch."""
    if not media_ids:
        return []
    delivers = callable(getattr(adapter, "deliver", None))
    limit = getattr(adapter, "reply_media", {}).get(method, 0)
    if not delivers:
        if private:
            raise ActionNotSupported(
                f"A private reply to a comment is a single text message on {ticket.network}: send the media in the "
                "conversation once the person answers."
            )
        if not limit:
            raise ActionNotSupported(f"Replies to a {ticket.type} on {ticket.network} take text only.")
    found = {str(media.pk): media for media in library_media().filter(pk__in=media_ids)}
    missing = [str(media_id) for media_id in media_ids if str(media_id) not in found]
    if missing:
        raise ValidationFailed(details={"mediaIds": [f"Not in your media library: {', '.join(missing)}."]})
    ordered = [found[str(media_id)] for media_id in media_ids]
    if delivers:
        request = PublishRequest(correlation_id="", text=text, media=tuple(media_item_for(m) for m in ordered))
        issues = [issue.message for issue in adapter.validate(request)]
    else:
        issues = _network_issues(ticket, adapter, ordered, limit)
    if issues:
        raise ValidationFailed(details={"mediaIds": issues})
    return [
        {"id": str(m.pk), "url": media_public_url(m) or m.source_url, "mimeType": m.mime_type, "kind": m.kind}
        for m in ordered
    ]


def _network_issues(ticket: Ticket, adapter, media: list, limit: int) -> list[str]:
    """What stops a network from taking these images on this reply: their number, their type, or no public URL
    (the network fetches each image itself)."""
    issues = []
    if len(media) > limit:
        issues.append(
            f"At most {limit} image{'s' if limit > 1 else ''} in a reply to a {ticket.type} on {ticket.network}."
        )
    types = getattr(adapter, "reply_image_types", frozenset())
    for m in media:
        if m.mime_type not in types:
            issues.append(f"{m.name}: {ticket.network} replies take {', '.join(sorted(types))} images only.")
        elif not (media_public_url(m) or m.source_url).startswith(("https://", "http://")):
            issues.append(f"{m.name}: no public URL {ticket.network} could fetch it from.")
    return issues
