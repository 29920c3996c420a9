"""The example adapter package in examples/omnicontact-sms works through a Hub."""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.cli import main

SRC = Path(__file__).resolve().parents[1] / "examples" / "omnicontact-sms" / "src"
ANN = "+14155550100"
BRAND = "+14155550199"
SENT = "Mon, 02 Mar 2026 09:00:00 +0000"


@pytest.fixture
def sms(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The example module, imported afresh from its source folder."""
    monkeypatch.syspath_prepend(str(SRC))
    monkeypatch.delitem(sys.modules, "omnicontact_sms", raising=False)
    return importlib.import_module("omnicontact_sms")


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A folder on sys.path with an ``omnicontact_sms`` dist-info, as pip would install it."""
    dist = tmp_path / "omnicontact_sms-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: omnicontact-sms\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[omnicontact]\nsms = omnicontact_sms:SmsPlugin\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(SRC))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "omnicontact_sms", raising=False)
    return tmp_path


def make_hub(module: ModuleType) -> oc.Hub:
    return oc.Hub(plugins=[module.SmsPlugin()], load_entry_points=False)


def inbound(sid: str, body: str, phone: str = ANN) -> dict[str, str]:
    """A Twilio inbound message, as its form-encoded fields."""
    return {
        "MessageSid": sid,
        "From": phone,
        "To": BRAND,
        "Body": body,
        "SmsStatus": "received",
        "DateSent": SENT,
    }


class TestEntryPoint:
    def test_hub_discovers_the_installed_package(self, installed: Path) -> None:
        """A hub that loads entry points finds the adapter under its entry point's name."""
        hub = oc.Hub(load_entry_points=True)
        assert hub.adapters["sms"].name == "sms"
        assert hub.adapters.plugin_of("sms") == "sms"
        infos = {info.name: info for info in hub.plugins.info()}
        assert infos["sms"].hooks == ("register_channel_adapters",)
        assert (infos["sms"].distribution, infos["sms"].version) == ("omnicontact-sms", "0.1.0")
        assert not infos["sms"].builtin

    def test_not_loaded_without_entry_points(self, installed: Path) -> None:
        """load_entry_points=False keeps the installed package out."""
        assert "sms" not in oc.Hub(load_entry_points=False).adapters

    def test_cli_lists_the_adapter(self, installed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """`omnicontact plugins` shows the package, its version and its adapter."""
        monkeypatch.delenv("OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD", raising=False)
        out = io.StringIO()
        assert main(["plugins"], out=out) == 0
        text = out.getvalue()
        assert "sms  (omnicontact-sms 0.1.0)\n  hooks: register_channel_adapters\n" in text
        assert "  channel adapter sms: SMS-gateway webhook events" in text

    def test_cli_no_plugins(self, installed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """`omnicontact plugins --no-plugins` leaves it out."""
        monkeypatch.delenv("OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD", raising=False)
        out = io.StringIO()
        assert main(["plugins", "--no-plugins"], out=out) == 0
        assert "channel adapter sms" not in out.getvalue()


class TestIngest:
    def test_message_and_stop_join_one_contact(self, sms: ModuleType) -> None:
        """An inbound message and a STOP from the same phone are one contact."""
        hub = make_hub(sms)
        report = hub.ingest(
            [inbound("SM1", "Is my order ready?"), inbound("SM2", " stop ", "+1 (415) 555-0100")],
            adapter="sms",
        )
        assert (report.accepted, report.quarantined) == (2, ())
        contact = hub.contact(oc.Identifier("phone", "+1 415 555 0100"))
        assert contact.touchpoint_ids == ("sms:SM1", "sms:SM2")
        stop = hub.touchpoint("sms:SM2")
        assert stop.action == "sms_opt_out"
        assert dict(stop.properties) == {
            "message_id": "SM2",
            "brand_number": BRAND,
            "length": 6,
            "keyword": "STOP",
        }

    def test_status_callbacks(self, sms: ModuleType) -> None:
        """Each status of an outbound message is its own touchpoint, about the recipient."""
        hub = make_hub(sms)
        status = {"MessageSid": "SM9", "From": BRAND, "To": ANN, "SmsStatus": "sent"}
        report = hub.ingest(
            [
                {**status, "Timestamp": "2026-03-02T09:00:00Z"},
                {**status, "SmsStatus": "delivered", "Timestamp": "2026-03-02T09:00:05Z"},
                {**status, "SmsStatus": "delivered", "Timestamp": "2026-03-02T09:00:05Z"},
            ],
            adapter="sms",
        )
        assert (report.accepted, report.duplicates) == (2, 1)
        contact = hub.contact(oc.Identifier("phone", ANN))
        assert contact.touchpoint_ids == ("sms:SM9:sent", "sms:SM9:delivered")
        assert hub.touchpoint("sms:SM9:delivered").action == "sms_delivered"

    def test_generic_shape(self, sms: ModuleType) -> None:
        """The generic shape reads like Twilio's."""
        hub = make_hub(sms)
        event = {"id": "g-1", "from": ANN, "to": BRAND, "text": "START", "status": "received"}
        report = hub.ingest([{**event, "timestamp": "2026-03-02T09:00:00+01:00"}], adapter="sms")
        assert report.accepted == 1
        assert hub.touchpoint("sms:g-1").action == "sms_opt_in"

    def test_bad_payloads_are_quarantined_with_the_field(self, sms: ModuleType) -> None:
        """Bad events are quarantined naming the field, never the phone or the text."""
        hub = make_hub(sms)
        status = {"MessageSid": "SM9", "From": BRAND, "To": ANN, "SmsStatus": "delivered"}
        report = hub.ingest(
            [
                status,  # a status callback without a time
                {**status, "SmsStatus": "queued", "Timestamp": "2026-03-02T09:00:00Z"},
                {**inbound("SM1", "secret words"), "DateSent": "secret words"},
                {**inbound("SM1", "hello"), "From": "secret words"},
                {"text": "secret words", "from": ANN},
                "secret words",
            ],
            adapter="sms",
        )
        assert report.accepted == 0
        assert [(r.position, r.error, r.field) for r in report.quarantined] == [
            (0, "InvalidTouchpointError", "DateSent"),
            (1, "InvalidTouchpointError", "SmsStatus"),
            (2, "InvalidTimestampError", "DateSent"),
            (3, "InvalidIdentifierError", "identifiers.phone"),
            (4, "InvalidTouchpointError", "id"),
            (5, "InvalidTouchpointError", "payload"),
        ]
        assert report.quarantined[0].reason == (
            "is required, or Timestamp: the time the webhook was received"
        )
        for rejection in report.quarantined:
            assert "secret" not in rejection.reason
            assert "555" not in rejection.reason


# Random events: the fields the adapter reads (and a few it does not), with
# values that are sometimes right and sometimes not. Phones and texts carry
# markers that no rule's wording holds, to check that reasons never show them.
PHONES = st.from_regex(r"\+1415555[0-9]{4}", fullmatch=True) | st.text(min_size=1).map(
    lambda text: f"PHONE{text}"
)
BODIES = st.sampled_from(["STOP", " start ", "ARRET", ""]) | st.text().map(
    lambda text: f"BODY{text}"
)
VALUES = st.one_of(
    st.sampled_from(
        ["received", "sent", "delivered", "failed", "undelivered", "queued", " Delivered "]
    ),
    st.sampled_from(["2026-03-02T09:00:00Z", SENT, "1772442000", "1772442000123", "x", ""]),
    st.text(max_size=20),
)
FIELDS = {
    "MessageSid": VALUES,
    "SmsSid": VALUES,
    "SmsStatus": VALUES,
    "MessageStatus": VALUES,
    "DateSent": VALUES,
    "Timestamp": VALUES,
    "received_at": VALUES,
    "ErrorCode": VALUES,
    "id": VALUES,
    "status": VALUES,
    "timestamp": VALUES,
    "error_code": VALUES,
    "From": PHONES,
    "To": PHONES,
    "from": PHONES,
    "to": PHONES,
    "Body": BODIES,
    "text": BODIES,
    "AccountSid": VALUES,
}
TWILIO_EVENTS = st.fixed_dictionaries(
    {
        "MessageSid": st.from_regex(r"SM[0-9a-f]{8}", fullmatch=True),
        "From": PHONES,
        "To": PHONES,
        "SmsStatus": VALUES,
        "DateSent": VALUES,
    },
    optional={"Body": BODIES, "Timestamp": VALUES},
)
EVENTS = TWILIO_EVENTS | st.fixed_dictionaries({}, optional=FIELDS)


@given(payloads=st.lists(EVENTS, max_size=12))
def test_random_events_never_crash_or_leak(payloads: list[dict[str, Any]]) -> None:
    """Any dict of strings is read or quarantined with a typed error, never shown."""
    sys.path.insert(0, str(SRC))
    try:
        module = importlib.import_module("omnicontact_sms")
    finally:
        sys.path.remove(str(SRC))
    report = make_hub(module).ingest(payloads, adapter="sms")
    assert report.total == len(payloads)
    for rejection in report.quarantined:
        assert rejection.error != "PluginError", rejection.reason
        assert "PHONE" not in rejection.reason
        assert "BODY" not in rejection.reason
        assert "1415555" not in rejection.reason


def test_pip_installs_the_package_and_a_fresh_hub_discovers_it(tmp_path: Path) -> None:
    """A real `pip install` of the folder, then a new interpreter: Hub() finds the adapter."""
    folder = Path(__file__).resolve().parents[1] / "examples" / "omnicontact-sms"
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(folder),
        ],
        check=True,
        capture_output=True,
    )
    env = {k: v for k, v in os.environ.items() if k != "OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD"}
    env["PYTHONPATH"] = str(target)
    code = (
        "import omnicontact as oc\n"
        "hub = oc.Hub()\n"
        "print(hub.adapters.plugin_of('sms'), 'sms' in hub.adapters)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    assert done.stdout.split() == ["sms", "True"]
