"""The SQLite store: ingest throughput, bytes on disk, cold lookups, full rebuild.

For each size (touchpoints of a synthetic population with ground truth, see
``_common.generate_population``), a fresh database file in a temporary
directory goes through three child processes, so that memory and timings of
one phase never leak into the next:

**ingest** (the population is built, as ``Touchpoint`` objects, before any clock starts):

- ``Hub.open(file).add_many(touchpoints)``: touchpoints/s ingested,
  normalized, stitched and committed (one ``BEGIN IMMEDIATE`` ... ``COMMIT``
  per ``--batch-size`` touchpoints; ``synchronous=FULL`` unless
  ``--synchronous NORMAL``), then ``hub.close()`` (which checkpoints the WAL);
- the in-memory ``Hub().add_many`` on the same stream, in the same process,
  and the ratio SQLite / in-memory (> 1 means SQLite is slower);
- the raw ``sqlite3`` floor: the same log written with no omnicontact at all,
  i.e. ``json.dumps(tp.to_mapping())`` of each touchpoint into a table like
  the store's ``touchpoints`` and one row per identifier into a table like its
  ``identifiers``, ``executemany`` in transactions of ``--batch-size`` rows,
  WAL, the same ``synchronous``. Encoding the JSON and inserting are timed
  apart. The store writes more than that (projections: membership, contacts,
  linked identifiers, issued ids), so the floor is a lower bound of its SQL;
- bytes on disk per touchpoint: the database file plus its ``-wal`` once the
  hub is closed, with the share of each table and index (SQLite's ``dbstat``).

**lookup** (a new process, so nothing is replayed; the file is first evicted
from the OS page cache with ``posix_fadvise(DONTNEED)``):

- the time ``Hub.open`` takes on the existing file;
- ``hub.contact(Identifier)`` for ``--lookups`` random strong identifiers as
  a caller types them (as in ``bench_stitching``), served from the stored
  projections: median, p99 and max µs, and how many returned a contact with
  the wrong number of touchpoints. Pass 1 runs on the evicted (cold) OS cache;
  then the whole file is read once and pass 2 (other identifiers) runs with
  the OS cache warm;
- ``hub.stats().contacts`` and whether the hub replayed the log (it must not).

**rebuild** (a new process): ``hub.rebuild()``, which replays the whole log
into memory and rewrites every projection, with the peak RSS; then
``hub.check()`` (``PRAGMA integrity_check`` plus every projection compared
with a second replay): time, verdict and peak RSS; the file's size after the
rebuild, and after ``VACUUM`` (unless ``--no-vacuum``).

Ingest, rebuild and check report CPU time beside wall time, and each child its
load average, since on a shared machine wall time also counts other processes
(and, for the SQLite ingest, the waits for ``fsync``).

**--profile** (the smallest size, a child of its own): the SQLite ingest once
with the store's connection timed statement by statement (no profiler: how
much of ``add_many`` is SQL, ``COMMIT`` included), then once under ``cProfile``.

Targets: >= 20,000 touchpoints/s ingested into SQLite (with the default
``synchronous=FULL``); lookup p99 <= 1 ms at 1M touchpoints. Each is
printed PASS or MISS, for every size.

Re-run::

    python benchmarks/bench_store.py                       # 100k and 1M
    python benchmarks/bench_store.py --sizes 100000
    python benchmarks/bench_store.py --quick               # 20k
    python benchmarks/bench_store.py --synchronous NORMAL  # the faster, less durable setting
    python benchmarks/bench_store.py --sizes 100000 --profile   # + cProfile of the SQLite ingest
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import pstats
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from random import Random
from typing import Any

from _common import (
    BENCH_DIR,
    RESULT_MARK,
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

from omnicontact import Hub, Identifier

TARGET_THROUGHPUT = 20_000
TARGET_P99_US = 1_000.0
TARGET_P99_SIZE = 1_000_000


def _src_digest() -> str:
    """Return a digest of the working tree's ``src/*.py`` (catches edits git's HEAD does not)."""
    digest = hashlib.sha256()
    for path in sorted((BENCH_DIR.parent / "src").rglob("*.py")):
        digest.update(path.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


# When the code under test was imported; src_digest tells working trees apart.
REVISION = {**source_revision(), "src_digest": _src_digest()}
RAW_SCHEMA = (
    """CREATE TABLE touchpoints (
        position INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        occurred_at TEXT NOT NULL,
        body TEXT NOT NULL
    )""",
    """CREATE TABLE identifiers (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (kind, value, position)
    ) WITHOUT ROWID""",
)


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _open(path: Path, args: argparse.Namespace) -> Hub:
    return Hub.open(
        path, synchronous=args.synchronous, load_entry_points=False, batch_size=args.batch_size
    )


def _files(db: Path) -> dict[str, int]:
    """Return the sizes of the database file and its -wal and -shm companions."""
    out = {}
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db}{suffix}")
        if path.exists():
            out[path.name] = path.stat().st_size
    return out


def _on_disk(db: Path) -> int:
    """Return the bytes of the database and its WAL (the -shm index is not data)."""
    sizes = _files(db)
    return sizes.get(db.name, 0) + sizes.get(f"{db.name}-wal", 0)


def _table_bytes(db: Path) -> dict[str, Any]:
    """Return the bytes each table and index takes (``dbstat``), and the free pages."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        free = connection.execute("PRAGMA freelist_count").fetchone()[0]
    except sqlite3.Error as err:  # dbstat not compiled in
        return {"error": str(err)}
    finally:
        connection.close()
    return {"tables": dict(rows), "free_bytes": free * page_size, "page_size": page_size}


def _evict(db: Path) -> bool:
    """Drop the file's pages from the OS page cache; return whether the OS was asked."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in (db, Path(f"{db}-wal")):
        if path.exists():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


def _read_through(db: Path) -> float:
    """Read the whole file once (to warm the OS cache); return the seconds it took."""
    start = time.perf_counter()
    with open(db, "rb") as handle:
        while handle.read(1 << 20):
            pass
    return time.perf_counter() - start


# --------------------------------------------------------------------------
# ingest phase (child process)
# --------------------------------------------------------------------------


def _lookup_sample(population: Any, count: int, seed: int) -> list[tuple[str, str, int]]:
    """Return (kind, value as typed, touchpoints of the person) for random strong identifiers.

    The same draw as ``bench_stitching._lookups``.
    """
    rng = Random(seed)
    candidates = [p for p in population.persons if p.lookup_identifiers()]
    out = []
    for person in rng.choices(candidates, k=count):
        ident = rng.choice(person.lookup_identifiers())
        out.append((ident.kind, ident.value, person.touchpoints))
    return out


def _raw_floor(touchpoints: list[Any], path: Path, batch: int, synchronous: str) -> dict[str, Any]:
    """Write the log with bare sqlite3: time the JSON encoding and the inserts apart."""
    start = time.perf_counter()
    rows = []
    idents = []
    for position, tp in enumerate(touchpoints):
        rows.append((position, tp.id, tp.occurred_at.isoformat(), json.dumps(tp.to_mapping())))
        idents.append([(i.kind, i.value, position) for i in tp.identifiers])
    encode_s = time.perf_counter() - start
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    for statement in RAW_SCHEMA:
        connection.execute(statement)
    execute, executemany = connection.execute, connection.executemany
    start = time.perf_counter()
    for first in range(0, len(rows), batch):
        execute("BEGIN IMMEDIATE")
        executemany(
            "INSERT INTO touchpoints (position, id, occurred_at, body) VALUES (?, ?, ?, ?)",
            rows[first : first + batch],
        )
        executemany(
            "INSERT OR IGNORE INTO identifiers (kind, value, position) VALUES (?, ?, ?)",
            [row for group in idents[first : first + batch] for row in group],
        )
        execute("COMMIT")
    insert_s = time.perf_counter() - start
    start = time.perf_counter()
    connection.close()
    close_s = time.perf_counter() - start
    size = _on_disk(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    n = len(touchpoints)
    return {
        "encode_s": encode_s,
        "insert_s": insert_s,
        "close_s": close_s,
        "insert_touchpoints_per_s": n / insert_s,
        "encode_insert_touchpoints_per_s": n / (encode_s + insert_s),
        "identifier_rows": sum(len(g) for g in idents),
        "bytes_per_touchpoint": size / n,
    }


def phase_ingest(size: int, db: Path, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"size": size, "revision": REVISION, "synchronous": args.synchronous}
    start = time.perf_counter()
    population = generate_population(size, args.seed)
    out["build_s"] = time.perf_counter() - start
    out["people"] = population.people
    out["rss_after_build_mb"] = current_rss_mb()
    log(f"{size:,}: population of {population.people:,} people built in {out['build_s']:.1f} s")
    samples = {
        "cold": _lookup_sample(population, args.lookups, args.seed),
        "warm": _lookup_sample(population, args.lookups, args.seed + 1),
        "warmup": _lookup_sample(population, 200, args.seed + 2),
    }
    Path(f"{db}.lookups.json").write_text(json.dumps(samples), encoding="utf-8")
    # Load lazily read metadata (phone regions, e-mail tables) before any clock starts.
    Hub(load_entry_points=False).add_many(generate_population(2_000, args.seed + 1).touchpoints)
    touchpoints = population.touchpoints

    # SQLite
    gc.collect()
    start = time.perf_counter()
    hub = _open(db, args)
    out["open_new_s"] = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    report = hub.add_many(touchpoints)
    elapsed = time.perf_counter() - start
    out["ingest_cpu_s"] = time.process_time() - cpu
    out["ingest_s"] = elapsed
    out["touchpoints_per_s"] = size / elapsed
    out["accepted"] = report.accepted
    out["quarantined"] = len(report.quarantined)
    out["contacts"] = hub.stats().contacts
    out["files_before_close"] = _files(db)
    start = time.perf_counter()
    hub.close()
    out["close_s"] = time.perf_counter() - start
    out["files_after_close"] = _files(db)
    out["bytes_on_disk"] = _on_disk(db)
    out["bytes_per_touchpoint"] = out["bytes_on_disk"] / size
    out["tables"] = _table_bytes(db)
    out["peak_rss_after_sqlite_mb"] = peak_rss_mb()
    log(
        f"{size:,}: SQLite add_many {elapsed:.1f} s = {size / elapsed:,.0f} touchpoints/s, "
        f"{out['bytes_per_touchpoint']:,.0f} B/touchpoint on disk"
    )
    del hub, report

    # in memory, same stream
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    memory = Hub(load_entry_points=False, batch_size=args.batch_size)
    memory.add_many(touchpoints)
    memory_s = time.perf_counter() - start
    out["memory_ingest_cpu_s"] = time.process_time() - cpu
    out["memory_ingest_s"] = memory_s
    out["memory_touchpoints_per_s"] = size / memory_s
    out["memory_contacts"] = memory.stats().contacts
    out["ratio_sqlite_over_memory"] = elapsed / memory_s
    log(f"{size:,}: in-memory add_many {memory_s:.1f} s = {size / memory_s:,.0f} touchpoints/s")
    del memory

    # bare sqlite3, same rows
    gc.collect()
    out["raw"] = _raw_floor(touchpoints, db.with_name("raw.db"), args.batch_size, args.synchronous)
    log(
        f"{size:,}: bare sqlite3 inserts {out['raw']['insert_s']:.1f} s "
        f"(+ JSON encoding {out['raw']['encode_s']:.1f} s)"
    )
    out["peak_rss_mb"] = peak_rss_mb()
    out["load_average"] = os.getloadavg()[0]
    return out


# --------------------------------------------------------------------------
# lookup phase (child process)
# --------------------------------------------------------------------------


def _lookup_pass(hub: Hub, sample: list[list[Any]]) -> dict[str, Any]:
    timings = []
    wrong = 0
    contact = hub.contact
    clock = time.perf_counter_ns
    for kind, value, expected in sample:
        ident = Identifier(kind, value)
        start = clock()
        found = contact(ident)
        timings.append((clock() - start) / 1000)
        if len(found.timeline) != expected:
            wrong += 1
    first = timings[0]
    timings.sort()
    return {
        "lookups": len(sample),
        "first_us": first,
        "median_us": percentile(timings, 0.5),
        "p99_us": percentile(timings, 0.99),
        "max_us": timings[-1],
        "total_s": sum(timings) / 1e6,
        "wrong_contact": wrong,
    }


def phase_lookup(size: int, db: Path, args: argparse.Namespace) -> dict[str, Any]:
    samples = json.loads(Path(f"{db}.lookups.json").read_text(encoding="utf-8"))
    out: dict[str, Any] = {"size": size, "revision": REVISION}
    out["evicted"] = _evict(db)
    start = time.perf_counter()
    hub = _open(db, args)
    out["open_s"] = time.perf_counter() - start
    # Normalize a few other identifiers first: loads phone metadata without touching the file.
    for kind, value, _ in samples["warmup"]:
        hub.normalize(Identifier(kind, value))
    out["cold"] = _lookup_pass(hub, samples["cold"])
    log(
        f"{size:,}: lookups, cold OS cache: median {out['cold']['median_us']:.0f} µs, "
        f"p99 {out['cold']['p99_us']:.0f} µs"
    )
    out["read_file_s"] = _read_through(db)
    out["warm"] = _lookup_pass(hub, samples["warm"])
    log(
        f"{size:,}: lookups, warm OS cache: median {out['warm']['median_us']:.0f} µs, "
        f"p99 {out['warm']['p99_us']:.0f} µs"
    )
    start = time.perf_counter()
    stats = hub.stats()
    out["stats_s"] = time.perf_counter() - start
    out["contacts"] = stats.contacts
    out["touchpoints"] = stats.touchpoints
    out["replayed"] = hub._warm  # the resolver was never built: lookups read projections
    out["peak_rss_mb"] = peak_rss_mb()
    out["load_average"] = os.getloadavg()[0]
    hub.close()
    return out


# --------------------------------------------------------------------------
# rebuild phase (child process)
# --------------------------------------------------------------------------


def phase_rebuild(size: int, db: Path, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"size": size, "revision": REVISION}
    start = time.perf_counter()
    hub = _open(db, args)
    out["open_s"] = time.perf_counter() - start
    out["rss_after_open_mb"] = current_rss_mb()
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    hub.rebuild()
    out["rebuild_s"] = time.perf_counter() - start
    out["rebuild_cpu_s"] = time.process_time() - cpu
    out["rebuild_touchpoints_per_s"] = size / out["rebuild_s"]
    out["peak_rss_after_rebuild_mb"] = peak_rss_mb()
    log(f"{size:,}: rebuild {out['rebuild_s']:.1f} s, peak RSS {peak_rss_mb():,.0f} MiB")
    start, cpu = time.perf_counter(), time.process_time()
    check = hub.check()
    out["check_s"] = time.perf_counter() - start
    out["check_cpu_s"] = time.process_time() - cpu
    out["check"] = {
        "ok": check.ok,
        "integrity": check.integrity,
        "differences": list(check.differences),
        "touchpoints": check.touchpoints,
        "contacts": check.contacts,
    }
    out["contacts"] = hub.stats().contacts
    out["peak_rss_after_check_mb"] = peak_rss_mb()
    log(f"{size:,}: check {out['check_s']:.1f} s, ok={check.ok}")
    hub.close()
    out["bytes_after_rebuild"] = _on_disk(db)
    out["tables_after_rebuild"] = _table_bytes(db)
    if args.vacuum:
        connection = sqlite3.connect(db, isolation_level=None)
        start = time.perf_counter()
        connection.execute("VACUUM")
        out["vacuum_s"] = time.perf_counter() - start
        connection.close()
        out["bytes_after_vacuum"] = _on_disk(db)
        log(f"{size:,}: VACUUM {out['vacuum_s']:.1f} s")
    out["load_average"] = os.getloadavg()[0]
    return out


# --------------------------------------------------------------------------
# profile (child process)
# --------------------------------------------------------------------------


class _TimedConnection:
    """Stands for the store's ``sqlite3.Connection``: times each statement, by its SQL text."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.rows: dict[str, int] = {}

    def _note(self, sql: str, elapsed: float, rows: int) -> None:
        key = " ".join(sql.split())[:72]
        self.seconds[key] = self.seconds.get(key, 0.0) + elapsed
        self.calls[key] = self.calls.get(key, 0) + 1
        self.rows[key] = self.rows.get(key, 0) + rows

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        start = time.perf_counter()
        try:
            return self._connection.execute(sql, *args)
        finally:
            self._note(sql, time.perf_counter() - start, 1)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        rows = list(rows)
        start = time.perf_counter()
        try:
            return self._connection.executemany(sql, rows)
        finally:
            self._note(sql, time.perf_counter() - start, len(rows))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def _sql_split(touchpoints: list[Any], db: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Ingest with the store's connection timed statement by statement (no profiler)."""
    hub = _open(db, args)
    timed = _TimedConnection(hub._store._db)  # type: ignore[attr-defined]
    hub._store._db = timed  # type: ignore[attr-defined]
    gc.collect()
    start = time.perf_counter()
    hub.add_many(touchpoints)
    total = time.perf_counter() - start
    hub._store._db = timed._connection  # type: ignore[attr-defined]
    hub.close()
    statements = [
        {"sql": sql, "calls": timed.calls[sql], "rows": timed.rows[sql], "seconds": seconds}
        for sql, seconds in sorted(timed.seconds.items(), key=lambda kv: -kv[1])
    ]
    return {"ingest_s": total, "sql_s": sum(timed.seconds.values()), "statements": statements}


def phase_profile(size: int, db: Path, args: argparse.Namespace) -> dict[str, Any]:
    population = generate_population(size, args.seed)
    Hub(load_entry_points=False).add_many(generate_population(2_000, args.seed + 1).touchpoints)
    split = _sql_split(population.touchpoints, db.with_name("timed.db"), args)
    log(f"{size:,}: {split['sql_s']:.1f} s of {split['ingest_s']:.1f} s in SQL statements")
    hub = _open(db, args)
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    hub.add_many(population.touchpoints)
    profiler.disable()
    hub.close()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(args.profile_limit)
    rows = []
    sql = 0.0
    for (filename, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "sqlite3.Connection" in name or "sqlite3.Cursor" in name:
            sql += tottime
        rows.append(
            {
                "function": f"{filename.rsplit('/site-packages/', 1)[-1]}:{line}({name})",
                "calls": calls,
                "tottime_pct": 100 * tottime / total,
                "cumtime_pct": 100 * cumtime / total,
            }
        )
    rows.sort(key=lambda r: -r["cumtime_pct"])
    return {
        "size": size,
        "revision": REVISION,
        "total_s": total,
        "sqlite3_calls_s": sql,
        "text": text.getvalue(),
        "top": rows[:60],
        "sql_split": split,
    }


PHASES = {
    "ingest": phase_ingest,
    "lookup": phase_lookup,
    "rebuild": phase_rebuild,
    "profile": phase_profile,
}


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------


def _child(phase: str, size: int, db: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--phase",
        phase,
        "--db",
        str(db),
        "--sizes",
        str(size),
        "--seed",
        str(args.seed),
        "--lookups",
        str(args.lookups),
        "--synchronous",
        args.synchronous,
        "--batch-size",
        str(args.batch_size),
        "--profile-limit",
        str(args.profile_limit),
        *([] if args.vacuum else ["--no-vacuum"]),
    ]
    return child_result(cmd, phase, size)


def _mb(n: float) -> str:
    return f"{n / 1024**2:,.1f} MiB"


def _report(runs: list[dict[str, Any]], args: argparse.Namespace) -> list[str]:
    lines = []
    for run in runs:
        i, q, r = run["ingest"], run["lookup"], run["rebuild"]
        size = i["size"]
        raw = i["raw"]
        same = "==" if i["contacts"] == i["people"] else "!="
        wal = i["files_before_close"].get("store.db-wal", 0)
        lines += [
            f"--- {size:,} touchpoints ({i['people']:,} people, "
            f"{size / i['people']:.1f} touchpoints each); synchronous={i['synchronous']}, "
            f"batch_size={args.batch_size}",
            f"ingest SQLite          {i['touchpoints_per_s']:>10,.0f} touchpoints/s "
            f"({i['ingest_s']:.2f} s wall, {i['ingest_cpu_s']:.2f} s CPU; -wal before close "
            f"{_mb(wal)}, close {i['close_s']:.2f} s; quarantined {i['quarantined']})",
            f"ingest in memory       {i['memory_touchpoints_per_s']:>10,.0f} touchpoints/s "
            f"({i['memory_ingest_s']:.2f} s wall, {i['memory_ingest_cpu_s']:.2f} s CPU)   "
            f"SQLite / memory: "
            f"{i['ratio_sqlite_over_memory']:.2f}x the time",
            f"bare sqlite3 inserts   {raw['insert_touchpoints_per_s']:>10,.0f} touchpoints/s "
            f"({raw['insert_s']:.2f} s for {size:,} log rows + {raw['identifier_rows']:,} "
            f"identifier rows = {100 * raw['insert_s'] / i['ingest_s']:.0f} % of the store's "
            f"ingest)",
            f"  + JSON encoding      {raw['encode_insert_touchpoints_per_s']:>10,.0f} "
            f"touchpoints/s ({raw['encode_s']:.2f} s encoding)",
            f"contacts vs people     {i['contacts']:,} {same} {i['people']:,} "
            f"(in memory {i['memory_contacts']:,}; after reopening {q['contacts']:,}; "
            f"after rebuild {r['contacts']:,})",
            f"on disk after close    {i['bytes_per_touchpoint']:>10,.0f} B/touchpoint "
            f"({_mb(i['bytes_on_disk'])}; files {i['files_after_close']}); "
            f"bare log tables {raw['bytes_per_touchpoint']:,.0f} B/touchpoint",
        ]
        tables = i["tables"].get("tables")
        if tables:
            shown = ", ".join(f"{t} {b / size:,.0f}" for t, b in tables.items() if b / size >= 1)
            lines.append(f"  by table (B/tp)      {shown}")
        after = f"after rebuild          {r['bytes_after_rebuild'] / size:>10,.0f} B/touchpoint"
        if "bytes_after_vacuum" in r:
            after += (
                f"; after VACUUM {r['bytes_after_vacuum'] / size:,.0f} B/touchpoint "
                f"(VACUUM {r['vacuum_s']:.1f} s)"
            )
        lines.append(after)
        evicted = "evicted with fadvise" if q["evicted"] else "not evicted"
        for name, label in (("cold", f"cold OS cache ({evicted})"), ("warm", "warm OS cache")):
            p = q[name]
            lines.append(
                f"lookup {name:<5}           median {p['median_us']:>6,.0f} µs, "
                f"p99 {p['p99_us']:>6,.0f} µs, max {p['max_us']:>7,.0f} µs, "
                f"first {p['first_us']:,.0f} µs over {p['lookups']:,} ({p['wrong_contact']} "
                f"wrong); {label}"
            )
        lines += [
            f"  reopen               Hub.open {1000 * q['open_s']:.1f} ms; stats() "
            f"{1000 * q['stats_s']:.1f} ms; log replayed: {q['replayed']}; "
            f"read whole file {1000 * q['read_file_s']:,.0f} ms; "
            f"peak RSS {q['peak_rss_mb']:,.0f} MiB",
            f"rebuild                {r['rebuild_s']:>8.2f} s "
            f"({r['rebuild_touchpoints_per_s']:,.0f} touchpoints/s; "
            f"{r['rebuild_cpu_s']:.2f} s CPU); "
            f"peak RSS {r['peak_rss_after_rebuild_mb']:,.0f} MiB "
            f"(after open {r['rss_after_open_mb']:,.0f} MiB)",
            f"check                  {r['check_s']:>8.2f} s ({r['check_cpu_s']:.2f} s CPU); "
            f"ok={r['check']['ok']} "
            f"(integrity {r['check']['integrity']!r}, "
            f"{len(r['check']['differences'])} differences); "
            f"peak RSS {r['peak_rss_after_check_mb']:,.0f} MiB",
            f"peak RSS (ingest child) {i['rss_after_build_mb']:,.0f} MiB after building input, "
            f"{i['peak_rss_after_sqlite_mb']:,.0f} MiB after the SQLite ingest, "
            f"{i['peak_rss_mb']:,.0f} MiB at the end",
            f"1-min load average     at the end of each child: ingest {i['load_average']:.2f}, "
            f"lookup {q['load_average']:.2f}, rebuild {r['load_average']:.2f} "
            f"(on {os.cpu_count()} CPUs)",
        ]
        target_sync = "" if i["synchronous"] == "FULL" else " (target is for FULL)"
        p99 = q["cold"]["p99_us"], q["warm"]["p99_us"]
        at = "" if size == TARGET_P99_SIZE else f" (target set at {TARGET_P99_SIZE:,})"
        lines += [
            f"target >= {TARGET_THROUGHPUT:,} touchpoints/s into SQLite: "
            f"{verdict(i['touchpoints_per_s'] >= TARGET_THROUGHPUT)}{target_sync}   "
            f"target lookup p99 <= {TARGET_P99_US / 1000:g} ms{at}: "
            f"cold {verdict(p99[0] <= TARGET_P99_US)}, warm {verdict(p99[1] <= TARGET_P99_US)}",
            "",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--quick", action="store_true", help="one small size: 20,000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    parser.add_argument("--batch-size", type=int, default=2000, help="touchpoints per commit")
    parser.add_argument(
        "--no-vacuum", dest="vacuum", action="store_false", help="skip VACUUM after the rebuild"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also time the store's SQL statements and cProfile the SQLite ingest (smallest size)",
    )
    parser.add_argument("--profile-limit", type=int, default=25)
    parser.add_argument(
        "--tmpdir", type=Path, default=None, help="where the database files go (default: $TMPDIR)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database files")
    parser.add_argument(
        "--json", type=Path, default=None, help="write results here, not results/store.json"
    )
    parser.add_argument("--phase", choices=tuple(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.sizes = [20_000]

    if args.phase:
        result = PHASES[args.phase](args.sizes[0], args.db, args)
        print(RESULT_MARK + json.dumps(result))
        return

    info = machine_info()
    info["revision"] = {**info["revision"], "src_digest": REVISION["src_digest"]}
    print_header("omnicontact: SQLite store (ingest, disk, lookups, rebuild)", info)
    print(f"src/*.py digest {REVISION['src_digest']} (sha256 of the working tree as imported)")
    print()
    sys.stdout.flush()
    runs = []
    profile = None
    for size in args.sizes:
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-store-{size}-", dir=args.tmpdir))
        db = workdir / "store.db"
        try:
            runs.append(
                {
                    "ingest": _child("ingest", size, db, args),
                    "lookup": _child("lookup", size, db, args),
                    "rebuild": _child("rebuild", size, db, args),
                }
            )
        finally:
            if args.keep:
                print(f"kept: {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    if args.profile:
        size = min(args.sizes)
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-store-profile-{size}-", dir=args.tmpdir))
        try:
            profile = _child("profile", size, workdir / "store.db", args)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    for line in _report(runs, args):
        print(line)
    revisions = [info["revision"]] + [r[p]["revision"] for r in runs for p in r]
    if profile is not None:
        revisions.append(profile["revision"])
    if len({(r["src_tree"], r["dirty"], r["src_digest"]) for r in revisions}) > 1:
        shown = sorted({f"{describe_revision(r)} digest {r['src_digest']}" for r in revisions})
        print(f"WARNING: src/ changed during the run, figures mix revisions: {shown}")
        print()
    payload: dict[str, Any] = {
        "benchmark": "store",
        "command": command_line(),
        "machine": info,
        "parameters": {
            k: str(v) if isinstance(v, Path) else v
            for k, v in vars(args).items()
            if k not in ("phase", "db")
        },
        "targets": {
            "touchpoints_per_s": TARGET_THROUGHPUT,
            "lookup_p99_us": TARGET_P99_US,
            "lookup_p99_at_size": TARGET_P99_SIZE,
        },
        "runs": runs,
    }
    if profile is not None:
        print(
            f"--- cProfile of the SQLite add_many, {profile['size']:,} touchpoints "
            f"(sorted by cumulative time; {profile['sqlite3_calls_s']:.2f} s of "
            f"{profile['total_s']:.2f} s inside sqlite3 calls)"
        )
        print(profile.pop("text"))
        split = profile["sql_split"]
        print(
            f"--- the store's SQL statements, timed one by one (no profiler), "
            f"{profile['size']:,} touchpoints: {split['sql_s']:.2f} s of the "
            f"{split['ingest_s']:.2f} s add_many ({100 * split['sql_s'] / split['ingest_s']:.0f} %)"
        )
        for row in split["statements"][:12]:
            print(
                f"  {row['seconds']:7.3f} s {row['calls']:>9,} calls {row['rows']:>10,} rows  "
                f"{row['sql']}"
            )
        print()
        payload["profile"] = profile
    print(f"re-run:   {payload['command']}")
    path = write_results("store", payload, args.json)
    print(f"results:  {path}")


if __name__ == "__main__":
    main()
