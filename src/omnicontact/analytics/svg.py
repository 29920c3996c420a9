"""Small inline-SVG charts for the HTML report: no JavaScript, no network, no dependency.

Each function returns an ``<svg>`` element as text, sized by ``viewBox`` so
it scales with the page. Every text is escaped; labels are stage, channel and
model names and numbers, never personal data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["PALETTE", "funnel_chart", "grouped_bars", "stacked_area", "stacked_bars"]

PALETTE = (
    "#2f6fdf",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#9c755f",
    "#ff9da7",
    "#4e79a7",
    "#bab0ac",
)
"""Colours of the series, in order (colour-blind-friendly Tableau 10, blue first)."""

_FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif"


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value == int(value):
        return str(int(value))
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" style="width:100%;height:auto;{_FONT}">'
        + "".join(body)
        + "</svg>"
    )


def funnel_chart(steps: Sequence[tuple[str, int, float | None]], *, label: str) -> str:
    """Return a horizontal funnel: one centred bar per step, its count and conversion.

    :param steps: ``(step name, contacts, conversion from the previous step or None)``.
    """
    width, row = 760, 54
    height = max(row * len(steps) + 10, 40)
    top = max((count for _, count, _ in steps), default=0) or 1
    body: list[str] = []
    for index, (name, count, rate) in enumerate(steps):
        y = 5 + index * row
        bar = max(4.0, 520 * count / top)
        x = 170 + (520 - bar) / 2
        colour = PALETTE[0]
        body.append(
            f'<text x="160" y="{y + 30}" text-anchor="end" font-size="15" fill="#222">'
            f"{escape(name)}</text>"
            f'<rect x="{x:.1f}" y="{y + 8}" width="{bar:.1f}" height="36" rx="5" '
            f'fill="{colour}" fill-opacity="{1 - index * 0.1 if index < 6 else 0.4:.2f}"/>'
        )
        if bar >= 70:  # the count inside its bar; beside a bar too narrow to hold it
            body.append(
                f'<text x="430" y="{y + 31}" text-anchor="middle" font-size="15" '
                f'font-weight="600" fill="#fff">{_fmt(count)}</text>'
            )
        else:
            body.append(
                f'<text x="{x + bar + 8:.1f}" y="{y + 31}" font-size="15" font-weight="600" '
                f'fill="#222">{_fmt(count)}</text>'
            )
        if rate is not None:
            body.append(
                f'<text x="700" y="{y + 30}" font-size="13" fill="#555">'
                f"{rate * 100:.0f}% of previous</text>"
            )
    return _svg(width + 110, height, body, label)


def grouped_bars(
    groups: Sequence[str], series: Mapping[str, Sequence[float]], *, label: str, unit: str = ""
) -> str:
    """Return vertical bars: one group per x label, one bar per series in each group."""
    names = list(series)
    width, height, left, bottom = 820, 330, 50, 60
    plot_w, plot_h = width - left - 20, height - bottom - 40
    top = max((v for values in series.values() for v in values), default=0) or 1
    body = _y_axis(left, 20, plot_w, plot_h, top, unit)
    slot = plot_w / max(len(groups), 1)
    bar = min(26.0, (slot - 12) / max(len(names), 1))
    for g, group in enumerate(groups):
        start = left + g * slot + (slot - bar * len(names)) / 2
        for s, name in enumerate(names):
            value = series[name][g]
            h = plot_h * value / top
            x = start + s * bar
            body.append(
                f'<rect x="{x:.1f}" y="{20 + plot_h - h:.1f}" width="{bar - 2:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                f"<title>{escape(group)}, {escape(name)}: {_fmt(value)}</title></rect>"
            )
        body.append(
            f'<text x="{left + (g + 0.5) * slot:.1f}" y="{20 + plot_h + 18}" '
            f'text-anchor="middle" font-size="13" fill="#222">{escape(group)}</text>'
        )
    body.extend(_legend(names, left, height - 18))
    return _svg(width, height, body, label)


def stacked_bars(
    rows: Sequence[str], parts: Mapping[str, Sequence[float]], *, label: str
) -> str:
    """Return horizontal bars stacked by part (e.g. transitions split by channel), as shares."""
    names = list(parts)
    width, row, left = 820, 34, 230
    height = row * len(rows) + 60
    body: list[str] = []
    for r, name in enumerate(rows):
        total = sum(parts[p][r] for p in names) or 1
        x = float(left)
        y = 10 + r * row
        body.append(
            f'<text x="{left - 10}" y="{y + 19}" text-anchor="end" font-size="13" fill="#222">'
            f"{escape(name)}</text>"
        )
        for p, part in enumerate(names):
            value = parts[part][r]
            if not value:
                continue
            w = (width - left - 20) * value / total
            body.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="22" '
                f'fill="{PALETTE[p % len(PALETTE)]}"><title>{escape(name)}, {escape(part)}: '
                f"{_fmt(value)}</title></rect>"
            )
            if w > 34:
                body.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 19}" text-anchor="middle" '
                    f'font-size="11" fill="#fff">{_fmt(value)}</text>'
                )
            x += w
    body.extend(_legend(names, 20, height - 14))
    return _svg(width, height, body, label)


def stacked_area(
    xs: Sequence[str], series: Mapping[str, Sequence[float]], *, label: str
) -> str:
    """Return a stacked area chart: one band per series over the x labels (e.g. stage counts)."""
    names = list(series)
    width, height, left, bottom = 820, 320, 50, 60
    plot_w, plot_h = width - left - 20, height - bottom - 40
    totals = [sum(series[n][i] for n in names) for i in range(len(xs))]
    top = max(totals, default=0) or 1
    body = _y_axis(left, 20, plot_w, plot_h, top, "")
    step = plot_w / max(len(xs) - 1, 1)
    base = [0.0] * len(xs)
    for s, name in enumerate(names):
        upper = [base[i] + series[name][i] for i in range(len(xs))]
        points = [
            f"{left + i * step:.1f},{20 + plot_h - plot_h * upper[i] / top:.1f}"
            for i in range(len(xs))
        ] + [
            f"{left + i * step:.1f},{20 + plot_h - plot_h * base[i] / top:.1f}"
            for i in reversed(range(len(xs)))
        ]
        body.append(
            f'<polygon points="{" ".join(points)}" fill="{PALETTE[s % len(PALETTE)]}" '
            f'fill-opacity="0.85"><title>{escape(name)}</title></polygon>'
        )
        base = upper
    every = max(1, len(xs) // 8)
    for i, x in enumerate(xs):
        last = i == len(xs) - 1
        if (i % every == 0 and len(xs) - 1 - i >= every / 2) or last:
            anchor = "end" if last and i else "middle"
            body.append(
                f'<text x="{left + i * step:.1f}" y="{20 + plot_h + 18}" text-anchor="{anchor}" '
                f'font-size="12" fill="#444">{escape(x)}</text>'
            )
    body.extend(_legend(names, left, height - 18))
    return _svg(width, height, body, label)


def _y_axis(left: int, top: int, width: float, height: float, peak: float, unit: str) -> list[str]:
    out = []
    for k in range(5):
        value = peak * k / 4
        y = top + height - height * k / 4
        out.append(
            f'<line x1="{left}" x2="{left + width:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e3e3e3"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#666">{_fmt(value)}{escape(unit)}</text>'
        )
    return out


def _legend(names: Sequence[str], left: int, y: int) -> list[str]:
    out = []
    x = float(left)
    for s, name in enumerate(names):
        out.append(
            f'<rect x="{x:.1f}" y="{y - 10}" width="12" height="12" rx="2" '
            f'fill="{PALETTE[s % len(PALETTE)]}"/><text x="{x + 16:.1f}" y="{y}" '
            f'font-size="12" fill="#333">{escape(name)}</text>'
        )
        x += 26 + 7.2 * len(name)
    return out
