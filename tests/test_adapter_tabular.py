"""The tabular adapter: CSV and JSON Lines rows through a declarative mapping."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.adapters.tabular import TabularAdapter, TabularMapping, read_csv
from omnicontact.cli import main

from .conftest import make_hub
from .strategies import json_values

MAPPING: dict[str, Any] = {
    "id": {"template": "crm:{Ref}"},
    "occurred_at": "Created",
    "channel": {"value": "crm"},
    "action": {"value": "import"},
    "identifiers": {"email": "E-mail", "phone": ["Mobile", "Home"], "customer_id": "Ref"},
    "traits": {"first_name": "First name", "last_name": "Surname", "country": {"value": "GB"}},
    "properties": {"segment": "Segment"},
    "dayfirst": True,
    "timezone": "Europe/London",
}

CSV = (
    "Ref,Created,E-mail,Mobile,Home,First name,Surname,Segment\n"
    "A1,02/03/2026 09:30,Ann.Lee@Example.com,07911 123456,,Ann,Lee,gold\n"
    "A2,03/03/2026 10:00,,,020 7946 0018,Bob,Stone,\n"
    "A3,not a date,cy@example.com,,,Cy,,\n"
    ",04/03/2026 10:00,dee@example.com,,,Dee,,\n"
)


ROW = {
    "Ref": "A1",
    "Created": "02/03/2026 09:30",
    "E-mail": "a@example.com",
    "Mobile": "",
    "Home": "",
    "First name": "Ann",
    "Surname": "",
    "Segment": "",
}


def csv_file(tmp_path: Path, text: str = CSV) -> Path:
    path = tmp_path / "crm.csv"
    path.write_text(text, encoding="utf-8")
    return path


class TestMapping:
    def test_rows_become_touchpoints(self, tmp_path: Path) -> None:
        """Templates, columns, fixed values, day-first dates in the file's zone, empty cells."""
        hub = make_hub()
        report = hub.ingest(read_csv(csv_file(tmp_path)), adapter=TabularAdapter(MAPPING))
        assert report.accepted == 2
        ann = hub.touchpoint("crm:A1")
        assert ann.occurred_at.isoformat() == "2026-03-02T09:30:00+00:00"  # GMT in March
        assert ann.channel == "crm"
        assert ann.action == "import"
        assert {(i.kind, i.value) for i in ann.identifiers} >= {
            ("email", "ann.lee@example.com"),
            ("phone", "+447911123456"),
            ("customer_id", "A1"),
        }
        assert dict(ann.traits) == {"first_name": "Ann", "last_name": "Lee", "country": "GB"}
        assert dict(ann.properties) == {"segment": "gold"}
        bob = hub.touchpoint("crm:A2")
        assert "segment" not in bob.properties  # an empty cell is missing
        assert oc.Identifier("phone", "+442079460018") in bob.identifiers

    def test_bad_rows_are_quarantined_with_the_field(self, tmp_path: Path) -> None:
        hub = make_hub()
        report = hub.ingest(read_csv(csv_file(tmp_path)), adapter=TabularAdapter(MAPPING))
        fields = [(r.position, r.field) for r in report.quarantined]
        assert fields == [(2, "occurred_at"), (3, "id")]
        assert report.quarantined[1].reason == "is empty"
        assert "cy@example.com" not in repr(report.quarantined)

    def test_a_missing_column_is_named(self) -> None:
        hub = make_hub()
        report = hub.ingest(
            [{"Ref": "A1", "Created": "2026-03-02"}], adapter=TabularAdapter(MAPPING)
        )
        assert [(r.field, r.reason) for r in report.quarantined] == [
            ("identifiers.email", "the row has no column 'E-mail'")
        ]

    def test_importing_the_file_again_gives_duplicates(self, tmp_path: Path) -> None:
        hub = make_hub()
        adapter = TabularAdapter(MAPPING)
        hub.ingest(read_csv(csv_file(tmp_path)), adapter=adapter)
        again = hub.ingest(read_csv(csv_file(tmp_path)), adapter=adapter)
        assert (again.accepted, again.duplicates) == (0, 2)

    def test_invalid_utf8_rows_are_quarantined_and_the_file_goes_on(self, tmp_path: Path) -> None:
        path = tmp_path / "crm.csv"
        lines = CSV.splitlines(keepends=True)
        path.write_bytes(
            lines[0].encode() + b"A9,02/03/2026,x\xff@example.com,,,,,\n" + lines[1].encode()
        )
        report = make_hub().ingest(read_csv(path), adapter=TabularAdapter(MAPPING))
        assert report.accepted == 1
        assert [(r.field, r.reason) for r in report.quarantined] == [
            ("row", "is not valid text in the file's encoding")
        ]

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"id": None}, "id is required"),
            ({"colour": "x"}, "unknown key 'colour'"),
            ({"channel": {"column": ""}}, "mapping channel"),
            ({"id": {"template": "no columns"}}, "a template names its columns"),
            ({"timezone": "Mars/Olympus"}, "unknown time zone"),
            ({"traits": {"First Name": "x"}}, "not a snake_case name"),
            ({"identifiers": {"phone": []}}, "an empty list"),
            ({"dayfirst": "yes"}, "true or false"),
            ({"properties": {"n": {"column": "N", "type": "float"}}}, "type must be one of"),
            ({"properties": {"n": {"value": 1, "type": "number"}}}, "must be a column name"),
        ],
    )
    def test_a_bad_mapping_is_a_configuration_error(
        self, change: dict[str, Any], message: str
    ) -> None:
        data = {**MAPPING, **change}
        data = {k: v for k, v in data.items() if v is not None}
        with pytest.raises(oc.ConfigurationError, match=message):
            TabularMapping.from_dict(data)

    @pytest.mark.parametrize(
        ("kind", "cell", "expected"),
        [
            ("integer", "5", 5),
            ("integer", " -12 ", -12),
            ("number", "4.5", 4.5),
            ("number", "3", 3),
            ("number", "1e3", 1000.0),
            ("boolean", "Yes", True),
            ("boolean", "0", False),
            ("string", 42, "42"),
            ("integer", "", None),
        ],
    )
    def test_a_typed_column_reads_its_cells(self, kind: str, cell: Any, expected: Any) -> None:
        """CSV cells are text: a column with a type gives numbers and booleans; empty is missing."""
        mapping = {**MAPPING, "properties": {"n": {"column": "N", "type": kind}}}
        row = dict(ROW, N=cell)
        (tp,) = TabularAdapter(mapping).parse(row)
        assert tp.properties.get("n") == expected
        assert type(tp.properties.get("n")) is type(expected)

    @pytest.mark.parametrize(
        ("kind", "cell", "reason"),
        [
            ("integer", "4.5", "must be an integer"),
            ("integer", "five", "must be an integer"),
            ("number", "1,5", "must be a number"),
            ("number", "nan", "must be a number"),
            ("number", "1e999", "must be a finite number"),
            ("boolean", "maybe", "must be true or false (yes/no, 1/0)"),
        ],
    )
    def test_a_cell_that_does_not_read_is_quarantined(
        self, kind: str, cell: str, reason: str
    ) -> None:
        mapping = {**MAPPING, "properties": {"n": {"column": "N", "type": kind}}}
        row = dict(ROW, N=cell)
        report = make_hub().ingest([row], adapter=TabularAdapter(mapping))
        assert [(r.field, r.reason) for r in report.quarantined] == [("properties.n", reason)]

    @given(
        st.lists(
            st.dictionaries(
                st.sampled_from(
                    [
                        "Ref",
                        "Created",
                        "E-mail",
                        "Mobile",
                        "Home",
                        "First name",
                        "Surname",
                        "Segment",
                        "x",
                    ]
                ),
                json_values(),
            ),
            max_size=6,
        )
    )
    def test_any_row_is_accepted_or_quarantined(self, rows: list[dict[str, Any]]) -> None:
        """Random cells of random types: never a crash, every row accounted for."""
        report = make_hub().ingest(rows, adapter=TabularAdapter(MAPPING))
        assert report.total == len(rows)
        assert all(r.reason for r in report.quarantined)


class TestCommandLine:
    def test_ingest_a_csv_with_a_mapping(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        mapping = tmp_path / "mapping.json"
        mapping.write_text(json.dumps(MAPPING), encoding="utf-8")
        out = io.StringIO()
        status = main(
            ["ingest", str(csv_file(tmp_path)), "--mapping", str(mapping), "--no-plugins"],
            out=out,
        )
        text = out.getvalue()
        assert status == 0
        assert "4 records: 2 accepted, 0 duplicates, 2 quarantined" in text
        assert f"{tmp_path / 'crm.csv'}:4: occurred_at:" in text
        with oc.Hub.open(tmp_path / "contacts.db", load_entry_points=False) as hub:
            assert hub.touchpoint("crm:A1").channel == "crm"

    def test_tabular_without_a_mapping_is_an_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.chdir(tmp_path)
        status = main(["ingest", str(csv_file(tmp_path)), "--adapter", "tabular", "--memory"])
        assert status == 1
        assert "needs --mapping" in capsys.readouterr().err

    def test_invalid_utf8_in_a_jsonl_file_is_reported_not_a_crash(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        path = tmp_path / "in.jsonl"
        good = json.dumps(
            {"id": "a", "occurred_at": "2026-03-01T00:00:00Z", "channel": "web", "action": "visit"}
        )
        path.write_bytes(b'{"id": "\xff"}\n' + good.encode() + b"\n")
        out = io.StringIO()
        status = main(["ingest", str(path), "--memory", "--no-plugins"], out=out)
        assert status == 0
        assert f"{path}:1: line: is not valid UTF-8" in out.getvalue()
        assert "1 accepted" in out.getvalue()
