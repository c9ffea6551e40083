"""Charts as SVG text, drawn here in Python (output stage): bars and a line, with Chinese labels.

The web view (:mod:`perfscore.web`) shows the grade distribution, the score by level and the
change from year to year as pictures that need no JavaScript and no library: this module
writes the SVG elements itself. Every text is escaped as XML; numbers arrive already written
by :mod:`perfscore.numbers` (the value shown on a bar) or are positions, written by
:func:`perfscore.numbers.coordinate`. The font list names Noto Sans CJK first, so that a
browser with Debian's ``fonts-noto-cjk`` draws the Chinese labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from perfscore.numbers import coordinate as c

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', sans-serif"
WIDTH = 640
HEIGHT = 320
#: the margins around the plotting area: left, right, top, bottom
MARGIN = (48, 16, 40, 56)
COLOURS = ("#2b6cb0", "#2f855a", "#b7791f", "#c53030", "#6b46c1", "#4a5568")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label under the axis, its value, and the value as the chart prints it."""

    label: str
    value: Decimal
    shown: str


def _open(title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" font-family={quoteattr(FONT)} font-size="13">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)}</desc>",
        f'<text x="{c(WIDTH / 2)}" y="22" text-anchor="middle" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]


def _axes(top: Decimal, ticks: list[tuple[Decimal, str]]) -> list[str]:
    left, right, upper, lower = MARGIN
    bottom = HEIGHT - lower
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - right}" y2="{bottom}" stroke="#333"/>', f'<line x1="{left}" y1="{upper}" x2="{left}" y2="{bottom}" stroke="#333"/>']
    for value, text in ticks:
        y = _y(value, top)
        parts.append(f'<line x1="{left}" y1="{c(y)}" x2="{WIDTH - right}" y2="{c(y)}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{c(y + 4)}" text-anchor="end" fill="#555">{escape(text)}</text>')
    return parts


def _y(value: Decimal, top: Decimal) -> float:
    _, _, upper, lower = MARGIN
    span = HEIGHT - upper - lower
    share = float(value / top) if top > 0 else 0.0
    return HEIGHT - lower - span * max(0.0, min(share, 1.0))


def bar_chart(title: str, bars: list[Bar], top: Decimal, ticks: list[tuple[Decimal, str]], description: str = "") -> str:
    """Vertical bars from 0 to ``top``, each labelled under the axis and valued above the bar."""
    left, right, _, lower = MARGIN
    parts = _open(title, description or title) + _axes(top, ticks)
    slot = (WIDTH - left - right) / max(len(bars), 1)
    for index, bar in enumerate(bars):
        x = left + slot * index + slot * 0.15
        y = _y(bar.value, top)
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<rect x="{c(x)}" y="{c(y)}" width="{c(slot * 0.7)}" height="{c(HEIGHT - lower - y)}" fill="{colour}"><title>{escape(bar.label)}: {escape(bar.shown)}</title></rect>')
        middle = x + slot * 0.35
        parts.append(f'<text x="{c(middle)}" y="{c(y - 5)}" text-anchor="middle">{escape(bar.shown)}</text>')
        parts.append(f'<text x="{c(middle)}" y="{HEIGHT - lower + 18}" text-anchor="middle">{escape(bar.label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def line_chart(title: str, points: list[Bar], top: Decimal, ticks: list[tuple[Decimal, str]], description: str = "") -> str:
    """A line through the points, left to right (one a year), each marked and valued."""
    left, right, _, lower = MARGIN
    parts = _open(title, description or title) + _axes(top, ticks)
    slot = (WIDTH - left - right) / max(len(points), 1)
    placed = [(left + slot * (index + 0.5), _y(point.value, top), point) for index, point in enumerate(points)]
    if len(placed) > 1:
        path = " ".join(f"{c(x)},{c(y)}" for x, y, _ in placed)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS[0]}" stroke-width="2"/>')
    for x, y, point in placed:
        parts.append(f'<circle cx="{c(x)}" cy="{c(y)}" r="4" fill="{COLOURS[0]}"><title>{escape(point.label)}: {escape(point.shown)}</title></circle>')
        parts.append(f'<text x="{c(x)}" y="{c(y - 9)}" text-anchor="middle">{escape(point.shown)}</text>')
        parts.append(f'<text x="{c(x)}" y="{HEIGHT - lower + 18}" text-anchor="middle">{escape(point.label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


__all__ = ["Bar", "bar_chart", "line_chart"]
