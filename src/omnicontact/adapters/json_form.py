"""The built-in ``omnicontact`` adapter: omnicontact's own JSON form of a touchpoint.

Registered by the built-in plug-in ``omnicontact.adapters`` through
``register_channel_adapters``, like any third-party adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnicontact.hookspecs import hookimpl
from omnicontact.model import Touchpoint

__all__ = ["JsonFormAdapter", "register_channel_adapters"]


class JsonFormAdapter:
    """Reads touchpoints in omnicontact's JSON form (:meth:`Touchpoint.from_mapping`).

    A :class:`~omnicontact.Touchpoint` given as it is passes through.
    """

    name = "omnicontact"
    description = "omnicontact's JSON form of a touchpoint (docs/concepts.md), or a Touchpoint"

    def parse(self, payload: Mapping[str, Any] | Touchpoint) -> list[Touchpoint]:
        """Return the one touchpoint of *payload*.

        :raises InvalidTouchpointError: naming the field that is missing or wrong.
        """
        if isinstance(payload, Touchpoint):
            return [payload]
        return [Touchpoint.from_mapping(payload)]

    def __repr__(self) -> str:
        return "JsonFormAdapter()"


@hookimpl
def register_channel_adapters() -> list[JsonFormAdapter]:
    """Contribute the ``omnicontact`` adapter."""
    return [JsonFormAdapter()]
