"""The charts of the report pages, drawn on the server as inline SVG from the report's own frame.

People expect a picture beside four of the reports: 去化 by building (销售汇总表), 回款 by month
(收退款明细表), and 来访 by source and by rep (来电来访明细表). Each chart is computed from the same
frame the table and the Excel export show, so a bar never disagrees with a row; it is drawn as plain
SVG in the page, so the page fetches nothing (no script, no library, no CDN) and prints as it shows.
Every bar carries its label and figure as ``data-`` attributes and a ``<title>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from markupsafe import Markup, escape

from web.i18n import tr

VISITS = ("首次来访", "来访")
WIDTH = 640
BAR = 22
GAP = 8
LABEL = 150  # room for the labels on the left
MAX_BARS = 30


@dataclass(frozen=True)
class Chart:
    """One horizontal bar chart: a title, labelled figures and how a figure reads."""

    id: str
    title: str
    bars: list[tuple[str, float]]
    percent: bool = False
    money: bool = False

    def shown(self, value: float) -> str:
        if self.percent:
            return f"{value:.2%}"
        if self.money:
            return f"{value:,.2f}"
        return f"{value:,.0f}"

    def svg(self) -> Markup:
        """The chart as inline SVG (labels escaped: building, source and rep names are user text)."""
        bars = self.bars[:MAX_BARS]
        height = len(bars) * (BAR + GAP) + GAP
        top = max((v for _, v in bars), default=0.0)
        scale = (WIDTH - LABEL - 110) / top if top > 0 else 0.0
        parts = [
            f'<svg class="chart" id="chart-{self.id}" role="img" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-label="{escape(self.title)}">'
        ]
        for i, (label, value) in enumerate(bars):
            y = GAP + i * (BAR + GAP)
            w = max(value * scale, 0.0)
            text = self.shown(value)
            parts.append(
                f'<g class="bar" data-label="{escape(label)}" data-value="{value:.4f}">'
                f"<title>{escape(label)}：{escape(text)}</title>"
                f'<text x="{LABEL - 6}" y="{y + BAR * 0.7:.1f}" text-anchor="end">{escape(_short(label))}</text>'
                f'<rect x="{LABEL}" y="{y}" width="{w:.1f}" height="{BAR}"></rect>'
                f'<text x="{LABEL + w + 6:.1f}" y="{y + BAR * 0.7:.1f}">{escape(text)}</text></g>'
            )
        parts.append("</svg>")
        return Markup("".join(parts))


def _short(label: str) -> str:
    return label if len(label) <= 12 else label[:11] + "…"


def _number(value: object) -> float:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return 0.0
    return float(value) if isinstance(value, int | float | Decimal) else float(str(value))


def _counts(series: pd.Series, blank: str) -> list[tuple[str, float]]:
    """Rows per value, most first (ties by name), blanks under ``blank``."""
    named = series.fillna(blank).astype(str).replace("", blank)
    counted = named.value_counts()
    return sorted(((str(k), float(n)) for k, n in counted.items()), key=lambda kv: (-kv[1], kv[0]))


def sell_through(frame: pd.DataFrame) -> list[Chart]:
    several = frame["project"].nunique() > 1  # a region's report: name the project too
    bars = [
        (f"{p} {b}" if several else str(b), _number(s))
        for p, b, s in zip(frame["project"], frame["building"], frame["sell_through"], strict=True)
    ]
    return [Chart("sell-through", tr("各楼栋去化率", "Sell-through by building"), bars, percent=True)]


def by_month(frame: pd.DataFrame) -> list[Chart]:
    totals: dict[str, Decimal] = {}
    for day, amount in zip(frame["paid_at"], frame["amount"], strict=True):
        if day is None or amount is None or (isinstance(amount, float) and amount != amount):
            continue
        month = (day.date() if isinstance(day, dt.datetime) else day).strftime("%Y-%m")
        totals[month] = totals.get(month, Decimal(0)) + Decimal(str(amount))
    bars = [(m, float(v)) for m, v in sorted(totals.items())]
    return [Chart("collected", tr("按月回款", "Money received by month"), bars, money=True)]


def visits(frame: pd.DataFrame) -> list[Chart]:
    seen = frame[frame["kind"].isin(VISITS)]
    blank = tr("（未填）", "(blank)")
    return [
        Chart("visits-source", tr("来访按客户来源", "Visits by source"), _counts(seen["source"], blank)),
        Chart("visits-rep", tr("来访按置业顾问", "Visits by rep"), _counts(seen["rep"], blank)),
    ]


CHARTS: dict[str, Callable[[pd.DataFrame], list[Chart]]] = {
    "sales_summary": sell_through,
    "receipts": by_month,
    "calls_visits": visits,
}


def charts_for(report_id: str, frame: pd.DataFrame) -> list[Chart]:
    """The report's charts (none for a report without a picture, or an empty one)."""
    draw = CHARTS.get(report_id)
    if draw is None or frame.empty:
        return []
    return [c for c in draw(frame) if c.bars]
