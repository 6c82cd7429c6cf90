"""The dashboard's charts as server-rendered SVG: no JavaScript, no inline style (the CSP forbids
it), colours from classes in static/backoffice/dashboard.css (light and dark schemes). Each chart
carries an accessible name (<title>, <desc>) and its numbers as a table for a <details> below it.
Every string from the database (partner and connection names) is escaped here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .dashboard import ChartData, DailySeries, ProblemRate, Turnaround
from .services.dashboard_totals import RESOLUTION

COLOURS = 8  # series classes s0..s7 in dashboard.css; more series than this are summed as "Other"
WIDTH = 680


@dataclass
class Chart:
    id: str
    title: str
    description: str
    svg: SafeString | None
    legend: list[tuple[int, str]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    empty: str = ""
    note: str = ""  # shown under the chart (e.g. how precise its figures are)


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at least
    `value`: the axis maximum."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def hours(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 48:
        return f"{value / 24:.1f} d"
    return f"{value:.1f} h"


def _svg(chart_id: str, title: str, description: str, height: int, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every value below is escaped or a number we computed
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _limited(series: list[tuple[str, list[int]]]) -> list[tuple[str, list[int]]]:
    if len(series) <= COLOURS:
        return series
    kept, rest = series[: COLOURS - 1], series[COLOURS - 1 :]
    other = [sum(values) for values in zip(*(values for _, values in rest), strict=True)]
    return [*kept, (f"Other ({len(rest)})", other)]


LABEL_CHARS = 22  # what fits left of the bars (170 px at 12 px) without being cut at the edge


def _row_label(name: str, x: int, y: int) -> str:
    """A partner's name left of its bars: shortened with an ellipsis when long, whole on hover."""
    shown = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1].rstrip() + "…"
    return f'<text class="label" x="{x}" y="{y}" text-anchor="end"><title>{escape(name)}</title>{escape(shown)}</text>'


def stacked_bars(chart_id: str, title: str, what: str, data: DailySeries) -> Chart:
    """One bar per day, stacked by series (partner or source), with a y axis and day labels."""
    series = _limited(data.series)
    description = f"{what} per day, the last {len(data.days)} days: {data.total:,} in all."
    headers = ["Day", *(name for name, _ in series), "Total"]
    rows = [
        [f"{day:%a %d %b}", *(str(values[n]) for _, values in series), str(sum(values[n] for _, values in series))]
        for n, day in enumerate(data.days)
    ]
    legend = [(n, name) for n, (name, _) in enumerate(series)]
    if not data.total:
        empty = f"No {what.lower()} in the last {len(data.days)} days"
        if data.latest:
            empty += f": the newest is from {timezone.localtime(data.latest):%d %b %Y}"
        return Chart(chart_id, title, description, None, empty=empty + ".")
    height, left, right, top, bottom = 240, 48, 24, 12, 30
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    totals = [sum(values[n] for _, values in series) for n in range(len(data.days))]
    ymax = nice_ceiling(max(totals))
    band = plot_w / len(data.days)
    bar = max(band * 0.78, 1.0)
    body = []
    for tick in (0, ymax / 2, ymax):
        y = top + plot_h - tick / ymax * plot_h
        body.append(f'<line class="grid" x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(tick)}</text>')
    step = math.ceil(len(data.days) / 9)
    for n, day in enumerate(data.days):
        x = left + n * band + (band - bar) / 2
        base = top + plot_h
        for index, (name, values) in enumerate(series):
            if not values[n]:
                continue
            h = values[n] / ymax * plot_h
            base -= h
            body.append(
                f'<rect class="s{index}" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}">'
                f"<title>{day:%a %d %b}, {escape(name)}: {values[n]:,}</title></rect>"
            )
        if (len(data.days) - 1 - n) % step == 0:
            body.append(
                f'<text class="axis" x="{x + bar / 2:.1f}" y="{height - 10}" text-anchor="middle">{day:%d %b}</text>'
            )
    return Chart(chart_id, title, description, _svg(chart_id, title, description, height, body), legend, headers, rows)


def turnaround_bars(chart_id: str, rows_in: list[Turnaround], days: int) -> Chart:
    """Per partner two bars, approved -> sent and sent -> shipped: the median, with the 90th
    percentile as a paler bar behind it."""
    title = "Turnaround per partner"
    description = (
        f"Orders sent in the last {days} days: hours from approval to sending and from sending to shipping, "
        "median (dark bar) and 90th percentile (pale bar)."
    )
    headers = [
        "Partner",
        "Orders sent",
        "Approved → sent (median)",
        "(90th pct.)",
        "Sent → shipped (median)",
        "(90th pct.)",
    ]
    rows = [
        [
            t.partner,
            str(t.orders),
            hours(t.to_sent_median),
            hours(t.to_sent_p90),
            hours(t.to_shipped_median),
            hours(t.to_shipped_p90),
        ]
        for t in rows_in
    ]
    legend = [(0, "Approved → sent"), (1, "Sent → shipped")]
    values = [v for t in rows_in for v in (t.to_sent_p90, t.to_shipped_p90, t.to_sent_median, t.to_shipped_median) if v]
    if not rows_in or not values:
        return Chart(chart_id, title, description, None, empty=f"No orders sent in the last {days} days.")
    left, right, top, row_h, label_w = 170, 150, 8, 20, 0
    plot_w = WIDTH - left - right - label_w
    xmax = nice_ceiling(max(values))
    body = []
    y = top
    for t in rows_in:
        body.append(_row_label(t.partner, left - 8, y + row_h + 4))
        for index, (median, p90) in enumerate(
            ((t.to_sent_median, t.to_sent_p90), (t.to_shipped_median, t.to_shipped_p90))
        ):
            if p90:
                body.append(
                    f'<rect class="s{index} pale" x="{left}" y="{y + 3}" width="{max(p90 / xmax * plot_w, 1):.1f}" '
                    f'height="{row_h - 6}"><title>90th percentile: {hours(p90)}</title></rect>'
                )
            if median:
                body.append(
                    f'<rect class="s{index}" x="{left}" y="{y + 3}" width="{max(median / xmax * plot_w, 1):.1f}" '
                    f'height="{row_h - 6}"><title>Median: {hours(median)}</title></rect>'
                )
            end = left + (p90 or median or 0) / xmax * plot_w
            body.append(
                f'<text class="value" x="{end + 6:.1f}" y="{y + row_h - 6}">{hours(median)} · p90 {hours(p90)}</text>'
            )
            y += row_h
        y += 10
    height = y + 4
    svg = _svg(chart_id, title, description, height, body)
    note = f"Median and 90th percentile {RESOLUTION}."
    return Chart(chart_id, title, description, svg, legend, headers, rows, note=note)


def problem_bars(chart_id: str, rates: list[ProblemRate], days: int) -> Chart:
    title = "Problem rate per partner"
    description = (
        f"Share of the fulfilment orders created in the last {days} days that were queried, held by the "
        "partner, created in error, failed to send or had a status conflict."
    )
    headers = ["Partner", "Orders", "With a problem", "Rate"]
    rows = [[r.partner, str(r.orders), str(r.problems), f"{r.rate:.1%}"] for r in rates]
    if not rates:
        return Chart(chart_id, title, description, None, empty=f"No fulfilment orders in the last {days} days.")
    left, right, top, row_h = 170, 150, 8, 24
    plot_w = WIDTH - left - right
    xmax = min(nice_ceiling(max(r.rate for r in rates) * 100), 100) or 100
    body = []
    for tick in (0, xmax / 2, xmax):
        x = left + tick / xmax * plot_w
        body.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + row_h * len(rates)}"/>')
        body.append(
            f'<text class="axis" x="{x:.1f}" y="{top + row_h * len(rates) + 14}" text-anchor="middle">{_number(tick)}%</text>'
        )
    for n, r in enumerate(rates):
        y = top + n * row_h
        width = r.rate * 100 / xmax * plot_w
        body.append(_row_label(r.partner, left - 8, y + row_h - 8))
        body.append(
            f'<rect class="s3" x="{left}" y="{y + 4}" width="{max(width, 1):.1f}" height="{row_h - 8}">'
            f"<title>{escape(r.partner)}: {r.problems} of {r.orders}</title></rect>"
        )
        body.append(
            f'<text class="value" x="{left + width + 6:.1f}" y="{y + row_h - 8}">{r.rate:.1%} ({r.problems} of {r.orders})</text>'
        )
    height = top + row_h * len(rates) + 22
    return Chart(chart_id, title, description, _svg(chart_id, title, description, height, body), [], headers, rows)


def dashboard_charts(data: ChartData) -> list[Chart]:
    """The charts the user may see, in the dashboard's order."""
    charts = []
    if data.orders is not None:
        charts.append(stacked_bars("chart-orders", "Orders per day per partner", "Fulfilment orders", data.orders))
    if data.designs is not None:
        charts.append(stacked_bars("chart-designs", "Designs per day per source", "Designs", data.designs))
    if data.turnaround is not None:
        charts.append(turnaround_bars("chart-turnaround", data.turnaround, data.days))
    if data.problems is not None:
        charts.append(problem_bars("chart-problems", data.problems, data.days))
    return charts
