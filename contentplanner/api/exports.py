"""Exports of a filtered post list (CSV streamed in constant memory, PDF a readable report) and of post analytics.
The rows come from `contentplanner.selectors.analytics`; this module only writes them as files.

CSV: UTF-8 with a byte-order mark (so spreadsheet programs detect the encoding), a header row, one row per post.
Rows are produced from `QuerySet.iterator(chunk_size=...)` with tags prefetched per chunk and the latest metrics
picked in SQL, so a 10k-post export never holds more than one chunk of posts in memory.

PDF: built with reportlab (pure Python, long maintained, embeds a TrueType font so any Latin text renders and can be
extracted). A PDF is assembled in memory, so it is limited to MAX_PDF_POSTS posts; larger exports must use CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from contentplanner.models import METRIC_FIELDS, Post
from contentplanner.selectors.analytics import (
    channel_days_for_export,
    engagement_rate,
    export_queryset,
    latest_metrics_of,
    post_analytics_row,
)
from core import tenancy
from core.errors import ValidationFailed
from core.pdf import embedded_fonts

CSV_CHUNK_SIZE = 500
MAX_PDF_POSTS = 1000
EXPORT_FORMATS = ("csv", "pdf")

CSV_HEADER: tuple[str, ...] = (
    "id",
    "channel",
    "network",
    "state",
    "publish_at_local",
    "publish_at_utc",
    "published_at_utc",
    "text",
    "campaign",
    "tags",
    "author",
    "network_url",
    *METRIC_FIELDS,
    "metrics_collected_at_utc",
)


def utc_text(value: datetime | None) -> str:
    return value.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def local_text(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).isoformat(timespec="seconds") if value else ""


def _author(post: Post) -> str:
    if post.author is None:
        return ""
    return post.author.full_name or post.author.email


def csv_row(post: Post, tz: ZoneInfo) -> list[Any]:
    metrics = latest_metrics_of(post) or {}
    return [
        str(post.pk),
        post.channel.name,
        post.channel.network,
        post.state,
        local_text(post.publish_at, tz),
        utc_text(post.publish_at),
        utc_text(post.published_at),
        post.text,
        post.campaign.name if post.campaign else "",
        "; ".join(tag.name for tag in post.tags.all()),
        _author(post),
        post.network_url,
        *(metrics.get(field, "") for field in METRIC_FIELDS),
        utc_text(metrics.get("collected_at")),
    ]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def in_tenant(tenant, lines: Iterable[str]) -> Iterator[str]:
    """Iterate `lines` inside `tenant`'s context: a streamed body is consumed after the view (and its request
    context) returned, and on PostgreSQL row-level security needs the tenant for every fetch."""
    with tenancy.tenant_context(tenant):
        yield from lines


def stream_posts_csv(posts: QuerySet[Post], tz: ZoneInfo) -> Iterator[str]:
    """CSV lines (header first) for `posts`; consumes the queryset chunk by chunk."""
    queryset = export_queryset(posts)
    return csv_lines(CSV_HEADER, (csv_row(post, tz) for post in queryset.iterator(chunk_size=CSV_CHUNK_SIZE)))


CHANNEL_CSV_HEADER: tuple[str, ...] = (
    "channel_id",
    "channel",
    "network",
    "day",
    "followers",
    "impressions",
    "engagements",
    "engagement_rate",
)


def stream_channel_days_csv(channels, first, last) -> Iterator[str]:
    """CSV lines (header first): one row per channel and delivered day, with its engagement rate."""
    days = channel_days_for_export(channels, first, last).iterator(chunk_size=CSV_CHUNK_SIZE)
    rows = (
        [
            str(cid),
            name,
            network,
            day.isoformat(),
            followers,
            impressions,
            engagements,
            engagement_rate(engagements, impressions) if impressions else "",
        ]
        for cid, name, network, day, followers, impressions, engagements in days
    )
    return csv_lines(CHANNEL_CSV_HEADER, rows)


ANALYTICS_CSV_HEADER: tuple[str, ...] = (
    "id",
    "channel",
    "network",
    "published_at_utc",
    "published_at_local",
    "text",
    "network_url",
    *METRIC_FIELDS,
    "engagement_rate",
    "metrics_collected_at_utc",
)


def stream_analytics_csv(posts: QuerySet[Post], tz: ZoneInfo) -> Iterator[str]:
    """CSV lines (header first) of post analytics rows (posts of `selectors.analytics.post_analytics`)."""

    def rows() -> Iterator[list[Any]]:
        for post in posts.iterator(chunk_size=CSV_CHUNK_SIZE):
            row = post_analytics_row(post)
            metrics = row["metrics"] or {}
            yield [
                str(post.pk),
                post.channel.name,
                post.channel.network,
                utc_text(post.published_at),
                local_text(post.published_at, tz),
                post.text,
                post.network_url,
                *(metrics.get(field, "") for field in METRIC_FIELDS),
                "" if row["engagement_rate"] is None else row["engagement_rate"],
                utc_text(metrics.get("collected_at")),
            ]

    return csv_lines(ANALYTICS_CSV_HEADER, rows())


def posts_pdf(posts: QuerySet[Post], tz: ZoneInfo, *, title: str) -> bytes:
    """A PDF report of `posts`: per post its channel, local time, state, text and latest metrics."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    matched = posts.count()
    if matched > MAX_PDF_POSTS:
        raise ValidationFailed(
            f"A PDF export is limited to {MAX_PDF_POSTS} posts; narrow the filters or export CSV.",
            code="EXPORT_TOO_LARGE",
            details={"maxPosts": MAX_PDF_POSTS, "matched": matched},
        )
    font, bold = embedded_fonts()
    styles = getSampleStyleSheet()
    heading = ParagraphStyle("heading", parent=styles["Heading1"], fontName=bold)
    meta = ParagraphStyle("meta", parent=styles["Normal"], fontName=bold, fontSize=9, textColor=colors.HexColor("#444"))
    body = ParagraphStyle("body", parent=styles["Normal"], fontName=font, fontSize=10, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm)
    story: list[Any] = [
        Paragraph(escape(title), heading),
        Paragraph(f"{matched} posts, times in {escape(tz.key)}", small),
        Spacer(1, 6 * mm),
    ]
    for post in export_queryset(posts).iterator(chunk_size=CSV_CHUNK_SIZE):
        when = post.published_at if post.published_at else post.publish_at
        when_text = when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else "unscheduled"
        header = f"{escape(post.channel.name)} ({escape(post.channel.network)}) · {when_text} · {escape(post.state)}"
        text = escape(post.text or "").replace("\n", "<br/>") or "<i>(no text)</i>"
        block: list[Any] = [Paragraph(header, meta), Paragraph(text, body)]
        metrics = latest_metrics_of(post)
        if metrics:
            cells = [[field.replace("_", " ") for field in METRIC_FIELDS], [metrics.get(f, 0) for f in METRIC_FIELDS]]
            table = Table(cells, hAlign="LEFT")
            table.setStyle(
                TableStyle(
                    [
                        ("FONTNAME", (0, 0), (-1, -1), font),
                        ("FONTSIZE", (0, 0), (-1, -1), 7),
                        ("TEXTCOLOR", (0, 0), (-1, 0), colors.HexColor("#666")),
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#ccc")),
                    ]
                )
            )
            block.append(table)
        block.append(Spacer(1, 5 * mm))
        story.append(KeepTogether(block))
    doc.build(story)
    return buffer.getvalue()
