"""The example plug-in package in examples/plugin-membership works through a Hub."""

from __future__ import annotations

import importlib
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import pytest

import omnicontact as oc

SRC = Path(__file__).resolve().parents[1] / "examples" / "plugin-membership" / "src"
T = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def membership(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The example module, imported afresh from its source folder."""
    monkeypatch.syspath_prepend(str(SRC))
    monkeypatch.delitem(sys.modules, "omnicontact_membership", raising=False)
    return importlib.import_module("omnicontact_membership")


def make_hub(module: ModuleType) -> oc.Hub:
    return oc.Hub(plugins=[module.MembershipPlugin()], load_entry_points=False)


def touchpoint(tp_id: str, *identifiers: oc.Identifier) -> oc.Touchpoint:
    return oc.Touchpoint(tp_id, T, "gym", "check_in", identifiers=identifiers)


class TestMembershipPlugin:
    def test_registered_under_its_name(self, membership: ModuleType) -> None:
        """The plug-in instance is registered as 'membership' with its two hooks."""
        infos = {info.name: info for info in make_hub(membership).plugins.info()}
        assert infos["membership"].hooks == ("contact_merged", "register_identifier_kinds")
        assert not infos["membership"].builtin

    @pytest.mark.parametrize("raw", ["gm-0042 17", "GM004217", " gm 004-217 ", "Gm-004217"])
    def test_normalizes_membership_numbers(self, membership: ModuleType, raw: str) -> None:
        """Spaces and hyphens are removed and letters upper-cased."""
        hub = make_hub(membership)
        assert hub.normalize(oc.Identifier("membership_id", raw)).value == "GM004217"

    @pytest.mark.parametrize(
        "raw", ["", "G-0042 17", "GM00421", "GM0042177", "12004217", "GMX04217"]
    )
    def test_rejects_malformed_numbers(self, membership: ModuleType, raw: str) -> None:
        """A value that is not two letters and six digits raises InvalidIdentifierError."""
        hub = make_hub(membership)
        with pytest.raises(oc.InvalidIdentifierError) as info:
            hub.normalize(oc.Identifier("membership_id", raw))
        assert info.value.kind == "membership_id"
        assert info.value.field == "identifiers.membership_id"
        assert info.value.rule == membership.RULE
        assert str(info.value) == f"identifiers.membership_id: {membership.RULE}"

    def test_bad_number_is_quarantined_in_batches(self, membership: ModuleType) -> None:
        """Batch ingestion quarantines a record with a malformed membership number."""
        hub = make_hub(membership)
        report = hub.ingest(
            [
                {
                    "id": "g-1",
                    "occurred_at": "2026-03-02T09:00:00Z",
                    "channel": "gym",
                    "action": "check_in",
                    "identifiers": {"membership_id": "GM-42"},
                }
            ]
        )
        assert report.accepted == 0
        assert [(r.error, r.field) for r in report.quarantined] == [
            ("InvalidIdentifierError", "identifiers.membership_id")
        ]

    def test_kind_is_strong(self, membership: ModuleType) -> None:
        """membership_id is a strong kind: two touchpoints sharing one are one contact."""
        hub = make_hub(membership)
        assert hub.kinds.strength("membership_id") is oc.Strength.STRONG
        hub.add(touchpoint("g-1", oc.Identifier("membership_id", "gm-0042 17")))
        hub.add(touchpoint("g-2", oc.Identifier("membership_id", "GM004217")))
        contact = hub.contact(oc.Identifier("membership_id", "GM 004217"))
        assert contact.touchpoint_ids == ("g-1", "g-2")
        assert contact.identified

    def test_counts_merges(self, membership: ModuleType) -> None:
        """The merge counter goes up by one when two contacts merge."""
        hub = make_hub(membership)
        plugin = hub.plugins.get("membership")
        before = plugin.merges
        email = oc.Identifier("email", "ann.lee@example.com")
        member = oc.Identifier("membership_id", "GM004217")
        hub.add(touchpoint("g-1", email))
        hub.add(touchpoint("g-2", member))
        assert plugin.merges == before
        hub.add(touchpoint("g-3", email, member))
        assert plugin.merges == before + 1
        assert len(list(hub.contacts())) == 1

    def test_fresh_instances_count_separately(self, membership: ModuleType) -> None:
        """Each MembershipPlugin instance keeps its own count (no module-level state)."""
        counted = membership.MembershipPlugin()
        hub = oc.Hub(plugins=[counted], load_entry_points=False)
        email = oc.Identifier("email", "ann.lee@example.com")
        member = oc.Identifier("membership_id", "GM004217")
        for tp in (touchpoint("g-1", email), touchpoint("g-2", member)):
            hub.add(tp)
        hub.add(touchpoint("g-3", email, member))
        assert counted.merges == 1
        assert membership.MembershipPlugin().merges == 0
