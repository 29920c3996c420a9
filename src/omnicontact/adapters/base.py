"""The :class:`ChannelAdapter` protocol and the hub's registry of adapters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

from omnicontact.errors import ConfigurationError
from omnicontact.model import Touchpoint

__all__ = ["AdapterRegistry", "ChannelAdapter"]


@runtime_checkable
class ChannelAdapter(Protocol):
    """Turns one raw payload of a channel into touchpoints.

    A payload is whatever the channel delivers: a decoded JSON event, a CSV
    row as a mapping, an order. ``parse`` returns the touchpoints it holds
    (one, usually; an order may give one per line) with their identifiers
    and traits under omnicontact's names; the hub normalizes them.

    ``parse`` must be a pure function of the payload, so that replaying a
    quarantined payload after a fix gives the same touchpoints. It raises
    :class:`~omnicontact.InvalidTouchpointError` (or a subclass) naming the
    field and the rule a bad payload breaks, never the value; the hub then
    quarantines the payload. Anything else it raises is the adapter's bug:
    the payload is quarantined too, as a :class:`~omnicontact.PluginError`
    naming the adapter.
    """

    @property
    def name(self) -> str:
        """The name callers pass to ``hub.ingest(..., adapter=name)``."""

    @property
    def description(self) -> str:
        """One line on the payloads it takes, for ``omnicontact plugins``."""

    def parse(self, payload: Any) -> Iterable[Touchpoint]:
        """Return the touchpoints of one payload (at least one)."""


class AdapterRegistry(Mapping[str, ChannelAdapter]):
    """The adapters of one hub, by name; built from the ``register_channel_adapters`` hook."""

    __slots__ = ("_adapters", "_owners")

    def __init__(self, contributed: Iterable[tuple[str, ChannelAdapter]]) -> None:
        self._adapters: dict[str, ChannelAdapter] = {}
        self._owners: dict[str, str] = {}
        for plugin, adapter in contributed:
            self._adapters[adapter.name] = adapter
            self._owners[adapter.name] = plugin

    def __getitem__(self, name: str) -> ChannelAdapter:
        return self._adapters[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._adapters)

    def __len__(self) -> int:
        return len(self._adapters)

    def get_adapter(self, adapter: str | ChannelAdapter) -> ChannelAdapter:
        """Return the adapter named *adapter*, or *adapter* itself when it is one.

        :raises ConfigurationError: for an unknown name, listing the known ones.
        """
        if not isinstance(adapter, str):
            if not isinstance(adapter, ChannelAdapter):
                raise ConfigurationError("adapter: must be an adapter name or a ChannelAdapter")
            return adapter
        found = self._adapters.get(adapter)
        if found is None:
            known = ", ".join(sorted(self._adapters)) or "none"
            raise ConfigurationError(f"adapter: no adapter named {adapter!r} (known: {known})")
        return found

    def plugin_of(self, name: str) -> str:
        """Return the name of the plug-in that contributed the adapter *name*."""
        return self._owners[name]
