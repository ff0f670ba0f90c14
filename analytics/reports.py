"""Rendering a dashboard: every widget's metric computed (JSON), and the PDF people read (a chart per widget, the
period's total against the comparison period, a note where the networks have not delivered every day).

The PDF is built with reportlab (a dependency already): line charts for time series with the comparison period
as a dashed line, horizontal bars for channels/networks/tags (top 10), a headline figure for `number` widgets and
a table for `table` widgets.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from analytics import metrics
from analytics.models import CompareTo, Dashboard

# The built-in "channel overview" report: the same widgets any dashboard can hold.
CHANNEL_OVERVIEW_WIDGETS: list[dict[str, Any]] = [
    {"id": "audience", "metric": "followers", "title": "Audience", "chart": "line", "group_by": "day"},
    {"id": "impressions", "metric": "impressions", "title": "Impressions", "chart": "line", "group_by": "day"},
    {"id": "engagements", "metric": "engagements", "title": "Engagements", "chart": "line", "group_by": "day"},
    {"id": "rate", "metric": "engagementRate", "title": "Engagement rate", "chart": "number", "group_by": None},
    {"id": "posts", "metric": "postsPublished", "title": "Posts published", "chart": "bar", "group_by": "channel"},
    {
        "id": "top",
        "metric": "postEngagements",
        "title": "Engagements by channel",
        "chart": "table",
        "group_by": "channel",
    },
]
TOP_CATEGORIES = 10


def render_widgets(
    widgets: list[dict[str, Any]],
    scope: metrics.Scope,
    first: date,
    last: date,
    *,
    compare: bool,
    allowed: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Each widget with its `result` (`metrics.compute` for `first`..`last`, against the previous period when
    `compare`). Widgets asking the same metric and grouping share one computation, and all widgets the figure
    queries they have in common (a few queries per dashboard, not one set per widget)."""
    comparison = metrics.previous_period(first, last) if compare else None
    computed: dict[tuple, dict[str, Any]] = {}
    rows = metrics.Rows()
    rendered = []
    for widget in widgets:
        key = (widget["metric"], widget.get("group_by"))
        if key not in computed:
            query = metrics.MetricQuery(widget["metric"], first, last, compare=comparison, group_by=key[1])
            computed[key] = metrics.compute(query, scope, rows)
        rendered.append({**widget, "result": computed[key]})
    return rendered


def render_dashboard(
    dashboard: Dashboard, scope: metrics.Scope, first: date, last: date, compare: bool | None = None
) -> dict[str, Any]:
    if compare is None:
        compare = dashboard.compare_to == CompareTo.PREVIOUS
    return {
        "id": dashboard.pk,
        "name": dashboard.name,
        "description": dashboard.description,
        "from": first,
        "to": last,
        "compare": compare,
        "widgets": render_widgets(dashboard.widgets, scope, first, last, compare=compare),
    }


def _number(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{value * 100:.2f} %"
    return f"{value:,.0f}".replace(",", " ")


def _change_text(result: dict[str, Any]) -> str:
    change = result.get("change")
    if not change:
        return ""
    relative = change.get("relative")
    if relative is None:
        return f"({'+' if change['absolute'] >= 0 else ''}{_number(change['absolute'], result['unit'])} vs previous)"
    arrow = "▲" if relative >= 0 else "▼"
    return f"{arrow} {abs(relative) * 100:.1f} % vs {result['comparison']['from']} - {result['comparison']['to']}"


def _line_chart(result: dict[str, Any], font: str):
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    points = result["data"]
    current = [p["value"] or 0 for p in points]
    series = [current]
    if result.get("comparison"):
        previous = [p["value"] or 0 for p in result["comparison"]["data"]][: len(current)]
        series.append(previous + [0] * (len(current) - len(previous)))
    drawing = Drawing(480, 150)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 25, 430, 115
    chart.data = series
    step = max(1, len(points) // 8)
    chart.categoryAxis.categoryNames = [p["key"][5:] if i % step == 0 else "" for i, p in enumerate(points)]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.lines[0].strokeColor = colors.HexColor("#2563eb")
    chart.lines[0].strokeWidth = 1.5
    if len(series) > 1:
        chart.lines[1].strokeColor = colors.HexColor("#9ca3af")
        chart.lines[1].strokeDashArray = (3, 2)
    drawing.add(chart)
    return drawing


def _bar_chart(result: dict[str, Any], font: str):
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    points = result["data"][:TOP_CATEGORIES][::-1]  # largest at the top
    height = 20 + 14 * max(1, len(points))
    drawing = Drawing(480, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 130, 10, 330, height - 20
    chart.data = [[p["value"] or 0 for p in points]]
    chart.categoryAxis.categoryNames = [str(p["label"])[:28] for p in points]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#2563eb")
    drawing.add(chart)
    return drawing


def dashboard_pdf(rendered: dict[str, Any], *, workspace: str, tz_name: str) -> bytes:
    """The PDF of `render_dashboard(...)`: title page header, then one block per widget."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from core.pdf import embedded_fonts

    font, bold = embedded_fonts()
    styles = getSampleStyleSheet()
    title_style = ParagraphStyle("title", parent=styles["Title"], fontName=bold, alignment=0)
    heading = ParagraphStyle("heading", parent=styles["Heading2"], fontName=bold, spaceAfter=2)
    body = ParagraphStyle("body", parent=styles["Normal"], fontName=font, fontSize=9, leading=12)
    big = ParagraphStyle("big", parent=body, fontName=bold, fontSize=20, leading=24)
    note = ParagraphStyle("note", parent=body, fontSize=8, textColor=colors.HexColor("#b45309"))

    buffer = io.BytesIO()
    title = f"{rendered['name']} - {workspace}"
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm)
    story: list[Any] = [
        Paragraph(escape(rendered["name"]), title_style),
        Paragraph(
            escape(
                f"{workspace} · {rendered['from']} to {rendered['to']} ({tz_name})"
                + (" · compared with the previous period" if rendered["compare"] else "")
            ),
            body,
        ),
    ]
    if rendered.get("description"):
        story.append(Paragraph(escape(rendered["description"]), body))
    story.append(Spacer(1, 6 * mm))
    for widget in rendered["widgets"]:
        result = widget["result"]
        block: list[Any] = [
            Paragraph(escape(widget["title"]), heading),
            Paragraph(f"{_number(result['total']['value'], result['unit'])}", big),
        ]
        change = _change_text(result)
        if change:
            block.append(Paragraph(escape(change), body))
        if widget["chart"] != "number" and result["data"]:
            if widget["chart"] == "table":
                rows = [["", "value", ""]] + [
                    [
                        str(p["label"])[:40],
                        _number(p["value"], result["unit"]),
                        "incomplete" if p["incomplete_data"] else "",
                    ]
                    for p in result["data"][: TOP_CATEGORIES * 2]
                ]
                table = Table(rows, hAlign="LEFT", colWidths=[90 * mm, 40 * mm, 30 * mm])
                table.setStyle(
                    TableStyle(
                        [
                            ("FONTNAME", (0, 0), (-1, -1), font),
                            ("FONTSIZE", (0, 0), (-1, -1), 8),
                            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#ddd")),
                            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                        ]
                    )
                )
                block.append(table)
            elif result["group_by"] in metrics.TIME_BUCKETS:
                block.append(_line_chart(result, font))
            else:
                block.append(_bar_chart(result, font))
        if result["incomplete_data"]:
            block.append(Paragraph("Some networks have not delivered every day of this period yet.", note))
        block.append(Spacer(1, 5 * mm))
        story.append(KeepTogether(block))
    doc.build(story)
    return buffer.getvalue()
