"""Erasure that really erases, suppression of erased people, and export."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import omnicontact as oc
from omnicontact.cli import main
from omnicontact.privacy import EXPORT_FORMAT

from .conftest import make_hub
from .test_journeys import PEOPLE, SAMPLE

pytestmark = pytest.mark.usefixtures("each_store")

OLIVER = oc.Identifier("email", "oliver.bennett@example.org")


def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def sample_hub(**options: Any) -> oc.Hub:
    hub = make_hub(**options)
    report = hub.ingest(records())
    assert report.accepted == 68
    return hub


def partition(hub: oc.Hub) -> dict[str, frozenset[str]]:
    return {c.contact_id: frozenset(c.touchpoint_ids) for c in hub.contacts()}


def person_values(name: str) -> set[str]:
    """Every identifier value, trait and touchpoint id a person's records carry, as written."""
    out: set[str] = set()
    for record in records():
        if record["id"] not in PEOPLE[name]:
            continue
        out.add(record["id"])
        for values in record.get("identifiers", {}).values():
            out.update([values] if isinstance(values, str) else values)
        out.update(str(v) for v in record.get("traits", {}).values() if len(str(v)) > 3)
        out.update(str(v) for k, v in record.get("properties", {}).items() if k == "order_id")
    return {v.strip() for v in out} - {"GB"}


class TestErase:
    def test_the_person_is_gone_and_everyone_else_is_unchanged(self) -> None:
        hub = sample_hub()
        before = partition(hub)
        oliver = hub.contact(OLIVER)
        done = hub.erase(oliver)
        assert done.touchpoints == len(PEOPLE["oliver"]) == 14
        after = partition(hub)
        assert after == {k: v for k, v in before.items() if k != oliver.contact_id}
        with pytest.raises(oc.ContactNotFoundError):
            hub.contact(OLIVER)
        for touchpoint_id in PEOPLE["oliver"]:
            with pytest.raises(oc.TouchpointNotFoundError):
                hub.contact_of(touchpoint_id)
        assert hub.stats().touchpoints == 54
        assert hub.check().ok

    def test_old_payloads_are_suppressed_not_stored(self) -> None:
        hub = sample_hub()
        hub.erase(OLIVER)
        report = hub.ingest(records())
        assert (report.accepted, report.duplicates, report.suppressed) == (0, 54, 14)
        assert report.quarantined == ()
        assert report.total == 68
        assert hub.stats().touchpoints == 54
        with pytest.raises(oc.ContactNotFoundError):
            hub.contact(OLIVER)

    def test_a_new_touchpoint_of_the_erased_person_is_refused_until_unsuppressed(self) -> None:
        hub = sample_hub()
        hub.erase(OLIVER)
        when = hub.now()
        fresh = oc.Touchpoint("new-1", when, "web", "signup", identifiers=[OLIVER])
        with pytest.raises(oc.SuppressedError) as info:
            hub.add(fresh)
        assert "oliver" not in str(info.value).lower()
        # the e-mail and the hash it implies (email_sha256)
        assert hub.unsuppress([oc.Identifier("email", " Oliver.Bennett@Example.org")]) == 2
        assert hub.add(fresh).touchpoint.id == "new-1"
        assert hub.contact(OLIVER).touchpoint_ids == ("new-1",)
        with pytest.raises(oc.SuppressedError):  # old touchpoint ids stay suppressed
            hub.add(oc.Touchpoint.from_mapping(records()[6]))

    def test_an_identifier_shared_with_others_is_not_suppressed(self) -> None:
        """Lukas and Anna share the family tablet: erasing Lukas leaves Anna's tablet use."""
        hub = sample_hub()
        tablet = oc.Identifier("device_id", "dv-tab-8c21")
        done = hub.erase(oc.Identifier("email", "lukas.schneider@mail.example.net"))
        assert done.shared >= 1
        anna = hub.contact_of(PEOPLE["anna"][0])
        # the tablet is Anna's alone now: its anonymous visits join her
        assert set(anna.touchpoint_ids) == set(PEOPLE["anna"] + PEOPLE["tablet_anon"])
        hub.add(oc.Touchpoint("tab-9", hub.now(), "app", "screen_view", identifiers=[tablet]))
        assert hub.contact_of("tab-9").contact_id in {c.contact_id for c in hub.contacts()}

    def test_the_quarantine_forgets_the_persons_records_only(self) -> None:
        hub = sample_hub()
        mine = {"id": "q-1", "occurred_at": "yesterday", "channel": "web", "action": "x",
                "identifiers": {"email": " OLIVER.BENNETT@EXAMPLE.ORG"}}
        phone = {"id": "q-2", "occurred_at": "2026-03-02T09:00:00Z", "channel": "web",
                 "action": "x", "identifiers": {"phone": "07911 123456", "email": "bad@"}}
        theirs = {"id": "q-3", "occurred_at": "yesterday", "channel": "web", "action": "x",
                  "identifiers": {"email": "zoe.alvarez@example.com"}}
        report = hub.ingest([mine, phone, theirs])
        assert len(report.quarantined) == 3
        done = hub.erase(OLIVER)
        assert done.quarantined == 2
        assert [r.record["id"] for r in hub.quarantine()] == ["q-3"]

    def test_the_audit_keeps_a_record_without_ids(self) -> None:
        hub = sample_hub()
        oliver = hub.contact(OLIVER)
        lukas = hub.contact_of("tp-0026").contact_id
        hub.reject("tp-0017", "tp-0026")  # a decision naming Oliver and Lukas
        names = {oliver.contact_id, *PEOPLE["oliver"]}
        assert any(name in json.dumps(e.as_dict()) for e in hub.audit() for name in names)
        hub.erase(OLIVER)
        text = json.dumps([e.as_dict() for e in hub.audit()])
        assert not any(name in text for name in names)
        (reject,) = [e for e in hub.audit() if e.action == "reject"]
        assert reject.touchpoint_ids == ("(erased)", "tp-0026")
        assert reject.contact_id == "(erased)"
        assert lukas not in names
        (erase,) = [e for e in hub.audit() if e.action == "erase"]
        assert erase.contact_id is None
        assert erase.evidence[0] == "touchpoints erased: 14"

    def test_decisions_on_others_survive_the_renumbering(self) -> None:
        """A confirmation between Zoë and Camille, made before Oliver is erased, still holds."""
        hub = sample_hub()
        hub.confirm("tp-0021", "tp-0004")  # their newsletter sign-ups, each with an e-mail
        merged = hub.contact_of("tp-0021").contact_id
        assert hub.contact_of("tp-0004").contact_id == merged
        hub.reject("tp-0017", "tp-0026")  # Oliver and Lukas: names Oliver, so dropped
        hub.erase(OLIVER)
        assert hub.contact_of(PEOPLE["camille"][0]).contact_id == merged
        assert set(hub.contact(merged).touchpoint_ids) == set(PEOPLE["zoe"] + PEOPLE["camille"])
        assert set(hub.contact_of(PEOPLE["lukas"][0]).touchpoint_ids) == set(PEOPLE["lukas"])
        assert hub.check().ok

    def test_stages_and_scores_of_others_are_recomputed(self) -> None:
        hub = sample_hub()
        camille = hub.contact(oc.Identifier("email", "camille.lefevre@example.fr"))
        hub.erase(OLIVER)
        again = hub.contact(camille.contact_id)
        assert again.stages == camille.stages
        assert again.scores["behaviour"] == camille.scores["behaviour"]


class TestOnDisk:
    @pytest.fixture(autouse=True)
    def _only_sqlite(self, request: pytest.FixtureRequest) -> None:
        if "memory" in request.node.callspec.id:
            pytest.skip("the files of the SQLite store")

    def test_the_values_are_gone_from_the_bytes_of_the_files(self, tmp_path: Path) -> None:
        path = tmp_path / "contacts.db"
        values = person_values("oliver")
        assert {"oliver.bennett.mcr", "07911 123456", "Bennett", "W-UK-41522"} <= values
        with oc.Hub.open(path, load_entry_points=False) as hub:
            hub.ingest(records())
            hub.ingest([{"id": "q-1", "occurred_at": "soon", "channel": "web", "action": "x",
                         "identifiers": {"email": "oliver.bennett@example.org"}}])
            written = _file_bytes(path)
            assert b"oliver.bennett.mcr" in written  # the test can fail
            hub.erase(OLIVER)
            remaining = _file_bytes(path)
            assert b"zoe.alvarez@example.com" in remaining  # others stay
            found = {v for v in values if _forms(v) & _present(remaining, v)}
            assert found == set()
        assert (tmp_path / "contacts.db-wal").stat().st_size == 0 if (
            tmp_path / "contacts.db-wal"
        ).exists() else True

    def test_another_process_sees_the_erasure(self, tmp_path: Path) -> None:
        path = tmp_path / "contacts.db"
        with oc.Hub.open(path, load_entry_points=False) as first, oc.Hub.open(
            path, load_entry_points=False
        ) as second:
            first.ingest(records())
            second.add(oc.Touchpoint.from_mapping(records()[0]))  # warm: holds the old log
            first.erase(OLIVER)
            report = second.ingest(records())
            assert report.suppressed == 14
            assert second.check().ok
            with pytest.raises(oc.ContactNotFoundError):
                second.contact(OLIVER)


def _file_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def _forms(value: str) -> set[bytes]:
    forms = {value, value.lower(), value.strip()}
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= 8 and not any(ch.isalpha() for ch in value):
        forms.add(digits[-9:])  # a phone, however it was written
    return {f.encode() for f in forms}


def _present(data: bytes, value: str) -> set[bytes]:
    return {form for form in _forms(value) if form in data}


class TestExport:
    def test_everything_about_the_person_and_nobody_else(self) -> None:
        hub = sample_hub()
        oliver = hub.contact(OLIVER)
        document = hub.export(OLIVER)
        assert document["format"] == EXPORT_FORMAT
        assert document["contact_id"] == oliver.contact_id
        assert [t["id"] for t in document["touchpoints"]] == list(oliver.touchpoint_ids)
        assert sorted(document["touchpoints"], key=str) == sorted(
            (t.to_mapping() for t in oliver.timeline), key=str
        )
        exported = {(k, v) for k, values in document["identifiers"].items() for v in values}
        assert exported == {(i.kind, i.value) for i in oliver.identifiers}
        assert document["cases"][0]["case_id"] == "CS-UK-2041"
        assert set(document["stages"]) == {"extended_crm", "inbound", "b2b"}
        text = json.dumps(document)
        others = [t for name, ids in PEOPLE.items() if name != "oliver" for t in ids]
        assert not any(f'"{t}"' in text for t in others)
        assert "zoe.alvarez" not in text
        assert json.loads(text) == document  # JSON through and through


class TestCommandLine:
    @pytest.fixture(autouse=True)
    def _in_tmp(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("OMNICONTACT_DB", raising=False)

    def run(self, *argv: str) -> tuple[int, str]:
        out = io.StringIO()
        return main(list(argv), out=out), out.getvalue()

    def test_erase_then_ingest_again(self) -> None:
        assert self.run("ingest", "--no-plugins")[0] == 0
        status, text = self.run("erase", "email=oliver.bennett@example.org", "--no-plugins")
        assert status == 0
        assert text.startswith("erased 14 touchpoints of one contact;")
        status, text = self.run("ingest", "--no-plugins")
        assert "0 accepted, 54 duplicates, 0 quarantined, 14 suppressed (erased people)" in text

    def test_erase_without_a_database_is_an_error(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        status, _ = self.run("erase", "email=oliver.bennett@example.org")
        assert status == 1
        assert "no such database" in capsys.readouterr().err

    def test_export_prints_the_document(self) -> None:
        status, text = self.run("export", "email=oliver.bennett@example.org", "--memory")
        document = json.loads(text)
        assert status == 0
        assert document["format"] == EXPORT_FORMAT
        assert len(document["touchpoints"]) == 14


ANN = oc.Identifier("email", "ann@example.com")
WORK = oc.Identifier("email", "ann.work@example.com")


def day(n: int) -> Any:
    from datetime import datetime, timedelta, timezone

    return datetime(2026, 3, 2, tzinfo=timezone.utc) + timedelta(days=n)


class TestConsent:
    def test_merging_a_subscribed_and_an_unsubscribed_record_denies_and_is_audited(self) -> None:
        """Mautic #5495: a merge must never let an unsubscribed person receive marketing mail."""
        hub = make_hub()
        hub.add(oc.Touchpoint("s-1", day(0), "web", "newsletter_subscribe", identifiers=[ANN]))
        hub.add(oc.Touchpoint("u-1", day(2), "email", "email_unsubscribe", identifiers=[WORK]))
        assert hub.can_contact(ANN, "email", "marketing") is True
        assert hub.can_contact(WORK, "email", "marketing") is False
        hub.add(oc.Touchpoint("m-1", day(3), "store", "purchase", identifiers=[ANN, WORK]))
        merged = hub.contact(ANN)
        assert merged == hub.contact(WORK)
        assert hub.can_contact(merged, "email", "marketing") is False
        (conflict,) = merged.consents.conflicts
        assert (conflict.channel, conflict.purpose) == ("email", "marketing")
        entries = [e for e in hub.audit() if e.action == "consent_conflict"]
        assert [e.contact_id for e in entries] == [merged.contact_id]
        assert entries[0].evidence == ("email/marketing: denied (1 granted, 1 denied)",)
        assert "ann" not in json.dumps(entries[0].as_dict())

    def test_a_split_gives_each_side_its_own_consent_back(self) -> None:
        hub = make_hub()
        hub.add(oc.Touchpoint("s-1", day(0), "web", "newsletter_subscribe", identifiers=[ANN]))
        hub.add(oc.Touchpoint("u-1", day(2), "email", "email_unsubscribe", identifiers=[WORK]))
        hub.confirm("s-1", "u-1")
        assert hub.can_contact(ANN, "email", "marketing") is False
        hub.reject("s-1", "u-1")
        assert hub.can_contact(ANN, "email", "marketing") is True
        assert hub.can_contact(WORK, "email", "marketing") is False

    def test_record_consent_through_the_api(self) -> None:
        hub = make_hub()
        hub.add(oc.Touchpoint("s-1", day(0), "web", "signup", identifiers=[ANN]))
        assert hub.can_contact(ANN, "sms", "marketing") is False  # never asked
        assert hub.can_contact(ANN, "email", "transactional") is True
        receipt = hub.record_consent(
            ANN, channel="*", purpose="marketing", status="granted", at=day(1),
            source="preference-centre", legal_basis="consent",
        )
        assert receipt.touchpoint.action == "consent"
        assert receipt.contact_id == hub.contact(ANN).contact_id
        assert hub.can_contact(ANN, "sms", "marketing") is True
        hub.record_consent(ANN, channel="sms", purpose="marketing", status="denied", at=day(2))
        assert hub.can_contact(ANN, "sms", "marketing") is False
        assert hub.can_contact(ANN, "email", "marketing") is True
        history = [(d.channel, d.status) for d in hub.contact(ANN).consents.decisions]
        assert history == [("*", "granted"), ("sms", "denied")]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"status": "maybe"}, "status"),
            ({"channel": "E Mail"}, "channel"),
            ({"purpose": ""}, "purpose"),
            ({"legal_basis": "because"}, "legal_basis"),
        ],
    )
    def test_record_consent_refuses_bad_arguments(self, change: dict[str, str], field: str) -> None:
        hub = make_hub()
        arguments = {"channel": "email", "purpose": "marketing", "status": "granted", **change}
        with pytest.raises(oc.InvalidTouchpointError) as info:
            hub.record_consent(ANN, **arguments)
        assert info.value.field == field
        assert hub.stats().touchpoints == 0


class TestLimits:
    @pytest.fixture(autouse=True)
    def _in_tmp(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)

    def test_a_huge_line_is_refused_in_pieces_and_the_file_goes_on(self, tmp_path: Path) -> None:
        """A 9 MB line is skipped without being parsed; the lines after it load."""
        good = json.dumps(records()[0])
        path = tmp_path / "big.jsonl"
        with path.open("w", encoding="utf-8") as out:
            out.write('{"id": "x", "junk": "' + "a" * 9_000_000 + '"}\n')
            out.write(good + "\n")
        status_out = io.StringIO()
        status = main(["ingest", str(path), "--memory", "--no-plugins"], out=status_out)
        text = status_out.getvalue()
        assert status == 0
        assert "1 accepted" in text
        assert f"{path}:1: line: is longer than 1048576 characters" in text

    def test_payload_limits_are_configurable(self) -> None:
        hub = make_hub(limits=oc.PayloadLimits(max_depth=3, max_string=60))
        deep = dict(records()[0], properties={"a": {"b": {"c": 1}}})
        long = dict(records()[1], properties={"note": "x" * 61})
        report = hub.ingest([deep, long, records()[2]])
        assert report.accepted == 1
        assert [r.reason for r in report.quarantined] == [
            "is nested deeper than 3 levels",
            "holds a string longer than 60 characters",
        ]
