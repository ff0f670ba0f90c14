"""Writes of the media library: upload, URL import, edit, replace the file, move folders, delete.

An upload is probed before anything is written (type sniffed from the bytes, size, hash, dimensions, thumbnail),
then, under a lock on the tenant row (so two uploads cannot both slip under the storage limit), the file is saved
to storage as media/<tenant_id>/<uuid>.<ext> and the row is created. If anything fails after the file was saved,
the file is deleted again: a refused or failed upload leaves nothing behind.

Files go through Django's default storage: local files (MEDIA_ROOT) unless STORAGE_BACKEND names another backend.
For S3-compatible object storage install django-storages[s3] (optional, not a pinned dependency) and set
STORAGE_BACKEND=storages.backends.s3.S3Storage plus its AWS_* settings; nothing here depends on local paths except
probing, which reads the uploaded temporary file before it is handed to storage.

Deleting media that a scheduled or publishing post uses is refused. The content planner tells us which media are
in use by registering a checker with `register_media_usage_checker` (this app cannot import the planner).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import ProtectedError, Q, Value
from django.db.models.functions import Concat, Now, Substr

from core import audit, tenancy, url_safety
from core.auth import Principal
from core.errors import NotFound, ValidationFailed
from social import media_probe, selectors
from social.errors import MediaInUse, PayloadTooLarge, StorageLimitReached, UnsupportedMediaType, UrlImportFailed
from social.models import Media, MediaTag
from tenants import selectors as tenant_selectors

MAX_TAGS = 30
MAX_TAG_LENGTH = 50
MAX_FOLDER_DEPTH = 10
URL_IMPORT_TIMEOUT_SECONDS = 60.0


# --- usage checkers --------------------------------------------------------------------------------------------------
MediaUsageChecker = Callable[[Media], Iterable[str]]
_usage_checkers: list[MediaUsageChecker] = []


def register_media_usage_checker(checker: MediaUsageChecker) -> MediaUsageChecker:
    """Register `checker(media) -> ids of posts that block deleting it` (every post using it). Idempotent.

    Called inside the delete transaction with the current tenant set. Usable as a decorator.
    """
    if checker not in _usage_checkers:
        _usage_checkers.append(checker)
    return checker


def blocking_post_ids(media: Media) -> list[str]:
    ids: list[str] = []
    for checker in _usage_checkers:
        ids.extend(str(post_id) for post_id in checker(media))
    return sorted(set(ids))


# --- input normalisation ---------------------------------------------------------------------------------------------
def normalize_folder(value: str | None) -> str:
    """'/Campaigns//2026/ ' -> 'Campaigns/2026'. Raises ValueError for '.'/'..' parts or too deep paths."""
    parts = [part.strip() for part in (value or "").replace("\\", "/").split("/")]
    parts = [part for part in parts if part]
    if any(part in {".", ".."} for part in parts):
        raise ValueError("Folder names cannot be '.' or '..'.")
    if len(parts) > MAX_FOLDER_DEPTH:
        raise ValueError(f"At most {MAX_FOLDER_DEPTH} folder levels.")
    if any(len(part) > 100 for part in parts):
        raise ValueError("Folder names have at most 100 characters.")
    return "/".join(parts)


def normalize_tags(values: Iterable[str]) -> list[str]:
    """Trimmed, de-duplicated (case-insensitively, first spelling wins), non-empty tags. Raises ValueError."""
    seen: dict[str, str] = {}
    for raw in values:
        tag = str(raw).strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(f"Tags have at most {MAX_TAG_LENGTH} characters.")
        seen.setdefault(tag.lower(), tag)
    if len(seen) > MAX_TAGS:
        raise ValueError(f"At most {MAX_TAGS} tags.")
    return list(seen.values())


def _checked(normalizer: Callable[[Any], Any], value: Any, field: str) -> Any:
    try:
        return normalizer(value)
    except ValueError as exc:
        raise ValidationFailed(details={field: [str(exc)]}) from exc


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_display_name(name: str) -> str:
    """The client's file name for display only: no path, no control characters, at most 255 characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    return _CONTROL.sub("", base).strip()[:255] or "file"


# --- writes ----------------------------------------------------------------------------------------------------------
def create_media_from_upload(
    upload: File,
    *,
    actor: Principal,
    alt_text: str = "",
    tags: Iterable[str] = (),
    folder: str = "",
    name: str | None = None,
    source_url: str = "",
) -> Media:
    """Store an uploaded file (Django `UploadedFile` or any `File`) in the current tenant's library.

    Raises PayloadTooLarge (413), UnsupportedMediaType (400), StorageLimitReached (403).
    """
    probe = _probe_upload(upload)
    display_name = clean_display_name(name or upload.name or "")
    folder = _checked(normalize_folder, folder, "folder")
    tags = _checked(normalize_tags, tags, "tags")
    return _store(
        upload,
        probe,
        name=display_name,
        original_name=clean_display_name(upload.name or display_name),
        alt_text=alt_text,
        tags=tags,
        folder=folder,
        actor=actor,
        source_url=source_url,
    )


def _probe_upload(upload: File) -> media_probe.Probe:
    if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(details={"maxBytes": settings.MAX_UPLOAD_BYTES, "sizeBytes": upload.size})
    try:
        probe = media_probe.probe(upload.file)
    except media_probe.UnsupportedFile as exc:
        raise UnsupportedMediaType(str(exc), details={"file": [str(exc)]}) from exc
    if probe.size_bytes > settings.MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(details={"maxBytes": settings.MAX_UPLOAD_BYTES, "sizeBytes": probe.size_bytes})
    return probe


def import_media_from_url(
    url: str,
    *,
    actor: Principal,
    alt_text: str = "",
    tags: Iterable[str] = (),
    folder: str = "",
    name: str | None = None,
) -> Media:
    """Download `url` through the SSRF guard (public hosts only, <= 3 redirects, size and time capped) and store it."""
    try:
        fetched = url_safety.fetch_to_tempfile(
            url, max_bytes=settings.MAX_UPLOAD_BYTES, timeout=URL_IMPORT_TIMEOUT_SECONDS
        )
    except url_safety.ResponseTooLarge as exc:
        raise PayloadTooLarge(str(exc), details={"maxBytes": settings.MAX_UPLOAD_BYTES}) from exc
    except url_safety.UrlFetchError as exc:
        raise UrlImportFailed(str(exc), details={"url": [str(exc)], "reason": exc.reason}) from exc
    with fetched.file as handle:
        url_name = os.path.basename(urlsplit(fetched.final_url).path) or "download"
        return create_media_from_upload(
            File(handle, name=url_name),
            alt_text=alt_text,
            tags=tags,
            folder=folder,
            name=name or url_name,
            actor=actor,
            source_url=url,
        )


def _store(upload: File, probe: media_probe.Probe, *, tags: list[str], actor: Principal, **fields) -> Media:
    tenant = tenancy.require_current_tenant()
    saved: list[str] = []
    try:
        with transaction.atomic():
            # One upload at a time per tenant past this point: the storage check and the insert must not interleave.
            tenant_selectors.lock_tenant(tenant)
            _check_storage_limit(tenant, probe.size_bytes)
            media = Media(
                kind=probe.kind,
                mime_type=probe.mime_type,
                size_bytes=probe.size_bytes,
                width=probe.width,
                height=probe.height,
                duration_seconds=probe.duration_seconds,
                sha256=probe.sha256,
                uploaded_by=actor.user,
                **fields,
            )
            media.tenant = tenant
            upload.seek(0)
            media.file.save(f"upload.{probe.extension}", upload, save=False)
            saved.append(media.file.name)
            if probe.thumbnail:
                media.thumbnail.save(f"thumb.{probe.thumbnail_extension}", ContentFile(probe.thumbnail), save=False)
                saved.append(media.thumbnail.name)
            media.save()
            MediaTag.objects.bulk_create([MediaTag(tenant=tenant, media=media, name=tag) for tag in tags])
            audit.record(
                "media.created",
                media,
                changes={"name": media.name, "kind": media.kind, "sizeBytes": media.size_bytes, "sha256": media.sha256},
                actor=actor,
            )
    except BaseException:
        _delete_files(saved)
        raise
    return media


def _check_storage_limit(tenant, incoming_bytes: int) -> None:
    limit = tenant.limits.get("storageBytes")
    if limit is None:
        return
    used = selectors.storage_used_bytes()
    if used + incoming_bytes > limit:
        raise StorageLimitReached(details={"limitBytes": limit, "usedBytes": used, "fileBytes": incoming_bytes})


def _delete_files(names: Iterable[str]) -> None:
    for file_name in names:
        if file_name:
            default_storage.delete(file_name)


@transaction.atomic
def update_media(
    media: Media,
    *,
    actor: Principal,
    name: str | None = None,
    alt_text: str | None = None,
    tags: Iterable[str] | None = None,
    folder: str | None = None,
) -> Media:
    """Change display name, alt text, folder and/or tags (None = leave as is); the file itself never changes."""
    folder = None if folder is None else _checked(normalize_folder, folder, "folder")
    wanted = None if tags is None else _checked(normalize_tags, tags, "tags")
    before = {"name": media.name, "altText": media.alt_text, "folder": media.folder, "tags": media.tag_names}
    changed_fields = []
    for field, value in (("name", name), ("alt_text", alt_text), ("folder", folder)):
        if value is not None and getattr(media, field) != value:
            setattr(media, field, clean_display_name(value) if field == "name" else value)
            changed_fields.append(field)
    if changed_fields:
        media.save(update_fields=[*changed_fields, "updated_at"])
    if wanted is not None:
        media.tags.exclude(name__in=wanted).delete()
        existing = set(media.tags.values_list("name", flat=True))
        MediaTag.objects.bulk_create(
            [MediaTag(tenant_id=media.tenant_id, media=media, name=tag) for tag in wanted if tag not in existing]
        )
    media = selectors.media_items().get(pk=media.pk)
    after = {"name": media.name, "altText": media.alt_text, "folder": media.folder, "tags": media.tag_names}
    changes = audit.diff(before, after)
    if changes:
        audit.record("media.updated", media, changes=changes, actor=actor)
    return media


def replace_media_file(media: Media, upload: File, *, actor: Principal) -> Media:
    """Put a new file behind a library entry: same id, name, tags and folder, so the posts that use it (scheduled
    ones included) publish the new file. The new file must be of the same kind (an image for an image): posts were
    checked against that kind. The old files are deleted once the transaction commits."""
    probe = _probe_upload(upload)
    if probe.kind != media.kind:
        raise ValidationFailed(details={"file": [f"Replace a {media.kind} with a {media.kind}, not a {probe.kind}."]})
    tenant = tenancy.require_current_tenant()
    saved: list[str] = []
    try:
        with transaction.atomic():
            tenant_selectors.lock_tenant(tenant)
            locked = Media.objects.select_for_update().get(pk=media.pk)
            _check_storage_limit(tenant, probe.size_bytes - locked.size_bytes)
            old_files = [locked.file.name, locked.thumbnail.name]
            before = {"sha256": locked.sha256, "sizeBytes": locked.size_bytes, "mimeType": locked.mime_type}
            upload.seek(0)
            locked.file.save(f"upload.{probe.extension}", upload, save=False)
            saved.append(locked.file.name)
            if probe.thumbnail:
                locked.thumbnail.save(f"thumb.{probe.thumbnail_extension}", ContentFile(probe.thumbnail), save=False)
                saved.append(locked.thumbnail.name)
            else:
                locked.thumbnail = ""
            for field in ("mime_type", "size_bytes", "width", "height", "duration_seconds", "sha256"):
                setattr(locked, field, getattr(probe, field))
            locked.original_name = clean_display_name(upload.name or locked.original_name)
            locked.save()
            after = {"sha256": locked.sha256, "sizeBytes": locked.size_bytes, "mimeType": locked.mime_type}
            audit.record("media.replaced", locked, changes=audit.diff(before, after), actor=actor)
            transaction.on_commit(lambda: _delete_files(old_files))
    except BaseException:
        _delete_files(saved)
        raise
    return selectors.media_items().get(pk=media.pk)


@transaction.atomic
def move_folder(source: str, target: str, *, actor: Principal) -> int:
    """Move (or rename) the folder `source` with its subfolders to `target` ('' = the root). Folders exist through
    the media in them: an empty or unknown `source` is a 404. Returns how many media moved."""
    source = _checked(normalize_folder, source, "from")
    target = _checked(normalize_folder, target, "to")
    if not source:
        raise ValidationFailed(details={"from": ["The root folder cannot be moved."]})
    if target == source or target.startswith(f"{source}/"):
        raise ValidationFailed(details={"to": ["A folder cannot be moved into itself."]})
    inside = Media.objects.filter(Q(folder=source) | Q(folder__startswith=f"{source}/"))
    moved_paths = {f"{target}/{path[len(source) + 1 :]}".strip("/") for path in inside.values_list("folder", flat=True)}
    if not moved_paths:
        raise NotFound(f"No media in folder {source!r}.")
    for path in moved_paths:
        _checked(normalize_folder, path, "to")  # depth and name limits hold after the move too
    rest = Substr("folder", len(source) + 2)
    moved = inside.filter(folder=source).update(folder=target, updated_at=Now())
    moved += inside.exclude(folder=source).update(
        folder=Concat(Value(f"{target}/"), rest) if target else rest, updated_at=Now()
    )
    audit.record(
        "media.folder_moved",
        object_type="social.media",
        changes={"from": source, "to": target, "media": moved},
        actor=actor,
    )
    return moved


def delete_media(media: Media, *, actor: Principal) -> None:
    """Delete the row now and the files once the transaction commits; refused while a planned post uses it."""
    with transaction.atomic():
        locked = Media.objects.select_for_update().get(pk=media.pk)
        blocking = blocking_post_ids(locked)
        if blocking:
            raise MediaInUse(details={"postIds": blocking})
        files = [locked.file.name, locked.thumbnail.name]
        audit.record("media.deleted", locked, changes={"name": locked.name, "sha256": locked.sha256}, actor=actor)
        try:
            with transaction.atomic():
                locked.delete()
        except ProtectedError as exc:  # a reference no checker knows of: still a 409, never a 500
            raise MediaInUse(
                details={"postIds": sorted({str(getattr(o, "post_id", o.pk)) for o in exc.protected_objects})}
            ) from exc
        transaction.on_commit(lambda: _delete_files(files))
