"""What batch ingestion reports: accepted, duplicates, and the quarantine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["IngestReport", "Rejection"]


@attrs.frozen(repr=False)
class Rejection:
    """A record that could not enter the log, kept to be fixed and replayed.

    :param position: its index in the batch (0-based), or line number for files.
    :param record: the record as received (a mapping or a touchpoint); it may
        hold personal data, so it is never shown in the repr.
    :param error: the name of the error class (``InvalidIdentifierError``).
    :param field: the field that is wrong.
    :param reason: the rule it breaks, never the personal value.
    :param adapter: the channel adapter that read the record (``None`` for
        touchpoints given to ``add_many``); :meth:`Hub.replay_quarantine`
        reads it with the same adapter again.
    """

    position: int
    record: Any
    error: str
    field: str
    reason: str
    adapter: str | None = None

    def __repr__(self) -> str:
        return (
            f"Rejection(position={self.position}, error={self.error!r}, "
            f"field={self.field!r}, reason={self.reason!r}, adapter={self.adapter!r})"
        )


@attrs.frozen
class IngestReport:
    """The outcome of one batch.

    :param accepted: touchpoints that entered the log.
    :param duplicates: touchpoints already in the log with the same content.
    :param quarantined: the records rejected, each with its reason.
    :param channels: touchpoints accepted per channel.
    :param suppressed: touchpoints of erased people, neither stored nor
        quarantined (see ``Hub.erase``).
    """

    accepted: int = 0
    duplicates: int = 0
    quarantined: tuple[Rejection, ...] = ()
    channels: Mapping[str, int] = attrs.field(factory=dict, eq=False, repr=False)
    suppressed: int = 0

    @property
    def total(self) -> int:
        """How many records the batch held."""
        return self.accepted + self.duplicates + len(self.quarantined) + self.suppressed

    def __add__(self, other: IngestReport) -> IngestReport:
        channels = dict(self.channels)
        for channel, count in other.channels.items():
            channels[channel] = channels.get(channel, 0) + count
        return IngestReport(
            self.accepted + other.accepted,
            self.duplicates + other.duplicates,
            self.quarantined + other.quarantined,
            channels,
            self.suppressed + other.suppressed,
        )
