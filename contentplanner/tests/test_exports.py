"""Post export: CSV content (tenant-local and UTC times, metrics), streaming in constant memory, PDF report."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime

import pytest
from django.http import StreamingHttpResponse

from contentplanner.api import exports
from contentplanner.models import Campaign, Post, PostState, Tag
from contentplanner.tests.factories import ChannelFactory, PostFactory, PostMetricsFactory, set_timezone, share_with
from core import tenancy
from tenants.roles import Role

EXPORT = "/api/v1/cp/posts/export"


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets detect UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_export_has_a_header_and_one_row_per_post(owner_client, tenant, owner):
    set_timezone(tenant, "Europe/Berlin")
    channel = ChannelFactory(tenant=tenant, name="Acme Page", network="sandbox")
    with tenancy.tenant_context(tenant):
        campaign = Campaign.objects.create(name="Spring")
        promo, news = Tag.objects.create(name="promo"), Tag.objects.create(name="news")
    published = PostFactory(
        channel=channel,
        published=True,
        published_at=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        text='Grüße, "quoted"\nsecond line',
        campaign=campaign,
        author=owner.user,
        network_url="https://example.com/p/1",
    )
    published.tags.add(promo, news)
    PostMetricsFactory(post=published, collected_at=datetime(2026, 3, 29, 6, tzinfo=UTC), impressions=10, engagements=1)
    PostMetricsFactory(
        post=published, collected_at=datetime(2026, 3, 29, 7, tzinfo=UTC), impressions=200, engagements=12, likes=9
    )
    draft = PostFactory(channel=channel, state=PostState.DRAFT, publish_at=None, text="no time yet")
    PostFactory(channel=channel, publish_at=None, state=PostState.DELETED, text="gone")

    response = owner_client.get(EXPORT, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="posts-')
    header, *rows = read_csv(response)
    assert tuple(header) == exports.CSV_HEADER
    assert len(rows) == 2  # deleted posts are not exported
    first = dict(zip(header, rows[0], strict=True))
    assert first["id"] == str(published.pk)
    assert first["channel"] == "Acme Page" and first["network"] == "sandbox" and first["state"] == "published"
    assert first["publish_at_local"] == "2026-03-29T03:30:00+02:00"  # Berlin, just after the DST change
    assert first["publish_at_utc"] == "2026-03-29T01:30:00Z"
    assert first["published_at_utc"] == "2026-03-29T01:30:00Z"
    assert first["text"] == 'Grüße, "quoted"\nsecond line'
    assert first["campaign"] == "Spring" and first["tags"] == "news; promo"
    assert first["author"] == owner.user.full_name
    assert first["network_url"] == "https://example.com/p/1"
    assert (first["impressions"], first["engagements"], first["likes"]) == ("200", "12", "9")  # the latest row
    assert first["metrics_collected_at_utc"] == "2026-03-29T07:00:00Z"
    second = dict(zip(header, rows[1], strict=True))
    assert second["id"] == str(draft.pk) and second["publish_at_local"] == "" and second["impressions"] == ""


def test_csv_export_applies_the_list_filters_and_visibility(tenant, make_member, api_client_for):
    seen, hidden = ChannelFactory(tenant=tenant, name="Seen"), ChannelFactory(tenant=tenant, name="Hidden")
    manager = make_member(tenant, Role.MANAGER)
    share_with(seen, manager)
    keep = PostFactory(channel=seen, state=PostState.SCHEDULED, publish_at=datetime(2026, 5, 1, tzinfo=UTC))
    PostFactory(channel=seen, state=PostState.DRAFT, publish_at=datetime(2026, 5, 1, tzinfo=UTC))
    PostFactory(channel=hidden, state=PostState.SCHEDULED, publish_at=datetime(2026, 5, 1, tzinfo=UTC))

    response = api_client_for(manager).get(EXPORT, {"state": "scheduled"})

    _, *rows = read_csv(response)
    assert [row[0] for row in rows] == [str(keep.pk)]


def test_csv_export_never_contains_another_tenants_posts(owner_client, tenant, other_tenant):
    foreign = PostFactory(
        channel=ChannelFactory(tenant=other_tenant), state=PostState.SCHEDULED, publish_at=None, text="foreign secret"
    )
    response = owner_client.get(EXPORT, {"channel": str(foreign.channel_id)})
    header, *rows = read_csv(response)
    assert tuple(header) == exports.CSV_HEADER and rows == []


def _export_peak_memory(client) -> tuple[int, int, int]:
    """(lines, bytes, peak traced memory) of streaming the export like a WSGI server: chunk by chunk, not kept."""
    response = client.get(EXPORT)
    assert isinstance(response, StreamingHttpResponse)
    tracemalloc.start()
    lines, size = 0, 0
    for chunk in response.streaming_content:
        lines += 1
        size += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lines, size, peak


def _bulk_posts(tenant, channel, count: int) -> None:
    with tenancy.tenant_context(tenant):
        Post.objects.bulk_create(
            [
                Post(tenant=tenant, channel=channel, state=PostState.SCHEDULED, text=f"post {i} " + "lorem " * 40)
                for i in range(count)
            ]
        )


def test_csv_export_streams_in_memory_that_does_not_grow_with_the_rows(owner_client, tenant):
    channel = ChannelFactory(tenant=tenant)
    _bulk_posts(tenant, channel, 1000)
    lines_small, size_small, peak_small = _export_peak_memory(owner_client)
    _bulk_posts(tenant, channel, 4000)
    lines_big, size_big, peak_big = _export_peak_memory(owner_client)

    assert (lines_small, lines_big) == (1001, 5001)
    assert size_big > 4 * size_small
    # Loading every post would make the peak grow about five-fold; chunked iteration keeps it flat.
    assert peak_big < peak_small * 1.5, (peak_small, peak_big)


def test_csv_export_iterates_in_chunks(owner_client, tenant, monkeypatch):
    from django.db.models import QuerySet

    seen = []
    original = QuerySet.iterator

    def spy(self, chunk_size=None):
        seen.append((self.model, chunk_size))
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    PostFactory(channel=ChannelFactory(tenant=tenant), state=PostState.SCHEDULED, publish_at=None)
    b"".join(owner_client.get(EXPORT).streaming_content)
    assert seen == [(Post, exports.CSV_CHUNK_SIZE)]


def test_pdf_export_is_a_valid_pdf_with_the_post_text(owner_client, tenant):
    from pypdf import PdfReader

    set_timezone(tenant, "Europe/Berlin")
    channel = ChannelFactory(tenant=tenant, name="Acme Page")
    post = PostFactory(
        channel=channel,
        published=True,
        published_at=datetime(2026, 6, 1, 8, tzinfo=UTC),
        text="Grüße aus Berlin & more <b>",
    )
    PostMetricsFactory(post=post, collected_at=datetime(2026, 6, 1, 9, tzinfo=UTC), impressions=321, engagements=45)
    PostFactory(channel=channel, publish_at=None, state=PostState.DRAFT, text="A second post, still a draft")

    response = owner_client.get(EXPORT, {"format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Grüße aus Berlin & more <b>" in text
    assert "A second post, still a draft" in text
    assert "Acme Page" in text and "2026-06-01 10:00" in text and "published" in text  # local time (CEST)
    assert "321" in text and "45" in text


def test_pdf_export_refuses_more_posts_than_a_report_can_hold(owner_client, tenant, monkeypatch):
    monkeypatch.setattr(exports, "MAX_PDF_POSTS", 2)
    channel = ChannelFactory(tenant=tenant)
    for _ in range(3):
        PostFactory(channel=channel, state=PostState.SCHEDULED, publish_at=None)
    response = owner_client.get(EXPORT, {"format": "pdf"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "EXPORT_TOO_LARGE"
    assert response.json()["error"]["details"] == {"maxPosts": 2, "matched": 3}


@pytest.mark.parametrize("params", [{"format": "xlsx"}, {"publishAtFrom": "not a date"}, {"tag": "x"}])
def test_export_rejects_bad_input_in_the_error_shape(owner_client, params):
    response = owner_client.get(EXPORT, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_export_needs_the_export_permission(tenant, make_member, api_client_for):
    editor = make_member(tenant, Role.EDITOR)  # can read posts, cannot export
    response = api_client_for(editor).get(EXPORT)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
