"""Shared fixtures: hubs without installed plug-ins, a fixed clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


STORES = ("memory", "sqlite")
"""The stores the hub's behaviour is tested on: the same tests run on each."""

_store = {"kind": "memory"}


def make_hub(**options: object) -> oc.Hub:
    """Return a hub with no entry points and the fixed clock, plus *options*.

    Under the ``each_store`` fixture, the hub is on each store in turn (a
    private SQLite database for ``sqlite``), unless *options* give a store.
    """
    options.setdefault("load_entry_points", False)
    options.setdefault("clock", fixed_clock)
    if _store["kind"] == "sqlite" and "store" not in options:
        return oc.Hub.open(":memory:", **options)
    return oc.Hub(**options)  # type: ignore[arg-type]


@pytest.fixture(params=STORES)
def each_store(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test once per store: ``make_hub`` builds hubs on that store."""
    _store["kind"] = request.param
    try:
        yield request.param
    finally:
        _store["kind"] = "memory"


@pytest.fixture
def hub() -> oc.Hub:
    """A fresh in-memory hub, default region FR, without installed plug-ins."""
    return make_hub(default_region="FR")
