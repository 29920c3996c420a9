"""Source sets: a folder of channel exports, each file read by its own adapter.

A brand's data comes as one export per channel: Segment events from the web
site and the app, an ad server's CSV, the ESP's webhook log, the till's
orders, the helpdesk's tickets. A *source set* names, in one JSON file, which
adapter reads which file, so that the whole folder is ingested in one go
(``omnicontact ingest FOLDER``)::

    {
      "description": "what the folder holds (optional)",
      "sources": [
        {"file": "web-and-app.jsonl", "adapter": "segment"},
        {"file": "ads.csv", "mapping": "ads.mapping.json"}
      ]
    }

Each source has a ``file`` (relative to the manifest) and either an
``adapter`` (a registered adapter's name) or a ``mapping`` (a
:class:`~omnicontact.adapters.tabular.TabularMapping` file, for CSV or JSON
Lines rows). The manifest is ``sources.json`` in the folder, or any file whose
name ends in ``sources.json``. Files are read in the order listed; the
contacts do not depend on it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from omnicontact.adapters.base import ChannelAdapter
from omnicontact.adapters.tabular import TabularAdapter, TabularMapping
from omnicontact.errors import ConfigurationError

__all__ = ["MANIFEST", "Source", "SourceSet", "is_source_set"]

MANIFEST = "sources.json"
"""The file name of a folder's source set."""

_KEYS = frozenset({"file", "adapter", "mapping"})


@attrs.frozen
class Source:
    """One file of a source set and how to read it.

    :param path: the file.
    :param adapter: the registered adapter's name, when the source names one.
    :param mapping: the tabular mapping, when the source gives one instead.
    """

    path: Path
    adapter: str | None = None
    mapping: TabularMapping | None = attrs.field(default=None, repr=False)

    @property
    def reader(self) -> str | ChannelAdapter:
        """What ``hub.ingest(..., adapter=...)`` takes for this file."""
        if self.mapping is not None:
            return TabularAdapter(self.mapping)
        assert self.adapter is not None
        return self.adapter

    @property
    def reader_name(self) -> str:
        """The adapter's name, or ``tabular`` for a mapping."""
        return self.adapter if self.adapter is not None else "tabular"


@attrs.frozen
class SourceSet:
    """The files of a folder of channel exports, each with its adapter.

    Build it with :meth:`from_path`.
    """

    manifest: Path
    sources: tuple[Source, ...]
    description: str | None = None

    @classmethod
    def from_path(cls, path: str | Path) -> SourceSet:
        """Read the source set of a folder (its ``sources.json``) or of a manifest file.

        Every file is checked to exist and every mapping is read now, so that
        a mistake is reported before anything is ingested.

        :raises ConfigurationError: naming the manifest entry that is wrong.
        :raises OSError: when the manifest cannot be read.
        """
        manifest = Path(path)
        if manifest.is_dir():
            manifest = manifest / MANIFEST
            if not manifest.is_file():
                raise ConfigurationError(
                    f"{path}: a folder to ingest needs a {MANIFEST} naming the adapter of each file"
                )
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ConfigurationError(f"{manifest}: is not valid JSON") from None
        if not isinstance(data, Mapping) or not isinstance(data.get("sources"), list):
            raise ConfigurationError(f"{manifest}: must be an object with a list of sources")
        description = data.get("description")
        if description is not None and not isinstance(description, str):
            raise ConfigurationError(f"{manifest}: description must be a string")
        entries: Sequence[Any] = data["sources"]
        if not entries:
            raise ConfigurationError(f"{manifest}: sources is empty")
        sources = tuple(
            _source(manifest, f"sources[{number}]", entry) for number, entry in enumerate(entries)
        )
        return cls(manifest=manifest, sources=sources, description=description)


def _source(manifest: Path, where: str, entry: object) -> Source:
    if not isinstance(entry, Mapping):
        raise ConfigurationError(f"{manifest}: {where} must be an object")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise ConfigurationError(f"{manifest}: {where} has an unknown key {unknown[0]!r}")
    name = entry.get("file")
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"{manifest}: {where}.file must be a file name")
    path = manifest.parent / name
    if not path.is_file():
        raise ConfigurationError(f"{manifest}: {where}.file: {name} does not exist")
    adapter, mapping = entry.get("adapter"), entry.get("mapping")
    if (adapter is None) == (mapping is None):
        raise ConfigurationError(f"{manifest}: {where} needs either an adapter or a mapping")
    if adapter is not None:
        if not isinstance(adapter, str) or not adapter:
            raise ConfigurationError(f"{manifest}: {where}.adapter must be an adapter's name")
        return Source(path=path, adapter=adapter)
    if not isinstance(mapping, str) or not mapping:
        raise ConfigurationError(f"{manifest}: {where}.mapping must be a file name")
    mapping_path = manifest.parent / mapping
    if not mapping_path.is_file():
        raise ConfigurationError(f"{manifest}: {where}.mapping: {mapping} does not exist")
    try:
        read = TabularMapping.from_file(mapping_path)
    except ConfigurationError as err:
        raise ConfigurationError(f"{mapping_path}: {err}") from None
    return Source(path=path, mapping=read)


def is_source_set(path: str | Path) -> bool:
    """Whether *path* is a folder or a manifest, rather than a file of payloads."""
    path = Path(path)
    return path.is_dir() or path.name.endswith(MANIFEST)
