"""Small real files for media tests: images made with Pillow, a minimal MP4 with moov/mvhd/tkhd boxes."""

from __future__ import annotations

import io
import struct

from PIL import Image


def png_bytes(width: int = 800, height: int = 600, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def animated_gif_bytes() -> bytes:
    out = io.BytesIO()
    frames = [Image.new("RGB", (40, 30), (i * 80, 0, 0)) for i in range(3)]
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_bytes(*, duration_units: int = 12_500, timescale: int = 1000, width: int = 1280, height: int = 720) -> bytes:
    """ftyp + moov(mvhd v0, audio trak, video trak) + mdat: enough structure for sniffing and probing."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    mvhd = _box(b"mvhd", b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, timescale, duration_units) + b"\x00" * 80)

    def tkhd(w: int, h: int) -> bytes:
        head = b"\x00\x00\x00\x07" + struct.pack(">IIIII", 0, 0, 1, 0, duration_units)
        middle = b"\x00" * 8 + b"\x00" * 8 + b"\x00" * 36
        return _box(b"tkhd", head + middle + struct.pack(">II", w << 16, h << 16))

    audio = _box(b"trak", tkhd(0, 0))
    video = _box(b"trak", tkhd(width, height))
    moov = _box(b"moov", mvhd + audio + video)
    return ftyp + moov + _box(b"mdat", b"\x00" * 1024)


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
