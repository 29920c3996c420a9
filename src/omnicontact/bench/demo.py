"""``omnicontact demo``: a generated world, ingested, resolved, staged, scored and reported.

A few thousand people of :class:`~omnicontact.bench.world.World` meet the
brand on the web site, the app, in stores, at the call centre, by e-mail and
on social networks; each channel exports its own payloads (Segment events,
till orders, ESP webhooks, helpdesk tickets), which the built-in adapters read
into an SQLite file. The demo then prints what happened, held against the
generator's truth: contacts found against people, the quality of the
matching, merges and guard vetoes, the stage funnel, the top scores, consent,
and writes the HTML report.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from omnicontact.bench.metrics import score_clustering
from omnicontact.errors import OmnicontactError
from omnicontact.hub import Hub
from omnicontact.ingest import IngestReport

__all__ = ["DEFAULT_DB", "DEFAULT_HTML", "add_arguments", "run"]

DEFAULT_DB = "omnicontact-demo.db"
"""The demo's own database file: replaced at every run."""

DEFAULT_HTML = "omnicontact-demo.html"
"""Where the demo writes its HTML report."""

_CHUNK = 5_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``demo`` command's options to *parser*."""
    parser.add_argument(
        "--people", type=int, default=3000, help="people in the generated world (3000)"
    )
    parser.add_argument("--seed", type=int, default=42, help="the world's seed (42)")
    parser.add_argument(
        "--db",
        default=DEFAULT_DB,
        help=f"the SQLite file to write ({DEFAULT_DB}, replaced at each run; "
        "another existing file needs --force)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --db file")
    parser.add_argument(
        "--html", default=DEFAULT_HTML, help=f"the HTML report to write ({DEFAULT_HTML})"
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )


def _ingest(
    hub: Hub, events: Iterable[Any], progress: TextIO | None
) -> tuple[IngestReport, dict[str, str], Counter[str]]:
    """Ingest the world's events, each through its adapter; return the report and the truth."""
    report = IngestReport()
    truth: dict[str, str] = {}
    by_adapter: Counter[str] = Counter()
    buffers: dict[str, list[Any]] = {}
    pending = 0

    def flush() -> None:
        nonlocal report, pending
        for adapter, payloads in buffers.items():
            if payloads:
                report += hub.ingest(payloads, adapter=adapter)
                payloads.clear()
        pending = 0
        if progress is not None:
            progress.write(f"\r{report.total:,} events ingested")
            progress.flush()

    for event in events:
        truth[event.touchpoint_id] = event.person
        by_adapter[event.adapter] += 1
        buffers.setdefault(event.adapter, []).append(event.payload)
        pending += 1
        if pending >= _CHUNK:
            flush()
    flush()
    if progress is not None:
        progress.write("\n")
    return report, truth, by_adapter


def _prepare_db(path: str, force: bool) -> None:
    if not os.path.exists(path):
        return
    if os.path.basename(path) != DEFAULT_DB and not force:
        raise OmnicontactError(f"{path} exists: pass --force to replace it with the demo's")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the demo; write its summary to *out*; return the exit status."""
    from omnicontact.analytics.report import build_report, render_html
    from omnicontact.bench.world import World

    if args.people < 1:
        raise OmnicontactError("--people: must be at least 1")
    _prepare_db(args.db, args.force)
    wanted = args.progress if args.progress is not None else sys.stderr.isatty()
    progress = sys.stderr if wanted else None
    world = World(people=args.people, seed=args.seed)
    started = time.perf_counter()
    with Hub.open(args.db, load_entry_points=False, clock=lambda: world.end) as hub:
        report, truth, by_adapter = _ingest(hub, world.events(), progress)
        ingest_seconds = time.perf_counter() - started
        contacts = list(hub.contacts())
        predicted = {tp: c.contact_id for c in contacts for tp in c.touchpoint_ids}
        scored = score_clustering(predicted, {tp: truth[tp] for tp in predicted if tp in truth})
        people = len(set(truth.values()))
        merges = sum(1 for e in hub.audit() if e.action == "merge")
        vetoes: Counter[str] = Counter()
        for contact in contacts:
            if contact.identified and len(contact.timeline) > 1:
                vetoes.update(v.guard for v in hub.explain(contact).vetoes)
        summary = build_report(hub, as_of=world.end)
        Path(args.html).write_text(render_html(summary), encoding="utf-8")
        reachable = sum(1 for c in contacts if c.can_contact("email", "marketing"))
        top = sorted(
            ((c.scores["engagement"].value, c) for c in contacts if c.identified),
            key=lambda item: -item[0],
        )[:5]
        _print(out, locals())
    return 0


def _print(out: TextIO, found: dict[str, Any]) -> None:
    args, report, scored = found["args"], found["report"], found["scored"]
    contacts, summary = found["contacts"], found["summary"]
    identified = sum(1 for c in contacts if c.identified)
    out.write(
        f"omnicontact demo: {found['people']:,} people (seed {args.seed}) met the brand on "
        f"{len(summary.channels)} channels\n\n"
    )
    channels = ", ".join(f"{n:,} {a}" for a, n in sorted(found["by_adapter"].items()))
    out.write(
        f"ingested {report.total:,} channel exports ({channels}) into {args.db} "
        f"in {found['ingest_seconds']:.1f} s:\n"
        f"  {report.accepted:,} touchpoints, {report.duplicates:,} duplicate deliveries, "
        f"{len(report.quarantined):,} quarantined\n"
    )
    reasons = Counter(f"{r.field}: {r.reason}" for r in report.quarantined).most_common(3)
    for reason, count in reasons:
        out.write(f"    {count:>5}  {reason}\n")
    out.write(
        f"\n{len(contacts):,} contacts ({identified:,} identified) for {found['people']:,} people "
        f"in truth\n"
        f"  pairwise precision {scored.pairwise_precision:.3f}, recall "
        f"{scored.pairwise_recall:.3f}, F1 {scored.pairwise_f1:.3f}; B-cubed F1 "
        f"{scored.bcubed_f1:.3f}\n"
        f"  {scored.over_merged_entities:,} people in a contact shared with someone else, "
        f"{scored.under_merged_entities:,} people split over several contacts\n"
        f"  {found['merges']:,} merges recorded in the audit ledger\n"
    )
    vetoes = found["vetoes"]
    if vetoes:
        shown = ", ".join(f"{guard} {n:,}" for guard, n in vetoes.most_common())
        out.write(f"  links vetoed by the merge guards: {shown}\n")
    out.write(f"\nstage funnel ({summary.track}), as of {summary.as_of:%Y-%m-%d}:\n")
    for stage, count, step, _ in summary.funnel.rows:
        rate = "" if step is None else f"  ({step * 100:.0f}% of previous)"
        out.write(f"  {stage:<12}{count:>7,}{rate}\n")
    out.write("\nmost engaged identified contacts (engagement score):\n")
    for value, contact in found["top"]:
        out.write(
            f"  {contact.contact_id}  {value:7.1f}  {contact.stage or '-':<11} "
            f"{len(contact.timeline)} touchpoints on {len(contact.channels)} channels\n"
        )
    out.write(
        f"\n{found['reachable']:,} contacts may receive marketing e-mail (consent granted)\n"
        f"HTML report written to {args.html}\n"
    )
