"""`omnicontact demo`: a generated world ingested, resolved, staged, scored and reported."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import omnicontact as oc
from omnicontact.cli import main


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["demo", "--no-progress", *argv], out=out), out.getvalue()


def test_the_summary_holds_the_world_against_its_truth(tmp_path: Path) -> None:
    status, text = run("--people", "200", "--seed", "3")
    assert status == 0
    found = re.search(r"(\d[\d,]*) contacts \((\d[\d,]*) identified\) for 200 people", text)
    assert found is not None
    f1 = float(re.search(r"F1 (\d\.\d+);", text).group(1))  # type: ignore[union-attr]
    assert 0.8 < f1 <= 1.0
    assert "stage funnel (extended_crm)" in text
    with oc.Hub.open(tmp_path / "omnicontact-demo.db", load_entry_points=False) as hub:
        contacts = int(found.group(1).replace(",", ""))
        assert hub.stats().contacts == contacts
        assert hub.check().ok


def test_the_same_seed_gives_the_same_summary() -> None:
    first = run("--people", "80")[1]
    second = run("--people", "80")[1]
    strip = re.compile(r" in \d+\.\d s")  # the one figure that is a timing
    assert strip.sub("", first) == strip.sub("", second)


def test_another_file_is_never_replaced_without_force(tmp_path: Path) -> None:
    mine = tmp_path / "contacts.db"
    mine.write_bytes(b"precious")
    assert run("--people", "20", "--db", str(mine))[0] == 1
    assert mine.read_bytes() == b"precious"
    assert run("--people", "20", "--db", str(mine), "--force")[0] == 0
    assert mine.read_bytes() != b"precious"


def test_bad_sizes_are_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--people", "0")[0] == 1
    assert "--people: must be at least 1" in capsys.readouterr().err
