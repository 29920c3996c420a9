"""A writer process for tests/test_store_reliability.py (run as a script, never imported).

Reads JSON records (one a line) from ``--input`` and ingests them into the
SQLite file ``--db`` with its own :class:`omnicontact.Hub`, ``--chunk``
records per ``Hub.ingest`` call. After each call returns, the ids it
acknowledged are appended to ``--ack`` and the file is flushed and fsynced.

- ``--ready``/``--go``: create the first file when the hub is open, then wait
  for the second, so that every writer starts at once.
- ``--hold-before-commit N``: just before the N-th ``COMMIT`` (every statement
  of that transaction executed, the write lock held), create ``--held`` and
  sleep until killed.
- ``--spill``: a page cache of one page, so that a transaction's pages spill
  into the WAL file before it commits (uncommitted frames that a crash leaves).
- ``--report``: where to write the summed IngestReport counts as JSON at the end.

Exit codes: 0 when done, 2 on a StoreError (for example "database is locked"),
3 when a report did not account for every record, 1 on any other error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any


def _wait_for(path: Path, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.002)


def _fsynced_append(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write("".join(f"{line}\n" for line in lines))
        out.flush()
        os.fsync(out.fileno())


class _HoldBeforeCommit:
    """A proxy of the store's connection that stops before the n-th COMMIT until killed."""

    def __init__(self, real: Any, commit: int, held: Path) -> None:
        self._real = real
        self._left = commit
        self._held = held

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT":
            self._left -= 1
            if self._left == 0:
                self._held.touch()
                while True:
                    time.sleep(1)
        return self._real.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--ack", required=True)
    parser.add_argument("--report")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--chunk", type=int, default=60)
    parser.add_argument("--ready")
    parser.add_argument("--go")
    parser.add_argument("--hold-before-commit", type=int, default=0)
    parser.add_argument("--spill", action="store_true")
    parser.add_argument("--held")
    args = parser.parse_args(argv)

    os.environ.setdefault("OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD", "1")
    import omnicontact as oc

    records: list[dict[str, Any]] = [
        json.loads(line) for line in Path(args.input).read_text(encoding="utf-8").splitlines()
    ]
    ack = Path(args.ack)
    ack.touch()
    totals = {"accepted": 0, "duplicates": 0, "quarantined": 0}
    try:
        hub = oc.Hub.open(args.db, batch_size=args.batch_size, load_entry_points=False)
        store: Any = hub._store
        if args.spill:
            store._db.execute("PRAGMA cache_size = 1")
        if args.hold_before_commit:
            store._db = _HoldBeforeCommit(store._db, args.hold_before_commit, Path(args.held))
        if args.ready:
            Path(args.ready).touch()
        if args.go:
            _wait_for(Path(args.go))

        for start in range(0, len(records), args.chunk):
            chunk = records[start : start + args.chunk]
            report = hub.ingest(chunk)
            if report.accepted + report.duplicates + len(report.quarantined) != len(chunk):
                print(f"report {report} does not account for {len(chunk)}", file=sys.stderr)
                return 3
            totals["accepted"] += report.accepted
            totals["duplicates"] += report.duplicates
            totals["quarantined"] += len(report.quarantined)
            _fsynced_append(ack, [record["id"] for record in chunk])
        hub.close()
    except oc.StoreError:
        traceback.print_exc()
        return 2
    except Exception:
        traceback.print_exc()
        return 1
    if args.report:
        Path(args.report).write_text(json.dumps(totals), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
