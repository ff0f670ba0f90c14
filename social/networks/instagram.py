"""Instagram business/creator accounts through the Graph API (Facebook Login; see facebook.GraphAdapter).

Publishing is the container flow: POST /{ig-user-id}/media creates a container (image_url, REELS video_url,
STORIES, or carousel items + a CAROUSEL container), GET /{container-id}?fields=status_code is polled until
FINISHED (ERROR/EXPIRED -> InvalidContent; bounded attempts, then UnknownOutcome), then
POST /{ig-user-id}/media_publish {creation_id} creates the media.

Reconciliation: captions carry no metadata of ours; find_published lists /{ig-user-id}/media since the attempt
started and matches the caption prefix (links ignored). Reliable unless the same caption is posted twice in the
window; an uncaptioned post cannot be recognised. Instagram's API offers no media deletion and no likes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from social.networks import rules
from social.networks.base import (
    ChannelCredentials,
    FetchPage,
    InvalidContent,
    LookupResult,
    MediaItem,
    Metrics,
    NetworkError,
    NotSupported,
    PublishRequest,
    PublishResult,
    RemoteItem,
)
from social.networks.facebook import FacebookAdapter, GraphAdapter
from social.networks.http import day_bounds, fetch_kind_capability, now_utc, parse_time
from social.networks.matching import require_text, same_text


class InstagramAdapter(GraphAdapter):
    network = "instagram"
    rules = rules.INSTAGRAM
    scopes = (
        "pages_show_list",
        "pages_read_engagement",
        "business_management",
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_comments",
        "instagram_manage_insights",
        "instagram_manage_messages",
    )
    capabilities = frozenset(
        {
            "oauth",
            "refresh",
            "publish",
            "first_comment",
            "find_published",
            "fetch_comments",
            "fetch_mentions",
            "fetch_messages",
            "reply",
            "hide",
            "post_metrics",
            "channel_metrics",
        }
    )
    lookups = frozenset({"products"})
    # Instagram Direct replies carry images (each its own message after the text); comment replies
    # (`/{comment-id}/replies`) are text only: the API has no media there.
    reply_media: ClassVar[dict[str, int]] = {"send_message": 4}
    reply_image_types: ClassVar[frozenset[str]] = frozenset({"image/jpeg", "image/png"})
    reconcile_reliability = FacebookAdapter.reconcile_reliability

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> list:
        """Only the Instagram accounts linked to the user's pages (the pages themselves are Facebook channels)."""
        user = self._user_token(code=code, redirect_uri=redirect_uri)
        return [account for account in self._accounts(user) if account.network == "instagram"]

    def _ig(self, credentials: ChannelCredentials) -> str:
        return str(credentials.extra.get("ig_user_id") or credentials.external_id)

    def fresh_media_url(self, credentials: ChannelCredentials, media_id: str) -> str:
        """GET /{ig-media-id}?fields=media_url,thumbnail_url (a video's thumbnail when it has no media_url)."""
        data = self.get(media_id, credentials.access_token, fields="media_url,thumbnail_url")
        return str(data.get("media_url") or data.get("thumbnail_url") or "")

    # --- composer pickers ---
    def lookup_products(
        self, credentials: ChannelCredentials, *, query: str = "", parent: str = ""
    ) -> list[LookupResult]:
        """Shop products to tag (GET /{ig-user-id}/catalog_product_search) in catalog `parent`, or in the account's
        first catalog (GET /{ig-user-id}/available_catalogs). No catalog (no Instagram Shop): no products."""
        ig, token = self._ig(credentials), credentials.access_token
        catalog = parent
        if not catalog:
            catalogs = self.get(f"{ig}/available_catalogs", token, fields="catalog_id,catalog_name").get("data", [])
            if not catalogs:
                return []
            catalog = str(catalogs[0]["catalog_id"])
        data = self.get(f"{ig}/catalog_product_search", token, catalog_id=catalog, q=query.strip())
        return [
            LookupResult(
                id=str(product["product_id"]),
                name=product.get("product_name", ""),
                image_url=product.get("image_url", ""),
                extra={
                    "catalogId": catalog,
                    "retailerId": product.get("retailer_id", ""),
                    "reviewStatus": product.get("review_status", ""),
                },
            )
            for product in data.get("data", [])
        ]

    # --- container flow ---
    def _container(self, credentials: ChannelCredentials, body: dict) -> str:
        return str(self.post(f"{self._ig(credentials)}/media", credentials.access_token, body)["id"])

    def _wait(self, credentials: ChannelCredentials, container_id: str) -> None:
        def fetch() -> dict:
            return self.get(container_id, credentials.access_token, fields="status_code,status")

        def done(data: dict) -> bool:
            status = data.get("status_code")
            if status in ("ERROR", "EXPIRED"):
                raise InvalidContent(
                    f"Instagram could not process the media: {data.get('status') or status}.",
                    details={"media": [data.get("status") or status]},
                    response_body=data,
                )
            return status in ("FINISHED", "PUBLISHED")

        self.poll(fetch, done, what=f"media container {container_id}")

    @staticmethod
    def _media_body(item: MediaItem, *, media_type: str = "") -> dict[str, Any]:
        if item.kind == "video":
            return {"media_type": media_type or "VIDEO", "video_url": item.url}
        body: dict[str, Any] = {"image_url": item.url}
        if media_type:
            body["media_type"] = media_type
        if item.alt_text:
            body["alt_text"] = item.alt_text
        return body

    def _publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        if not request.media:
            raise InvalidContent("Instagram posts need an image or a video.", details={"media": ["mediaRequired"]})
        caption = {"caption": request.text} if request.text else {}
        if request.post_type == "story":
            item = request.media[0]
            container = self._container(credentials, self._media_body(item, media_type="STORIES"))
        elif len(request.media) == 1:
            item = request.media[0]
            body = self._media_body(item, media_type="REELS" if item.kind == "video" else "")
            if item.kind == "video":
                body["share_to_feed"] = True
            container = self._container(credentials, {**body, **caption})
        else:
            children = []
            for item in request.media:
                child = self._container(credentials, {**self._media_body(item), "is_carousel_item": True})
                if item.kind == "video":
                    self._wait(credentials, child)
                children.append(child)
            container = self._container(
                credentials, {"media_type": "CAROUSEL", "children": ",".join(children), **caption}
            )
        self._wait(credentials, container)
        data = self.post(f"{self._ig(credentials)}/media_publish", credentials.access_token, {"creation_id": container})
        media_id = str(data["id"])
        url = ""
        try:
            url = self.get(media_id, credentials.access_token, fields="permalink").get("permalink", "")
        except NetworkError:  # the media exists: a missing permalink must not fail the publish
            url = ""
        return PublishResult(remote_id=media_id, url=url, raw={**data, "container_id": container})

    def publish_comment(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        return self._comment(credentials.access_token, f"{remote_id}/comments", text)

    def reply(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        return self._comment(credentials.access_token, f"{remote_id}/replies", text)

    def hide(self, credentials: ChannelCredentials, *, remote_id: str, hidden: bool = True) -> None:
        self.post(remote_id, credentials.access_token, {"hide": hidden})

    def find_published(
        self, credentials: ChannelCredentials, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
    ) -> PublishResult | None:
        require_text(self.network, text)
        data = self.get(
            f"{self._ig(credentials)}/media",
            credentials.access_token,
            fields="id,caption,timestamp,permalink",
            since=int(since.timestamp()),
            limit=50,
        )
        for media in data.get("data", []):
            created = parse_time(media.get("timestamp"))
            if created and created >= since and same_text(text, media.get("caption", "")):
                return PublishResult(remote_id=str(media["id"]), url=media.get("permalink", ""), raw=media)
        return None

    def fetch_items(self, credentials: ChannelCredentials, *, kind: str, cursor: str = "") -> FetchPage:
        self.require(fetch_kind_capability(kind))
        params: dict[str, Any] = {"limit": 25}
        if cursor:
            params["after"] = cursor
        items: list[RemoteItem] = []
        if kind == "comment":
            params["fields"] = "id,comments.limit(50){id,text,username,timestamp,from{id,username}}"
            data = self.get(f"{self._ig(credentials)}/media", credentials.access_token, **params)
            for media in data.get("data", []):
                for c in media.get("comments", {}).get("data", []):
                    items.append(self._item(c, "comment", str(media["id"]), c.get("text", "")))
        elif kind == "message":
            # Instagram Direct through the linked page: GET /{page-id}/conversations?platform=instagram.
            params["fields"] = "id,messages.limit(20){id,message,from{id,username},created_time}"
            params["platform"] = "instagram"
            data = self.get(f"{self._linked_page(credentials)}/conversations", credentials.access_token, **params)
            own = self._ig(credentials)
            for conversation in data.get("data", []):
                for message in conversation.get("messages", {}).get("data", []):
                    author = message.get("from") or {}
                    if str(author.get("id", "")) == own:
                        continue  # our own answers come back through the reply that sent them
                    items.append(
                        RemoteItem(
                            remote_id=str(message["id"]),
                            kind="message",
                            text=message.get("message", ""),
                            author_id=str(author.get("id", "")),
                            author_name=author.get("username", ""),
                            created_at=parse_time(message.get("created_time")) or now_utc(),
                            parent_remote_id=str(conversation["id"]),
                            raw=message,
                        )
                    )
        else:
            params["fields"] = "id,caption,username,timestamp"
            data = self.get(f"{self._ig(credentials)}/tags", credentials.access_token, **params)
            items = [self._item(m, "mention", "", m.get("caption", "")) for m in data.get("data", [])]
        return FetchPage(tuple(items), next_cursor=self._next_cursor(data))

    @staticmethod
    def _linked_page(credentials: ChannelCredentials) -> str:
        """The Facebook page the account is linked to: Instagram messaging goes through it."""
        page = str(credentials.extra.get("page_id") or "")
        if not page:
            raise NotSupported("instagram messaging needs the linked page (reconnect the channel).")
        return page

    @staticmethod
    def _item(entry: dict, kind: str, parent: str, text: str) -> RemoteItem:
        author = entry.get("from") or {}
        return RemoteItem(
            remote_id=str(entry["id"]),
            kind=kind,
            text=text,
            author_id=str(author.get("id", "")),
            author_name=entry.get("username") or author.get("username", ""),
            created_at=parse_time(entry.get("timestamp")) or now_utc(),
            parent_remote_id=parent,
            raw=entry,
        )

    def post_metrics(self, credentials: ChannelCredentials, *, remote_id: str) -> Metrics:
        data = self.get(
            f"{remote_id}/insights", credentials.access_token, metric="reach,likes,comments,shares,saved,views"
        )
        values = self._graph_metrics(
            data,
            {
                "reach": "reach",
                "likes": "likes",
                "comments": "comments",
                "shares": "shares",
                "saved": "saves",
                "views": "videoViews",
            },
        )
        values["engagements"] = sum(values.get(k, 0) for k in ("likes", "comments", "shares", "saves"))
        return Metrics(values=values, collected_at=now_utc())

    def channel_metrics(self, credentials: ChannelCredentials, *, day: datetime) -> Metrics:
        start, end = day_bounds(day)
        ig = self._ig(credentials)
        data = self.get(
            f"{ig}/insights",
            credentials.access_token,
            metric="reach",
            period="day",
            since=int(start.timestamp()),
            until=int(end.timestamp()),
        )
        values = self._graph_metrics(data, {"reach": "reach"})
        values["followers"] = int(
            self.get(ig, credentials.access_token, fields="followers_count").get("followers_count", 0)
        )
        return Metrics(values=values, collected_at=now_utc())

    # --- inbox: direct messages and private replies ---
    def send_message(
        self,
        credentials: ChannelCredentials,
        *,
        recipient_id: str,
        text: str = "",
        image_url: str = "",
        conversation_id: str = "",
        private_reply_to: str = "",
    ) -> PublishResult:
        """Instagram Messaging goes through the linked page's Send API (`POST /{page-id}/messages`): a message (text,
        or one image from `image_url`) to an Instagram-scoped user id, or a private reply to a comment
        (`recipient.comment_id`)."""
        page = self._linked_page(credentials)
        recipient = {"comment_id": private_reply_to} if private_reply_to else {"id": recipient_id}
        data = self.post(
            f"{page}/messages",
            credentials.access_token,
            {"recipient": recipient, "message": self._message(text, image_url)},
        )
        return PublishResult(remote_id=str(data.get("message_id") or data["recipient_id"]), raw=data)
