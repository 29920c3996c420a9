"""Tests of omnicontact-sms, run against a Hub with only this plug-in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

try:
    import omnicontact_sms
except ImportError:  # not installed: run from a checkout, on the package's source
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import omnicontact_sms

import omnicontact as oc

ANN = "+14155550100"
BRAND = "+14155550199"


@pytest.fixture
def hub() -> oc.Hub:
    """A hub with the built-ins and this plug-in, whatever else is installed."""
    return oc.Hub(plugins=[omnicontact_sms.SmsPlugin()], load_entry_points=False)


def inbound(sid: str, body: str, **extra: str) -> dict[str, str]:
    """A Twilio inbound message, as its form-encoded fields."""
    event = {"MessageSid": sid, "From": ANN, "To": BRAND, "Body": body, "SmsStatus": "received"}
    event.setdefault("DateSent", "Mon, 02 Mar 2026 09:00:00 +0000")
    return {**event, **extra}


def parse(payload: Any) -> oc.Touchpoint:
    [touchpoint] = omnicontact_sms.SmsAdapter().parse(payload)
    return touchpoint


class TestSms:
    def test_registers_the_adapter(self, hub: oc.Hub) -> None:
        """The plug-in contributes the 'sms' adapter."""
        assert hub.adapters.plugin_of("sms") == "sms"

    def test_inbound_message(self) -> None:
        """An inbound message keeps its length, never its text."""
        tp = parse(inbound("SM1", "Is my order ready?"))
        assert (tp.id, tp.channel, tp.action) == ("sms:SM1", "sms", "sms_received")
        assert tp.identifiers == (oc.Identifier("phone", ANN),)
        assert dict(tp.properties) == {"message_id": "SM1", "brand_number": BRAND, "length": 18}

    @pytest.mark.parametrize(
        ("body", "action", "keyword"),
        [
            (" stop ", "sms_opt_out", "STOP"),
            ("Arret", "sms_opt_out", "ARRET"),
            ("UNSUBSCRIBE", "sms_opt_out", "UNSUBSCRIBE"),
            ("start", "sms_opt_in", "START"),
            ("Unstop\n", "sms_opt_in", "UNSTOP"),
        ],
    )
    def test_keywords(self, body: str, action: str, keyword: str) -> None:
        """STOP, UNSUBSCRIBE, ARRET opt out; START, UNSTOP opt in."""
        tp = parse(inbound("SM2", body))
        assert (tp.action, tp.properties["keyword"]) == (action, keyword)

    def test_status_callback(self) -> None:
        """A status callback is about the recipient, one touchpoint per status."""
        tp = parse(
            {
                "MessageSid": "SM3",
                "From": BRAND,
                "To": ANN,
                "MessageStatus": "delivered",
                "SmsStatus": "delivered",
                "Timestamp": "2026-03-02T09:01:00Z",
            }
        )
        assert (tp.id, tp.action) == ("sms:SM3:delivered", "sms_delivered")
        assert tp.identifiers == (oc.Identifier("phone", ANN),)
        assert tp.properties["brand_number"] == BRAND

    def test_generic_shape(self) -> None:
        """The generic shape: id, from, to, text, status, timestamp."""
        tp = parse(
            {
                "id": 42,
                "from": BRAND,
                "to": ANN,
                "status": "failed",
                "timestamp": 1772442000,
                "error_code": 30003,
            }
        )
        assert (tp.id, tp.action) == ("sms:42:failed", "sms_failed")
        assert tp.properties["error_code"] == "30003"

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ([], "payload"),
            ({"From": ANN}, "id"),
            ({"MessageSid": "SM4", "From": ANN}, "SmsStatus"),
            ({"MessageSid": "SM4", "SmsStatus": "queued"}, "SmsStatus"),
            ({"MessageSid": "SM4", "Body": "hi", "To": BRAND, "DateSent": "x"}, "From"),
            ({"MessageSid": "SM4", "Body": "hi", "From": ANN}, "DateSent"),
            ({"id": "m1", "text": "hi", "from": ANN, "timestamp": "soon"}, "timestamp"),
        ],
    )
    def test_rejects_bad_payloads(self, payload: Any, field: str) -> None:
        """A bad payload is an InvalidTouchpointError naming the field, not the value."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            parse(payload)
        assert info.value.field == field
        assert ANN not in str(info.value)

    def test_opt_out_joins_the_contact(self, hub: oc.Hub) -> None:
        """A message and a STOP from one phone are one contact."""
        report = hub.ingest([inbound("SM1", "hello"), inbound("SM2", "STOP")], adapter="sms")
        assert report.accepted == 2
        contact = hub.contact(oc.Identifier("phone", ANN))
        assert contact.touchpoint_ids == ("sms:SM1", "sms:SM2")
