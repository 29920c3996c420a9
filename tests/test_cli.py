"""The omnicontact command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import omnicontact as oc
from omnicontact.cli import main, sample_path

from .test_journeys import PEOPLE


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

    def test_plugins_json(self) -> None:
        """`plugins --json` gives versions and kinds per plug-in."""
        status, text = run("plugins", "--json", "--no-plugins")
        rows = {row["name"]: row for row in json.loads(text)}
        assert status == 0
        assert rows["omnicontact.phone"]["version"] == oc.__version__
        assert rows["omnicontact.phone"]["identifier_kinds"] == ["phone (strong)"]

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
            frozenset(v) for v in PEOPLE.values()
        }

    def test_ingest_reports_bad_lines_and_keeps_going(self, tmp_path: Path) -> None:
        """Bad JSON and bad records are reported with file:line and a reason; good ones load."""
        lines = sample_path().read_text(encoding="utf-8").splitlines()[:3]
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
        for tid in PEOPLE["camille"]:
            assert tid in text

    def test_show_by_touchpoint_and_json(self) -> None:
        """`show --touchpoint ID --json` gives the contact of that touchpoint."""
        status, text = run("show", PEOPLE["anna"][0], "--touchpoint", "--json", "--no-plugins")
        data = json.loads(text)
        times = [tp["occurred_at"] for tp in data["timeline"]]
        assert status == 0
        assert {tp["id"] for tp in data["timeline"]} == set(PEOPLE["anna"])
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
