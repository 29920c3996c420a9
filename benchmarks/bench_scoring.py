"""Scores and stages for many contacts: every built-in strategy, every built-in track.

The contacts are the people of the benchmark generator (``_common``: the
same people and journeys as ``bench_stitching.py``, about five touchpoints
each, sign-ups, logins, e-mail opens and clicks, calls, purchases with
amounts), each person taken as one contact, as a correct resolution gives.
They are generated person by person and scored in chunks of 10,000, so that
a million contacts never sit in memory at once.

Each size runs in a fresh child process, one thread:

1. *prepare*: the population strategies (``rfm``) read every contact's
   subject once (``strategy.prepare(subjects, as_of)``);
2. *score*: for each contact, its ``Subject`` as of the date
   (``subject_as_of``), then each of the six built-in strategies' ``score``
   (the value; breakdowns are built only when read, and are not read here);
3. *stages*: each built-in track's ``stage_history`` (``b2b`` reads the
   ``behaviour`` score as of each touchpoint, as a hub does).

The time spent generating the people is measured apart and left out. The run
prints µs per contact for each part and the total for all scores, and peak
RSS. No peer library computes these scores, so there is no ratio.

Target (issue 6): all built-in scores for 1M contacts in under 60 s on one core.

Re-run::

    python benchmarks/bench_scoring.py                  # 100k and 1M contacts
    python benchmarks/bench_scoring.py --sizes 100000
    python benchmarks/bench_scoring.py --quick          # 20k
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from _common import (
    RESULT_MARK,
    START,
    _make_person,
    _visits,
    child_result,
    command_line,
    machine_info,
    peak_rss_mb,
    print_header,
    source_revision,
    verdict,
    write_results,
)

from omnicontact import Identifier, Touchpoint
from omnicontact.lifecycle import builtin_models
from omnicontact.scoring import builtin_strategies, subject_as_of

TARGET_SECONDS_1M = 60.0
CHUNK = 10_000
AS_OF = START + timedelta(days=400)
REVISION = source_revision()
_ACTIONS = {("email", "open"): "email_open", ("email", "click"): "email_click"}


def people(contacts: int, seed: int) -> Iterator[tuple[str, list[Touchpoint]]]:
    """Yield ``(contact id, touchpoints)`` person by person, as the generator makes them."""
    rng = Random(seed)
    used_phones: set[str] = set()
    for index in range(contacts):
        person = _make_person(rng, index, used_phones)
        count = min(1 + int(rng.expovariate(1 / 5)), 80)
        moment = START + timedelta(seconds=rng.randrange(330 * 86400))
        previous = None
        touchpoints = []
        for number, visit in enumerate(_visits(rng, person, count)):
            channel, action, idents, traits, props = visit
            if previous is not None and visit[:3] == previous[:3]:
                moment += timedelta(seconds=rng.randrange(10, 300))
            elif previous is not None:
                moment += timedelta(seconds=60 + int(rng.expovariate(1 / (3 * 86400))))
            previous = visit
            touchpoints.append(
                Touchpoint(
                    id=f"tp-{index}-{number}",
                    occurred_at=moment,
                    channel=channel,
                    action=_ACTIONS.get((channel, action), action),
                    identifiers=[Identifier(kind, value) for kind, value in idents],
                    traits=traits or None,
                    properties=props or None,
                )
            )
        yield f"ct-{index}", touchpoints


def chunks(contacts: int, seed: int, spent: list[float]) -> Iterator[list[tuple[str, Any]]]:
    """Yield lists of CHUNK people; add the time spent generating them to ``spent[0]``."""
    stream = people(contacts, seed)
    while True:
        start = time.perf_counter()
        chunk = [item for _, item in zip(range(CHUNK), stream, strict=False)]
        spent[0] += time.perf_counter() - start
        if not chunk:
            return
        yield chunk


def phase_run(contacts: int, seed: int) -> dict[str, Any]:
    """Prepare, score and stage *contacts* contacts; return the timings."""
    strategies = builtin_strategies()
    models = builtin_models()
    behaviour = next(s for s in strategies if s.name == "behaviour")
    gc.collect()
    gc.freeze()  # the generator's long-lived objects are not the collector's business

    # 1. prepare the population strategies over every contact's subject
    spent = [0.0]

    def subjects() -> Iterator[Any]:
        for chunk in chunks(contacts, seed, spent):
            for contact_id, touchpoints in chunk:
                yield subject_as_of(contact_id, touchpoints, AS_OF)

    start = time.perf_counter()
    prepared = {
        s.name: s.prepare(subjects() if s.needs_population else (), AS_OF) for s in strategies
    }
    prepare_seconds = time.perf_counter() - start - spent[0]

    # 2. score and 3. stage, chunk by chunk
    spent = [0.0]
    per_strategy = {s.name: 0.0 for s in strategies}
    per_track = {m.name: 0.0 for m in models}
    subject_seconds = 0.0
    touchpoints_seen = 0
    checksum = 0.0
    for chunk in chunks(contacts, seed, spent):
        start = time.perf_counter()
        built = [subject_as_of(cid, tps, AS_OF) for cid, tps in chunk]
        subject_seconds += time.perf_counter() - start
        for strategy in strategies:
            ready = prepared[strategy.name]
            score = strategy.score
            start = time.perf_counter()
            for subject in built:
                checksum += score(subject, AS_OF, ready).value
            per_strategy[strategy.name] += time.perf_counter() - start
        for model in models:
            start = time.perf_counter()
            for subject in built:

                def score_at(name: str, when: datetime, subject: Any = subject) -> float | None:
                    if name != "behaviour":
                        return None
                    past = subject_as_of(subject.contact_id, subject.touchpoints, when)
                    return behaviour.score(past, when, None).value

                model.history(subject.touchpoints, AS_OF, score_at)
            per_track[model.name] += time.perf_counter() - start
        touchpoints_seen += sum(len(tps) for _, tps in chunk)
    scores_seconds = prepare_seconds + subject_seconds + sum(per_strategy.values())
    return {
        "contacts": contacts,
        "touchpoints": touchpoints_seen,
        "generate_seconds": spent[0],
        "prepare_seconds": prepare_seconds,
        "subject_seconds": subject_seconds,
        "strategy_seconds": per_strategy,
        "scores_seconds": scores_seconds,
        "track_seconds": per_track,
        "stages_seconds": sum(per_track.values()),
        "peak_rss_mb": peak_rss_mb(),
        "checksum": checksum,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--quick", action="store_true", help="one small size: 20,000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "run":
        print(RESULT_MARK + json.dumps(phase_run(args.sizes[0], args.seed)))
        return
    sizes = [20_000] if args.quick else args.sizes
    info = machine_info()
    print_header("scores and stages of many contacts (all built-ins, one core)", info)
    results = []
    for size in sizes:
        cmd = [sys.executable, __file__, "--phase", "run", "--sizes", str(size)]
        cmd += ["--seed", str(args.seed)]
        result = child_result(cmd, "run", size)
        results.append(result)
        n = result["contacts"]

        def us(seconds: float, n: int = n) -> str:
            return f"{seconds / n * 1e6:7.1f} µs"

        print(f"-- {n:,} contacts, {result['touchpoints']:,} touchpoints")
        print(f"   prepare (rfm population)  {us(result['prepare_seconds'])}")
        print(f"   subject_as_of             {us(result['subject_seconds'])}")
        for name, seconds in result["strategy_seconds"].items():
            print(f"   score {name:<19} {us(seconds)}")
        print(
            f"   all scores                {us(result['scores_seconds'])}"
            f"   = {result['scores_seconds']:.1f} s"
        )
        for name, seconds in result["track_seconds"].items():
            print(f"   stages {name:<18} {us(seconds)}")
        print(
            f"   all stages                {us(result['stages_seconds'])}"
            f"   = {result['stages_seconds']:.1f} s"
        )
        print(f"   peak RSS {result['peak_rss_mb']:,.0f} MiB (generation apart: "
              f"{result['generate_seconds']:.1f} s, not counted)")
        projected = result["scores_seconds"] / n * 1_000_000
        print(
            f"   1M contacts at this rate: {projected:.1f} s for all scores "
            f"(target < {TARGET_SECONDS_1M:.0f} s): {verdict(projected < TARGET_SECONDS_1M)}"
        )
    print(f"\nre-run: {command_line()}")
    path = write_results(
        "scoring",
        {"machine": info, "revision": REVISION, "as_of": AS_OF, "results": results},
        args.json,
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
