"""The sandbox network: the whole adapter interface, fully offline, for the demo and end-to-end tests.

Its "network" state lives in global tables (`SandboxPublication`, `SandboxFailureCounter`), so every web and worker
process sees the same posts. It behaves like a real network where it matters to callers:

- content is validated against `rules` with `social.networks.rules.validate` (the planner's validator) and
  refused with `InvalidContent`;
- an empty access token is refused with `AuthExpired`;
- comments appear on published posts over time and metrics grow with a post's age (deterministic, no randomness);
- failures are injected per channel with `channel.config["sandbox"]` (arrives here as `credentials.extra`):
  `{"failWith": "AUTH_EXPIRED|PERMISSION_MISSING|RATE_LIMITED|INVALID_CONTENT|NETWORK_DOWN|
  UNKNOWN_OUTCOME_AFTER_ACCEPT", "times": N, "retryAfter": S, "operations": [...]}`. `times` omitted = every call
  fails; otherwise the first N calls fail, counted in the database across processes. `operations` defaults to
  the writes (publish, publish_comment, reply, delete, refresh); `"*"` means every call.
  `UNKNOWN_OUTCOME_AFTER_ACCEPT` performs the write, then raises `UnknownOutcome` (a timeout after the network
  accepted the request); `find_published` then finds it.

The sandbox writes through the caller's database connection: like with a real network, call it outside a
transaction you may roll back (a rollback would also "un-publish" on the sandbox).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from social.models import SandboxFailureCounter, SandboxPublication
from social.networks.base import (
    AuthExpired,
    AuthorizeRequest,
    ChannelCredentials,
    ConnectedAccount,
    ContentRules,
    FetchPage,
    InvalidContent,
    LookupResult,
    Metrics,
    NetworkError,
    NotFound,
    PermissionMissing,
    PublishRequest,
    PublishResult,
    RateLimited,
    RemoteItem,
    TemporaryNetworkError,
    TokenSet,
    UnknownOutcome,
)
from social.networks.rules import validate

TOKEN_LIFETIME = timedelta(days=60)
COMMENT_INTERVAL = timedelta(minutes=10)  # a new comment on a sandbox post every 10 minutes...
MAX_COMMENTS_PER_POST = 5  # ...up to this many
PAGE_SIZE = 50
DEFAULT_FAILING_OPERATIONS = frozenset({"publish", "publish_comment", "reply", "delete", "refresh"})
# A code that the sandbox's token endpoint refuses (tests of the refusal path).
INVALID_CODE = "invalid"

FAILURES: dict[str, type[NetworkError]] = {
    "AUTH_EXPIRED": AuthExpired,
    "PERMISSION_MISSING": PermissionMissing,
    "RATE_LIMITED": RateLimited,
    "INVALID_CONTENT": InvalidContent,
    "NETWORK_DOWN": TemporaryNetworkError,
}
UNKNOWN_OUTCOME_AFTER_ACCEPT = "UNKNOWN_OUTCOME_AFTER_ACCEPT"


# Stored sandbox rows that fetch_items returns, per kind: inbound items (`inject_inbound`) and our own answers.
STORED_KINDS = {
    "comment": ("in:comment", "reply"),
    "message": ("in:message", "dm"),
    "mention": ("in:mention",),
}


def inject_inbound(
    channel_external_id: str, *, kind: str, text: str, author_id: str, author_name: str = "", parent_remote_id: str = ""
) -> str:
    """Make someone write to a sandbox channel (inbox bursts, demos, tests): a comment (on `parent_remote_id`, a
    post or comment id), a message (in the conversation `parent_remote_id`, default one per author) or a mention.
    Returns the item's remote id; the next `fetch_items` of that kind returns it."""
    if kind not in STORED_KINDS:
        raise ValueError(f"kind must be one of {', '.join(STORED_KINDS)}")
    if kind == "message" and not parent_remote_id:
        parent_remote_id = f"sbxconv_{author_id}"[:64]
    is_reply = kind == "comment" and ("-c" in parent_remote_id or parent_remote_id.startswith("sbxin_"))
    return SandboxPublication.objects.create(
        remote_id=f"sbxin_{secrets.token_hex(8)}",
        channel_external_id=channel_external_id,
        correlation_id=f"inbound:{secrets.token_hex(12)}",
        kind=f"in:{kind}",
        parent_remote_id=parent_remote_id,
        text=text,
        payload={"authorId": author_id, "authorName": author_name, "type": "reply" if is_reply else ""},
    ).remote_id


def validate_content(rules: ContentRules, request: PublishRequest) -> dict[str, list[str]]:
    """Field -> messages for everything in `request` that `rules` refuse (empty when the post is fine)."""
    # The adapters' one validator: the sandbox refuses exactly what the planner's pre-check refuses.
    errors: dict[str, list[str]] = {}
    for issue in validate(rules, request):
        errors.setdefault(issue.field, []).append(issue.message)
    return errors


def _digest(value: str, length: int = 10) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:length]


def _new_token(kind: str) -> str:
    return f"sbx-{kind}-{secrets.token_urlsafe(24)}"


class SandboxAdapter:
    network: ClassVar[str] = "sandbox"
    uses_pkce: ClassVar[bool] = True
    rules: ClassVar[ContentRules] = ContentRules(
        max_text_length=10_000,
        max_images=20,
        max_videos=4,
        allows_mixed_media=True,
        max_video_seconds=3600,
        supports_first_comment=True,
        allowed_post_types=("post", "story", "reel", "article"),
    )
    lookups: ClassVar[frozenset[str]] = frozenset({"boards", "board-sections", "mentions"})
    BOARDS: ClassVar[tuple[str, ...]] = ("Inspiration", "Products", "Behind the scenes")
    SECTIONS: ClassVar[tuple[str, ...]] = ("Ideas", "Published")

    # --- failure injection --------------------------------------------------------------------------------------
    def _injected_failure(self, credentials: ChannelCredentials, operation: str) -> str:
        """The failure to inject for this call ("" for none); counts it against `times` atomically."""
        spec = (credentials.extra or {}).get("sandbox") or {}
        fail_with = str(spec.get("failWith") or "")
        if not fail_with:
            return ""
        operations = set(spec.get("operations") or DEFAULT_FAILING_OPERATIONS)
        if "*" not in operations and operation not in operations:
            return ""
        times = spec.get("times")
        if times is None:
            return fail_with
        with transaction.atomic():
            SandboxFailureCounter.objects.get_or_create(
                channel_external_id=credentials.external_id, fail_with=fail_with
            )
            # One conditional UPDATE: two processes can never both take the last remaining failure.
            taken = SandboxFailureCounter.objects.filter(
                channel_external_id=credentials.external_id, fail_with=fail_with, count__lt=int(times)
            ).update(count=F("count") + 1, updated_at=timezone.now())
        return fail_with if taken else ""

    def _raise_for(self, fail_with: str, credentials: ChannelCredentials) -> None:
        if fail_with == UNKNOWN_OUTCOME_AFTER_ACCEPT:
            raise UnknownOutcome("sandbox: the connection dropped after the request was accepted")
        error_class = FAILURES.get(fail_with, TemporaryNetworkError)
        spec = (credentials.extra or {}).get("sandbox") or {}
        message = f"sandbox: injected {fail_with}"
        if error_class is RateLimited:
            raise RateLimited(message, retry_after=int(spec.get("retryAfter") or 60), status_code=429)
        if error_class is InvalidContent:
            raise InvalidContent(message, details={"text": ["Refused by the sandbox (injected)."]}, status_code=400)
        status = {AuthExpired: 401, PermissionMissing: 403, TemporaryNetworkError: 503}[error_class]
        raise error_class(message, status_code=status)

    def _begin(self, credentials: ChannelCredentials, operation: str) -> str:
        """Common checks of every credentialed call: a token is present, injected failures. Returns the failure
        to raise after the write (UNKNOWN_OUTCOME_AFTER_ACCEPT), else ""."""
        if not credentials.access_token:
            raise AuthExpired("sandbox: no access token", status_code=401)
        fail_with = self._injected_failure(credentials, operation)
        if fail_with and fail_with != UNKNOWN_OUTCOME_AFTER_ACCEPT:
            self._raise_for(fail_with, credentials)
        return fail_with

    # --- composer pickers (fixed answers, so the composer can be tried offline) --------------------------------------
    def lookup_boards(
        self, credentials: ChannelCredentials, *, query: str = "", parent: str = ""
    ) -> list[LookupResult]:
        self._begin(credentials, "lookup")
        return [
            LookupResult(id=f"board-{_digest(name)}", name=name)
            for name in self.BOARDS
            if query.casefold() in name.casefold()
        ]

    def lookup_board_sections(
        self, credentials: ChannelCredentials, *, query: str = "", parent: str = ""
    ) -> list[LookupResult]:
        self._begin(credentials, "lookup")
        if parent not in {f"board-{_digest(name)}" for name in self.BOARDS}:
            raise NotFound(f"sandbox: no board {parent!r}", status_code=404)
        return [LookupResult(id=f"{parent}-{_digest(name)}", name=name) for name in self.SECTIONS]

    def lookup_mentions(
        self, credentials: ChannelCredentials, *, query: str = "", parent: str = ""
    ) -> list[LookupResult]:
        """Anyone is mentionable on the sandbox: the handle asked for, as an account."""
        self._begin(credentials, "lookup")
        handle = query.strip().lstrip("@")
        if not handle:
            return []
        return [LookupResult(id=f"sandbox-user-{_digest(handle)}", name=handle, extra={"username": handle})]

    # --- OAuth and tokens ---------------------------------------------------------------------------------------
    def authorize_url(self, request: AuthorizeRequest) -> str:
        base = settings.SANDBOX_AUTHORIZE_URL
        params = {
            "client_id": "hubbub",
            "response_type": "code",
            "redirect_uri": request.redirect_uri,
            "state": request.state,
            "scope": "publish read_comments read_insights",
        }
        if request.code_challenge:
            params.update(code_challenge=request.code_challenge, code_challenge_method="S256")
        return f"{base}?{urlencode(params)}"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> list[ConnectedAccount]:
        """Deterministic accounts per code: a page and a profile whose ids derive from the code, so the same code
        reconnects the same channels. The code `invalid` and a missing PKCE verifier are refused."""
        if code == INVALID_CODE:
            raise AuthExpired("sandbox: invalid_grant", status_code=400)
        if self.uses_pkce and not code_verifier:
            raise PermissionMissing("sandbox: code_verifier required (PKCE)", status_code=400)
        key = _digest(code)
        user_tokens = TokenSet(
            access_token=_new_token("at"),
            refresh_token=_new_token("rt"),
            expires_at=timezone.now() + TOKEN_LIFETIME,
            scopes=("publish", "read_comments", "read_insights"),
            token_owner_id=f"sbx-user-{key}",
        )
        return [
            ConnectedAccount(
                network=self.network,
                external_id=f"sbx-{key}-page",
                name="Sandbox Page",
                username=f"sandbox_page_{key[:6]}",
                network_url=f"https://sandbox.hubbub.invalid/pages/{key}",
                tokens=user_tokens,
            ),
            ConnectedAccount(
                network=self.network,
                external_id=f"sbx-{key}-profile",
                name="Sandbox Profile",
                username=f"sandbox_profile_{key[:6]}",
                network_url=f"https://sandbox.hubbub.invalid/profiles/{key}",
                tokens=user_tokens,
            ),
        ]

    def direct_tokens(self, external_id: str) -> TokenSet:
        """Tokens for a sandbox channel created directly (POST /channels, no OAuth round trip): the sandbox trusts
        its own channels, so a new user's first channel publishes at once."""
        return TokenSet(
            access_token=_new_token("at"),
            refresh_token=_new_token("rt"),
            expires_at=timezone.now() + TOKEN_LIFETIME,
            scopes=("publish", "read_comments", "read_insights"),
            token_owner_id=f"sbx-user-{_digest(external_id)}",
        )

    def refresh(self, credentials: ChannelCredentials) -> TokenSet:
        """A new access token; like Facebook, no new refresh token (the caller keeps the old one)."""
        if not credentials.refresh_token and not credentials.access_token:
            raise AuthExpired("sandbox: nothing to refresh", status_code=401)
        fail_with = self._injected_failure(credentials, "refresh")
        if fail_with:
            self._raise_for(fail_with, credentials)
        return TokenSet(access_token=_new_token("at"), expires_at=timezone.now() + TOKEN_LIFETIME)

    def revoke(self, credentials: ChannelCredentials) -> None:
        fail_with = self._injected_failure(credentials, "revoke")
        if fail_with:
            self._raise_for(fail_with, credentials)

    # --- publishing ---------------------------------------------------------------------------------------------
    def _store(
        self, credentials: ChannelCredentials, *, correlation_id: str, kind: str, text: str, parent: str, payload: dict
    ) -> SandboxPublication:
        try:
            with transaction.atomic():
                return SandboxPublication.objects.create(
                    remote_id=f"sbx_{secrets.token_hex(8)}",
                    channel_external_id=credentials.external_id,
                    correlation_id=correlation_id,
                    kind=kind,
                    parent_remote_id=parent,
                    text=text,
                    payload=payload,
                )
        except IntegrityError:
            # The same attempt submitted twice: a real network would now show the post twice. Count it, so tests
            # and benchmarks can assert "published exactly once", and answer with the first post.
            SandboxPublication.objects.filter(correlation_id=correlation_id).update(submit_count=F("submit_count") + 1)
            return SandboxPublication.objects.get(correlation_id=correlation_id)

    def _result(self, publication: SandboxPublication) -> PublishResult:
        return PublishResult(
            remote_id=publication.remote_id,
            url=f"https://sandbox.hubbub.invalid/{publication.channel_external_id}/{publication.remote_id}",
            request_id=f"req-{publication.pk}",
            raw={"id": publication.remote_id, "correlationId": publication.correlation_id},
        )

    def publish(self, credentials: ChannelCredentials, request: PublishRequest) -> PublishResult:
        fail_after = self._begin(credentials, "publish")
        errors = validate_content(self.rules, request)
        if errors:
            raise InvalidContent("sandbox: content refused", details=errors, status_code=400)
        publication = self._store(
            credentials,
            correlation_id=request.correlation_id,
            kind="post",
            text=request.text,
            parent="",
            payload={
                "title": request.title,
                "postType": request.post_type,
                "link": request.link,
                "media": [{"url": m.url, "kind": m.kind, "mimeType": m.mime_type} for m in request.media],
                "options": request.options,
            },
        )
        if request.first_comment:
            self._store(
                credentials,
                correlation_id=f"{request.correlation_id}:first-comment",
                kind="comment",
                text=request.first_comment,
                parent=publication.remote_id,
                payload={"firstComment": True},
            )
        if fail_after:
            self._raise_for(fail_after, credentials)
        return self._result(publication)

    def _own_item(self, credentials: ChannelCredentials, remote_id: str) -> SandboxPublication:
        publication = SandboxPublication.objects.filter(
            remote_id=remote_id.split("-c")[0], channel_external_id=credentials.external_id, deleted_at__isnull=True
        ).first()
        if publication is None:
            raise NotFound(f"sandbox: no item {remote_id}", status_code=404)
        return publication

    def publish_comment(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        fail_after = self._begin(credentials, "publish_comment")
        parent = self._own_item(credentials, remote_id)
        publication = self._store(
            credentials,
            correlation_id=f"comment:{secrets.token_hex(8)}",
            kind="comment",
            text=text,
            parent=parent.remote_id,
            payload={},
        )
        if fail_after:
            self._raise_for(fail_after, credentials)
        return self._result(publication)

    def delete(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self._begin(credentials, "delete")
        publication = self._own_item(credentials, remote_id)
        SandboxPublication.objects.filter(pk=publication.pk).update(deleted_at=timezone.now())

    def find_published(
        self, credentials: ChannelCredentials, *, correlation_id: str, since: datetime, text: str = "", title: str = ""
    ) -> PublishResult | None:
        """The sandbox keeps our correlation id, so it matches exactly; text and title are not needed."""
        self._begin(credentials, "find_published")
        publication = SandboxPublication.objects.filter(
            correlation_id=correlation_id,
            channel_external_id=credentials.external_id,
            created_at__gte=since,
            deleted_at__isnull=True,
        ).first()
        return self._result(publication) if publication is not None else None

    # --- listening ----------------------------------------------------------------------------------------------
    def _generated_comments(self, publication: SandboxPublication, now: datetime) -> list[RemoteItem]:
        items = []
        for index in range(MAX_COMMENTS_PER_POST):
            created_at = publication.created_at + COMMENT_INTERVAL * (index + 1)
            if created_at > now:
                break
            author = _digest(f"{publication.remote_id}:{index}", 6)
            items.append(
                RemoteItem(
                    remote_id=f"{publication.remote_id}-c{index + 1}",
                    kind="comment",
                    text=f"Sandbox comment {index + 1} on “{publication.text[:40]}”",
                    author_id=f"sbx-fan-{author}",
                    author_name=f"Sandbox Fan {author}",
                    created_at=created_at,
                    parent_remote_id=publication.remote_id,
                )
            )
        return items

    def fetch_items(self, credentials: ChannelCredentials, *, kind: str, cursor: str = "") -> FetchPage:
        """Comments on the channel's sandbox posts (one every 10 minutes of a post's age, up to 5), oldest first.
        `cursor` is the position after the last item of the previous page; `next_cursor` is set while more remain.
        Items injected with `inject_inbound` (comments, replies, messages, mentions) and our own replies and
        messages come back too, each under its kind."""
        self._begin(credentials, "fetch_items")
        now = timezone.now()
        generated: list[RemoteItem] = []
        if kind == "comment":
            posts = SandboxPublication.objects.filter(
                channel_external_id=credentials.external_id, kind="post", deleted_at__isnull=True
            ).order_by("created_at", "id")
            generated = [item for post in posts for item in self._generated_comments(post, now)]
        items = sorted(
            [*generated, *self._stored_items(credentials, kind)],
            key=lambda item: (item.created_at, item.remote_id),
        )
        start = int(cursor) if cursor.isdigit() else 0
        page = items[start : start + PAGE_SIZE]
        more = start + PAGE_SIZE < len(items)
        return FetchPage(items=tuple(page), next_cursor=str(start + PAGE_SIZE) if more else "")

    def reply(self, credentials: ChannelCredentials, *, remote_id: str, text: str) -> PublishResult:
        fail_after = self._begin(credentials, "reply")
        parent = self._own_item(credentials, remote_id)
        publication = self._store(
            credentials,
            correlation_id=f"reply:{secrets.token_hex(8)}",
            kind="reply",
            text=text,
            parent=remote_id,
            payload={"post": parent.remote_id},
        )
        if fail_after:
            self._raise_for(fail_after, credentials)
        return self._result(publication)

    def like(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self._begin(credentials, "like")
        self._own_item(credentials, remote_id)

    def hide(self, credentials: ChannelCredentials, *, remote_id: str, hidden: bool = True) -> None:
        self._begin(credentials, "hide")
        self._own_item(credentials, remote_id)

    # --- listening: stored items, messages, unlike, blocking (inbox) ----------------------------------------------
    def _stored_items(self, credentials: ChannelCredentials, kind: str) -> list[RemoteItem]:
        kinds = STORED_KINDS[kind]
        rows = SandboxPublication.objects.filter(
            channel_external_id=credentials.external_id, kind__in=kinds, deleted_at__isnull=True
        ).order_by("created_at", "id")
        items = []
        for row in rows:
            payload = row.payload or {}
            items.append(
                RemoteItem(
                    remote_id=row.remote_id,
                    kind=kind,
                    text=row.text,
                    author_id=str(payload.get("authorId") or credentials.external_id),
                    author_name=str(payload.get("authorName") or ""),
                    created_at=row.created_at,
                    parent_remote_id=row.parent_remote_id,
                    raw={"type": payload.get("type") or ("reply" if row.kind == "reply" else "")},
                )
            )
        return items

    def send_message(
        self,
        credentials: ChannelCredentials,
        *,
        recipient_id: str,
        text: str,
        conversation_id: str = "",
        private_reply_to: str = "",
    ) -> PublishResult:
        """A direct message to `recipient_id` in `conversation_id` (or a private reply to a comment)."""
        fail_after = self._begin(credentials, "reply")
        if private_reply_to:
            self._own_item(credentials, private_reply_to)
        publication = self._store(
            credentials,
            correlation_id=f"dm:{secrets.token_hex(8)}",
            kind="dm",
            text=text,
            parent=conversation_id or f"sbxconv_{recipient_id}"[:64],
            payload={"recipientId": recipient_id, "privateReplyTo": private_reply_to},
        )
        if fail_after:
            self._raise_for(fail_after, credentials)
        return self._result(publication)

    def unlike(self, credentials: ChannelCredentials, *, remote_id: str) -> None:
        self._begin(credentials, "like")
        self._own_item(credentials, remote_id)

    def block_user(self, credentials: ChannelCredentials, *, user_id: str) -> None:
        self._begin(credentials, "block")

    def unblock_user(self, credentials: ChannelCredentials, *, user_id: str) -> None:
        self._begin(credentials, "block")

    # --- analytics ----------------------------------------------------------------------------------------------
    def post_metrics(self, credentials: ChannelCredentials, *, remote_id: str) -> Metrics:
        """Metrics that grow with the post's age (7 impressions a minute, capped), derived deterministically."""
        self._begin(credentials, "metrics")
        publication = self._own_item(credentials, remote_id)
        now = timezone.now()
        minutes = max(0, int((now - publication.created_at).total_seconds() // 60))
        impressions = min(minutes * 7, 1_000_000)
        likes, shares, clicks = impressions // 20, impressions // 100, impressions // 50
        comments = len(self._generated_comments(publication, now))
        return Metrics(
            values={
                "impressions": impressions,
                "reach": impressions * 6 // 10,
                "likes": likes,
                "comments": comments,
                "shares": shares,
                "clicks": clicks,
                "engagements": likes + comments + shares + clicks,
                "videoViews": impressions // 3 if publication.payload.get("media") else 0,
            },
            collected_at=now,
        )

    def channel_metrics(self, credentials: ChannelCredentials, *, day: datetime) -> Metrics:
        """Followers grow by a fixed amount a day from a per-channel base; posts counted from the sandbox."""
        self._begin(credentials, "metrics")
        base = int(_digest(credentials.external_id, 4), 16) % 5000 + 100
        start = day.replace(hour=0, minute=0, second=0, microsecond=0)
        posts = SandboxPublication.objects.filter(
            channel_external_id=credentials.external_id,
            kind="post",
            created_at__gte=start,
            created_at__lt=start + timedelta(days=1),
        ).count()
        return Metrics(
            values={"followers": base + 3 * (day.toordinal() % 1000), "posts": posts},
            collected_at=timezone.now(),
        )
