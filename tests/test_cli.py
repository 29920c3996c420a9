"""The omnicontact command line."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

import omnicontact as oc
from omnicontact.cli import main, sample_path

from .test_journeys import NATIVE_PEOPLE, PEOPLE, SAMPLE


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs in its own folder: the default database is created there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OMNICONTACT_DB", raising=False)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), out=out)
    return status, out.getvalue()


class TestCli:
    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--version prints the package version."""
        with pytest.raises(SystemExit) as info:
            main(["--version"])
        assert info.value.code == 0
        assert oc.__version__ in capsys.readouterr().out

    def test_plugins_lists_builtin_kinds(self) -> None:
        """`plugins` lists the built-in plug-ins with their hooks and identifier kinds."""
        status, text = run("plugins", "--no-plugins")
        assert status == 0
        for name in ("omnicontact.email", "omnicontact.phone", "omnicontact.ids"):
            assert name in text
        assert "register_identifier_kinds" in text
        assert "phone (strong)" in text
        assert "cookie_id (weak)" in text
        assert "matching rules: shared_identifier, person" in text
        assert "merge guards: placeholders, cardinality, cluster_size" in text
        assert "channel adapter omnicontact: omnicontact's JSON form" in text

    def test_plugins_json(self) -> None:
        """`plugins --json` gives versions and kinds per plug-in."""
        status, text = run("plugins", "--json", "--no-plugins")
        rows = {row["name"]: row for row in json.loads(text)}
        assert status == 0
        assert rows["omnicontact.phone"]["version"] == oc.__version__
        assert rows["omnicontact.phone"]["identifier_kinds"] == [
            "phone (strong)",
            "phone_sha256 (strong)",
        ]

    def test_ingest_defaults_to_the_sample(self) -> None:
        """`ingest` without a file unifies the bundled sample into its people."""
        status, text = run("ingest", "--no-plugins")
        assert status == 0
        assert f"{len(PEOPLE)} contacts" in text
        assert "68 accepted" in text

    def test_ingest_json_partitions_the_sample(self) -> None:
        """`ingest --json` prints one contact per line, the sample's people exactly."""
        status, text = run("ingest", str(sample_path()), "--json", "--no-plugins")
        contacts = [json.loads(line) for line in text.splitlines()]
        assert status == 0
        assert {frozenset(c["touchpoint_ids"]) for c in contacts} == {
            frozenset(v) for v in NATIVE_PEOPLE.values()
        }

    def test_ingest_reports_bad_lines_and_keeps_going(self, tmp_path: Path) -> None:
        """Bad JSON and bad records are reported with file:line and a reason; good ones load."""
        lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:3]
        lines.insert(1, "{not json")
        lines.append(
            json.dumps({"id": "x", "occurred_at": "yesterday", "channel": "web", "action": "visit"})
        )
        path = tmp_path / "in.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        status, text = run("ingest", str(path), "--no-plugins")
        assert status == 0
        assert "3 accepted" in text
        assert "2 quarantined" in text
        assert f"{path}:2: line: is not valid JSON" in text
        assert f"{path}:5: occurred_at:" in text

    def test_show_prints_a_contact_with_its_timeline(self) -> None:
        """`show kind=value` finds the contact from any variant and prints its touchpoints."""
        status, text = run("show", "phone=0033612345678", "--region", "FR", "--no-plugins")
        assert status == 0
        for tid in NATIVE_PEOPLE["camille"]:
            assert tid in text

    def test_show_by_touchpoint_and_json(self) -> None:
        """`show --touchpoint ID --json` gives the contact of that touchpoint."""
        anna = NATIVE_PEOPLE["anna"]
        status, text = run("show", anna[0], "--touchpoint", "--json", "--no-plugins")
        data = json.loads(text)
        times = [tp["occurred_at"] for tp in data["timeline"]]
        assert status == 0
        assert {tp["id"] for tp in data["timeline"]} == set(anna)
        assert times == sorted(times)

    def test_unknown_contact_is_an_error_without_personal_data(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An unknown reference exits 1 with a message that does not echo the value."""
        status, _ = run("show", "email=nobody.known@example.com", "--no-plugins")
        err = capsys.readouterr().err
        assert status == 1
        assert "no contact" in err
        assert "nobody.known" not in err


def _people_file(tmp_path: Path) -> Path:
    """Two records of one person without a shared identifier, and a near-namesake."""
    rows = [
        {
            "id": "crm-1",
            "occurred_at": "2026-03-01T10:00:00+00:00",
            "channel": "store",
            "action": "signup",
            "identifiers": {"email": "jean.dupont@example.fr"},
            "traits": {
                "first_name": "Jean",
                "last_name": "Dupont",
                "birth_date": "1980-05-03",
                "postal_code": "75011",
                "country": "FR",
            },
        },
        {
            "id": "call-1",
            "occurred_at": "2026-03-05T10:00:00+00:00",
            "channel": "call_centre",
            "action": "call",
            "identifiers": {"phone": "+33612345678"},
            "traits": {
                "first_name": "Jean",
                "last_name": "Dupond",
                "birth_date": "1980-05-03",
                "postal_code": "75011",
                "country": "FR",
            },
        },
    ]
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


class TestExplainAndReview:
    def test_explain_prints_rules_and_masks_values(self, tmp_path: Path) -> None:
        """`explain` names the rule and levels that linked two records; values are masked."""
        path = _people_file(tmp_path)
        status, text = run("explain", "email=jean.dupont@example.fr", str(path), "--no-plugins")
        assert status == 0
        assert "person: crm-1 ~ call-1" in text or "person: call-1 ~ crm-1" in text
        assert "birth_date: exact" in text
        assert "jean.dupont@" not in text
        status, revealed = run(
            "explain", "call-1", str(path), "--touchpoint", "--reveal", "--no-plugins"
        )
        assert "jean.dupont@example.fr" in revealed

    def test_explain_json(self, tmp_path: Path) -> None:
        """`explain --json` gives links with their rules and parts."""
        status, text = run(
            "explain",
            "email=jean.dupont@example.fr",
            str(_people_file(tmp_path)),
            "--json",
            "--no-plugins",
        )
        data = json.loads(text)
        assert status == 0
        assert set(data["touchpoint_ids"]) == {"crm-1", "call-1"}
        assert "person" in {link["rule"] for link in data["links"]}

    def test_review_lists_doubtful_pairs(self, tmp_path: Path) -> None:
        """`review` lists pairs between the review and link thresholds, with their levels."""
        path = _people_file(tmp_path)
        rows = path.read_text(encoding="utf-8").splitlines()
        second = json.loads(rows[1])
        del second["traits"]["birth_date"]  # names and postcode only: doubtful
        path.write_text(rows[0] + "\n" + json.dumps(second) + "\n", encoding="utf-8")
        status, text = run("review", str(path), "--json", "--no-plugins")
        items = json.loads(text)
        assert status == 0
        hub = oc.Hub(load_entry_points=False)
        hub.ingest(json.loads(r) for r in path.read_text(encoding="utf-8").splitlines())
        assert len(items) == len(hub.review_queue()) == 1
        for item in items:
            assert item["rule"] == "person"
            assert 0.8 <= item["probability"] < 0.99


class TestDatabase:
    """The commands keep their work in a database file, contacts.db by default."""

    def test_ingest_writes_the_database_and_a_second_run_changes_nothing(
        self, tmp_path: Path
    ) -> None:
        """The README's main job: the sample into contacts.db; again, all duplicates."""
        status, first = run("ingest", "--no-plugins")
        assert status == 0
        assert (tmp_path / "contacts.db").is_file()
        assert "68 accepted" in first
        status, second = run("ingest", "--no-plugins")
        assert status == 0
        assert "0 accepted, 68 duplicates" in second
        assert f"{len(PEOPLE)} contacts" in second
        with oc.Hub.open(tmp_path / "contacts.db", load_entry_points=False) as hub:
            assert hub.stats().touchpoints == 68
            assert hub.check().ok

    def test_the_readme_main_job_runs_as_written(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The README's "Try it" command is the demo; a small world runs it end to end."""
        root = Path(__file__).resolve().parents[1]
        readme = (root / "README.md").read_text(encoding="utf-8")
        block = readme.split("## Try it", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
        command = block.strip().split("&& ", 1)[1].split()
        assert command == ["omnicontact", "demo"]
        status, text = run(*command[1:], "--people", "120", "--no-progress")
        assert status == 0
        assert text.startswith("omnicontact demo: 120 people (seed 42)")
        assert "pairwise precision" in text
        assert (tmp_path / "omnicontact-demo.db").is_file()
        assert (tmp_path / "omnicontact-demo.html").read_text(encoding="utf-8").startswith(
            "<!DOCTYPE html>"
        )

    def test_the_sample_of_the_readme_is_channel_native(self) -> None:
        """`omnicontact ingest examples/journeys/` reads each export through its adapter."""
        root = Path(__file__).resolve().parents[1]
        status, text = run("ingest", str(root / "examples" / "journeys"), "--no-plugins")
        assert status == 0
        assert text.startswith("ingested 68 records: 68 accepted, 0 duplicates, 0 quarantined")
        assert "segment" in text
        assert "support" in text
        assert f"{len(NATIVE_PEOPLE)} contacts" in text

    def test_show_reads_the_database_without_files(self, tmp_path: Path) -> None:
        """After ingest, show finds a contact in the file."""
        path = tmp_path / "one.jsonl"
        path.write_text(SAMPLE.read_text(encoding="utf-8").splitlines()[0] + "\n")
        run("ingest", str(path), "--db", "mine.db", "--no-plugins")
        first = json.loads(path.read_text(encoding="utf-8"))["id"]
        status, text = run("show", first, "--touchpoint", "--db", "mine.db", "--no-plugins")
        assert status == 0
        assert first in text
        status, _ = run("show", PEOPLE["anna"][0], "--touchpoint", "--db", "mine.db")
        assert status == 1  # only one line went into mine.db

    def test_reading_commands_create_no_file(self, tmp_path: Path) -> None:
        """show without a database reads the sample in memory; --memory never writes."""
        status, _ = run("show", NATIVE_PEOPLE["anna"][0], "--touchpoint", "--no-plugins")
        assert status == 0
        status, _ = run("ingest", "--memory", "--no-plugins")
        assert status == 0
        assert list(tmp_path.iterdir()) == []

    def test_check_finds_and_repairs_damaged_projections(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """check exits 0 on a sound file, 1 on a damaged one; --repair mends it."""
        run("ingest", "--no-plugins")
        status, text = run("check", "--no-plugins")
        assert status == 0
        assert "integrity: ok" in text
        raw = sqlite3.connect(tmp_path / "contacts.db")
        raw.execute("UPDATE membership SET contact_id = 'ct_wrong' WHERE position < 3")
        raw.commit()
        raw.close()
        status, text = run("check", "--json", "--no-plugins")
        data = json.loads(text)
        assert status == 1
        assert not data["ok"]
        assert data["differences"]
        status, text = run("check", "--repair", "--no-plugins")
        assert status == 0
        assert "projections rebuilt from the log" in text
        status, _ = run("check", "--db", "absent.db", "--no-plugins")
        assert status == 1
        assert "no database" in capsys.readouterr().err


def test_ingest_shows_progress_on_stderr_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    """--progress rewrites one line per committed chunk on stderr; the report stays on stdout."""
    status, text = run("ingest", "--progress", "--memory", "--no-plugins")
    err = capsys.readouterr().err
    assert status == 0
    assert "\r68 records: 68 accepted, 0 duplicates, 0 quarantined\n" in err
    assert "68 accepted" in text
    status, _ = run("ingest", "--no-progress", "--memory", "--no-plugins")
    assert capsys.readouterr().err == ""
