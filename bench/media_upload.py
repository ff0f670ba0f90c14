"""Benchmark multipart uploads of 20 MB files through the real WSGI application: MB/s and peak memory.

The request body is written to a temporary file first and handed to `config.wsgi.application` as `wsgi.input`,
like a WSGI server streaming from its socket, so the only memory the upload costs is what Django and our code use
(the test client would build the whole body in memory itself). Peak Python heap per upload is measured with
tracemalloc in a separate pass (tracemalloc slows everything down); the process's max RSS is reported too.
A throwaway database (DATABASE_TEST_NAME, default bench_hubbub_media) and media directory are used and removed.

    .venv/bin/python bench/media_upload.py [--uploads 5] [--megabytes 20]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import struct
import tempfile
import time
import tracemalloc
import uuid

from _throwaway_db import setup_django, throwaway_database

BOUNDARY = "hubbubbenchboundary"


def make_mp4(path: str, megabytes: int) -> None:
    """A minimal but valid-looking MP4 (ftyp, moov/mvhd/tkhd) padded with an mdat of the requested size."""

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    tkhd = box(
        b"tkhd",
        b"\x00\x00\x00\x07"
        + struct.pack(">IIIII", 0, 0, 1, 0, 60_000)
        + b"\x00" * 52
        + struct.pack(">II", 1920 << 16, 1080 << 16),
    )
    mvhd = box(b"mvhd", b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, 1000, 60_000) + b"\x00" * 80)
    head = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41") + box(b"moov", mvhd + box(b"trak", tkhd))
    mdat_size = megabytes * 1024 * 1024 - len(head)
    with open(path, "wb") as out:
        out.write(head + struct.pack(">I", mdat_size) + b"mdat")
        block = os.urandom(1024 * 1024)
        remaining = mdat_size - 8
        while remaining > 0:
            out.write(block[: min(remaining, len(block))])
            remaining -= min(remaining, len(block))


def make_body(video_path: str, body_path: str) -> int:
    with open(body_path, "wb") as out, open(video_path, "rb") as video:
        out.write(
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="altText"\r\n\r\nbench\r\n'
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\n'
                "Content-Type: video/mp4\r\n\r\n"
            ).encode()
        )
        shutil.copyfileobj(video, out, 1024 * 1024)
        out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return os.path.getsize(body_path)


def post_upload(application, body_path: str, length: int, api_key: str) -> tuple[str, bytes]:
    result = {}

    def start_response(status, headers, exc_info=None):
        result["status"] = status

    with open(body_path, "rb") as stream:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/media/",
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "CONTENT_LENGTH": str(length),
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "testserver",
            "HTTP_X_API_KEY": api_key,
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": stream,
            "wsgi.errors": open(os.devnull, "w"),  # noqa: SIM115
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        chunks = application(environ, start_response)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
    return result["status"], body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=5)
    parser.add_argument("--megabytes", type=int, default=20)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="hubbub-bench-media-")
    os.environ["MEDIA_ROOT"] = os.path.join(workdir, "media")
    setup_django("bench_hubbub_media")

    from django.conf import settings
    from django.db import connection

    from config.wsgi import application
    from core import tenancy
    from social.models import Media
    from tenants.services import api_keys, workspaces

    try:
        with throwaway_database() as db_name:
            print(f"database: {connection.vendor} {db_name}; media root {settings.MEDIA_ROOT}")
            tenant = workspaces.create_tenant(actor=None, name=f"Bench {uuid.uuid4().hex[:6]}", plan="enterprise")
            with tenancy.tenant_context(tenant):
                _, raw_key = api_keys.create_api_key(actor=None, name="bench", scopes=["write"])
            video = os.path.join(workdir, "clip.mp4")
            body = os.path.join(workdir, "body.bin")
            make_mp4(video, args.megabytes)
            length = make_body(video, body)
            file_mb = os.path.getsize(video) / 1024 / 1024

            status, response = post_upload(application, body, length, raw_key)  # warm-up
            assert status.startswith("201"), (status, response[:500])
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            for _ in range(args.uploads):
                status, response = post_upload(application, body, length, raw_key)
                assert status.startswith("201"), (status, response[:500])
            elapsed = time.perf_counter() - started
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(
                f"{args.uploads} uploads of {file_mb:.0f} MB in {elapsed:.2f}s = "
                f"{args.uploads * file_mb / elapsed:.1f} MB/s "
                f"({elapsed / args.uploads * 1000:.0f} ms per upload: receive to temp file, sniff, hash, move, insert)"
            )
            print(
                f"max RSS: {rss_after / 1024:.1f} MB "
                f"(grew by {(rss_after - rss_before) / 1024:.1f} MB during the timed uploads)"
            )

            tracemalloc.start()
            tracemalloc.reset_peak()
            status, response = post_upload(application, body, length, raw_key)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert status.startswith("201"), status
            print(f"peak Python heap during one {file_mb:.0f} MB upload (tracemalloc): {peak / 1024 / 1024:.2f} MB")
            with tenancy.tenant_context(tenant):
                stored = Media.objects.count()
                sample = Media.objects.first()
            print(
                f"stored media rows: {stored}; sample kind={sample.kind} mime={sample.mime_type} "
                f"{sample.width}x{sample.height} duration={sample.duration_seconds}s size={sample.size_bytes} bytes"
            )
            connection.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
