"""The SQLite store under stress: real processes and files, crashes, failures, hostile text.

Every scenario ends the same way: the file passes ``Hub.check()`` (SQLite's
integrity check, and projections equal to a replay of the log), and its
``export_state()`` is byte for byte the one a single in-memory hub gives for
the same touchpoints, whatever the order, the duplicates, or the number of
writers.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact._frozen import thaw

from .conftest import NOW, fixed_clock
from .strategies import person_streams

Record = dict[str, Any]

WRITER = Path(__file__).with_name("_writer.py")
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
FIRST_NAMES = ["Ann", "Jean", "Zoë", "Camille", "Léa", "Omar", "Inès", "Paul"]
LAST_NAMES = ["Dupont", "Martin", "Müller", "Nguyen", "O'Brien", "Petit"]
CITIES = ["Paris", "Lyon", "Lille", "Nantes"]
CHANNELS = ["web", "app", "store", "email", "call_centre"]
ACTIONS = ["page_view", "signup", "purchase", "email_open", "call"]
TABLES = {
    "touchpoints",
    "identifiers",
    "decisions",
    "rules",
    "audit",
    "audit_names",
    "quarantine",
    "membership",
    "contacts",
    "linked",
    "issued",
    "meta",
}


# --------------------------------------------------------------------------
# streams and references
# --------------------------------------------------------------------------


def journey_records(people: int, seed: int = 7) -> list[Record]:
    """Return a deterministic stream in omnicontact's JSON form, every record with ``received_at``.

    Each person has 2 to 5 touchpoints on their own cookies, some with their
    e-mail, phone or customer id; about one in six also uses the previous
    person's first cookie (a shared device), so contacts merge and split.
    """
    rng = random.Random(seed)
    out: list[Record] = []
    for person in range(people):
        email = f"person{person}@example.com"
        phone = f"+33 6 {person // 100 % 100:02d} {person % 100:02d} {rng.randrange(100):02d} 00"
        cookies = [f"ck-{person}-{j}" for j in range(2)]
        if person and rng.random() < 0.17:
            cookies.append(f"ck-{person - 1}-0")
        traits = {
            "first_name": rng.choice(FIRST_NAMES),
            "last_name": rng.choice(LAST_NAMES),
            "city": rng.choice(CITIES),
        }
        for _ in range(rng.randint(2, 5)):
            identifiers = {"cookie_id": rng.choice(cookies)}
            draw = rng.random()
            if draw < 0.4:
                identifiers["email"] = email
            elif draw < 0.6:
                identifiers["phone"] = phone
            elif draw < 0.7:
                identifiers["customer_id"] = f"C-{person}"
            occurred = START + timedelta(minutes=rng.randrange(60 * 24 * 90))
            record: Record = {
                "id": f"tp-{len(out):05d}",
                "occurred_at": occurred.isoformat(),
                "channel": rng.choice(CHANNELS),
                "action": rng.choice(ACTIONS),
                "identifiers": identifiers,
                "source": "generator",
                "received_at": (occurred + timedelta(minutes=5)).isoformat(),
            }
            if rng.random() < 0.6:
                record["traits"] = dict(rng.sample(sorted(traits.items()), 2))
            out.append(record)
    return out


def redelivered(record: Record) -> Record:
    """Return the same event as another system would send it again: raw forms differ.

    The e-mail is upper-cased, the cookie padded and the timestamps written in
    another zone; normalized, it is the same touchpoint (a duplicate).
    """
    copy = json.loads(json.dumps(record))
    identifiers = copy["identifiers"]
    if "email" in identifiers:
        identifiers["email"] = identifiers["email"].upper()
    identifiers["cookie_id"] = f"  {identifiers['cookie_id']} "
    paris = timezone(timedelta(hours=2))
    for field in ("occurred_at", "received_at"):
        copy[field] = datetime.fromisoformat(copy[field]).astimezone(paris).isoformat()
    return copy


def delivery(
    records: Sequence[Record], keep: Callable[[int], bool], seed: int, *, shuffle: bool = True
) -> list[Record]:
    """Return one writer's stream: the records *keep* selects, 15% of them sent twice."""
    rng = random.Random(seed)
    mine = [r for i, r in enumerate(records) if keep(i)]
    again = [redelivered(r) for r in rng.sample(mine, len(mine) * 15 // 100)]
    if shuffle:
        stream = mine + again
        rng.shuffle(stream)
        return stream
    # Keep the order; the second deliveries come later, each after its first.
    stream = list(mine)
    for copy in again:
        first = next(i for i, r in enumerate(stream) if r["id"] == copy["id"])
        stream.insert(rng.randint(first + 1, len(stream)), copy)
    return stream


def reference_hub(records: Iterable[Mapping[str, Any] | oc.Touchpoint], **options: Any) -> oc.Hub:
    """Return a single in-memory hub that ingested *records* in one go."""
    options.setdefault("load_entry_points", False)
    options.setdefault("clock", fixed_clock)
    hub = oc.Hub(**options)
    report = hub.ingest(records)
    assert not report.quarantined
    return hub


def reference_state(records: Iterable[Mapping[str, Any] | oc.Touchpoint]) -> str:
    """Return the ``export_state()`` of a single in-memory hub that ingested *records*."""
    return reference_hub(records).export_state()


def open_file(path: Path | str, **options: Any) -> oc.Hub:
    """Open a hub on an SQLite file, without installed plug-ins, with the fixed clock."""
    options.setdefault("load_entry_points", False)
    options.setdefault("clock", fixed_clock)
    return oc.Hub.open(path, **options)


def logged_ids(hub: oc.Hub) -> list[str]:
    """Return the ids in the log, in log order (duplicates kept, to be counted)."""
    return [tp.id for tp in hub.touchpoints()]


def assert_sound(hub: oc.Hub) -> None:
    """Assert the file is sound and its projections equal a replay of the log."""
    found = hub.check()
    assert found.integrity == "ok"
    assert found.differences == ()
    assert found.ok
    assert found.touchpoints == hub.stats().touchpoints


def assert_identifier_index(db: Path, hub: oc.Hub) -> None:
    """Assert the file's identifier index holds each logged touchpoint's identifiers, no more."""
    raw = sqlite3.connect(str(db))
    try:
        rows = set(raw.execute("SELECT kind, value, position FROM identifiers"))
    finally:
        raw.close()
    expected = {
        (ident.kind, ident.value, position)
        for position, tp in enumerate(hub.touchpoints())
        for ident in tp.identifiers
    }
    assert rows == expected


def assert_lookups_match(hub: oc.Hub, reference: oc.Hub) -> None:
    """Assert every identifier in the log finds the same contacts as in the reference hub."""
    identifiers = sorted(
        {ident for tp in reference.touchpoints() for ident in tp.identifiers},
        key=oc.Identifier.sort_key,
    )
    assert identifiers
    for ident in identifiers:
        found = [c.contact_id for c in hub.contacts_with(ident)]
        assert found == [c.contact_id for c in reference.contacts_with(ident)], ident.kind


# --------------------------------------------------------------------------
# writer processes
# --------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    """The environment of a writer: no installed plug-ins, this omnicontact first on the path."""
    env = dict(os.environ)
    env["OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    package_root = str(Path(oc.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


class Writer:
    """One writer process (tests/_writer.py) with its input, ack, report and log files."""

    def __init__(self, workdir: Path, name: str, db: Path, records: Sequence[Record]) -> None:
        self.name = name
        self.input = workdir / f"{name}.jsonl"
        self.ack = workdir / f"{name}.ack"
        self.report = workdir / f"{name}.report.json"
        self.held = workdir / f"{name}.held"
        self.stderr_path = workdir / f"{name}.stderr"
        self.db = db
        self.records = list(records)
        self.input.write_text("".join(json.dumps(r) + "\n" for r in self.records), "utf-8")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *options: str) -> None:
        """Start the process with the common arguments and *options*."""
        command = [
            sys.executable,
            str(WRITER),
            "--db",
            str(self.db),
            "--input",
            str(self.input),
            "--ack",
            str(self.ack),
            "--report",
            str(self.report),
            "--held",
            str(self.held),
            *options,
        ]
        with self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=err, env=_child_env()
            )

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        assert self.process is not None
        return self.process

    def acknowledged(self) -> list[str]:
        """Return the ids acknowledged so far (complete lines only)."""
        if not self.ack.exists():
            return []
        text = self.ack.read_text("utf-8")
        return text.splitlines()[: text.count("\n")]

    def wait(self, timeout: float = 120.0) -> int:
        """Wait for the process to end; return its exit code."""
        return self.proc.wait(timeout=timeout)

    def failure(self) -> str:
        """Say how the process ended, with its stderr, for assertion messages."""
        return f"{self.name} exited {self.proc.returncode}:\n{self.stderr_path.read_text()}"

    def totals(self) -> dict[str, int]:
        """Return the summed IngestReport counts the writer wrote at the end."""
        totals: dict[str, int] = json.loads(self.report.read_text("utf-8"))
        return totals

    def stop(self) -> None:
        """Kill the process if it is still running (cleanup after a failed test)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def writers() -> Iterator[list[Writer]]:
    """Collects the writers a test starts, and kills any still running at the end."""
    started: list[Writer] = []
    yield started
    for writer in started:
        writer.stop()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll *condition* until it holds; fail the test after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.002)


def start_together(writers: Sequence[Writer], workdir: Path, *extra: Sequence[str]) -> None:
    """Start every writer, wait until each has its hub open, then release them at once."""
    go = workdir / "go"
    for i, writer in enumerate(writers):
        options = list(extra[i]) if i < len(extra) else []
        writer.start("--ready", str(workdir / f"{writer.name}.ready"), "--go", str(go), *options)
    for writer in writers:
        ready = workdir / f"{writer.name}.ready"
        wait_until(
            lambda ready=ready, writer=writer: ready.exists() or writer.proc.poll() is not None,
            f"{writer.name} to open its hub",
        )
        assert writer.proc.poll() is None, writer.failure()
    go.touch()


def write_lock_is_held(db: Path) -> bool:
    """Tell whether another connection holds the database's write lock right now."""
    probe = sqlite3.connect(str(db), timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        return "locked" in str(err)
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


# --------------------------------------------------------------------------
# 1. a writer killed mid-run
# --------------------------------------------------------------------------


class TestCrash:
    CHUNK = 110  # records per ingest() call
    BATCH = 50  # records per transaction: 50, 50 and 10 for each call

    @pytest.mark.parametrize("moment", ["before-a-commit", "at-a-random-moment"])
    def test_a_killed_writer_loses_nothing_acknowledged(
        self, tmp_path: Path, writers: list[Writer], moment: str
    ) -> None:
        """SIGKILL one of three writers: the file is sound, acked ids are there once, no stray ids.

        The victim sends every record; the two survivors each send an
        overlapping part that together covers them all, so the log must end
        with exactly the union. Ingesting the union again only finds
        duplicates, and the state equals one in-memory ingestion.

        ``before-a-commit`` kills it holding the write lock, with a whole
        transaction executed (its pages spilled into the WAL) but not
        committed, after 50 records committed and not acknowledged.
        """
        union = journey_records(200, seed=11)
        union_ids = {r["id"] for r in union}
        db = tmp_path / "hub.sqlite"
        victim = Writer(tmp_path, "victim", db, delivery(union, lambda i: True, seed=1))
        left = Writer(tmp_path, "left", db, delivery(union, lambda i: i % 2 == 0 or i % 3 == 0, 2))
        right = Writer(
            tmp_path, "right", db, delivery(union, lambda i: i % 2 == 1 or i % 3 == 1, 3)
        )
        everyone = [victim, left, right]
        writers.extend(everyone)
        assert {r["id"] for r in left.records} | {r["id"] for r in right.records} == union_ids
        common = ["--batch-size", str(self.BATCH), "--chunk", str(self.CHUNK)]
        victim_options = list(common)
        if moment == "before-a-commit":
            # Two calls acknowledged (3 commits each); in the third, the first
            # transaction commits and the second stops before its COMMIT.
            victim_options += ["--spill", "--hold-before-commit", str(2 * 3 + 2)]
        start_together(everyone, tmp_path, victim_options, common, common)

        if moment == "before-a-commit":
            wait_until(
                lambda: victim.held.exists() or victim.proc.poll() is not None,
                "the victim to stop before a COMMIT",
            )
            assert victim.proc.poll() is None, victim.failure()
            assert len(victim.acknowledged()) == 2 * self.CHUNK
            assert write_lock_is_held(db), "the victim should hold the write lock"
        else:
            wait_until(
                lambda: (
                    len(victim.acknowledged()) >= 2 * self.CHUNK or victim.proc.poll() is not None
                ),
                "the victim to acknowledge two calls",
            )
            time.sleep(random.Random(5).uniform(0.0, 0.03))
            assert victim.proc.poll() is None, "the victim finished before it could be killed"
        victim.proc.send_signal(signal.SIGKILL)
        assert victim.wait() == -signal.SIGKILL
        acked_by_victim = victim.acknowledged()
        assert 0 < len(acked_by_victim) < len(victim.records)

        for survivor in (left, right):
            assert survivor.wait() == 0, survivor.failure()
            totals = survivor.totals()
            assert totals["quarantined"] == 0
            assert totals["accepted"] + totals["duplicates"] == len(survivor.records)
            assert len(survivor.acknowledged()) == len(survivor.records)

        with open_file(db) as hub:
            assert_sound(hub)
            ids = logged_ids(hub)
            assert len(ids) == len(set(ids)), "an id is in the log twice"
            assert set(ids) <= union_ids, "the log holds an id nobody sent"
            acked = set(acked_by_victim).union(left.acknowledged(), right.acknowledged())
            for tid in sorted(acked):
                assert hub.touchpoint(tid).id == tid
                assert tid in hub.contact_of(tid).touchpoint_ids
            assert set(ids) == union_ids  # the survivors sent every record
            assert left.totals()["accepted"] + right.totals()["accepted"] <= len(union)
            reference = reference_hub(union)
            assert hub.export_state() == reference.export_state()
            assert_identifier_index(db, hub)
            assert_lookups_match(hub, reference)

            shuffled = list(union)
            random.Random(9).shuffle(shuffled)
            again = hub.ingest(shuffled)
            assert again == oc.IngestReport(0, len(union), ())
            assert_sound(hub)
            assert hub.export_state() == reference_state(union)


# --------------------------------------------------------------------------
# 2. concurrent processes
# --------------------------------------------------------------------------


class TestConcurrentProcesses:
    def test_four_processes_at_once_equal_one(self, tmp_path: Path, writers: list[Writer]) -> None:
        """Four processes create and fill one file at once: no "database is locked", one result.

        Each record goes to two writers (interleaved slices, two writers in
        order, two shuffled, 15% sent twice): each touchpoint is accepted by
        exactly one of them, the rest are duplicates.
        """
        union = journey_records(250, seed=23)
        db = tmp_path / "shared.sqlite"
        for w in range(4):
            stream = delivery(
                union, lambda i, w=w: i % 4 in (w, (w + 1) % 4), seed=40 + w, shuffle=w % 2 == 1
            )
            writers.append(Writer(tmp_path, f"writer{w}", db, stream))
        start_together(writers, tmp_path, *[["--batch-size", "25", "--chunk", "40"]] * 4)
        for writer in writers:
            assert writer.wait() == 0, writer.failure()  # exit 2 is a StoreError
        totals = [writer.totals() for writer in writers]
        assert sum(t["accepted"] for t in totals) == len(union)
        assert sum(t["accepted"] + t["duplicates"] for t in totals) == sum(
            len(writer.records) for writer in writers
        )
        assert all(t["quarantined"] == 0 for t in totals)
        with open_file(db) as hub:
            assert_sound(hub)
            ids = logged_ids(hub)
            assert sorted(ids) == sorted(r["id"] for r in union)
            reference = reference_hub(union)
            assert hub.export_state() == reference.export_state()
            assert_identifier_index(db, hub)
            assert_lookups_match(hub, reference)


# --------------------------------------------------------------------------
# 3. threads
# --------------------------------------------------------------------------


def run_threads(work: Sequence[Callable[[], oc.IngestReport]]) -> list[oc.IngestReport]:
    """Run each callable in its own thread, started together; re-raise the first error."""
    barrier = threading.Barrier(len(work))
    reports: list[oc.IngestReport | None] = [None] * len(work)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            reports[i] = work[i]()
        except BaseException as err:  # collected for the main thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a writer thread hangs"
    if errors:
        raise errors[0]
    done = [r for r in reports if r is not None]
    assert len(done) == len(work)
    return done


class TestThreads:
    UNION = journey_records(100, seed=31)

    def streams(self) -> list[list[Record]]:
        """Four overlapping streams covering the union, two in order, two shuffled."""
        return [
            delivery(self.UNION, lambda i, w=w: i % 4 in (w, (w + 1) % 4), 60 + w, shuffle=w > 1)
            for w in range(4)
        ]

    def check_result(self, db: Path, reports: Sequence[oc.IngestReport]) -> None:
        """Each touchpoint accepted once; the file equals a single in-memory ingestion."""
        assert sum(r.accepted for r in reports) == len(self.UNION)
        assert all(not r.quarantined for r in reports)
        with open_file(db) as hub:
            assert_sound(hub)
            ids = logged_ids(hub)
            assert len(ids) == len(set(ids)) == len(self.UNION)
            assert hub.export_state() == reference_state(self.UNION)
            assert_identifier_index(db, hub)

    def test_four_threads_each_with_its_own_hub(self, tmp_path: Path) -> None:
        """Four threads, four hubs on one file, writing at once: one correct result."""
        db = tmp_path / "threads.sqlite"
        hubs = [open_file(db, batch_size=15) for _ in range(4)]
        try:
            reports = run_threads(
                [
                    lambda hub=hub, stream=stream: hub.ingest(stream)
                    for hub, stream in zip(hubs, self.streams(), strict=True)
                ]
            )
        finally:
            for hub in hubs:
                hub.close()
        self.check_result(db, reports)

    def test_four_threads_sharing_one_hub(self, tmp_path: Path) -> None:
        """Four threads calling ingest on one shared hub at once: one correct result."""
        db = tmp_path / "shared-hub.sqlite"
        with open_file(db, batch_size=15) as hub:
            reports = run_threads(
                [lambda stream=stream: hub.ingest(stream) for stream in self.streams()]
            )
            assert_sound(hub)
        self.check_result(db, reports)


# --------------------------------------------------------------------------
# 4. failures in the middle of a batch
# --------------------------------------------------------------------------


class FailingConnection:
    """A proxy of the store's connection whose statements starting with *prefix* fail once.

    The failure is raised before the statement reaches SQLite, as a disk that
    stops answering would make it fail (``sqlite3.OperationalError``).
    """

    def __init__(self, real: sqlite3.Connection, prefix: str, occurrence: int = 1) -> None:
        self._real = real
        self._prefix = prefix
        self._left = occurrence
        self.fired = False

    def _maybe_fail(self, sql: str) -> None:
        if self.fired or not sql.lstrip().startswith(self._prefix):
            return
        self._left -= 1
        if self._left == 0:
            self.fired = True
            raise sqlite3.OperationalError("disk I/O error")

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._maybe_fail(sql)
        return self._real.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._maybe_fail(sql)
        return self._real.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def failing_after(records: Sequence[Record], count: int) -> Iterator[Record]:
    """Yield the first *count* records, then raise as a broken source would."""
    yield from records[:count]
    raise RuntimeError("the source broke")


class TestFailureMidBatch:
    RECORDS = journey_records(12, seed=3)

    def test_an_exception_from_the_source_keeps_committed_chunks_only(self, tmp_path: Path) -> None:
        """The source raises inside the 2nd chunk: it propagates, chunk 1 stays, chunk 2 is gone.

        The same hub then takes the rest and ends equal to a clean ingestion.
        """
        records = self.RECORDS
        assert len(records) > 30
        db = tmp_path / "source.sqlite"
        with open_file(db, batch_size=10) as hub:
            with pytest.raises(RuntimeError, match="the source broke"):
                hub.ingest(failing_after(records, 15))
            assert logged_ids(hub) == [r["id"] for r in records[:10]]
            assert hub.quarantine() == ()
            assert_sound(hub)
            assert_identifier_index(db, hub)
            assert hub.export_state() == reference_state(records[:10])
            with pytest.raises(oc.TouchpointNotFoundError):
                hub.touchpoint(records[12]["id"])
            with open_file(db) as other:  # another process's view of the file
                assert logged_ids(other) == [r["id"] for r in records[:10]]
                assert other.export_state() == reference_state(records[:10])
            report = hub.ingest(records[10:])
            assert report == oc.IngestReport(len(records) - 10, 0, ())
            assert_sound(hub)
            assert hub.export_state() == reference_state(records)

    @pytest.mark.parametrize(
        "statement",
        [
            "INSERT OR REPLACE INTO membership",  # the projections, written first
            "INSERT INTO touchpoints",  # the log, at commit
            "INSERT OR IGNORE INTO identifiers",  # after the log rows went in
            "UPDATE meta",  # the last write before COMMIT
        ],
    )
    def test_a_disk_error_in_the_second_transaction(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, statement: str
    ) -> None:
        """A disk I/O error while writing batch 2 is a StoreError; nothing of it is half-written.

        Ingesting the same records again stores what was lost and ends equal
        to a clean ingestion.
        """
        records = self.RECORDS
        db = tmp_path / "disk.sqlite"
        with open_file(db, batch_size=10) as hub:
            failing = FailingConnection(hub._store._db, statement, occurrence=2)  # type: ignore[attr-defined]
            monkeypatch.setattr(hub._store, "_db", failing)
            with pytest.raises(oc.StoreError, match="disk I/O error"):
                hub.ingest(records)
            assert failing.fired
            assert logged_ids(hub) == [r["id"] for r in records[:10]]
            assert_sound(hub)
            assert_identifier_index(db, hub)
            assert hub.export_state() == reference_state(records[:10])
            report = hub.ingest(records)
            assert report == oc.IngestReport(len(records) - 10, 10, ())
            assert_sound(hub)
            assert hub.export_state() == reference_state(records)
        with open_file(db) as reopened:
            assert_sound(reopened)
            assert_identifier_index(db, reopened)
            assert reopened.export_state() == reference_state(records)

    @pytest.mark.parametrize("statement", ["COMMIT", "INSERT INTO audit "])
    def test_a_disk_error_at_commit_or_in_the_ledger_leaves_nothing_half_written(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, statement: str
    ) -> None:
        """COMMIT, or the audit ledger's insert, fails with a disk I/O error: a StoreError.

        Whole transactions only are in the file, the next ingestion works and
        ends equal to a clean one.
        """
        records = self.RECORDS
        db = tmp_path / "unwrapped.sqlite"
        with open_file(db, batch_size=10) as hub:
            failing = FailingConnection(hub._store._db, statement)  # type: ignore[attr-defined]
            monkeypatch.setattr(hub._store, "_db", failing)
            with pytest.raises(oc.StoreError, match="disk I/O error"):
                hub.ingest(records)
            assert failing.fired
            committed = len(logged_ids(hub))
            assert committed % 10 == 0
            assert committed < len(records)
            assert logged_ids(hub) == [r["id"] for r in records[:committed]]
            assert_sound(hub)
            assert_identifier_index(db, hub)
            assert hub.export_state() == reference_state(records[:committed])
            again = hub.ingest(records)
            assert again == oc.IngestReport(len(records) - committed, committed, ())
            assert_sound(hub)
            assert hub.export_state() == reference_state(records)

    def test_a_failing_plugin_rule_quarantines_one_record(self, tmp_path: Path) -> None:
        """A matching rule raising on one record: it is quarantined ("plugin"), the rest stored."""

        class Boom:
            name = "boom"
            deterministic = False

            def prepare(self, record: oc.Record) -> object | None:
                if record.traits.get("city") == "Crashville":
                    raise RuntimeError("bug in the plug-in")
                return None

            def blocking_keys(self, prepared: object) -> list[str]:
                return []

            def compare(self, a: object, b: object) -> None:
                return None

        class Plugin:
            @oc.hookimpl
            def register_matching_rules(self) -> list[object]:
                return [Boom()]

        records = [dict(r) for r in self.RECORDS]
        bad = records[14] = {**records[14], "traits": {"city": "Crashville"}}
        db = tmp_path / "plugin.sqlite"
        with open_file(db, batch_size=10, plugins=[Plugin()]) as hub:
            report = hub.ingest(records)
            assert report.accepted == len(records) - 1
            (rejection,) = report.quarantined
            assert (rejection.position, rejection.field) == (14, "plugin")
            assert "boom" in rejection.reason
            assert rejection.record == bad
            with pytest.raises(oc.TouchpointNotFoundError):
                hub.touchpoint(bad["id"])
            assert sorted(logged_ids(hub)) == sorted(r["id"] for r in records if r is not bad)
            assert_sound(hub)
        with open_file(db, plugins=[Plugin()]) as reopened:
            assert_sound(reopened)
            assert [r.record for r in reopened.quarantine()] == [bad]
            reference = oc.Hub(load_entry_points=False, clock=fixed_clock, plugins=[Plugin()])
            assert len(reference.ingest(records).quarantined) == 1
            assert reopened.export_state() == reference.export_state()


# --------------------------------------------------------------------------
# 5. replay, shuffled and duplicated streams
# --------------------------------------------------------------------------


class TestReplay:
    @settings(max_examples=30, deadline=None)
    @given(stream=person_streams(), data=st.data())
    def test_order_and_duplicates_do_not_change_the_file(
        self, stream: list[oc.Touchpoint], data: st.DataObject
    ) -> None:
        """In order, or shuffled with redeliveries and small batches: byte-equal export_state.

        Both files equal the in-memory hub, after a rebuild, and after reopening.
        """
        extra = data.draw(st.lists(st.integers(0, len(stream) - 1), max_size=8))
        order = data.draw(st.permutations([*range(len(stream)), *extra]))
        batch_size = data.draw(st.integers(1, 7))
        memory = oc.Hub(load_entry_points=False, clock=fixed_clock, default_region="FR")
        memory.add_many(stream)
        expected = memory.export_state()
        with tempfile.TemporaryDirectory() as tmp:
            in_order = Path(tmp) / "in-order.sqlite"
            shuffled = Path(tmp) / "shuffled.sqlite"
            with open_file(in_order, default_region="FR") as hub:
                hub.add_many(stream)
                assert hub.export_state() == expected
            with open_file(shuffled, default_region="FR", batch_size=batch_size) as hub:
                report = hub.add_many([stream[i] for i in order])
                assert report.duplicates >= len(extra) - len(report.quarantined)
                assert hub.export_state() == expected
                assert_sound(hub)
                hub.rebuild()
                assert hub.export_state() == expected
                assert_sound(hub)
            for path in (in_order, shuffled):
                with open_file(path, default_region="FR") as reopened:
                    assert reopened.export_state() == expected
                    assert_sound(reopened)


# --------------------------------------------------------------------------
# 6. hostile text
# --------------------------------------------------------------------------

HOSTILE = [
    "'); DROP TABLE touchpoints; --",
    'Robert"); DROP TABLE contacts; --',
    "x' OR '1'='1",
    "\\'; DELETE FROM membership WHERE '' = '",
    "0042",
    "1e3",
    "Zoë «ïñ» 名前 🙂 עברית",
    "%_*?[]{}$`|;",
]


def hostile_records() -> list[Record]:
    """One record per hostile string, in every free-text field; channel and action are slugs."""
    out: list[Record] = []
    for i, text in enumerate(HOSTILE):
        out.append(
            {
                "id": text if i % 2 else f"tp-{text}",
                "occurred_at": (START + timedelta(hours=i)).isoformat(),
                "channel": "x--drop_table.touchpoints:1",
                "action": "select.1:from--",
                "identifiers": {"customer_id": text, "cookie_id": f"ck {text}"},
                "traits": {"note": text, "first_name": "Zoë"},
                "properties": {"raw": text, text: [text, {"nested": text}]},
                "source": text,
                "received_at": NOW.isoformat(),
            }
        )
    return out


class TestHostileText:
    def test_sql_in_every_field_is_stored_as_text(self, tmp_path: Path) -> None:
        """Ids, identifier values, traits, properties and source with SQL read back exactly."""
        records = hostile_records()
        bad_slug = {**records[0], "id": "bad-channel", "channel": "'); DROP TABLE touchpoints; --"}
        db = tmp_path / "hostile.sqlite"
        with open_file(db) as hub:
            report = hub.ingest([*records, bad_slug])
            assert report.accepted == len(records)
            (rejection,) = report.quarantined
            assert rejection.field == "channel"
        with open_file(db) as hub:
            assert_sound(hub)
            for record, text in zip(records, HOSTILE, strict=True):
                stored = hub.touchpoint(record["id"])
                assert stored.id == record["id"]
                assert (stored.channel, stored.action) == (record["channel"], record["action"])
                assert stored.source == text
                assert stored.traits["note"] == text
                assert thaw(stored.properties) == record["properties"]
                assert oc.Identifier("customer_id", text) in stored.identifiers
                assert oc.Identifier("cookie_id", f"ck {text}") in stored.identifiers
                contact = hub.contact(oc.Identifier("customer_id", text))
                assert contact.touchpoint_ids == (record["id"],)
                assert hub.contact_of(record["id"]).contact_id == contact.contact_id
            assert [r.record for r in hub.quarantine()] == [bad_slug]
            assert hub.export_state() == reference_hub(records).export_state()
        raw = sqlite3.connect(str(db))
        try:
            tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master")}
            assert tables >= TABLES
            rows = raw.execute("SELECT id, typeof(id) FROM touchpoints").fetchall()
            assert sorted(rows) == sorted((r["id"], "text") for r in records)
            assert raw.execute("SELECT count(*) FROM membership").fetchone() == (len(records),)
        finally:
            raw.close()


# --------------------------------------------------------------------------
# 7. closing and reopening
# --------------------------------------------------------------------------


class TestReopen:
    def test_sessions_continue_one_run(self, tmp_path: Path) -> None:
        """Three sessions with close and reopen in between end equal to one uninterrupted run.

        After each reopen, lookups answer at once (before any write) with what
        a hub that ingested the same records says.
        """
        records = journey_records(40, seed=17)
        thirds = [records[: len(records) // 3], records[len(records) // 3 : 2 * len(records) // 3]]
        thirds.append(records[2 * len(records) // 3 :])
        db = tmp_path / "sessions.sqlite"
        seen: list[Record] = []
        for number, part in enumerate(thirds):
            synchronous = "NORMAL" if number == 1 else "FULL"
            with open_file(db, synchronous=synchronous, batch_size=7) as hub:
                if seen:
                    reference = reference_hub(seen)
                    assert hub.stats().touchpoints == len(seen)
                    assert hub.stats().contacts == reference.stats().contacts
                    assert len(list(hub.touchpoints())) == len(seen)
                    for record in seen[:: max(1, len(seen) // 10)]:
                        tid = record["id"]
                        assert hub.touchpoint(tid) == reference.touchpoint(tid)
                        assert hub.contact_of(tid) == reference.contact_of(tid)
                    person = oc.Identifier("email", "person0@example.com")
                    assert hub.find(person) == reference.find(person)
                    assert hub.export_state() == reference.export_state()
                overlap = seen[-5:]  # redelivered across the restart
                report = hub.ingest([*overlap, *part])
                assert report == oc.IngestReport(len(part), len(overlap), ())
                seen.extend(part)
                assert_sound(hub)
        with open_file(db) as hub:
            assert_sound(hub)
            assert hub.export_state() == reference_state(records)
        single = tmp_path / "single.sqlite"
        with open_file(single) as hub:
            hub.ingest(records)
            with open_file(db) as resumed:
                assert resumed.export_state() == hub.export_state()
