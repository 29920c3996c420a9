"""The report: a self-contained HTML page and a terminal summary of a hub as of a date.

:func:`build_report` computes what the report shows (a :class:`Report`):
headline counts, the stage funnel of one track, the channels that moved
people from stage to stage, stage counts over time, conversions attributed by
every model side by side, the top paths and the KPIs. :func:`render_html`
turns it into one HTML file (inline CSS and SVG: no script, no network), and
:func:`render_text` into a plain-text summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

import attrs

from omnicontact._version import __version__
from omnicontact.analytics.attribution import ATTRIBUTION_MODELS, attribution
from omnicontact.analytics.base import Table, _text, check_as_of, contacts_of, ratio
from omnicontact.analytics.kpis import kpis
from omnicontact.analytics.paths import paths
from omnicontact.analytics.stages import histories, stage_counts, stage_flows, stage_names
from omnicontact.analytics.svg import funnel_chart, grouped_bars, stacked_area, stacked_bars
from omnicontact.model import Contact

if TYPE_CHECKING:
    from omnicontact.hub import Hub

__all__ = ["Report", "build_report", "render_html", "render_text"]


@attrs.frozen
class Report:
    """What the report shows, computed as of one date.

    :param as_of: the date; nothing after it counts.
    :param track: the stage model of the funnel, flows and counts.
    :param contacts: contacts seen by then; ``identified``: those identified.
    :param touchpoints: touchpoints by then; ``channels``: channels used.
    :param funnel: one row per stage of the track's main path: ``stage``,
        ``contacts`` that reached it or a later stage, ``conversion`` from the
        previous stage, ``overall`` from the first.
    :param flows: :func:`~omnicontact.analytics.stages.stage_flows`.
    :param counts: :func:`~omnicontact.analytics.stages.stage_counts`.
    :param attribution: conversions by channel, one column per model.
    :param attribution_value: the conversions' value, the same way.
    :param paths: the most frequent channel paths to conversion.
    :param kpis: :func:`~omnicontact.analytics.kpis.kpis`.
    """

    as_of: datetime
    track: str
    contacts: int
    identified: int
    touchpoints: int
    channels: tuple[str, ...]
    funnel: Table
    flows: Table
    counts: Table
    attribution: Table
    attribution_value: Table
    paths: Table
    kpis: Table


def _main_path(names: Sequence[str], ranks: dict[str, int]) -> list[str]:
    """Return the funnel's stages: one per rank (a side stage sharing a rank is left out)."""
    seen: set[int] = set()
    out = []
    for name in names:
        if ranks[name] not in seen:
            seen.add(ranks[name])
            out.append(name)
    return out


def _funnel(
    found: list[tuple[Contact, Any]], names: Sequence[str], ranks: dict[str, int]
) -> Table:
    """Contacts that reached each main stage, or a later one (a skipped stage counts as passed)."""
    steps = _main_path(names, ranks)
    best: list[int] = []
    for _, history in found:
        reached = [ranks[c.to_stage] for c in history.changes if c.to_stage in ranks]
        if reached:
            best.append(max(reached))
    rows: list[tuple[str, int, float | None, float | None]] = []
    first = previous = None
    for stage in steps:
        count = sum(1 for rank in best if rank >= ranks[stage])
        first = count if first is None else first
        rows.append(
            (
                stage,
                count,
                None if previous is None else ratio(count, previous),
                ratio(count, first),
            )
        )
        previous = count
    return Table("stage_funnel", ("stage", "contacts", "conversion", "overall"), rows)


def build_report(
    source: Hub | Iterable[Contact],
    *,
    as_of: datetime,
    track: str = "extended_crm",
    conversion: str = "purchase",
    models: Sequence[str] = ATTRIBUTION_MODELS,
    lookback: timedelta | None = timedelta(days=30),
    period: str | None = None,
) -> Report:
    """Compute the report of *source* as of *as_of*.

    :param track: the stage model of the funnel, the flows and the counts.
    :param conversion: the action that converts, for attribution and paths.
    :param models: the attribution models shown side by side.
    :param lookback: how far before a conversion a touch counts.
    :param period: ``day``, ``week`` or ``month`` for the stage counts; by
        default weeks when the data spans up to 26 weeks, else months.
    :raises AnalyticsError: for an unknown track or model, or a naive *as_of*.
    """
    check_as_of(as_of)
    contacts = [c for c in contacts_of(source) if c.first_seen <= as_of]
    found = histories(contacts, track=track, as_of=as_of)
    names = stage_names(contacts, track) if contacts else ()
    ranks: dict[str, int] = {}
    if contacts and contacts[0].lifecycle is not None:
        model = contacts[0].lifecycle.models[track]
        ranks = {stage.name: stage.rank for stage in model.stages}
    if period is None:
        span = as_of - min((c.first_seen for c in contacts), default=as_of)
        period = "week" if span <= timedelta(weeks=26) else "month"
    touchpoints = [tp for c in contacts for tp in c.timeline if tp.occurred_at <= as_of]
    common: dict[str, Any] = {"as_of": as_of, "conversion": conversion, "lookback": lookback}
    return Report(
        as_of=as_of,
        track=track,
        contacts=len(contacts),
        identified=sum(1 for c in contacts if c.identified),
        touchpoints=len(touchpoints),
        channels=tuple(sorted({tp.channel for tp in touchpoints})),
        funnel=_funnel(found, names, ranks),
        flows=stage_flows(contacts, as_of=as_of, track=track),
        counts=stage_counts(contacts, as_of=as_of, track=track, period=period),
        attribution=attribution(contacts, models=models, **common),
        attribution_value=attribution(contacts, models=models, weight="value", **common),
        paths=paths(contacts, as_of=as_of, conversion=conversion, top=8),
        kpis=kpis(contacts, as_of=as_of, track=track),
    )


# --------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------


def _percent(value: Any) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def render_text(report: Report) -> str:
    """Return the plain-text summary: headline, stage funnel, attribution, top paths, KPIs."""
    lines = [
        f"omnicontact report as of {report.as_of:%Y-%m-%d %H:%M} UTC",
        f"{report.contacts} contacts ({report.identified} identified), "
        f"{report.touchpoints} touchpoints on {len(report.channels)} channels",
        "",
        f"stage funnel ({report.track}): contacts that reached each stage or beyond",
    ]
    for stage, count, step, overall in report.funnel.rows:
        lines.append(
            f"  {stage:<14}{count:>7}   {_percent(step):>5} of previous  "
            f"{_percent(overall):>5} overall"
        )
    lines += ["", "conversions attributed to channels, by model", _indent(str(report.attribution))]
    lines += ["", "top paths to conversion"]
    for path, count, share in report.paths.rows:
        lines.append(f"  {count:>5}  {_percent(share):>4}  {' > '.join(path)}")
    lines += ["", "KPIs"]
    for name, value, _ in report.kpis.rows:
        lines.append(f"  {name:<44} {_kpi(name, value)}")
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _kpi(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, timedelta):
        return _text(value)
    if name == "nps":
        return f"{value:+.0f}"
    if isinstance(value, float) and ("share" in name or "rate" in name or "conversion" in name):
        return f"{value * 100:.1f}%"
    return _text(value)


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------

_CSS = """
:root{--ink:#1d2433;--muted:#5b6577;--line:#e4e8ef;--bg:#f5f7fb;--card:#fff;--accent:#2f6fdf}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{background:linear-gradient(120deg,#1f3b73,#2f6fdf);color:#fff;padding:28px 40px 24px}
header h1{margin:0 0 4px;font-size:26px;font-weight:650;letter-spacing:-.01em}
header p{margin:0;opacity:.85}
main{max-width:1180px;margin:0 auto;padding:24px 32px 48px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:14px;
 margin:-46px 0 22px}
.card{background:var(--card);border-radius:12px;padding:14px 18px;box-shadow:0 1px 3px #0002}
.card b{display:block;font-size:26px;font-weight:650}
.card span{color:var(--muted);font-size:13px}
section{background:var(--card);border-radius:12px;padding:18px 22px;margin:0 0 18px;
 box-shadow:0 1px 3px #0001}
section h2{margin:0 0 4px;font-size:18px}
section p.note{margin:0 0 12px;color:var(--muted);font-size:13px}
.two{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media (max-width:900px){.two{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:right}
th:first-child,td:first-child{text-align:left}
th{color:var(--muted);font-weight:600}
td.def{color:var(--muted);text-align:left}
th.def{text-align:left}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
"""


def _table_html(table: Table, *, percent: Sequence[str] = (), digits: int = 2) -> str:
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            if column in percent:
                text = _percent(value)
            elif isinstance(value, float):
                text = f"{value:,.{digits}f}"
            else:
                text = _text(value)
            cells.append(f"<td>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _kpi_html(table: Table) -> str:
    rows = []
    for name, value, definition in table.rows:
        rows.append(
            f"<tr><td>{escape(name.replace('_', ' '))}</td><td>{escape(_kpi(name, value))}</td>"
            f'<td class="def">{escape(definition)}</td></tr>'
        )
    return (
        "<table><thead><tr><th>indicator</th><th>value</th><th class=\"def\">definition</th>"
        "</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _flows_chart(flows: Table) -> str:
    transitions: list[str] = []
    channels: list[str] = []
    counts: dict[tuple[str, str], int] = {}
    for source, target, channel, n in flows.rows:
        if source is None:
            continue
        label = f"{source} → {target}"
        if label not in transitions:
            transitions.append(label)
        if channel not in channels:
            channels.append(channel)
        counts[(label, channel)] = counts.get((label, channel), 0) + n
    if not transitions:
        return "<p class='note'>No stage changes yet.</p>"
    parts = {c: [float(counts.get((t, c), 0)) for t in transitions] for c in channels}
    return stacked_bars(transitions, parts, label="channels that moved contacts between stages")


def _counts_chart(counts: Table) -> str:
    if not counts.rows:
        return "<p class='note'>No contacts yet.</p>"
    xs = [str(x) for x in counts.column("period")]
    series = {
        name: [float(v) for v in counts.column(name)]
        for name in counts.columns[1:]
        if any(counts.column(name))
    }
    return stacked_area(xs, series, label="contacts in each stage over time")


def _attribution_chart(table: Table) -> str:
    if not table.rows:
        return "<p class='note'>No conversions yet.</p>"
    groups = [str(c) for c in table.column("channel")]
    series = {model: [float(v) for v in table.column(model)] for model in table.columns[1:]}
    return grouped_bars(groups, series, label="conversions attributed to channels by model")


def render_html(report: Report) -> str:
    """Return the report as one self-contained HTML page (inline CSS and SVG, no script)."""
    funnel_rows = [(s, n, step) for s, n, step, _ in report.funnel.rows]
    conversions = sum(float(v) for v in report.attribution.column("last_touch")) if (
        "last_touch" in report.attribution.columns
    ) else 0.0
    value = sum(float(v) for v in report.attribution_value.column("last_touch")) if (
        "last_touch" in report.attribution_value.columns
    ) else 0.0
    kpi = {name: v for name, v, _ in report.kpis.rows}
    cards = [
        (f"{report.contacts:,}", f"contacts ({report.identified:,} identified)"),
        (f"{report.touchpoints:,}", f"touchpoints on {len(report.channels)} channels"),
        (f"{conversions:,.0f}", f"conversions, {value:,.0f} in value"),
        (_kpi("recognition_rate", kpi.get("recognition_rate")), "touchpoints recognised"),
        (
            _kpi("cross_channel_contacts_share", kpi.get("cross_channel_contacts_share")),
            "contacts seen on 2+ channels",
        ),
        (_kpi("nps", kpi.get("nps")), "net promoter score"),
    ]
    card_html = "".join(f"<div class='card'><b>{escape(v)}</b><span>{escape(t)}</span></div>"
                        for v, t in cards)
    sections = [
        f"""<section><h2>Stage funnel</h2><p class="note">Contacts that reached each stage of
        the <b>{escape(report.track)}</b> track, or a later one, as of the date.</p>
        {funnel_chart(funnel_rows, label="stage funnel")}</section>""",
        f"""<section><h2>What moves people forward</h2><p class="note">Each stage change,
        by the channel of the touchpoint that caused it.</p>
        {_flows_chart(report.flows)}</section>""",
        f"""<section><h2>Stages over time</h2><p class="note">Contacts in each stage at the end
        of each period.</p>{_counts_chart(report.counts)}</section>""",
        f"""<section><h2>Attribution</h2><p class="note">Conversions credited to each channel,
        by model, side by side (first and last touch, linear, time decay, position-based,
        Markov removal effect, Shapley value).</p>{_attribution_chart(report.attribution)}
        {_table_html(report.attribution)}</section>""",
        f"""<div class="two"><section><h2>Top paths to conversion</h2>
        {_table_html(report.paths, percent=("share",))}</section>
        <section><h2>Value attributed</h2>{_table_html(report.attribution_value, digits=0)}
        </section></div>""",
        f"""<section><h2>Key indicators</h2>{_kpi_html(report.kpis)}</section>""",
    ]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>omnicontact report, {report.as_of:%Y-%m-%d}</title><style>{_CSS}</style></head>
<body><header><h1>Customer journeys across channels</h1>
<p>As of {report.as_of:%d %B %Y, %H:%M} UTC · {escape(", ".join(report.channels))}</p></header>
<main><div class="cards">{card_html}</div>
{"".join(sections)}
<footer>omnicontact {escape(__version__)} · every figure is computed from the touchpoints as
of the date above; no personal data is shown</footer></main></body></html>
"""
