"""The whole benchmark suite on one generated world: speed, matching quality, stages, memory.

One command runs :func:`omnicontact.bench.suite.run_suite` (the same code as
``omnicontact bench``) on a world of ``--size`` people from
``omnicontact.bench.world`` (about a dozen channel-native events each:
Segment web and app events, till and e-commerce orders, ESP webhooks,
helpdesk tickets, calls and social messages), and prints:

- **ingest**: events/s through ``Hub.ingest``, overall and per channel
  adapter (the time to generate the world is measured apart and left out);
  accepted, duplicate and quarantined events;
- **lookups**: ``Hub.find`` by identifier on 2,000 random touchpoints, one at
  a time: p50 / p90 / p99 / max in ms (nearest rank);
- **matching quality** against the generator's truth: contacts found vs
  people, pairwise and B-cubed precision / recall / F1, contacts mixing
  people (over-merged), people split over contacts (under-merged);
- **stage accuracy**: the share of people whose contact is at the
  ``extended_crm`` stage their true touchpoints give, as of the world's end;
- **scoring**: every built-in strategy on every contact (contacts/s);
- **analytics**: the time to build the report (funnel, flows, attribution, KPIs);
- **peak memory**: the process's peak RSS (``getrusage``), before any peer ran;
- **Splink** beside omnicontact, when installed, on the same world's identified
  records (with an e-mail, phone or customer id, as the adapters read them),
  with the ratios omnicontact / Splink for F1 and time.

Results go to ``benchmarks/results/suite-<size>.json`` (or ``--json``) with
the machine, the versions and the command.

Re-run::

    pip install -e '.[bench]'
    python benchmarks/bench_suite.py --size 10000
    python benchmarks/bench_suite.py --size 100000 --sqlite
    python benchmarks/bench_suite.py --size 1000 --no-peers
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from _common import command_line, machine_info, print_header, write_results

from omnicontact.bench.suite import run_suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=10_000, help="people (default 10,000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sqlite", action="store_true", help="ingest into a temporary SQLite file")
    parser.add_argument("--no-peers", dest="peers", action="store_false", help="skip Splink")
    parser.add_argument("--lookups", type=int, default=2000, help="identifier lookups timed")
    parser.add_argument(
        "--json", type=Path, help="results file (default results/suite-<size>.json)"
    )
    args = parser.parse_args()

    info = machine_info()
    for name in ("faker", "splink", "duckdb", "psutil"):
        try:
            info["versions"][name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info["versions"][name] = "not installed"
    print_header("benchmark suite: one generated world through omnicontact", info)

    def progress(line: str) -> None:
        count = line.split(" ", 1)[0].replace(",", "")
        if not count.isdigit() or int(count) % 100_000 == 0:  # events: every 100,000
            print(f"  {line}", file=sys.stderr, flush=True)

    result = run_suite(
        args.size,
        args.seed,
        "sqlite" if args.sqlite else "memory",
        args.peers,
        lookups=args.lookups,
        progress=progress,
    )
    print(result.table())
    path = write_results(
        f"suite-{args.size}",
        {
            "benchmark": "suite",
            "command": command_line(),
            "machine": info,
            **result.as_dict(),
        },
        args.json,
    )
    print(f"results: {path}")
    print(f"re-run:  {command_line()}")


if __name__ == "__main__":
    main()
