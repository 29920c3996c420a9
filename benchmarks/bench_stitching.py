"""In-memory ingestion and stitching throughput, memory per touchpoint, lookup latency.

For each size (touchpoints of a synthetic population with ground truth, see
``_common.generate_population``), two fresh child processes run:

**timing** (no tracing):

- ``Hub.add_many`` on pre-built ``Touchpoint`` objects (built before the clock
  starts), one thread: touchpoints/s ingested, normalized and stitched;
- the number of contacts found against the number of people (and, up to
  ``--check-limit`` touchpoints, contacts mixing people / people split);
- the split of that time: normalization alone (a fresh ``TouchpointNormalizer``
  with the hub's cache size over the same stream), the identity graph alone
  (``IdentityGraph.add`` replaying the hub's normalized log, identifiers
  already split into strong and weak), the rest (log, checks, the batch loop);
- the peer baseline: a bare union-find (dict + list parent, path halving,
  union by size) over the same normalized identifier stream, and the ratio
  ``omnicontact / bare union-find``;
- ``Hub.contact(identifier)`` lookups by strong identifiers as a caller types
  them (median and p99 µs);
- peak RSS (``resource.getrusage``) once the population is built and after ingest;
- with ``--gc-compare``, ``add_many`` again into ``Hub(pause_gc=False)``,
  where the cyclic garbage collector keeps running, to show what pausing it
  (the default) saves.

The parts of the split and the baseline run with the cyclic garbage
collector paused, as ``add_many`` runs by default.

**memory** (``tracemalloc``, which slows everything, so never timed): bytes
held per touchpoint, i.e. what is still allocated once the input population is
deleted and only the hub is left (log, indexes, identity graph, normalizer
cache), divided by the touchpoints; plus the growth during ``add_many`` alone.

Targets: >= 50,000 touchpoints/s ingested and stitched on one core; <= 1 KB
held per touchpoint. Each is printed PASS or MISS.

Re-run::

    python benchmarks/bench_stitching.py                  # 100k and 1M
    python benchmarks/bench_stitching.py --sizes 100000
    python benchmarks/bench_stitching.py --quick          # 20k
    python benchmarks/bench_stitching.py --sizes 100000 --profile   # + cProfile of the ingest
    python benchmarks/bench_stitching.py --profile --gc-compare     # as in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from random import Random
from typing import Any

from _common import (
    RESULT_MARK,
    check_resolution,
    child_result,
    command_line,
    current_rss_mb,
    describe_revision,
    generate_population,
    machine_info,
    peak_rss_mb,
    percentile,
    print_header,
    source_revision,
    verdict,
    write_results,
)

from omnicontact import Hub, Identifier, NormalizeContext
from omnicontact.matching.decisions import record_of
from omnicontact.matching.resolver import Resolver
from omnicontact.normalize.normalizer import TouchpointNormalizer

TARGET_THROUGHPUT = 50_000
TARGET_BYTES = 1024
CACHE_SIZE = 100_000  # the hub's default
REVISION = source_revision()  # when the code under test was imported


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _hub(**options: Any) -> Hub:
    return Hub(load_entry_points=False, cache_size=CACHE_SIZE, **options)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector, as ``Hub.add_many`` does by default."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------
# baseline: a bare union-find over the same identifier stream
# --------------------------------------------------------------------------


def bare_union_find(stream: list[tuple[Identifier, ...]]) -> int:
    """Union the identifiers of each touchpoint; return the number of components."""
    node: dict[Identifier, int] = {}
    parent: list[int] = []
    size: list[int] = []
    components = 0

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for idents in stream:
        root = -1
        for ident in idents:
            n = node.get(ident)
            if n is None:
                n = node[ident] = len(parent)
                parent.append(n)
                size.append(1)
                components += 1
            else:
                n = find(n)
            if root < 0:
                root = n
            elif n != root:
                if size[root] < size[n]:
                    root, n = n, root
                parent[n] = root
                size[root] += size[n]
                components -= 1
    return components


# --------------------------------------------------------------------------
# timing phase (child process)
# --------------------------------------------------------------------------


def _graph_replay(hub: Hub) -> tuple[float, int]:
    """Time the resolver alone over the hub's normalized log; return (seconds, contacts).

    A fresh Resolver with the hub's own configuration, guards and rules gets
    the same inputs the hub gives it (identifiers, record builder).
    """
    prepared = [
        ((tp.occurred_at, tp.id), tp.identifiers, record_of(tp)) for tp in hub.touchpoints()
    ]
    engine = hub._resolver
    resolver = Resolver(
        is_strong=hub._is_strong,
        config=hub.matching,
        guards=engine.guards,
        rules=engine.rules,
        derive=hub._derived,
    )
    add = resolver.add
    with gc_paused():
        start = time.perf_counter()
        for position, (key, identifiers, record) in enumerate(prepared):
            add(position, key, identifiers, record)
        elapsed = time.perf_counter() - start
    return elapsed, len(resolver)


def _lookups(hub: Hub, population: Any, count: int, seed: int) -> dict[str, Any]:
    rng = Random(seed)
    candidates = [p for p in population.persons if p.lookup_identifiers()]
    sample = []
    for person in rng.choices(candidates, k=count):
        sample.append((rng.choice(person.lookup_identifiers()), person))
    timings = []
    wrong = 0
    contact = hub.contact
    clock = time.perf_counter_ns
    for ident, person in sample:
        start = clock()
        found = contact(ident)
        timings.append((clock() - start) / 1000)
        if len(found.timeline) != person.touchpoints:
            wrong += 1
    timings.sort()
    return {
        "lookups": count,
        "median_us": percentile(timings, 0.5),
        "p99_us": percentile(timings, 0.99),
        "max_us": timings[-1],
        "wrong_contact": wrong,
    }


def phase_time(
    size: int, seed: int, lookups: int, check_limit: int, gc_compare: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"size": size, "revision": REVISION}
    start = time.perf_counter()
    population = generate_population(size, seed)
    out["build_s"] = time.perf_counter() - start
    out["people"] = population.people
    out["rss_after_build_mb"] = current_rss_mb()
    log(f"{size:,}: population of {population.people:,} people built in {out['build_s']:.1f} s")

    hub = _hub()
    gc.collect()
    start = time.perf_counter()
    report = hub.add_many(population.touchpoints)
    elapsed = time.perf_counter() - start
    out["ingest_s"] = elapsed
    out["touchpoints_per_s"] = size / elapsed
    out["accepted"] = report.accepted
    out["quarantined"] = len(report.quarantined)
    out["peak_rss_after_ingest_mb"] = peak_rss_mb()
    out["rss_after_ingest_mb"] = current_rss_mb()
    stats = hub.stats()
    out["contacts"] = stats.contacts
    out["cache_hit_rate"] = stats.cache_hits / max(1, stats.cache_hits + stats.cache_misses)
    log(f"{size:,}: add_many {elapsed:.1f} s = {size / elapsed:,.0f} touchpoints/s")

    if size <= check_limit:
        position = {tp.id: i for i, tp in enumerate(population.touchpoints)}
        members = [[position[t] for t in c.touchpoint_ids] for c in hub.contacts()]
        out["truth"] = check_resolution(members, population)
    else:
        out["truth"] = {
            "people": population.people,
            "contacts": stats.contacts,
            "exact": None,
            "note": f"purity not checked above --check-limit {check_limit}",
        }

    normalizer = TouchpointNormalizer(hub.kinds, NormalizeContext(), CACHE_SIZE)
    now = datetime.now(timezone.utc)
    normalize = normalizer.touchpoint
    with gc_paused():
        start = time.perf_counter()
        for tp in population.touchpoints:
            normalize(tp, now)
        out["normalize_s"] = time.perf_counter() - start
    del normalizer
    out["graph_s"], graph_contacts = _graph_replay(hub)
    out["graph_contacts"] = graph_contacts
    out["rest_s"] = elapsed - out["normalize_s"] - out["graph_s"]
    log(f"{size:,}: split normalize {out['normalize_s']:.1f} s, graph {out['graph_s']:.1f} s")

    stream = [tp.identifiers for tp in hub.touchpoints()]
    with gc_paused():
        start = time.perf_counter()
        components = bare_union_find(stream)
        out["union_find_s"] = time.perf_counter() - start
    out["union_find_components"] = components
    out["ratio_hub_over_union_find"] = elapsed / out["union_find_s"]
    out["ratio_graph_over_union_find"] = out["graph_s"] / out["union_find_s"]
    del stream

    out["lookup"] = _lookups(hub, population, lookups, seed)
    log(
        f"{size:,}: lookups median {out['lookup']['median_us']:.0f} µs, "
        f"p99 {out['lookup']['p99_us']:.0f} µs"
    )
    out["peak_rss_mb"] = peak_rss_mb()

    if gc_compare:
        del hub
        hub = _hub(pause_gc=False)
        gc.collect()
        start = time.perf_counter()
        hub.add_many(population.touchpoints)
        out["gc_on_ingest_s"] = time.perf_counter() - start
        out["gc_on_touchpoints_per_s"] = size / out["gc_on_ingest_s"]
        log(f"{size:,}: add_many with the cyclic GC running {out['gc_on_ingest_s']:.1f} s")
    return out


# --------------------------------------------------------------------------
# memory phase (child process)
# --------------------------------------------------------------------------


def phase_memory(size: int, seed: int) -> dict[str, Any]:
    # Warm up lazily loaded metadata (phone regions, e-mail tables) outside the trace.
    _hub().add_many(generate_population(2_000, seed + 1).touchpoints)
    gc.collect()
    tracemalloc.start()
    population = generate_population(size, seed)
    gc.collect()
    before_ingest, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    hub = _hub()
    hub.add_many(population.touchpoints)
    gc.collect()
    after_ingest, peak = tracemalloc.get_traced_memory()
    del population
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    top = []
    if size <= 200_000:
        snapshot = tracemalloc.take_snapshot()
        for stat in snapshot.statistics("lineno")[:10]:
            frame = stat.traceback[0]
            top.append(
                {
                    "where": f"{frame.filename.rsplit('/site-packages/', 1)[-1]}:{frame.lineno}",
                    "bytes_per_touchpoint": stat.size / size,
                }
            )
    tracemalloc.stop()
    log(f"{size:,}: {held / size:,.0f} bytes held per touchpoint")
    return {
        "size": size,
        "revision": REVISION,
        "touchpoints_held": hub.stats().touchpoints,
        "held_bytes_per_touchpoint": held / size,
        "ingest_growth_bytes_per_touchpoint": (after_ingest - before_ingest) / size,
        "input_bytes_per_touchpoint": before_ingest / size,
        "traced_peak_mb": peak / 1024**2,
        "top_allocations": top,
    }


# --------------------------------------------------------------------------
# profile (in process)
# --------------------------------------------------------------------------


def profile(size: int, seed: int, limit: int = 25) -> list[dict[str, Any]]:
    population = generate_population(size, seed)
    hub = _hub()
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    hub.add_many(population.touchpoints)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(limit)
    print(text.getvalue())
    rows = []
    for (filename, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{filename.rsplit('/site-packages/', 1)[-1]}:{line}({name})",
                "calls": calls,
                "tottime_pct": 100 * tottime / total,
                "cumtime_pct": 100 * cumtime / total,
            }
        )
    rows.sort(key=lambda r: -r["cumtime_pct"])
    return rows[:60]


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------


def _child(phase: str, size: int, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--phase",
        phase,
        "--sizes",
        str(size),
        "--seed",
        str(args.seed),
        "--lookups",
        str(args.lookups),
        "--check-limit",
        str(args.check_limit),
        *(["--gc-compare"] if args.gc_compare else []),
    ]
    return child_result(cmd, phase, size)


def _report(runs: list[dict[str, Any]]) -> list[str]:
    lines = []
    for run in runs:
        t, m = run["time"], run["memory"]
        size = t["size"]
        truth = t["truth"]
        same = "==" if t["contacts"] == t["people"] else "!="
        exact = {True: "exact", False: "NOT exact", None: "purity not checked"}[truth["exact"]]
        detail = (
            f", {truth['contacts_mixing_people']} mixing people, {truth['people_split']} split"
            if truth["exact"] is not None
            else ""
        )
        lines += [
            f"--- {size:,} touchpoints ({t['people']:,} people, "
            f"{size / t['people']:.1f} touchpoints each)",
            f"ingest (add_many)      {t['touchpoints_per_s']:>12,.0f} touchpoints/s "
            f"({t['ingest_s']:.2f} s; cache hit rate {t['cache_hit_rate']:.1%})",
            f"contacts vs people     {t['contacts']:,} {same} {t['people']:,} "
            f"({exact}{detail}); quarantined {t['quarantined']}",
            f"  normalization        {t['normalize_s']:>8.2f} s  "
            f"{100 * t['normalize_s'] / t['ingest_s']:5.1f} %",
            f"  identity graph       {t['graph_s']:>8.2f} s  "
            f"{100 * t['graph_s'] / t['ingest_s']:5.1f} %",
            f"  rest (log, loop)     {t['rest_s']:>8.2f} s  "
            f"{100 * t['rest_s'] / t['ingest_s']:5.1f} %",
            f"bare union-find        {t['union_find_s']:>8.2f} s "
            f"({size / t['union_find_s']:,.0f} touchpoints/s, "
            f"{t['union_find_components']:,} components)",
            f"omnicontact / bare union-find: {t['ratio_hub_over_union_find']:.1f}x "
            f"(identity graph alone {t['ratio_graph_over_union_find']:.1f}x)",
            f"lookup hub.contact()   median {t['lookup']['median_us']:.0f} µs, "
            f"p99 {t['lookup']['p99_us']:.0f} µs over {t['lookup']['lookups']:,} "
            f"strong identifiers ({t['lookup']['wrong_contact']} wrong)",
            f"memory held            {m['held_bytes_per_touchpoint']:>8,.0f} B/touchpoint "
            f"(growth during add_many {m['ingest_growth_bytes_per_touchpoint']:,.0f} B; "
            f"input touchpoints {m['input_bytes_per_touchpoint']:,.0f} B)",
            f"peak RSS               {t['rss_after_build_mb']:,.0f} MiB after building input, "
            f"{t['peak_rss_after_ingest_mb']:,.0f} MiB after ingest, "
            f"{t['peak_rss_mb']:,.0f} MiB at the end",
        ]
        if "gc_on_ingest_s" in t:
            lines.append(
                f"pause_gc=False         {t['gc_on_touchpoints_per_s']:>12,.0f} touchpoints/s "
                f"(the cyclic GC would take {1 - t['ingest_s'] / t['gc_on_ingest_s']:.0%} "
                f"of the ingest)"
            )
        lines += [
            f"target >= {TARGET_THROUGHPUT:,} touchpoints/s: "
            f"{verdict(t['touchpoints_per_s'] >= TARGET_THROUGHPUT)}   "
            f"target <= {TARGET_BYTES} B/touchpoint: "
            f"{verdict(m['held_bytes_per_touchpoint'] <= TARGET_BYTES)}",
        ]
        if m["top_allocations"]:
            lines.append("largest allocations held (B/touchpoint):")
            lines += [
                f"    {a['bytes_per_touchpoint']:7.0f}  {a['where']}" for a in m["top_allocations"]
            ]
        lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--quick", action="store_true", help="one small size: 20,000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument(
        "--check-limit",
        type=int,
        default=1_000_000,
        help="check contact purity against the truth up to this size",
    )
    parser.add_argument("--profile", action="store_true", help="also cProfile the smallest size")
    parser.add_argument(
        "--gc-compare",
        action="store_true",
        help="also time add_many into Hub(pause_gc=False), the collector running",
    )
    parser.add_argument("--phase", choices=("time", "memory"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.sizes = [20_000]

    if args.phase:
        size = args.sizes[0]
        if args.phase == "time":
            result = phase_time(size, args.seed, args.lookups, args.check_limit, args.gc_compare)
        else:
            result = phase_memory(size, args.seed)
        print(RESULT_MARK + json.dumps(result))
        return

    info = machine_info()
    print_header("omnicontact: in-memory ingestion and stitching", info)
    sys.stdout.flush()
    runs = []
    for size in args.sizes:
        runs.append({"time": _child("time", size, args), "memory": _child("memory", size, args)})
    print()
    for line in _report(runs):
        print(line)
    revisions = [info["revision"]] + [r[p]["revision"] for r in runs for p in ("time", "memory")]
    if len({(r["src_tree"], r["dirty"]) for r in revisions}) > 1:
        shown = sorted({describe_revision(r) for r in revisions})
        print(f"WARNING: src/ changed during the run, figures mix revisions: {shown}")
        print()
    payload: dict[str, Any] = {
        "benchmark": "stitching",
        "command": command_line(),
        "machine": info,
        "parameters": {k: v for k, v in vars(args).items() if k != "phase"},
        "targets": {"touchpoints_per_s": TARGET_THROUGHPUT, "bytes_per_touchpoint": TARGET_BYTES},
        "runs": runs,
    }
    if args.profile:
        size = min(args.sizes)
        print(f"--- cProfile of add_many, {size:,} touchpoints (sorted by cumulative time)")
        payload["profile"] = {"size": size, "top": profile(size, args.seed)}
    print(f"re-run: {payload['command']}")
    path = write_results("stitching", payload)
    print(f"results:  {path}")


if __name__ == "__main__":
    main()
