"""What a file really is: type sniffed from its bytes, dimensions, duration, hash and a thumbnail.

Reads the file in chunks and by seeking (never the whole file into memory): Pillow reads image headers lazily,
`filetype` needs the first 8 KiB, the MP4/QuickTime box walk seeks from box header to box header, and the SHA-256
is computed chunk by chunk. The client's content type and file name are never trusted.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from typing import IO

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

from social.models.media import MediaKind

THUMBNAIL_SIZE = 320
CHUNK_SIZE = 256 * 1024

# Pillow format -> (mime type, extension). Only formats every network accepts or converts.
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),  # JPEG with extra frames, as phone cameras write it
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
# filetype mime -> (kind, extension)
CONTAINER_TYPES = {
    "video/mp4": (MediaKind.VIDEO, "mp4"),
    "video/x-m4v": (MediaKind.VIDEO, "m4v"),
    "video/quicktime": (MediaKind.VIDEO, "mov"),
    "video/webm": (MediaKind.VIDEO, "webm"),
    "application/pdf": (MediaKind.OTHER, "pdf"),
}
ISO_BMFF_TYPES = {"video/mp4", "video/x-m4v", "video/quicktime"}


class UnsupportedFile(ValueError):
    """The content is not a supported image, video or document (or is corrupt)."""


@dataclass
class Probe:
    kind: str
    mime_type: str
    extension: str
    size_bytes: int
    sha256: str
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    thumbnail: bytes | None = None  # JPEG or PNG bytes of at most THUMBNAIL_SIZE px on the longer side
    thumbnail_extension: str = "jpg"


def sha256_and_size(file: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    file.seek(0)
    while chunk := file.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size


def probe(file: IO[bytes]) -> Probe:
    """Identify `file` (a seekable binary file). Raises `UnsupportedFile`."""
    digest, size = sha256_and_size(file)
    if size == 0:
        raise UnsupportedFile("The file is empty.")
    image = _probe_image(file, digest, size)
    if image is not None:
        return image
    file.seek(0)
    guessed = filetype.guess(file.read(8192))
    file.seek(0)
    if guessed is None or guessed.mime not in CONTAINER_TYPES:
        raise UnsupportedFile("Only JPEG, PNG, GIF, WebP images, MP4, MOV, WebM videos and PDF files are supported.")
    kind, extension = CONTAINER_TYPES[guessed.mime]
    result = Probe(kind=kind, mime_type=guessed.mime, extension=extension, size_bytes=size, sha256=digest)
    if guessed.mime in ISO_BMFF_TYPES:
        result.duration_seconds, result.width, result.height = read_iso_bmff_info(file, size)
        file.seek(0)
    return result


def _probe_image(file: IO[bytes], digest: str, size: int) -> Probe | None:
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                if image.format not in IMAGE_FORMATS:
                    return None
                mime_type, extension = IMAGE_FORMATS[image.format]
                width, height = image.size
                animated = image.format != "MPO" and getattr(image, "n_frames", 1) > 1
                thumbnail, thumb_ext = _thumbnail(image)
    except UnidentifiedImageError:
        return None  # not an image: the container sniffing decides
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnsupportedFile("The image has too many pixels.") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedFile("The image is corrupt or truncated.") from exc
    finally:
        file.seek(0)
    return Probe(
        kind=MediaKind.ANIMATION if animated else MediaKind.IMAGE,
        mime_type=mime_type,
        extension=extension,
        size_bytes=size,
        sha256=digest,
        width=width,
        height=height,
        thumbnail=thumbnail,
        thumbnail_extension=thumb_ext,
    )


def _thumbnail(image: Image.Image) -> tuple[bytes, str]:
    """A 320 px thumbnail of the first frame, EXIF orientation applied; PNG when it has transparency."""
    image.seek(0)
    frame = ImageOps.exif_transpose(image)
    frame.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    has_alpha = frame.mode in {"RGBA", "LA"} or (frame.mode == "P" and "transparency" in frame.info)
    out = io.BytesIO()
    if has_alpha:
        frame.convert("RGBA").save(out, format="PNG", optimize=True)
        return out.getvalue(), "png"
    frame.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue(), "jpg"


def _boxes(file: IO[bytes], start: int, end: int):
    """(type, payload_start, box_end) of the ISO-BMFF boxes between `start` and `end`, by seeking."""
    position = start
    while position + 8 <= end:
        file.seek(position)
        header = file.read(8)
        if len(header) < 8:
            return
        box_size, box_type = struct.unpack(">I4s", header)
        header_size = 8
        if box_size == 1:
            large = file.read(8)
            if len(large) < 8:
                return
            box_size = struct.unpack(">Q", large)[0]
            header_size = 16
        elif box_size == 0:
            box_size = end - position
        if box_size < header_size:
            return
        yield box_type, position + header_size, min(position + box_size, end)
        position += box_size


def read_iso_bmff_info(file: IO[bytes], size: int) -> tuple[float | None, int | None, int | None]:
    """(duration seconds, width, height) from `moov/mvhd` and the first visual `trak/tkhd`; None when absent."""
    duration = width = height = None
    for box_type, start, end in _boxes(file, 0, size):
        if box_type != b"moov":
            continue
        for child_type, child_start, child_end in _boxes(file, start, end):
            if child_type == b"mvhd":
                duration = _mvhd_duration(file, child_start, child_end)
            elif child_type == b"trak" and width is None:
                for track_box, track_start, track_end in _boxes(file, child_start, child_end):
                    if track_box == b"tkhd":
                        width, height = _tkhd_dimensions(file, track_start, track_end)
        break
    return duration, width, height


def _mvhd_duration(file: IO[bytes], start: int, end: int) -> float | None:
    file.seek(start)
    payload = file.read(min(end - start, 32))
    if len(payload) < 20:
        return None
    if payload[0] == 1:
        if len(payload) < 32:
            return None
        timescale, duration = struct.unpack(">IQ", payload[20:32])
    else:
        timescale, duration = struct.unpack(">II", payload[12:20])
    if not timescale:
        return None
    return round(duration / timescale, 3)


def _tkhd_dimensions(file: IO[bytes], start: int, end: int) -> tuple[int | None, int | None]:
    file.seek(start)
    payload = file.read(min(end - start, 96))
    offset = 88 if payload[:1] == b"\x01" else 76
    if len(payload) < offset + 8:
        return None, None
    width, height = struct.unpack(">II", payload[offset : offset + 8])
    width, height = width >> 16, height >> 16  # 16.16 fixed point
    if not width or not height:
        return None, None  # an audio track: keep looking
    return width, height
