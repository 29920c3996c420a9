"""Journey analytics over many contacts: funnels, paths, all attribution models, KPIs, report.

The contacts are the people of the benchmark generator (``_common``, as in
``bench_scoring.py``: e-mail opens and clicks, web and app visits, calls,
store and web purchases), each person taken as one contact, as a correct
resolution gives, with the built-in stage models attached (as a hub builds
them). People are added until the touchpoint count is reached (about 5.5
touchpoints each: 1M touchpoints is about 180k contacts).

In a fresh child process, one thread, as of one date, each analysis runs
once over all the contacts and its wall time is printed:

- ``funnel`` over actions (signup > purchase > review, ordered, then with a
  30-day window and a first-channel breakdown), and over the stages of
  ``extended_crm`` (which computes every contact's stage history);
- ``paths``, ``transitions``, ``retention``;
- ``attribution`` with all seven models (journeys extracted once), by
  conversions and by value;
- ``kpis`` (stage histories again), ``stage_counts``, ``stage_flows``;
- the whole ``build_report``.

Target (issue 9): funnels, paths and all attribution models over 1M
touchpoints together in under 30 s on one core. No peer is installed for
these; there is no ratio.

Re-run::

    python benchmarks/bench_analytics.py                   # 1M touchpoints
    python benchmarks/bench_analytics.py --touchpoints 200000
    python benchmarks/bench_analytics.py --quick           # 100k
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
from _common import (
    RESULT_MARK,
    START,
    child_result,
    command_line,
    machine_info,
    peak_rss_mb,
    print_header,
    source_revision,
    verdict,
    write_results,
)
from bench_scoring import people

from omnicontact import Contact, Hub
from omnicontact.analytics import (
    attribution,
    build_report,
    funnel,
    kpis,
    paths,
    retention,
    stage_counts,
    stage_flows,
    transitions,
)

TARGET_SECONDS = 30.0
AS_OF = START + timedelta(days=400)
REVISION = source_revision()
STEPS = ["signup", "purchase", "review"]
TARGETED = ("funnel", "funnel_window_breakdown", "funnel_stages", "paths", "attribution")


def contacts_for(touchpoints: int, seed: int) -> list[Contact]:
    """Return contacts of the generator's people until *touchpoints* are reached."""
    lifecycle = Hub(load_entry_points=False).lifecycle
    out: list[Contact] = []
    total = 0
    for contact_id, timeline in people(10**9, seed):
        if total >= touchpoints:
            break
        out.append(
            Contact(
                contact_id,
                [i for tp in timeline for i in tp.identifiers],
                {},
                timeline,
                identified=any(i.kind in ("email", "phone") for tp in timeline
                               for i in tp.identifiers),
                as_of=AS_OF,
                lifecycle=lifecycle,
            )
        )
        total += len(timeline)
    return out


def phase_run(touchpoints: int, seed: int) -> dict[str, Any]:
    """Build the contacts, then time each analysis once."""
    start = time.perf_counter()
    contacts = contacts_for(touchpoints, seed)
    build_seconds = time.perf_counter() - start
    gc.collect()
    gc.freeze()
    steps: list[tuple[str, Callable[[list[Contact]], object]]] = [
        ("funnel", lambda contacts: funnel(contacts, STEPS, as_of=AS_OF)),
        (
            "funnel_window_breakdown",
            lambda contacts: funnel(
                contacts,
                STEPS,
                as_of=AS_OF,
                window=timedelta(days=30),
                breakdown="first_channel",
            ),
        ),
        (
            "funnel_stages",
            lambda contacts: funnel(
                contacts, ["prospect", "customer"], as_of=AS_OF, track="extended_crm"
            ),
        ),
        ("paths", lambda contacts: paths(contacts, as_of=AS_OF)),
        ("transitions", lambda contacts: transitions(contacts, as_of=AS_OF)),
        ("retention", lambda contacts: retention(contacts, as_of=AS_OF)),
        ("attribution", lambda contacts: attribution(contacts, as_of=AS_OF)),
        ("attribution_value", lambda contacts: attribution(contacts, as_of=AS_OF, weight="value")),
        ("kpis", lambda contacts: kpis(contacts, as_of=AS_OF)),
        ("stage_counts", lambda contacts: stage_counts(contacts, as_of=AS_OF, period="month")),
        ("stage_flows", lambda contacts: stage_flows(contacts, as_of=AS_OF)),
        ("report", lambda contacts: build_report(contacts, as_of=AS_OF)),
    ]
    seconds: dict[str, float] = {}
    for name, run in steps:
        # fresh copies: a contact keeps what it computed (its stage histories), and each
        # analysis is measured as if it ran alone
        fresh = [attrs.evolve(contact) for contact in contacts]
        gc.collect()
        start = time.perf_counter()
        run(fresh)
        seconds[name] = time.perf_counter() - start
    return {
        "touchpoints": sum(len(c.timeline) for c in contacts),
        "contacts": len(contacts),
        "build_seconds": build_seconds,
        "seconds": seconds,
        "targeted_seconds": sum(seconds[name] for name in TARGETED),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 touchpoints")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = 100_000 if args.quick else args.touchpoints
    if args.phase == "run":
        print(RESULT_MARK + json.dumps(phase_run(size, args.seed)))
        return
    info = machine_info()
    print_header("journey analytics over many contacts (one core)", info)
    cmd = [sys.executable, __file__, "--phase", "run", "--touchpoints", str(size)]
    result = child_result([*cmd, "--seed", str(args.seed)], "run", size)
    print(
        f"-- {result['touchpoints']:,} touchpoints, {result['contacts']:,} contacts "
        f"(built in {result['build_seconds']:.1f} s, not counted)"
    )
    for name, seconds in result["seconds"].items():
        mark = "*" if name in TARGETED else " "
        print(f"   {mark} {name:<26} {seconds:7.2f} s")
    total = result["targeted_seconds"]
    scale = 1_000_000 / result["touchpoints"]
    print(f"   * funnels, paths and attribution together: {total:.1f} s")
    print(
        f"   at 1M touchpoints: {total * scale:.1f} s (target < {TARGET_SECONDS:.0f} s): "
        f"{verdict(total * scale < TARGET_SECONDS)}"
    )
    print(f"   peak RSS {result['peak_rss_mb']:,.0f} MiB")
    print(f"\nre-run: {command_line()}")
    path = write_results(
        "analytics",
        {"machine": info, "revision": REVISION, "as_of": AS_OF, "result": result},
        args.json,
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
