"""Tests of omnicontact-membership, run against a Hub with only this plug-in."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from omnicontact_membership import MembershipPlugin

import omnicontact as oc

T = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def plugin() -> MembershipPlugin:
    """A fresh plug-in instance, so every test counts from zero."""
    return MembershipPlugin()


@pytest.fixture
def hub(plugin: MembershipPlugin) -> oc.Hub:
    """A hub with the built-ins and this plug-in, whatever else is installed."""
    return oc.Hub(plugins=[plugin], load_entry_points=False)


class TestMembership:
    def test_normalizes(self, hub: oc.Hub) -> None:
        """Spaces and hyphens are removed and letters upper-cased."""
        assert hub.normalize(oc.Identifier("membership_id", "gm-0042 17")).value == "GM004217"

    def test_rejects_malformed(self, hub: oc.Hub) -> None:
        """A value that is not two letters and six digits is an InvalidIdentifierError."""
        with pytest.raises(oc.InvalidIdentifierError, match="two letters and six digits"):
            hub.normalize(oc.Identifier("membership_id", "GM-42"))

    def test_is_strong(self, hub: oc.Hub) -> None:
        """membership_id identifies a person."""
        assert hub.kinds.strength("membership_id") is oc.Strength.STRONG

    def test_counts_merges(self, hub: oc.Hub, plugin: MembershipPlugin) -> None:
        """A touchpoint with an e-mail and a membership number merges two contacts."""
        email = oc.Identifier("email", "ann.lee@example.com")
        member = oc.Identifier("membership_id", "GM004217")
        hub.add(oc.Touchpoint("g-1", T, "web", "signup", identifiers=[email]))
        hub.add(oc.Touchpoint("g-2", T, "gym", "check_in", identifiers=[member]))
        hub.add(oc.Touchpoint("g-3", T, "gym", "join", identifiers=[email, member]))
        assert plugin.merges == 1
