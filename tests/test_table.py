"""The analytics Table: text, records, CSV, JSON and (optional) pandas export."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.analytics import Table

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
TABLE = Table(
    "demo",
    ("stage", "contacts", "rate", "median", "since", "path"),
    [
        ("suspect", 7, None, timedelta(days=2), WHEN, ("web", "email")),
        ("prospect", 5, 5 / 7, timedelta(hours=3), WHEN, ()),
    ],
)


def test_records_keep_python_values() -> None:
    assert TABLE.to_records()[1] == {
        "stage": "prospect",
        "contacts": 5,
        "rate": 5 / 7,
        "median": timedelta(hours=3),
        "since": WHEN,
        "path": (),
    }
    assert TABLE.column("contacts") == [7, 5]
    assert len(TABLE) == 2
    with pytest.raises(oc.AnalyticsError, match="no column 'nope'"):
        TABLE.column("nope")


def test_json_gives_iso_times_and_seconds() -> None:
    data = json.loads(TABLE.to_json())
    assert data["name"] == "demo"
    assert data["rows"][0] == ["suspect", 7, None, 172800.0, "2026-03-02T09:30:00+00:00",
                               ["web", "email"]]


def test_csv_has_a_header_and_empty_cells_for_none() -> None:
    rows = list(csv.reader(io.StringIO(TABLE.to_csv())))
    assert rows[0] == list(TABLE.columns)
    assert rows[1] == ["suspect", "7", "", "172800.0", "2026-03-02T09:30:00+00:00",
                       '["web", "email"]']


@pytest.mark.parametrize("cell", ["a\rb", "a\nb", "a\r\nb", "\r"])
def test_a_line_break_in_a_cell_stays_in_its_row(cell: str) -> None:
    """Found by hypothesis: a bare carriage return used to end the row early."""
    table = Table("t", ("name", "count"), [(cell, 1), ("next", 2)])
    rows = list(csv.reader(io.StringIO(table.to_csv(), newline="")))
    assert rows == [["name", "count"], [cell, "1"], ["next", "2"]]


def test_text_is_aligned_and_readable() -> None:
    lines = str(TABLE).splitlines()
    assert lines[0].split() == list(TABLE.columns)
    assert lines[1].split() == ["suspect", "7", "-", "2.0", "d", "2026-03-02", "09:30",
                                "web", ">", "email"]
    assert "0.7143" in lines[2]


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(oc.ConfigurationError, match="row 0 has 1 cells for 2 columns"):
        Table("bad", ("a", "b"), [(1,)])


def test_to_pandas_without_pandas_says_how_to_get_it() -> None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(oc.ConfigurationError, match="pip install pandas"):
            TABLE.to_pandas()
    else:  # pragma: no cover - only where pandas is installed
        frame = TABLE.to_pandas()
        assert list(frame.columns) == list(TABLE.columns)
        assert frame["contacts"].tolist() == [7, 5]


@given(st.lists(st.tuples(st.text(max_size=8), st.integers(), st.none() | st.floats(
    allow_nan=False, allow_infinity=False)), max_size=6))
def test_csv_and_json_round_trip_the_cells(rows: list[tuple[str, int, float | None]]) -> None:
    table = Table("t", ("name", "count", "rate"), rows)
    assert [list(r) for r in json.loads(table.to_json())["rows"]] == [list(r) for r in rows]
    read = list(csv.reader(io.StringIO(table.to_csv(), newline="")))[1:]
    assert [r[1] for r in read] == [str(r[1]) for r in rows]
