"""Charts drawn on the server as SVG: a title, both axes with their numbers, each bar's
total written over it and a legend with each series' total, so everything reads without
hovering and without script. Every text is escaped (a label may be a channel's name)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Series", "nice_ticks", "stacked_bars"]


@dataclass(frozen=True)
class Series:
    """One stacked part of every bar: its name in the legend, a value per bar, a colour."""

    label: str
    values: Sequence[int]
    color: str


def nice_ticks(top: int, count: int = 4) -> list[int]:
    """Round steps from 0 to at least `top` (0, 5, 10, 15 for 13)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return list(range(0, top + step, step)) if top % step else list(range(0, top + 1, step))


def stacked_bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str = "",
    width: int = 760,
    height: int = 280,
    label_every: int = 0,
) -> Markup:
    """An SVG of one stacked bar per label (a day, say), `series` stacked bottom-up.
    `label_every`: write every n-th label under the axis (0: as many as fit)."""
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(
                f"series {s.label!r} has {len(s.values)} values for {len(labels)} bars"
            )
    left, right, top_pad, bottom = 48, 12, 40, 64
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0))
    y_max = ticks[-1]
    n = max(1, len(labels))
    slot = plot_w / n
    bar_w = max(2.0, slot * 0.7)
    every = label_every or max(1, math.ceil(n / max(1, plot_w // 44)))

    def y(v: float) -> float:
        return top_pad + plot_h - (v / y_max) * plot_h

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="18" class="chart-title" font-size="15" font-weight="600">'
        f"{escape(title)}</text>",
    ]
    for t in ticks:  # horizontal grid lines with the y axis' numbers
        ty = y(t)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="#d0d4da" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11">{t}</text>'
        )
    if y_label:
        out.append(
            f'<text x="12" y="{top_pad + plot_h / 2:.1f}" font-size="11" text-anchor="middle" '
            f'transform="rotate(-90 12 {top_pad + plot_h / 2:.1f})">{escape(y_label)}</text>'
        )
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar_w) / 2
        base = 0
        for s in series:
            v = s.values[i]
            if v > 0:
                out.append(
                    f'<rect x="{x:.1f}" y="{y(base + v):.1f}" width="{bar_w:.1f}" '
                    f'height="{y(base) - y(base + v):.1f}" fill="{escape(s.color)}">'
                    f"<title>{escape(label)}: {v} {escape(s.label)}</title></rect>"
                )
            base += v
        if totals[i] > 0:
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y(totals[i]) - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{totals[i]}</text>'
            )
        if i % every == 0:
            lx, ly = x + bar_w / 2, top_pad + plot_h + 14
            out.append(
                f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="10" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top_pad + plot_h}" '
        f'y2="{top_pad + plot_h}" stroke="#333" stroke-width="1"/>'
    )
    lx = left
    for s in series:  # the legend, each series with its total
        text = f"{s.label}: {sum(s.values)}"
        out.append(
            f'<rect x="{lx}" y="{height - 22}" width="12" height="12" fill="{escape(s.color)}"/>'
            f'<text x="{lx + 16}" y="{height - 12}" font-size="12">{escape(text)}</text>'
        )
        lx += 24 + 8 * len(text)
    out.append("</svg>")
    return Markup("".join(out))
