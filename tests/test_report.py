"""Stages across the population, the report (HTML and text) and `omnicontact report`."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import omnicontact as oc
from omnicontact.analytics import (
    build_report,
    render_html,
    render_text,
    stage_counts,
    stage_flows,
)
from omnicontact.cli import main

from .conftest import make_hub

pytestmark = pytest.mark.usefixtures("each_store")

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ANN = oc.Identifier("email", "ann@example.com")
BOB = oc.Identifier("email", "bob@example.com")


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def tp(
    tp_id: str, days: float, channel: str, action: str, *ids: oc.Identifier, **props: object
) -> oc.Touchpoint:
    return oc.Touchpoint(
        tp_id, at(days), channel, action, identifiers=ids, properties=props or None
    )


COOKIE = oc.Identifier("cookie_id", "ck-1")
STREAM = [
    tp("a-1", 0, "search_ad", "ad_click", COOKIE),
    tp("a-2", 1, "web", "signup", COOKIE, ANN),
    tp("a-3", 9, "store", "purchase", ANN, amount=50),
    tp("a-4", 12, "social", "review", ANN, rating=5),
    tp("b-1", 3, "email", "email_click", BOB),
    tp("b-2", 4, "web", "purchase", BOB, amount=30),
    tp("c-1", 5, "display_ad", "ad_click", oc.Identifier("cookie_id", "ck-9")),
]


def hub_with_stream() -> oc.Hub:
    hub = make_hub()
    hub.add_many(STREAM)
    return hub


class TestStages:
    def test_counts_at_the_end_of_each_week(self) -> None:
        """By hand: Ann suspect 2 Mar, prospect 3 Mar, customer 11 Mar, ambassador 14 Mar;
        Bob prospect 5 Mar (e-mail on his first touch), customer 6 Mar; the cookie suspect 7 Mar."""
        table = stage_counts(hub_with_stream(), as_of=at(20), period="week")
        assert table.columns == (
            "period", "suspect", "prospect", "lapsed", "customer", "ambassador", "none"
        )
        assert [row[0] for row in table.rows] == ["2026-03-08", "2026-03-15", "2026-03-22"]
        assert table.rows[0][1:] == (1, 1, 0, 1, 0, 0)  # Sunday 8 March, end of day
        assert table.rows[1][1:] == (1, 0, 0, 1, 1, 0)
        assert table.rows[2][1:] == (1, 0, 0, 1, 1, 0)

    def test_flows_name_the_channel_of_each_cause(self) -> None:
        table = stage_flows(hub_with_stream(), as_of=at(20))
        rows = set(table.rows)
        assert (None, "suspect", "search_ad", 1) in rows
        assert ("suspect", "prospect", "web", 1) in rows
        assert ("prospect", "customer", "store", 1) in rows
        assert ("prospect", "customer", "web", 1) in rows
        assert ("customer", "ambassador", "social", 1) in rows
        assert ("suspect", "prospect", "email", 1) in rows  # Bob: his e-mail on his first touch
        assert sum(table.column("changes")) == 8  # Ann 4, Bob 3, the cookie 1

    def test_a_lapse_flows_from_time(self) -> None:
        table = stage_flows(hub_with_stream(), as_of=at(420))
        assert ("ambassador", "lapsed", "(time)", 1) in set(table.rows)

    def test_bad_arguments(self) -> None:
        hub = hub_with_stream()
        with pytest.raises(oc.AnalyticsError, match="no stage model is named 'nope'"):
            stage_counts(hub, as_of=at(20), track="nope")
        with pytest.raises(oc.AnalyticsError, match="period"):
            stage_counts(hub, as_of=at(20), period="year")
        with pytest.raises(oc.AnalyticsError, match="as_of"):
            stage_flows(hub, as_of=datetime(2026, 4, 1))
        assert stage_counts(make_hub(), as_of=at(20)).rows == ()
        assert stage_flows([], as_of=at(20)).rows == ()


class TestReport:
    def test_the_funnel_counts_a_skipped_stage_as_passed(self) -> None:
        report = build_report(hub_with_stream(), as_of=at(20))
        assert report.funnel.rows == (
            ("suspect", 3, None, 1.0),
            ("prospect", 2, 2 / 3, 2 / 3),
            ("customer", 2, 1.0, 2 / 3),
            ("ambassador", 1, 0.5, 1 / 3),
        )
        assert (report.contacts, report.identified, report.touchpoints) == (3, 2, 7)
        assert sum(report.attribution.column("markov")) == pytest.approx(2)
        assert sum(report.attribution_value.column("linear")) == pytest.approx(80)

    def test_the_date_limits_everything(self) -> None:
        report = build_report(hub_with_stream(), as_of=at(2))
        assert (report.contacts, report.touchpoints) == (1, 2)
        assert all(v == 0 for row in report.attribution.rows for v in row[1:])  # no conversion
        assert [row[1] for row in report.funnel.rows] == [1, 1, 0, 0]

    def test_the_html_page_is_self_contained(self) -> None:
        page = render_html(build_report(hub_with_stream(), as_of=at(20)))
        assert page.startswith("<!DOCTYPE html>")
        assert page.count("<svg") == 4
        assert "<script" not in page
        assert not re.search(r"(src|href)=", page)  # no file, font or image from elsewhere
        assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"] * 4
        assert "ann@example.com" not in page

    def test_the_text_summary(self) -> None:
        text = render_text(build_report(hub_with_stream(), as_of=at(20)))
        assert "3 contacts (2 identified), 7 touchpoints on 6 channels" in text
        assert "  customer            2    100% of previous    67% overall" in text
        assert "cross_channel_contacts_share" in text

    def test_an_empty_hub_gives_an_empty_report(self) -> None:
        report = build_report(make_hub(), as_of=at(20))
        assert report.contacts == 0
        assert report.funnel.rows == ()
        page = render_html(report)
        assert "No conversions yet." in page
        assert "0 contacts (0 identified)" in render_text(report)


class TestCommandLine:
    @pytest.fixture(autouse=True)
    def _in_tmp(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("OMNICONTACT_DB", raising=False)

    def run(self, *argv: str) -> tuple[int, str]:
        out = io.StringIO()
        return main(list(argv), out=out), out.getvalue()

    def test_report_on_the_sample_writes_the_html_page(self, tmp_path: Path) -> None:
        status, text = self.run("report", "--memory", "--as-of", "2026-04-30", "--html", "r.html")
        assert status == 0
        assert text.startswith("omnicontact report as of 2026-04-30 23:59 UTC\n")
        assert "7 contacts (5 identified), 68 touchpoints on 9 channels" in text
        assert "HTML report written to r.html" in text
        page = (tmp_path / "r.html").read_text(encoding="utf-8")
        assert "Stage funnel" in page
        assert "camille" not in page.lower()

    def test_report_json(self) -> None:
        status, text = self.run("report", "--memory", "--as-of", "2026-04-30", "--json")
        data = json.loads(text)
        assert status == 0
        assert data["contacts"] == 7
        assert data["funnel"]["columns"] == ["stage", "contacts", "conversion", "overall"]
        assert data["attribution"]["columns"][:3] == ["channel", "first_touch", "last_touch"]

    def test_an_unknown_track_is_an_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        status, _ = self.run("report", "--memory", "--track", "nope")
        assert status == 1
        assert "no stage model is named 'nope'" in capsys.readouterr().err
