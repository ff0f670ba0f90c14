"""CSV bulk import of posts: a job with per-row results.

Columns (header row, names case- and punctuation-insensitive: `publishAt`, `publish_at`, `Publish at`):
`channel` (channel id, or its exact name or @username among the channels the importer sees; required), `text`,
`mediaUrls` (space- or `|`-separated http(s) URLs, downloaded through the SSRF guard), `publishAt` (ISO 8601; a local
time without offset is read in `timezone`, default the workspace's), `timezone`, `firstComment`, `tags`
(`|`- or `,`-separated names; missing tags are created when the importer may create tags).

Posts are created as drafts carrying their publish time and the `imported` flag (scheduling them goes through the
approval policy like any post). Every row is validated first; when any row has an error and `partial` is false,
nothing is created and the job is `failed` with the per-row errors. Creation runs in one transaction with the job
row locked, so a task delivered twice (or run again after a crash, which rolled everything back) creates the
posts once.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from contentplanner.errors import ImportFileInvalid
from contentplanner.models import PostImport, PostImportState, Tag
from contentplanner.services import posts as post_services
from contentplanner.services import tags as tag_services
from contentplanner.services.validation import resolve_publish_at
from core import audit
from core.auth import Principal
from core.errors import DomainError
from social import selectors as social_selectors
from social.services import media as media_services

MAX_ROWS = 1000
MAX_BYTES = 2 * 1024 * 1024
MAX_MEDIA_PER_ROW = 10
COLUMNS = {"channel", "text", "mediaurls", "publishat", "timezone", "firstcomment", "tags"}
ALIASES = {"mediaurl": "mediaurls", "media": "mediaurls", "channelid": "channel", "comment": "firstcomment"}
TAG_WRITE = "cp.tag.write"


def _column(name: str) -> str:
    key = re.sub(r"[^a-z]", "", name.lower())
    return ALIASES.get(key, key)


def parse_file(raw: bytes) -> list[dict[str, str]]:
    """The rows of an uploaded CSV as {column: value}; 400 IMPORT_FILE_INVALID for a file we cannot read."""
    if len(raw) > MAX_BYTES:
        raise ImportFileInvalid(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileInvalid("The file is not UTF-8 text.") from None
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header:
            raise ImportFileInvalid("The file is empty.")
        names = [_column(name) for name in header]
        if "channel" not in names:
            raise ImportFileInvalid("The header row has no `channel` column.", details={"columns": header})
        rows = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileInvalid(f"The file has more than {MAX_ROWS} rows.")
            rows.append(
                {name: value.strip() for name, value in zip(names, values, strict=False) if name in COLUMNS}
                | {"_line": str(reader.line_num)}
            )
    except csv.Error as exc:
        raise ImportFileInvalid(f"Not a valid CSV file: {exc}.") from None
    if not rows:
        raise ImportFileInvalid("The file has a header but no rows.")
    return rows


def create_import(*, actor: Principal, file_name: str, raw: bytes, partial: bool) -> PostImport:
    """Check the file is readable CSV and queue the import job."""
    rows = parse_file(raw)
    with transaction.atomic():
        job = PostImport.objects.create(
            created_by=actor.user,
            file_name=file_name[:255],
            content=raw.decode("utf-8-sig"),
            partial=partial,
            total_rows=len(rows),
        )
        audit.record("cp.post_import.create", job, actor=actor, changes={"rows": len(rows), "partial": partial})
    from contentplanner.tasks import run_post_import  # the service -> task edge of imports

    transaction.on_commit(lambda: run_post_import.delay(import_id=str(job.pk), tenant_id=str(job.tenant_id)))
    return job


@dataclass
class Row:
    line: int
    errors: dict[str, list[str]] = field(default_factory=dict)
    content: dict = field(default_factory=dict)
    channel: object = None
    media_urls: list[str] = field(default_factory=list)
    new_tags: list[str] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)


def _validate(values: dict[str, str], actor: Principal, channels: dict, tags: dict) -> Row:
    row = Row(line=int(values["_line"]))
    ref = values.get("channel", "")
    row.channel = channels.get(ref) or channels.get(ref.lower().lstrip("@"))
    if not ref:
        row.error("channel", "Required.")
    elif row.channel is None:
        row.error("channel", f"No channel {ref!r} that you can post to.")
    row.content = {"text": values.get("text", ""), "first_comment": values.get("firstcomment", "")}
    if values.get("publishat"):
        try:
            publish_at, zone = resolve_publish_at(values["publishat"], values.get("timezone") or None)
            row.content.update(publish_at=publish_at, publish_timezone=zone)
        except DomainError as exc:
            for messages in (exc.details or {}).values():
                for message in messages if isinstance(messages, list) else [messages]:
                    row.error("publishAt", str(message))
            if not exc.details:
                row.error("publishAt", exc.message)
    urls = [url for url in re.split(r"[\s|]+", values.get("mediaurls", "")) if url]
    if len(urls) > MAX_MEDIA_PER_ROW:
        row.error("mediaUrls", f"At most {MAX_MEDIA_PER_ROW} media per post.")
    for url in urls:
        if not re.match(r"^https?://[^\s/]+", url):
            row.error("mediaUrls", f"{url!r} is not an http(s) URL.")
    row.media_urls = urls
    wanted = [name.strip() for name in re.split(r"[|,]", values.get("tags", "")) if name.strip()]
    row.content["tags"] = [tags[name.lower()] for name in wanted if name.lower() in tags]
    row.new_tags = list(dict.fromkeys(name for name in wanted if name.lower() not in tags))
    if row.new_tags and not actor.has(TAG_WRITE):
        row.error("tags", f"Unknown tags (you may not create tags): {', '.join(row.new_tags)}.")
    return row


def _channel_index(actor: Principal) -> dict:
    index = {}
    for channel in social_selectors.channels_visible_to(actor):
        index[str(channel.pk)] = channel
        index.setdefault(channel.name.lower(), channel)
        if channel.username:
            index.setdefault(channel.username.lower().lstrip("@"), channel)
    return index


def run_import(job: PostImport, *, actor: Principal) -> PostImport:
    """Validate every row, then create the posts (or nothing), recording each row's result on the job."""
    with transaction.atomic():
        job = PostImport.objects.select_for_update().get(pk=job.pk)
        if job.state in (PostImportState.SUCCEEDED, PostImportState.FAILED):
            return job  # a redelivered task: the first run decided
        rows = [_validate(v, actor, _channel_index(actor), _tag_index()) for v in parse_file(job.content.encode())]
        invalid = [row for row in rows if row.errors]
        if invalid and not job.partial:
            return _finish(job, rows, created={}, state=PostImportState.FAILED, actor=actor)
        created: dict = {}
        current = None
        try:
            with transaction.atomic():  # non-partial: one failing row rolls back every post of the file
                for current in (row for row in rows if not row.errors):
                    if not job.partial:
                        created[current.line] = _create(current, actor)
                        continue
                    try:
                        with transaction.atomic():  # partial: a row that fails while creating is that row's error
                            created[current.line] = _create(current, actor)
                    except DomainError as exc:
                        current.error("row", exc.message)
        except DomainError as exc:
            current.error("row", exc.message)
            return _finish(job, rows, created={}, state=PostImportState.FAILED, actor=actor)
        return _finish(job, rows, created=created, state=PostImportState.SUCCEEDED, actor=actor)


def _tag_index() -> dict[str, Tag]:
    return {tag.name.lower(): tag for tag in Tag.objects.all()}


def _create(row: Row, actor: Principal):
    content = dict(row.content)
    for name in row.new_tags:
        existing = Tag.objects.filter(name__iexact=name).first()
        content["tags"] = [*content["tags"], existing or tag_services.create_tag(actor=actor, name=name)]
    if row.media_urls:
        content["media"] = [(media_services.import_media_from_url(url, actor=actor), "") for url in row.media_urls]
    post = post_services.create_post(actor=actor, channel=row.channel, content=content, audit_action="cp.post.import")
    post.imported = True
    post.save(update_fields=["imported", "updated_at"])
    return post


def _finish(job: PostImport, rows: list[Row], *, created: dict, state: str, actor: Principal) -> PostImport:
    results = []
    for row in rows:
        post = created.get(row.line)
        # In a failed job a row without errors is `valid`: it would have been created.
        status = "created" if post else ("invalid" if row.errors else "valid")
        results.append(
            {"row": row.line, "status": status, "errors": row.errors, "post_id": str(post.pk) if post else None}
        )
    job.rows = results
    job.state = state
    job.created_count = len(created)
    job.error_count = sum(1 for row in rows if row.errors)
    job.finished_at = timezone.now()
    if state == PostImportState.FAILED:
        job.error_message = (
            f"{job.error_count} row(s) have errors: nothing was created (set partial=true to import the valid rows)."
        )
    job.save()
    audit.record(
        "cp.post_import.finish",
        job,
        actor=actor,
        changes={"state": state, "created": job.created_count, "errors": job.error_count},
    )
    return job


def fail_import(job_id: uuid.UUID | str, message: str) -> None:
    """The job cannot run (its creator left the workspace): failed, nothing created."""
    PostImport.objects.filter(pk=job_id, state=PostImportState.PENDING).update(
        state=PostImportState.FAILED, error_message=message, finished_at=timezone.now()
    )
