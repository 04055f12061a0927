"""Supervisors' overview: figures, charts drawn server-side with matplotlib (SVG), CSV export."""

from __future__ import annotations

import asyncio
import csv
import io

from aiohttp import web

from console import auth
from console.index import queries
from console.index.queries import ConversationFilter
from console.pages import engine, render


async def overview_page(request: web.Request) -> web.Response:
    auth.require_supervisor(request)
    filters = ConversationFilter.from_query(request.query)
    with engine(request).connect() as connection:
        figures = queries.overview(connection, filters)
    return await render(request, "overview.html", {"figures": figures, "filters": filters})


def _bar_chart_svg(labels: list[str], values: list[float], title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6.4, 2.6), dpi=100)
    axes = figure.add_subplot()
    axes.bar(range(len(values)), values, color="#1f6f8b")
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels(labels, rotation=30 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center", fontsize=8)
    axes.set_title(title, fontsize=10)
    # Counts: whole numbers from zero, even when every bar is empty.
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max([1, *values]) * 1.1)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg")
    return buffer.getvalue()


async def chart(request: web.Request) -> web.Response:
    auth.require_supervisor(request)
    name = request.match_info["name"]
    filters = ConversationFilter.from_query(request.query)
    with engine(request).connect() as connection:
        figures = queries.overview(connection, filters)
    if name == "per_day":
        labels, values = [d[5:] for d, _ in figures["per_day"]], [n for _, n in figures["per_day"]]
    elif name == "ratings":
        labels, values = [str(k) for k, _ in figures["rating_distribution"]], [n for _, n in figures["rating_distribution"]]
    elif name == "procedures":
        labels, values = [p for p, _ in figures["top_procedures"]], [n for _, n in figures["top_procedures"]]
    else:
        raise web.HTTPNotFound()
    svg = await asyncio.get_running_loop().run_in_executor(None, _bar_chart_svg, labels, values, "")
    return web.Response(body=svg, content_type="image/svg+xml", headers={"Cache-Control": "no-store"})


CSV_COLUMNS = (
    "id",
    "channel",
    "language",
    "started_at",
    "last_event_at",
    "user_messages",
    "fallbacks",
    "low_confidence",
    "handoff_requested",
    "rating",
    "dossier_outcome",
    "procedures",
    "review_state",
)


async def export_csv(request: web.Request) -> web.Response:
    """The conversations matching the filters, one row each (masked data only; audited)."""
    auth.require_supervisor(request)
    filters = ConversationFilter.from_query(request.query)
    with engine(request).begin() as connection:
        rows, _ = queries.list_conversations(connection, filters, 1, 100000)
        queries.record_audit(connection, request["account"]["username"], "export", None, " ".join(f"{k}={v}" for k, v in filters.as_query().items()))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([str(row[c]).strip() if row[c] is not None else "" for c in CSV_COLUMNS])
    return web.Response(
        body=buffer.getvalue().encode("utf-8-sig"),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="conversations.csv"', "Cache-Control": "no-store"},
    )
