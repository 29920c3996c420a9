"""Shared fixtures: hubs without installed plug-ins, a fixed clock."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, settings

import omnicontact as oc

# Tests never pick up plug-ins installed in the environment.
os.environ.setdefault("OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD", "1")

settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def fixed_clock() -> datetime:
    """Return the tests' fixed now."""
    return NOW


def make_hub(**options: object) -> oc.Hub:
    """Return a hub with no entry points and the fixed clock, plus *options*."""
    options.setdefault("load_entry_points", False)
    options.setdefault("clock", fixed_clock)
    return oc.Hub(**options)  # type: ignore[arg-type]


@pytest.fixture
def hub() -> oc.Hub:
    """A fresh in-memory hub, default region FR, without installed plug-ins."""
    return make_hub(default_region="FR")
