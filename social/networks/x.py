"""X (Twitter) API v2 with OAuth 2.0 user context and PKCE (S256).

Media: images go through the simple upload (POST /2/media/upload, multipart, media_category=tweet_image); videos
and GIFs through the chunked INIT / APPEND / FINALIZE commands, then STATUS polling while processing. A first
comment is a reply to the new post.

Reconciliation: posts carry no metadata of ours; find_published lists GET /2/users/{id}/tweets since the attempt
started and matches the text prefix with links ignored (X rewrites them to t.co). Reliable in practice: X itself
refuses an identical text posted twice in a row ("duplicate content").
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx

from social.networks import rules
from social.networks.base import (
    ChannelCredentials,
    ConnectedAccount,
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
from social.networks.http import (
    CAPABILITIES,
    error_for_status,
    fetch_kind_capability,
    now_utc,
    parse_time,
    safe_json,
    seconds_until_epoch,
)
from social.networks.matching import require_text, same_text
from social.networks.oauth2 import OAuth2Adapter, token_set_from

API = "https://api.x.com/2"
REPOST_PREFIX = "repost:"
USERNAME = re.compile(r"[A-Za-z0-9_]{1,15}")
DUPLICATE = "duplicate content"


class XAdapter(OAuth2Adapter):
    network = "x"
    rules = rules.X
    uses_pkce = True
    authorize_endpoint = "https://twitter.com/i/oauth2/authorize"
    token_endpoint = f"{API}/oauth2/token"
    revoke_endpoint = f"{API}/oauth2/revoke"
    token_client_auth = "basic"
    scopes = (
        "tweet.read",
        "tweet.write",
        "tweet.moderate.write",
        "users.read",
        "like.write",
        "media.write",
        "dm.read",
        "dm.write",  # DMs: inbox replies to messages, notifications to X chat connections
        "offline.access",
    )
    media_hosts = ("twimg.com",)
    capabilities = CAPABILITIES
    lookups = frozenset({"mentions"})
    reconcile_reliability = "text prefix (links ignored) within the time window; X refuses exact duplicates"
    chunk_size = 4 * 1024 * 1024  # APPEND segments must stay under 5 MB

    def map_error(self, response: httpx.Response) -> NetworkError:
        body = safe_json(response)
        body = body if isinstance(body, dict) else {}
        errors = body.get("errors") or []
        message = body.get("detail") or (errors[0].get("message") if errors and isinstance(errors[0], dict) else "")
        message = message or body.get("error_description") or body.get("title") or ""
        if response.status_code == 403 and DUPLICATE in message.lower():
            return InvalidContent(message, details={"text": ["duplicateContent"]}, status_code=403, response_body=body)
        retry_after = None
        if response.status_code == 429:
            retry_after = seconds_until_epoch(response.headers.get("x-rate-limit-reset"))
        details = {"network": [e.get("message", "") for e in errors if isinstance(e, dict)]} if errors else None
        return error_for_status(response, message=message, details=details, retry_after=retry_after)

    def api(self, method: str, path: str, credentials: ChannelCredentials, **kwargs: Any) -> dict:
        return self.call_json(method, f"{API}/{path}", headers=self.bearer(credentials), **kwargs)

    # --- composer pickers ---
    def lookup_mentions(
        self, credentials: ChannelCredentials, *, query: str = "", parent: str = ""
    ) -> list[LookupResult]:
        """The account with this exact @username (GET /2/users/by/username/{username}): X's API has no user search
        on the tiers apps get, so the picker confirms a handle instead of suggesting ones."""
        handle = query.strip().lstrip("@")
        if not USERNAME.fullmatch(handle):
            return []
        data = self.api(
            "GET", f"users/by/username/{handle}", credentials, params={"user.fields": "profile_image_url,verified"}
        )
        user = data.get("data")  # an unknown name is a 200 with `errors` and no `data`
        if not user:
            return []
        return [
            LookupResult(
                id=str(user["id"]),
                name=user.get("name", ""),
                image_url=user.get("profile_image_url", ""),
                extra={"username": user.get("username", handle), "verified": bool(user.get("verified"))},
            )
        ]

    # --- OAuth ---
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> list[ConnectedAccount]:
        payload = self.code_tokens(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        me = self.call_json(
            "GET",
            f"{API}/users/me",
            params={"user.fields": "profile_image_url,username,name"},
            headers=self.bearer(payload["access_token"]),
        )["data"]
        tokens = token_set_from(payload, owner_id=str(me["id"]))
        return [
            ConnectedAccount(
                network="x",
                external_id=str(me["id"]),
                name=me.get("name", ""),
                username=me.get("username", ""),
                image_url=me.get("profile_image_url", ""),
                network_url=f"https://x.com/{me['username']}",
                tokens=tokens,
                extra={"username": me.get("username", "")},
            )
        ]

    # --- media ---
    def upload_media(self, credentials: ChannelCredentials, item: MediaItem) -> str:
        with self.media_file(item) as media:
            if item.kind == "image":
                files = {"media": ("media", media.read(), item.mime_type)}
                data = self.api(
                    "POST", "media/upload", credentials, data={"media_category": "tweet_image"}, files=files
                )
                media_id = str(data["data"]["id"])
            else:
                media_id = self._chunked_upload(credentials, item, media)
        if item.alt_text:
            self.api(
                "POST",
                "media/metadata",
                credentials,
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text[:1000]}}},
            )
        return media_id

    def _chunked_upload(self, credentials: ChannelCredentials, item: MediaItem, media) -> str:
        category = "tweet_gif" if item.kind == "animation" else "tweet_video"
        init = self.api(
            "POST",
            "media/upload",
            credentials,
            data={
                "command": "INIT",
                "total_bytes": str(media.size),
                "media_type": item.mime_type,
                "media_category": category,
            },
        )
        media_id = str(init["data"]["id"])
        for index, offset in enumerate(range(0, media.size, self.chunk_size)):
            self.api(
                "POST",
                "media/upload",
                credentials,
                data={"command": "APPEND", "media_id": media_id, "segment_index": str(index)},
                files={"media": ("chunk", media.read(offset, self.chunk_size), "application/octet-stream")},
            )
        final = self.api("POST", "media/upload", credentials, data={"command": "FINALIZE", "media_id": media_id})
        processing = final.get("data", {}).get("processing_info")
        if processing and processing.get("state") not in ("succeeded", None):

            def fetch() -> dict:
                return self.api(
                    "GET", "media/upload", credentials, params={"command": "STATUS", "media_id": media_id}
                ).get("data", {})

            def done(data: dict) -> bool:
                info = data.get("processing_info") or {}
                if info.get("state") == "failed":
                    error = info.get("error") or {}
                    raise InvalidContent(
                        f"X could not process the media: {error.get('message') or error.get('name') or 'failed'}.",
                        details={"media": [error.get("name", "failed")]},
                        response_body=data,
                    )
                return info.get("state") in ("succeeded", None)

            self.poll(fetch, done, what=f"media {media_id} processing")
        return media_id

    # --- publishing ---
    def _tweet(self, credentials: ChannelCredentials, body: dict) -> PublishResult:
        data = self.api("POST", "tweets", credentials, json=body)["data"]
        username = credentials.extra.get("username")
        url = f"https://x.com/{username}/status/{data['id']}" if username else f"https://x.com/i/status/{data['id']}"
        return PublishResult(remote_id=str(data["id"]), url=url, raw=data)

    def _publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        if request.post_type == "repost":
            return self._repost(credentials, str(request.options["repostOf"]))
        text = request.text
        if request.link and request.link not in text:
            text = f"{text} {request.link}".strip()
        body: dict[str, Any] = {"text": text}
        media_ids = [self.upload_media(credentials, item) for item in request.media]
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        if request.options.get("replySettings"):
            body["reply_settings"] = request.options["replySettings"]
        if request.options.get("quoteTweetId"):
            body["quote_tweet_id"] = str(request.options["quoteTweetId"])
        return self._tweet(credentials, body)

    def _repost(self, credentials: ChannelCredentials, source: str) -> PublishResult:
        """POST /2/users/{id}/retweets. A repost has no id of its own: ours is `repost:<source id>`, so deleting
        it undoes the repost (never deletes the source) and no metrics are read for it. X answers `retweeted: true`
        for a post reposted already, so sending it twice reposts once."""
        data = self.api("POST", f"users/{credentials.external_id}/retweets", credentials, json={"tweet_id": source})
        if not (data.get("data") or {}).get("retweeted"):
            raise InvalidContent("X did not repost this post.", details={"networkOptions.repostOf": [source]})
        return PublishResult(remote_id=f"{REPOST_PREFIX}{source}", url=f"https://x.com/i/status/{source}", raw=data)

    def publish_comment(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        return self._tweet(credentials, {"text": text, "reply": {"in_reply_to_tweet_id": remote_id}})

    def reply(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        return self.publish_comment(credentials, remote_id=remote_id, text=text)

    def delete(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        if remote_id.startswith(REPOST_PREFIX):
            source = remote_id.removeprefix(REPOST_PREFIX)
            self.api("DELETE", f"users/{credentials.external_id}/retweets/{source}", credentials)
            return
        self.api("DELETE", f"tweets/{remote_id}", credentials)

    def like(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self.api("POST", f"users/{credentials.external_id}/likes", credentials, json={"tweet_id": remote_id})

    def hide(self, credentials: ChannelCredentials, *, remote_id: str, hidden: bool = True) -> None:
        self.api("PUT", f"tweets/{remote_id}/hidden", credentials, json={"hidden": hidden})

    def find_published(
        self, credentials: ChannelCredentials, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
    ) -> PublishResult | None:
        require_text(self.network, text)
        data = self.api(
            "GET",
            f"users/{credentials.external_id}/tweets",
            credentials,
            params={
                "start_time": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "max_results": 20,
                "tweet.fields": "created_at,text",
                "exclude": "replies,retweets",
            },
        )
        username = credentials.extra.get("username")
        for tweet in data.get("data", []):
            if same_text(text, tweet.get("text", "")):
                url = f"https://x.com/{username}/status/{tweet['id']}" if username else ""
                return PublishResult(remote_id=str(tweet["id"]), url=url, raw=tweet)
        return None

    # --- listening ---
    def fetch_items(self, credentials: ChannelCredentials, *, kind: str, cursor: str = "") -> FetchPage:
        self.require(fetch_kind_capability(kind))
        user_params = {"expansions": "author_id", "user.fields": "username,name"}
        tweet_fields = "created_at,author_id,conversation_id,referenced_tweets"
        if kind == "message":
            params: dict[str, Any] = {
                "dm_event.fields": "id,text,created_at,sender_id,dm_conversation_id",
                "event_types": "MessageCreate",
                "expansions": "sender_id",
                "user.fields": "username,name",
                "max_results": 100,
            }
            if cursor:
                params["pagination_token"] = cursor
            data = self.api("GET", "dm_events", credentials, params=params)
        elif kind == "mention":
            params = {**user_params, "tweet.fields": tweet_fields, "max_results": 100}
            if cursor:
                params["pagination_token"] = cursor
            data = self.api("GET", f"users/{credentials.external_id}/mentions", credentials, params=params)
        else:
            username = credentials.extra.get("username", "")
            params = {**user_params, "query": f"to:{username} is:reply", "tweet.fields": tweet_fields}
            params["max_results"] = 100
            if cursor:
                params["next_token"] = cursor
            data = self.api("GET", "tweets/search/recent", credentials, params=params)
        users = {u["id"]: u for u in data.get("includes", {}).get("users", [])}
        items = []
        for entry in data.get("data", []):
            author_id = str(entry.get("author_id") or entry.get("sender_id") or "")
            if kind == "message" and author_id == credentials.external_id:
                continue  # our own outgoing messages
            parent = entry.get("dm_conversation_id") or next(
                (r["id"] for r in entry.get("referenced_tweets", []) if r.get("type") == "replied_to"), ""
            )
            items.append(
                RemoteItem(
                    remote_id=str(entry["id"]),
                    kind=kind,
                    text=entry.get("text", ""),
                    author_id=author_id,
                    author_name=users.get(author_id, {}).get("username", ""),
                    created_at=parse_time(entry.get("created_at")) or now_utc(),
                    parent_remote_id=str(parent),
                    raw=entry,
                )
            )
        return FetchPage(tuple(items), next_cursor=data.get("meta", {}).get("next_token", ""))

    # --- analytics ---
    def post_metrics(self, credentials: ChannelCredentials, *, remote_id: str) -> Metrics:
        if remote_id.startswith(REPOST_PREFIX):
            raise NotSupported("A repost has no metrics of its own on X.")
        data = self.api("GET", f"tweets/{remote_id}", credentials, params={"tweet.fields": "public_metrics"})["data"]
        m = data.get("public_metrics", {})
        values = {
            "impressions": int(m.get("impression_count", 0)),
            "likes": int(m.get("like_count", 0)),
            "comments": int(m.get("reply_count", 0)),
            "shares": int(m.get("retweet_count", 0)) + int(m.get("quote_count", 0)),
        }
        values["engagements"] = values["likes"] + values["comments"] + values["shares"]
        return Metrics(values=values, collected_at=now_utc())

    def channel_metrics(self, credentials: ChannelCredentials, *, day: datetime) -> Metrics:
        """X reports only current counters, whatever the day asked for."""
        data = self.api(
            "GET", f"users/{credentials.external_id}", credentials, params={"user.fields": "public_metrics"}
        )["data"]
        return Metrics(
            values={"followers": int(data.get("public_metrics", {}).get("followers_count", 0))}, collected_at=now_utc()
        )

    # --- inbox: direct messages, unlike ---
    def send_message(
        self,
        credentials: ChannelCredentials,
        *,
        recipient_id: str,
        text: str,
        conversation_id: str = "",
        private_reply_to: str = "",
    ) -> PublishResult:
        """A DM in an existing conversation (POST /2/dm_conversations/{id}/messages), else to the participant
        (POST /2/dm_conversations/with/{participant_id}/messages). X has no private reply to a tweet."""
        if private_reply_to:
            from social.networks.base import NotSupported  # local: keeps this addition apart from the imports above

            raise NotSupported("x has no private replies to posts; answer the person by DM.")
        path = (
            f"dm_conversations/{conversation_id}/messages"
            if conversation_id
            else f"dm_conversations/with/{recipient_id}/messages"
        )
        data = self.api("POST", path, credentials, json={"text": text}).get("data", {})
        return PublishResult(remote_id=str(data["dm_event_id"]), raw=data)

    def unlike(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self.api("DELETE", f"users/{credentials.external_id}/likes/{remote_id}", credentials)
