"""Text tables of the benchmark suite's figures (``omnicontact bench``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omnicontact.bench.suite import SuiteResult

__all__ = ["labelled_table", "render_table"]


def _grid(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> list[str]:
    """Return *rows* as aligned lines: first column left, the others right."""
    table = [list(header)] if header else []
    table += [list(r) for r in rows]
    widths = [max(len(r[i]) for r in table if i < len(r)) for i in range(len(table[0]))]
    lines = []
    for number, cells in enumerate(table):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=False))
            ).rstrip()
        )
        if header and number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def _f(value: Any, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


def _matching_rows(scores: Mapping[str, Any]) -> list[list[str]]:
    return [
        ["pairwise precision / recall / F1", _prf(scores, "pairwise")],
        ["B-cubed precision / recall / F1", _prf(scores, "bcubed")],
        [
            "over-merged: contacts mixing people (people in them)",
            f"{scores['over_merged_clusters']:,} ({scores['over_merged_entities']:,})",
        ],
        [
            "under-merged: people split (their records)",
            f"{scores['under_merged_entities']:,} ({scores['under_merged_records']:,})",
        ],
    ]


def _prf(scores: Mapping[str, Any], kind: str) -> str:
    return " / ".join(f"{scores[f'{kind}_{m}']:.4f}" for m in ("precision", "recall", "f1"))


def _splink_lines(peers: Mapping[str, Any]) -> list[str]:
    splink = peers.get("splink")
    if not splink:
        return []
    if "skipped" in splink or "error" in splink:
        why = splink.get("skipped") or splink.get("error")
        return ["", f"Splink beside: not run ({why})"]
    ours, theirs = splink["omnicontact_scores"], splink["scores"]

    def ratio(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}x"

    def row(label: str, key: str, ratio_key: str | None = None) -> list[str]:
        return [
            label,
            f"{ours[key]:.4f}",
            f"{theirs[key]:.4f}",
            ratio(splink.get(ratio_key)) if ratio_key else "",
        ]

    rows = [
        ["records with an e-mail, phone or customer id", *[f"{splink['records']:,}"] * 2, ""],
        [
            "contacts / clusters",
            f"{ours['predicted_clusters']:,}",
            f"{theirs['predicted_clusters']:,}",
            "",
        ],
        row("pairwise precision", "pairwise_precision"),
        row("pairwise recall", "pairwise_recall"),
        row("pairwise F1", "pairwise_f1", "pairwise_f1_ratio"),
        row("B-cubed F1", "bcubed_f1", "bcubed_f1_ratio"),
        [
            "over-merged contacts",
            f"{ours['over_merged_clusters']:,}",
            f"{theirs['over_merged_clusters']:,}",
            "",
        ],
        [
            "under-merged people",
            f"{ours['under_merged_entities']:,}",
            f"{theirs['under_merged_entities']:,}",
            "",
        ],
        [
            "time (s)",
            f"{splink['omnicontact_seconds']:.2f}",
            f"{splink['seconds']:.2f}",
            ratio(splink.get("seconds_ratio")),
        ],
    ]
    header = [
        "matching, side by side",
        "omnicontact",
        f"Splink {splink['version']}",
        "omnicontact / Splink",
    ]
    return ["", *_grid(rows, header)]


def render_table(result: SuiteResult) -> str:
    """Return the suite's figures as a text table."""
    p, ing, look = result.parameters, result.ingest, result.lookups
    m, st, sc, an, mem = (
        result.matching,
        result.stages,
        result.scoring,
        result.analytics,
        result.memory,
    )
    rows: list[list[str]] = [
        ["world", f"{m['people']:,} people, {ing['events']:,} events, as of {p['as_of'][:10]}"],
        ["  generated in", f"{ing['generate_seconds']:.1f} s (not counted below)"],
        ["ingest", f"{ing['events_per_second']:,.0f} events/s ({ing['seconds']:.1f} s)"],
        [
            "  accepted / duplicates / quarantined",
            f"{ing['accepted']:,} / {ing['duplicates']:,} / {ing['quarantined']:,}",
        ],
    ]
    for name, figures in ing["by_adapter"].items():
        rows.append(
            [
                f"  {name}",
                f"{figures['events_per_second']:,.0f} events/s ({figures['events']:,} events)",
            ]
        )
    if look.get("lookups"):
        rows.append(
            [
                f"lookup by identifier ({look['lookups']:,})",
                "p50 {:.3f} / p90 {:.3f} / p99 {:.3f} / max {:.3f} ms".format(
                    look["p50_ms"], look["p90_ms"], look["p99_ms"], look["max_ms"]
                ),
            ]
        )
    rows += [
        ["contacts found / people in truth", f"{m['contacts']:,} / {m['people']:,}"],
        *_matching_rows(m),
        [
            f"stage accuracy ({st['track']})",
            f"{st['accuracy']:.4f} ({st['correct']:,} of {st['people']:,} people)",
        ],
    ]
    for stage, share in st["by_stage"].items():
        count = sum(st["confusion"][stage].values())
        rows.append([f"  {stage} ({count:,})", f"{share:.4f}"])
    rows += [
        [
            f"scoring ({len(sc['strategies'])} strategies)",
            f"{sc['contacts_per_second']:,.0f} contacts/s ({sc['seconds']:.1f} s)",
        ],
        ["analytics report", f"{an['seconds']:.1f} s"],
        ["peak memory (RSS)", f"{mem['peak_rss_mb']:,.0f} MiB"],
        ["total time", f"{result.seconds:.1f} s"],
    ]
    title = f"omnicontact bench: {p['size']:,} people, seed {p['seed']}, {p['store']} store"
    lines = [title, "", *_grid(rows), *_splink_lines(result.peers)]
    return "\n".join(lines) + "\n"


def labelled_table(result: Mapping[str, Any]) -> str:
    """Return the figures of ``omnicontact bench --data FILE`` as a text table."""
    data, m = result["data"], result["matching"]
    rows = [
        ["records / people in truth", f"{data['records']:,} / {data['people']:,}"],
        ["contacts found", f"{m['contacts']:,}"],
        ["records quarantined", f"{data['quarantined']:,}"],
        *([f"  {reason}", f"{count:,}"] for reason, count in sorted(data["reasons"].items())),
        *_matching_rows(m),
        ["time", f"{result['seconds']:.2f} s"],
    ]
    lines = [f"omnicontact bench: matching quality on {data['file']}", "", *_grid(rows)]
    lines += _splink_lines(result.get("peers", {}))
    return "\n".join(lines) + "\n"
