import io

import pytest

from social import media_probe
from social.tests import factories as samples


def test_png_is_sniffed_with_dimensions_and_a_320px_thumbnail():
    probe = media_probe.probe(io.BytesIO(samples.png_bytes(800, 600)))
    assert (probe.kind, probe.mime_type, probe.extension) == ("image", "image/png", "png")
    assert (probe.width, probe.height) == (800, 600)
    from PIL import Image

    thumb = Image.open(io.BytesIO(probe.thumbnail))
    assert thumb.size == (320, 240) and thumb.format == "JPEG"


def test_animated_gif_is_an_animation():
    probe = media_probe.probe(io.BytesIO(samples.animated_gif_bytes()))
    assert (probe.kind, probe.mime_type, probe.width, probe.height) == ("animation", "image/gif", 40, 30)


def test_mp4_duration_and_size_come_from_mvhd_and_the_video_tkhd():
    probe = media_probe.probe(io.BytesIO(samples.mp4_bytes(duration_units=12_500, timescale=1000)))
    assert (probe.kind, probe.mime_type, probe.extension) == ("video", "video/mp4", "mp4")
    assert probe.duration_seconds == 12.5
    assert (probe.width, probe.height) == (1280, 720)
    assert probe.thumbnail is None


def test_pdf_is_other():
    probe = media_probe.probe(io.BytesIO(samples.PDF_BYTES))
    assert (probe.kind, probe.mime_type) == ("other", "application/pdf")


@pytest.mark.parametrize("content", [b"", b"#!/bin/sh\necho hi\n", b"MZ\x90\x00" + b"\x00" * 100])
def test_unknown_or_empty_content_is_refused(content):
    with pytest.raises(media_probe.UnsupportedFile):
        media_probe.probe(io.BytesIO(content))


def test_truncated_image_is_refused():
    data = samples.jpeg_bytes()[:400]
    with pytest.raises(media_probe.UnsupportedFile):
        media_probe.probe(io.BytesIO(data))


def test_hash_is_sha256_of_the_content():
    import hashlib

    data = samples.png_bytes(10, 10)
    assert media_probe.probe(io.BytesIO(data)).sha256 == hashlib.sha256(data).hexdigest()
