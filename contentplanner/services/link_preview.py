"""Link previews: the Open Graph title, description and image of a user-supplied URL, fetched through the SSRF guard
(core.url_safety through social's publishing face: public hosts only, pinned DNS, capped size, time and redirects)."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

from contentplanner.errors import LinkPreviewFailed
from social.errors import UrlImportFailed
from social.services import publishing as social_publishing

MAX_BYTES = 1024 * 1024  # the <head> is what we read; a page larger than this is refused
TIMEOUT_SECONDS = 8.0
HEADERS = {"Accept": "text/html,application/xhtml+xml", "User-Agent": "HubbubLinkPreview/1.0"}


@dataclass(frozen=True)
class LinkPreview:
    url: str
    final_url: str
    title: str
    description: str
    image_url: str
    site_name: str


class _HeadParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key and "content" in values:
                self.meta.setdefault(key, values["content"].strip())
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title and len(self.title) < 500:
            self.title += data


def fetch_preview(url: str) -> LinkPreview:
    """Fetch `url` safely and read its Open Graph (fallback: Twitter card, <title>, meta description)."""
    try:
        body, content_type, final_url = social_publishing.fetch_public_page(
            url, max_bytes=MAX_BYTES, timeout=TIMEOUT_SECONDS, headers=HEADERS
        )
    except UrlImportFailed as exc:
        raise LinkPreviewFailed(exc.message, details=exc.details) from exc
    if "html" not in (content_type or "text/html").lower():
        raise LinkPreviewFailed("The URL is not a web page.", details={"contentType": content_type})
    parser = _HeadParser()
    parser.feed(body.decode("utf-8", errors="replace"))
    meta = parser.meta

    def first(*keys: str) -> str:
        return next((meta[key] for key in keys if meta.get(key)), "")

    image = first("og:image", "og:image:url", "twitter:image")
    return LinkPreview(
        url=url,
        final_url=final_url,
        title=first("og:title", "twitter:title") or parser.title.strip(),
        description=first("og:description", "twitter:description", "description"),
        image_url=urljoin(final_url, image) if image else "",
        site_name=first("og:site_name"),
    )
