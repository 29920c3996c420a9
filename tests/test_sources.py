"""Source sets: a folder of channel exports ingested in one go, each file by its adapter."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import omnicontact as oc
from omnicontact.cli import main, sample_path
from omnicontact.sources import MANIFEST, SourceSet, is_source_set

SEGMENT = {
    "type": "track",
    "event": "Signed Up",
    "messageId": "m-1",
    "userId": "C-1",
    "timestamp": "2026-03-02T10:00:00Z",
    "context": {"traits": {"email": "ann@example.com"}},
}
ORDER = {"order_id": "O-1", "placed_at": "2026-03-03T10:00:00Z", "email": "Ann@Example.com"}
MAPPING = {
    "id": {"template": "crm:{Ref}"},
    "occurred_at": "Created",
    "channel": {"value": "crm"},
    "action": {"value": "import"},
    "identifiers": {"customer_id": "Ref"},
    "properties": {"score": {"column": "Score", "type": "integer"}},
}


def folder(tmp_path: Path, sources: Any = None, **files: str) -> Path:
    """A folder with the three exports above and a manifest (or *sources* instead)."""
    base = {
        "web.jsonl": json.dumps(SEGMENT) + "\n",
        "orders.jsonl": json.dumps(ORDER) + "\n",
        "crm.csv": "Ref,Created,Score\nC-1,2026-03-01T09:00:00Z,7\n",
        "crm.mapping.json": json.dumps(MAPPING),
    }
    base.update(files)
    for name, text in base.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    if sources is None:
        sources = [
            {"file": "web.jsonl", "adapter": "segment"},
            {"file": "orders.jsonl", "adapter": "orders"},
            {"file": "crm.csv", "mapping": "crm.mapping.json"},
        ]
    (tmp_path / MANIFEST).write_text(json.dumps({"sources": sources}), encoding="utf-8")
    return tmp_path


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


class TestSourceSet:
    def test_a_folder_reads_its_manifest(self, tmp_path: Path) -> None:
        sources = SourceSet.from_path(folder(tmp_path)).sources
        assert [(s.path.name, s.reader_name) for s in sources] == [
            ("web.jsonl", "segment"),
            ("orders.jsonl", "orders"),
            ("crm.csv", "tabular"),
        ]
        assert sources[0].reader == "segment"
        assert isinstance(sources[2].reader, oc.ChannelAdapter)

    def test_what_is_a_source_set(self, tmp_path: Path) -> None:
        folder(tmp_path)
        assert is_source_set(tmp_path)
        assert is_source_set(tmp_path / MANIFEST)
        assert is_source_set(tmp_path / "shop.sources.json")
        assert not is_source_set(tmp_path / "web.jsonl")

    @pytest.mark.parametrize(
        ("sources", "message"),
        [
            ([], "sources is empty"),
            ("web.jsonl", "must be an object with a list of sources"),
            (["web.jsonl"], r"sources\[0\] must be an object"),
            ([{"file": "nope.jsonl", "adapter": "segment"}], "nope.jsonl does not exist"),
            ([{"file": "web.jsonl"}], "needs either an adapter or a mapping"),
            (
                [{"file": "crm.csv", "adapter": "segment", "mapping": "crm.mapping.json"}],
                "needs either an adapter or a mapping",
            ),
            ([{"file": "web.jsonl", "adapter": ""}], "adapter must be an adapter's name"),
            ([{"file": "crm.csv", "mapping": "x.json"}], "x.json does not exist"),
            ([{"file": "web.jsonl", "adapter": "segment", "colour": 1}], "unknown key 'colour'"),
            ([{"file": "", "adapter": "segment"}], r"sources\[0\].file must be a file name"),
        ],
    )
    def test_a_bad_manifest_names_the_entry(
        self, tmp_path: Path, sources: Any, message: str
    ) -> None:
        folder(tmp_path, sources)
        with pytest.raises(oc.ConfigurationError, match=message):
            SourceSet.from_path(tmp_path)

    def test_a_bad_mapping_names_its_file(self, tmp_path: Path) -> None:
        folder(tmp_path, **{"crm.mapping.json": json.dumps({"id": "Ref"})})
        with pytest.raises(oc.ConfigurationError, match=r"crm.mapping.json: mapping: "):
            SourceSet.from_path(tmp_path)

    def test_a_folder_without_manifest_says_so(self, tmp_path: Path) -> None:
        with pytest.raises(oc.ConfigurationError, match=r"needs a sources\.json"):
            SourceSet.from_path(tmp_path)

    def test_a_manifest_that_is_not_json(self, tmp_path: Path) -> None:
        (tmp_path / MANIFEST).write_text("{sources", encoding="utf-8")
        with pytest.raises(oc.ConfigurationError, match="is not valid JSON"):
            SourceSet.from_path(tmp_path)


class TestCommandLine:
    @pytest.fixture(autouse=True)
    def _in_tmp(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("OMNICONTACT_DB", raising=False)

    def test_a_folder_is_ingested_file_by_file(self, tmp_path: Path) -> None:
        """Three exports, three adapters, one contact; a report line per file."""
        (tmp_path / "data").mkdir()
        data = folder(tmp_path / "data")
        status, text = run("ingest", str(data), "--memory", "--no-plugins")
        assert status == 0
        assert "ingested 3 records: 3 accepted, 0 duplicates, 0 quarantined" in text
        assert "web.jsonl     segment           1 records: 1 accepted" in text
        assert "crm.csv       tabular           1 records: 1 accepted" in text
        assert "1 contacts (1 identified, 0 anonymous)" in text

    def test_plain_files_beside_a_folder_use_the_adapter_option(self, tmp_path: Path) -> None:
        data = tmp_path / "data"
        data.mkdir()
        folder(data)
        extra = tmp_path / "more-orders.jsonl"
        extra.write_text(json.dumps(dict(ORDER, order_id="O-2")) + "\n", encoding="utf-8")
        status, text = run(
            "ingest", str(data), str(extra), "--adapter", "orders", "--memory", "--no-plugins"
        )
        assert status == 0
        assert "ingested 4 records: 4 accepted" in text
        assert "more-orders.jsonl  orders" in text

    def test_an_unknown_adapter_stops_before_anything_is_ingested(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        folder(
            tmp_path,
            [
                {"file": "web.jsonl", "adapter": "segment"},
                {"file": "orders.jsonl", "adapter": "till"},
            ],
        )
        status, _ = run("ingest", str(tmp_path), "--no-plugins")
        assert status == 1
        assert "no channel adapter is named 'till'" in capsys.readouterr().err
        with oc.Hub.open(tmp_path / "contacts.db", load_entry_points=False) as hub:
            assert hub.stats().touchpoints == 0

    def test_the_default_sample_is_a_source_set(self) -> None:
        assert is_source_set(sample_path())
        names = {s.reader_name for s in SourceSet.from_path(sample_path()).sources}
        assert names == {"segment", "orders", "email_events", "support", "tabular"}
