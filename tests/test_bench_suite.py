"""The benchmark suite: stage accuracy, latency, the suite run, ``omnicontact bench``."""

from __future__ import annotations

import argparse
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import omnicontact as oc
from omnicontact.bench import (
    StageAccuracy,
    Throughput,
    latency_percentiles,
    peak_memory_mb,
    stage_accuracy,
)
from omnicontact.bench.labelled import default_mapping
from omnicontact.bench.suite import SuiteResult, add_arguments, run, run_suite
from omnicontact.lifecycle.models import extended_crm

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
AS_OF = T0 + timedelta(days=30)


def tp(ident: str, day: int, action: str, **identifiers: str) -> oc.Touchpoint:
    return oc.Touchpoint(
        id=ident,
        occurred_at=T0 + timedelta(days=day),
        channel="web",
        action=action,
        identifiers=[oc.Identifier(k, v) for k, v in identifiers.items()],
    )


# Ann: visits (suspect), signs up with an e-mail (prospect), buys (customer).
# Bob: one anonymous visit (suspect). Cy: signs up (prospect), after AS_OF buys.
TOUCHPOINTS = [
    tp("a1", 0, "page_view", cookie_id="c-ann"),
    tp("a2", 1, "signup", email="ann@example.com"),
    tp("a3", 2, "purchase", email="ann@example.com"),
    tp("b1", 3, "page_view", cookie_id="c-bob"),
    tp("c1", 4, "signup", email="cy@example.com"),
    tp("c2", 40, "purchase", email="cy@example.com"),
]
TRUTH = {"a1": "ann", "a2": "ann", "a3": "ann", "b1": "bob", "c1": "cy", "c2": "cy"}


class TestStageAccuracy:
    """stage_accuracy: each person's resolved stage against their true stage."""

    def test_perfect_resolution(self) -> None:
        """Contacts equal to people: every stage is right."""
        found = stage_accuracy(extended_crm(), TOUCHPOINTS, TRUTH, TRUTH, AS_OF)
        assert (found.people, found.correct, found.accuracy, found.split_people) == (3, 3, 1.0, 0)
        assert found.confusion == {
            "customer": {"customer": 1},
            "prospect": {"prospect": 1},
            "suspect": {"suspect": 1},
        }

    def test_split_person_takes_the_contact_with_most_touchpoints(self) -> None:
        """Ann split: her purchase alone on a contact, her visit and sign-up on another.

        She resolves to the contact with two of her touchpoints, a prospect:
        wrong, since she bought.
        """
        predicted = {"a1": "X", "a2": "X", "a3": "Y", "b1": "Z", "c1": "W", "c2": "W"}
        found = stage_accuracy(extended_crm(), TOUCHPOINTS, predicted, TRUTH, AS_OF)
        assert found.split_people == 1
        assert (found.people, found.correct) == (3, 2)
        assert found.accuracy == pytest.approx(2 / 3)
        assert found.confusion["customer"] == {"prospect": 1}
        assert found.by_stage() == {"customer": 0.0, "prospect": 1.0, "suspect": 1.0}

    def test_over_merge_lifts_a_stage(self) -> None:
        """Bob's visit merged into Ann's contact: Bob reads as a customer."""
        predicted = {"a1": "X", "a2": "X", "a3": "X", "b1": "X", "c1": "W", "c2": "W"}
        found = stage_accuracy(extended_crm(), TOUCHPOINTS, predicted, TRUTH, AS_OF)
        assert found.confusion["suspect"] == {"customer": 1}
        assert found.correct == 2

    def test_as_of_ignores_later_touchpoints(self) -> None:
        """Cy's purchase after as_of does not count: she is a prospect."""
        found = stage_accuracy(extended_crm(), TOUCHPOINTS, TRUTH, TRUTH, AS_OF)
        assert found.confusion["prospect"] == {"prospect": 1}

    def test_tie_goes_to_smallest_contact_id(self) -> None:
        """A person split evenly resolves to the contact whose id sorts first."""
        predicted = {"a1": "B", "a2": "A", "a3": "B", "b1": "Z", "c1": "W", "c2": "A"}
        truth = {"a1": "ann", "a2": "ann", "a3": "ann", "b1": "bob", "c1": "cy", "c2": "cy"}
        found = stage_accuracy(extended_crm(), TOUCHPOINTS, predicted, truth, AS_OF)
        # Cy: c1 on W, c2 (after as_of) on A; one each: A wins the tie, and A's
        # touchpoint up to AS_OF is Ann's sign-up: a prospect, right by chance.
        assert found.split_people == 2
        assert found.confusion["prospect"] == {"prospect": 1}

    def test_touchpoints_unknown_to_either_side_are_left_out(self) -> None:
        """A quarantined touchpoint (not predicted) counts for nobody."""
        predicted = {k: v for k, v in TRUTH.items() if k != "b1"}
        found = stage_accuracy(extended_crm(), TOUCHPOINTS, predicted, TRUTH, AS_OF)
        assert found.people == 2
        assert "suspect" not in found.confusion

    def test_as_dict_is_json(self) -> None:
        """as_dict gives JSON-ready figures."""
        found = stage_accuracy(extended_crm(), TOUCHPOINTS, TRUTH, TRUTH, AS_OF)
        data = json.loads(json.dumps(found.as_dict()))
        assert data["accuracy"] == 1.0
        assert data["track"] == "extended_crm"
        assert isinstance(found, StageAccuracy)


class TestLatencyAndThroughput:
    """latency_percentiles by nearest rank; Throughput; peak memory."""

    def test_nearest_rank(self) -> None:
        """1..100 gives p50 50, p90 90, p99 99, max 100, whatever the order."""
        values = list(range(100, 0, -1))
        assert latency_percentiles(values) == {"p50": 50, "p90": 90, "p99": 99, "max": 100}

    def test_small_samples(self) -> None:
        """With few values each percentile is a measured value."""
        assert latency_percentiles([0.5]) == {"p50": 0.5, "p90": 0.5, "p99": 0.5, "max": 0.5}
        assert latency_percentiles([3.0, 1.0, 2.0, 4.0]) == {
            "p50": 2.0,
            "p90": 4.0,
            "p99": 4.0,
            "max": 4.0,
        }

    def test_empty_is_an_error(self) -> None:
        """No measurement, no percentile."""
        with pytest.raises(ValueError, match="at least one"):
            latency_percentiles([])

    def test_throughput(self) -> None:
        """Throughputs add up; no time gives 0/s; measure() times a block."""
        both = Throughput(100, 2.0) + Throughput(50, 1.0)
        assert both.per_second == 50.0
        assert Throughput().per_second == 0.0
        pooled: dict[str, Throughput] = {}
        with Throughput.measure(pooled, "x", 10):
            pass
        with Throughput.measure(pooled, "x", 5):
            pass
        assert pooled["x"].count == 15
        assert Throughput.timed(lambda: 7).count == 7

    def test_peak_memory(self) -> None:
        """The process's peak RSS is a positive number of MiB."""
        assert 1 < peak_memory_mb() < 1_000_000


@pytest.fixture(scope="module")
def suite() -> SuiteResult:
    return run_suite(60, seed=7, peers=True, lookups=200)


class TestSuite:
    """run_suite on a tiny world gives sane figures in every section."""

    def test_sections_and_ranges(self, suite: SuiteResult) -> None:
        """Every section is there; ratios are in [0, 1]; counts add up."""
        data = suite.as_dict()
        for key in (
            "parameters",
            "ingest",
            "lookups",
            "matching",
            "stages",
            "scoring",
            "analytics",
            "memory",
            "peers",
            "seconds",
        ):
            assert key in data
        m = suite.matching
        for name in ("pairwise_precision", "pairwise_recall", "pairwise_f1", "bcubed_f1"):
            assert 0.0 <= m[name] <= 1.0
        assert m["people"] <= 60
        assert m["records"] > 0
        ing = suite.ingest
        assert ing["events"] == sum(a["events"] for a in ing["by_adapter"].values())
        assert ing["accepted"] + ing["duplicates"] + ing["quarantined"] <= ing["events"] + 1
        assert ing["events_per_second"] > 0
        assert 0.0 <= suite.stages["accuracy"] <= 1.0
        assert suite.lookups["lookups"] > 0
        assert suite.lookups["p50_ms"] <= suite.lookups["p99_ms"] <= suite.lookups["max_ms"]
        assert len(suite.scoring["strategies"]) >= 6
        assert suite.memory["peak_rss_mb"] > 0
        json.dumps(data)

    def test_peers_report_or_say_why_not(self, suite: SuiteResult) -> None:
        """Splink either gives scores and a ratio, or says why it did not run."""
        splink = suite.peers["splink"]
        if "scores" in splink:
            assert 0.0 <= splink["scores"]["pairwise_f1"] <= 1.0
            assert splink["omnicontact_scores"]["records"] == splink["records"]
        else:
            assert splink.get("skipped") or splink.get("error")

    def test_table(self, suite: SuiteResult) -> None:
        """The table names each figure."""
        text = suite.table()
        for label in (
            "events/s",
            "pairwise precision / recall / F1",
            "B-cubed",
            "stage accuracy",
            "p99",
            "peak memory",
            "analytics",
        ):
            assert label in text

    def test_sqlite_store(self) -> None:
        """The same world on the SQLite store gives the same contacts."""
        memory = run_suite(25, seed=3, peers=False, lookups=20)
        sqlite = run_suite(25, seed=3, store="sqlite", peers=False, lookups=20)
        assert sqlite.matching["contacts"] == memory.matching["contacts"]
        assert sqlite.matching["pairwise_f1"] == memory.matching["pairwise_f1"]

    def test_bad_size(self) -> None:
        """A size below 1 is refused."""
        with pytest.raises(oc.ConfigurationError, match="size"):
            run_suite(0)


# --------------------------------------------------------------------------
# omnicontact bench
# --------------------------------------------------------------------------

CSV = (
    "email,phone,first_name,last_name,country,person\n"
    "ann.lee@example.com,,Ann,Lee,GB,P1\n"
    "ANN.LEE@example.com,07911 123456,Ann,Lee,GB,P1\n"
    ",+44 7911 123456,Ann,Lee,GB,P1\n"
    "bob@example.com,,Bob,Stone,GB,P2\n"
    "bob.stone@work.example,,Bob,Stone,GB,P3\n"
)


def bench(*argv: str) -> tuple[int, str]:
    """Run ``omnicontact bench`` through the command line when it is wired, else directly."""
    out = io.StringIO()
    try:
        from omnicontact.cli import main

        status = main(["bench", *argv], out=out)
    except SystemExit as exit_:  # 'bench' not a subcommand yet: argparse exits
        if exit_.code != 2:
            raise
        parser = argparse.ArgumentParser(prog="omnicontact bench")
        add_arguments(parser)
        status = run(parser.parse_args(list(argv)), out)
    return status, out.getvalue()


def bench_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run a bench that must fail; return its error message (from stderr or the exception)."""
    capsys.readouterr()
    try:
        status, _ = bench(*argv)
    except oc.OmnicontactError as err:
        return str(err)
    captured = capsys.readouterr()
    assert status == 1
    assert "Traceback" not in captured.err
    return captured.err


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


class TestBenchCommand:
    """``omnicontact bench``: the generated suite, or a user's labelled file."""

    def test_generated_world(self, tmp_path: Path) -> None:
        """A small world prints the table and writes the JSON."""
        out = tmp_path / "suite.json"
        status, text = bench("--size", "20", "--no-peers", "--json", str(out))
        assert status == 0
        assert "pairwise precision / recall / F1" in text
        data = json.loads(out.read_text(encoding="utf-8"))
        assert data["parameters"]["size"] == 20
        assert data["environment"]["python"]

    def test_labelled_file(self, labelled: Path, tmp_path: Path) -> None:
        """The default mapping reads e-mail, phone and names; the truth column stays out."""
        out = tmp_path / "scores.json"
        status, text = bench(
            "--data", str(labelled), "--truth-column", "person", "--no-peers", "--json", str(out)
        )
        assert status == 0
        assert "matching quality on people.csv" in text
        data = json.loads(out.read_text(encoding="utf-8"))
        assert data["data"]["records"] == 5
        assert data["data"]["people"] == 3
        m = data["matching"]
        assert m["contacts"] == 3  # Ann's three rows linked by e-mail then phone
        assert m["pairwise_precision"] == 1.0
        assert m["pairwise_recall"] == 1.0

    def test_labelled_with_mapping(self, labelled: Path, tmp_path: Path) -> None:
        """A given mapping is used instead of the default one."""
        mapping = tmp_path / "m.json"
        mapping.write_text(
            json.dumps(
                {
                    "id": {"template": "r:{email}"},
                    "occurred_at": {"value": "2026-01-01T00:00:00Z"},
                    "channel": {"value": "crm"},
                    "action": {"value": "import"},
                    "identifiers": {"email": "email"},
                }
            ),
            encoding="utf-8",
        )
        status, text = bench(
            "--data",
            str(labelled),
            "--truth-column",
            "person",
            "--mapping",
            str(mapping),
            "--no-peers",
        )
        assert status == 0
        assert "records quarantined" in text

    def test_labelled_with_adapter(self, tmp_path: Path) -> None:
        """--adapter reads JSON lines as that channel's payloads, truth taken off."""
        path = tmp_path / "orders.jsonl"
        lines = [
            {
                "order_id": 1,
                "placed_at": "2026-01-02T10:00:00Z",
                "person": "P1",
                "customer": {"email": "ann@example.com"},
                "total": 10,
            },
            {
                "order_id": 2,
                "placed_at": "2026-01-03T10:00:00Z",
                "person": "P1",
                "customer": {"email": "Ann@Example.com"},
                "total": 12,
            },
        ]
        path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
        status, text = bench(
            "--data", str(path), "--truth-column", "person", "--adapter", "orders", "--no-peers"
        )
        assert status == 0, text
        assert "pairwise" in text

    def test_missing_truth_column(self, labelled: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A truth column the file lacks is named, with the columns it has."""
        message = bench_error(capsys, "--data", str(labelled), "--truth-column", "who")
        assert "'who'" in message
        assert "email" in message

    def test_no_truth_column_given(
        self, labelled: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--data without --truth-column says so."""
        assert "--truth-column" in bench_error(capsys, "--data", str(labelled))

    def test_empty_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An empty file (or a header alone) is named as empty."""
        for content in ("", "email,person\n"):
            path = tmp_path / "empty.csv"
            path.write_text(content, encoding="utf-8")
            message = bench_error(capsys, "--data", str(path), "--truth-column", "person")
            assert "empty.csv" in message
            assert "empty" in message

    def test_blank_label(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A row with no truth label is named by its number."""
        path = tmp_path / "x.csv"
        path.write_text("email,person\na@example.com,P1\nb@example.com,\n", encoding="utf-8")
        message = bench_error(capsys, "--data", str(path), "--truth-column", "person")
        assert "row 2" in message

    def test_unknown_adapter(self, labelled: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown adapter is named, with the known ones."""
        message = bench_error(
            capsys, "--data", str(labelled), "--truth-column", "person", "--adapter", "fax"
        )
        assert "'fax'" in message
        assert "segment" in message

    def test_bad_mapping(
        self, labelled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A mapping that is not JSON, or wrong, is named with its problem."""
        mapping = tmp_path / "bad.json"
        mapping.write_text("{not json", encoding="utf-8")
        args = ("--data", str(labelled), "--truth-column", "person", "--mapping", str(mapping))
        message = bench_error(capsys, *args)
        assert "bad.json" in message
        assert "not valid JSON" in message
        mapping.write_text(json.dumps({"id": "email"}), encoding="utf-8")
        assert "occurred_at is required" in bench_error(capsys, *args)

    def test_mapping_reading_the_truth(
        self, labelled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A mapping that would show the truth to the hub is refused."""
        mapping = tmp_path / "m.json"
        mapping.write_text(
            json.dumps(
                {
                    "id": {"template": "r:{person}"},
                    "occurred_at": {"value": "2026-01-01T00:00:00Z"},
                    "channel": {"value": "crm"},
                    "action": {"value": "import"},
                }
            ),
            encoding="utf-8",
        )
        message = bench_error(
            capsys, "--data", str(labelled), "--truth-column", "person", "--mapping", str(mapping)
        )
        assert "truth column" in message

    def test_no_usable_column(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file with no column the default mapping knows asks for --mapping."""
        path = tmp_path / "x.csv"
        path.write_text("Mail,person\na@example.com,P1\n", encoding="utf-8")
        message = bench_error(capsys, "--data", str(path), "--truth-column", "person")
        assert "--mapping" in message

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that does not exist is an error, not a traceback."""
        try:
            message = bench_error(
                capsys, "--data", str(tmp_path / "nope.csv"), "--truth-column", "person"
            )
        except OSError as err:  # run() directly: the command line turns it into a message
            message = str(err)
        assert "nope.csv" in message

    def test_options_only_with_data(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--truth-column without --data is refused."""
        assert "--data" in bench_error(capsys, "--truth-column", "person")


class TestDefaultMapping:
    """default_mapping: identifier and trait columns by name."""

    def test_columns(self) -> None:
        """Known columns are identifiers or traits; a date column is the time."""
        found: dict[str, Any] = default_mapping(
            ["Email", "device_id", "first_name", "date", "channel", "other"]
        )
        assert found["identifiers"] == {"email": "Email", "device_id": "device_id"}
        assert found["traits"] == {"first_name": "first_name"}
        assert found["occurred_at"] == "date"
        assert found["channel"] == "channel"
