"""Media attached to an agent's reply (`mediaIds`): files of the tenant's media library, allowed by the network's
rules, resolved before anything is stored or sent.

Only adapters that deliver a whole reply body (`deliver`: the custom channel's endpoint) can carry media with a
reply; the network adapters' `reply` takes text only, so media on their tickets is refused with NOT_SUPPORTED
rather than silently dropped.
"""

from __future__ import annotations

from core.errors import ValidationFailed
from inbox.errors import ActionNotSupported
from inbox.models import Ticket
from social.networks.base import PublishRequest
from social.selectors import media_public_url
from social.services.publishing import library_media, media_item_for


def resolve_reply_media(ticket: Ticket, adapter, media_ids: list, *, text: str = "") -> list[dict]:
    """The reply's media as the webhook sends it (`id`, `url`, `mimeType`, `kind`), in the order given. 400 for an id
    outside the tenant's library or media the network's rules refuse; 409 when the network takes no media here."""
    if not media_ids:
        return []
    if not callable(getattr(adapter, "deliver", None)):
        raise ActionNotSupported(f"{ticket.network} does not take media in replies.")
    found = {str(media.pk): media for media in library_media().filter(pk__in=media_ids)}
    missing = [str(media_id) for media_id in media_ids if str(media_id) not in found]
    if missing:
        raise ValidationFailed(details={"mediaIds": [f"Not in your media library: {', '.join(missing)}."]})
    ordered = [found[str(media_id)] for media_id in media_ids]
    request = PublishRequest(correlation_id="", text=text, media=tuple(media_item_for(m) for m in ordered))
    issues = adapter.validate(request)
    if issues:
        raise ValidationFailed(details={"mediaIds": [issue.message for issue in issues]})
    return [
        {"id": str(m.pk), "url": media_public_url(m) or m.source_url, "mimeType": m.mime_type, "kind": m.kind}
        for m in ordered
    ]
