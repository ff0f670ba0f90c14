"""Member-written HTML: sanitised with an allow-list (nh3), and the plain text derived from it on the server."""

from __future__ import annotations

import html
import re

import nh3

from core.errors import ValidationFailed

MAX_HTML_CHARS = 100_000
SHORT_TEXT_CHARS = 110

ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}
URL_SCHEMES = {"http", "https", "mailto"}
_BLOCK_END = re.compile(r"</(p|div|li|h[1-6]|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def sanitise(raw: str, *, field: str = "content") -> str:
    """The allowed subset of `raw`: no scripts, event handlers, `javascript:` URLs or styles; oversized -> 400."""
    if len(raw) > MAX_HTML_CHARS:
        raise ValidationFailed(details={field: [f"At most {MAX_HTML_CHARS} characters."]})
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def clean_text(sanitised: str) -> str:
    """Plain text of sanitised HTML: tags dropped, entities decoded, whitespace collapsed."""
    text = _TAG.sub(" ", _BLOCK_END.sub(" ", sanitised))
    return _SPACE.sub(" ", html.unescape(text)).strip()


def short_text(text: str) -> str:
    if len(text) <= SHORT_TEXT_CHARS:
        return text
    cut = text[:SHORT_TEXT_CHARS].rsplit(" ", 1)[0] or text[:SHORT_TEXT_CHARS]
    return cut.rstrip() + "…"


def plain_text(raw: str, *, field: str) -> str:
    """A one-line text field (headlines): markup removed, the text kept (`<3 love` stays `<3 love`)."""
    return clean_text(sanitise(raw, field=field))
