"""The benchmark suite: one generated world through every part of omnicontact, measured.

:func:`run_suite` generates a :class:`~omnicontact.bench.world.World` of
*size* people and, in one process:

1. **ingest**: streams its channel-native events into a hub (in memory or on
   an SQLite file), each through its channel adapter, in chunks of 5,000
   events grouped by adapter; events/s overall and per adapter count only the
   time spent in ``Hub.ingest`` (generating the world is timed apart);
2. **lookups**: times ``Hub.find`` on identifiers (e-mail, phone, customer or
   loyalty id) of 2,000 random touchpoints, one at a time: p50/p90/p99/max;
3. **matching quality**: scores the contacts against the truth with
   :func:`~omnicontact.bench.metrics.score_clustering` (a quarantined event
   counts as a contact of its own);
4. **stage accuracy**: :func:`~omnicontact.bench.metrics.stage_accuracy` on
   ``extended_crm`` as of the world's end;
5. **scoring**: ``Hub.scores(as_of=world.end)``, every built-in strategy;
6. **analytics**: ``build_report(hub, as_of=world.end)``;
7. **peak memory** of the process so far (before any peer runs);
8. **peers**, when installed and *peers* is true: Splink deduplicates the
   same world's identified records (those with an e-mail, phone or customer
   id, as the adapters read them, before omnicontact normalizes anything);
   omnicontact's contacts are scored on the same records, and the ratios
   omnicontact / Splink are given.

:class:`SuiteResult` prints as a table (:meth:`SuiteResult.table`) and
converts to JSON (:meth:`SuiteResult.as_dict`). ``omnicontact bench`` and
``benchmarks/bench_suite.py`` both call it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import attrs

from omnicontact._version import __version__
from omnicontact.bench._steps import Ingest, Progress, Store, open_hub, time_lookups
from omnicontact.bench.metrics import (
    peak_memory_mb,
    score_clustering,
    stage_accuracy,
)
from omnicontact.bench.peers import compare_with_splink, splink_version
from omnicontact.errors import ConfigurationError
from omnicontact.model import Touchpoint

__all__ = ["SuiteResult", "add_arguments", "run", "run_suite"]

LOOKUPS = 2_000
TRACK = "extended_crm"
QUARANTINED = "quarantined:"
"""Prefix of the singleton contact a quarantined event is scored under."""


@attrs.frozen
class SuiteResult:
    """The figures of one suite run; every section is a JSON-ready dict.

    :param parameters: size, seed, store, peers, and the world's span.
    :param ingest: events, accepted, duplicates, quarantined, seconds, events/s,
        and the same per adapter; the seconds spent generating the world.
    :param lookups: lookups timed, found, and the latency percentiles in ms.
    :param matching: :class:`~omnicontact.bench.metrics.Scores` of the contacts
        against the truth, with the events quarantined.
    :param stages: :class:`~omnicontact.bench.metrics.StageAccuracy` as a dict.
    :param scoring: contacts, strategies, seconds.
    :param analytics: seconds to build the report, contacts in it.
    :param memory: peak resident set size (MiB), before the peers ran.
    :param peers: per peer: its scores and time, or why it did not run.
    :param seconds: the whole run, wall time.
    """

    parameters: Mapping[str, Any]
    ingest: Mapping[str, Any]
    lookups: Mapping[str, Any]
    matching: Mapping[str, Any]
    stages: Mapping[str, Any]
    scoring: Mapping[str, Any]
    analytics: Mapping[str, Any]
    memory: Mapping[str, Any]
    peers: Mapping[str, Any]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """Return every figure as a JSON-ready dict."""
        return attrs.asdict(self, recurse=False) | {
            name: _plain(getattr(self, name))
            for name in attrs.fields_dict(SuiteResult)
            if name != "seconds"
        }

    def table(self) -> str:
        """Return the figures as a text table (see :func:`render_table`)."""
        from omnicontact.bench._table import render_table

        return render_table(self)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------
# the steps
# --------------------------------------------------------------------------


def run_suite(
    size: int = 1000,
    seed: int = 42,
    store: Store = "memory",
    peers: bool = True,
    *,
    lookups: int = LOOKUPS,
    sqlite_path: str | None = None,
    progress: Progress | None = None,
) -> SuiteResult:
    """Run the whole suite on a generated world of *size* people; return its figures.

    :param size: people in the world (each brings about a dozen events).
    :param seed: the world's seed (same seed, same world, same figures but times).
    :param store: ``"memory"`` or ``"sqlite"`` (a temporary file unless *sqlite_path*).
    :param peers: run Splink beside omnicontact when it is installed.
    :param lookups: identifier lookups timed.
    :param progress: called with a line of text as the run goes.
    :raises ConfigurationError: for a size below 1 or an unknown store.
    """
    from omnicontact.analytics.report import build_report
    from omnicontact.bench.world import World

    if size < 1:
        raise ConfigurationError("size: must be at least 1 person")
    if store not in ("memory", "sqlite"):
        raise ConfigurationError("store: must be 'memory' or 'sqlite'")
    say = progress or (lambda _: None)
    started = time.perf_counter()
    world = World(people=size, seed=seed)
    as_of = world.end
    keep = peers and splink_version() is not None
    with open_hub(store, sqlite_path, as_of) as hub:
        ingest = Ingest(hub, keep)
        generate_s = ingest.run(world.events(), progress)
        say("reading contacts")
        clock = time.perf_counter()
        predicted: dict[str, str] = {}
        touchpoints: list[Touchpoint] = []
        contacts = 0
        for contact in hub.contacts():
            contacts += 1
            for tp in contact.timeline:
                predicted[tp.id] = contact.contact_id
                touchpoints.append(tp)
        read_s = time.perf_counter() - clock
        truth = ingest.truth
        scored = {tp: predicted.get(tp, QUARANTINED + tp) for tp in truth}
        matching = score_clustering(scored, truth).as_dict() | {
            "contacts": contacts,
            "people": len(set(truth.values())),
            "quarantined": sum(1 for tp in truth if tp not in predicted),
            "read_contacts_seconds": read_s,
        }
        say("timing lookups")
        lookup = time_lookups(hub, touchpoints, lookups, seed)
        say("stage accuracy")
        model = hub.lifecycle.models[TRACK]
        clock = time.perf_counter()
        stages = stage_accuracy(model, touchpoints, predicted, truth, as_of).as_dict()
        stages["seconds"] = time.perf_counter() - clock
        say("scoring")
        clock = time.perf_counter()
        scores = hub.scores(as_of=as_of)
        scoring_s = time.perf_counter() - clock
        strategies = sorted({name for by_name in scores.values() for name in by_name})
        scoring = {
            "contacts": len(scores),
            "strategies": strategies,
            "seconds": scoring_s,
            "contacts_per_second": len(scores) / scoring_s if scoring_s else 0.0,
        }
        del scores
        say("analytics")
        clock = time.perf_counter()
        report = build_report(hub, as_of=as_of)
        analytics = {"seconds": time.perf_counter() - clock, "track": report.track}
        memory = {"peak_rss_mb": peak_memory_mb(), "source": "getrusage ru_maxrss"}
    peer_figures: dict[str, Any] = {}
    if peers:
        say("peers")
        ours_s = matching["read_contacts_seconds"] + ingest.figures(generate_s)["seconds"]
        peer_figures = compare_with_splink(ingest.records, scored, truth, ours_s, seed=seed)
        memory["peak_rss_mb_with_peers"] = peak_memory_mb()
    return SuiteResult(
        parameters={
            "size": size,
            "size_means": "people",
            "seed": seed,
            "store": store,
            "peers": peers,
            "as_of": as_of.isoformat(),
            "lookups": lookups,
        },
        ingest=ingest.figures(generate_s),
        lookups=lookup,
        matching=matching,
        stages=stages,
        scoring=scoring,
        analytics=analytics,
        memory=memory,
        peers=peer_figures,
        seconds=time.perf_counter() - started,
    )


# --------------------------------------------------------------------------
# the command: omnicontact bench
# --------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``bench`` command's options to *parser*."""
    parser.add_argument(
        "--size", type=int, default=10_000, help="people in the generated world (10,000)"
    )
    parser.add_argument("--seed", type=int, default=42, help="the world's seed (42)")
    parser.add_argument("--sqlite", action="store_true", help="ingest into an SQLite file")
    parser.add_argument(
        "--no-peers", dest="peers", action="store_false", help="do not run Splink beside"
    )
    parser.add_argument("--json", dest="json_file", metavar="FILE", help="also write JSON here")
    parser.add_argument(
        "--data", metavar="FILE", help="score matching on your own labelled CSV or JSON Lines file"
    )
    parser.add_argument(
        "--truth-column", metavar="C", help="with --data: the column holding the true person"
    )
    parser.add_argument(
        "--mapping", metavar="M.json", help="with --data: a tabular mapping of its columns"
    )
    parser.add_argument(
        "--adapter",
        help="with --data: a channel adapter reading each JSON line (default: tabular)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )


def environment() -> dict[str, Any]:
    """Return the machine and versions a result was measured on (no personal data)."""
    try:
        usable: int | None = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "omnicontact": __version__,
        "splink": splink_version(),
    }


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``omnicontact bench``; print the table to *out*; return the exit status.

    :raises ConfigurationError: naming the bad option or input.
    :raises OSError: when a file cannot be read or written.
    """
    wanted = args.progress if args.progress is not None else sys.stderr.isatty()

    def progress(line: str) -> None:
        sys.stderr.write(f"\r\x1b[K{line}")
        sys.stderr.flush()

    say = progress if wanted else None
    if args.data is not None:
        from omnicontact.bench.labelled import run_labelled

        result: dict[str, Any] = run_labelled(
            args.data,
            truth_column=args.truth_column,
            mapping=args.mapping,
            adapter=args.adapter,
            peers=args.peers,
        )
        from omnicontact.bench._table import labelled_table

        text = labelled_table(result)
    else:
        for option in ("truth_column", "mapping", "adapter"):
            if getattr(args, option) is not None:
                flag = "--" + option.replace("_", "-")
                raise ConfigurationError(f"{flag}: only with --data (a labelled file)")
        suite = run_suite(
            args.size,
            args.seed,
            "sqlite" if args.sqlite else "memory",
            args.peers,
            progress=say,
        )
        if say is not None:
            sys.stderr.write("\r\x1b[K")
        result = suite.as_dict()
        text = suite.table()
    out.write(text)
    if args.json_file:
        payload = {"environment": environment(), **result}
        Path(args.json_file).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0
