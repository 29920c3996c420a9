"""Batch ingestion: chunks of touchpoints, each one transaction, with a quarantine.

A mixin of :class:`~omnicontact.Hub`. A batch is cut into chunks of
``batch_size`` touchpoints; each chunk is resolved together (each touched
component recomputed once) and committed as one transaction, then its
notifications are sent. A record that cannot be added goes to the
quarantine with its reason, and the stream goes on.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from omnicontact.adapters.base import AdapterRegistry, ChannelAdapter
from omnicontact.errors import (
    ConfigurationError,
    ConflictError,
    InvalidTouchpointError,
    OmnicontactError,
    PluginError,
    SuppressedError,
)
from omnicontact.ingest import IngestReport, Rejection
from omnicontact.limits import PayloadLimits
from omnicontact.model import Touchpoint

if TYPE_CHECKING:
    from omnicontact.matching.changes import Change
    from omnicontact.matching.resolver import Resolver
    from omnicontact.plugins import Plugins
    from omnicontact.store.base import Store

__all__ = ["Batching"]


def _rejection(
    index: int, record: Any, err: OmnicontactError, adapter: str | None
) -> Rejection:
    """Return the quarantine entry for a record that could not be added."""
    if isinstance(err, PluginError):
        return Rejection(index, record, type(err).__name__, "plugin", str(err), adapter)
    field = getattr(err, "field", "id")
    reason = getattr(err, "rule", str(err))
    return Rejection(index, record, type(err).__name__, field, reason, adapter)


Progress = Callable[[IngestReport], object]
"""Called after each committed chunk of a batch with the report so far."""



class Batching:
    """``add_many`` and ``ingest`` (a :class:`Hub` mixin)."""

    _store: Store
    _resolver: Resolver
    _pause_gc: bool
    _batch_size: int
    adapters: AdapterRegistry
    plugins: Plugins
    limits: PayloadLimits
    _lock: threading.RLock

    if TYPE_CHECKING:  # provided by Hub

        def _now(self) -> datetime: ...
        def _writing(self) -> AbstractContextManager[Resolver]: ...
        def _add(
            self, touchpoint: Touchpoint, now: datetime
        ) -> tuple[int, bool, Change | None]: ...
        def _log(self, change: Change | None, cause: str | None) -> None: ...
        def _announce(self, change: Change | None) -> None: ...
        def _announce_stages(self, touchpoint_ids: Iterable[str]) -> None: ...
        def _notify_safely(self, hook: str, **kwargs: Any) -> PluginError | None: ...

    def add_many(
        self,
        touchpoints: Iterable[Touchpoint],
        *,
        on_error: Literal["quarantine", "raise"] = "quarantine",
        progress: Progress | None = None,
    ) -> IngestReport:
        """Add a batch; a touchpoint that cannot be added is quarantined with its reason.

        :param on_error: ``"raise"`` stops at the first bad touchpoint instead
            (the ones before it stay added).
        :param progress: called after each committed chunk with the report so far.
        :raises PluginError: after the whole batch, when a notified plug-in raised
            (notifications follow each committed chunk of ``batch_size``);
            its ``report`` attribute holds the batch's report.
        :raises StoreError: when the store failed: the chunks before the failing
            one stay committed, nothing of the failing chunk is kept.
        """
        return self._batch(touchpoints, lambda item: (item,), on_error, None, progress)

    def ingest(
        self,
        payloads: Iterable[Any],
        *,
        adapter: str | ChannelAdapter = "omnicontact",
        on_error: Literal["quarantine", "raise"] = "quarantine",
        progress: Progress | None = None,
    ) -> IngestReport:
        """Add raw payloads of a channel, read by a channel adapter.

        The default adapter, ``omnicontact``, reads omnicontact's JSON form
        (see :meth:`Touchpoint.from_mapping`) and passes touchpoints through;
        :attr:`adapters` lists the others. A payload that cannot be read or
        normalized goes to :meth:`quarantine` with its reason, and the stream
        goes on; so does one on which the adapter itself fails (as a
        ``PluginError`` naming it). A payload may hold several touchpoints.

        The payloads are read one chunk (``batch_size``) at a time, so memory
        stays bounded whatever their number. A payload over the hub's
        ``limits`` (nesting, string length, size) is quarantined before the
        adapter sees it.

        :param adapter: an adapter's name, or a :class:`ChannelAdapter`.
        :param progress: called after each committed chunk with the report so far.
        :returns: the report; ``accepted`` and ``duplicates`` count touchpoints
            (a payload may hold several), ``quarantined`` payloads, and
            ``channels`` the touchpoints accepted per channel.
        :raises ConfigurationError: for an unknown adapter name.
        """
        chosen = self.adapters.get_adapter(adapter)
        owner = self.adapters.get(chosen.name) is chosen
        plugin = self.adapters.plugin_of(chosen.name) if owner else f"adapter {chosen.name}"
        parse = chosen.parse
        limits = self.limits

        def build(payload: Any) -> Iterable[Touchpoint]:
            limits.check(payload)
            try:
                return list(parse(payload))
            except InvalidTouchpointError:
                raise
            except Exception as err:  # the adapter's own failure: quarantined, named
                raise PluginError(plugin, "parse", f"raised {type(err).__name__}") from err

        return self._batch(payloads, build, on_error, chosen.name, progress)

    def replay_quarantine(
        self, adapters: Mapping[str, ChannelAdapter] | None = None
    ) -> IngestReport:
        """Ingest the quarantined records again, each with the adapter that first read it.

        After a fix (a new adapter version, a new identifier kind, a setting),
        what now passes enters the log and leaves the quarantine; what still
        fails is quarantined again, with its current reason. The records are
        taken out of the quarantine only once they are re-ingested, so an
        interruption loses none (at worst one is listed twice).

        :param adapters: adapters by name for records read by an adapter that
            is not registered (a :class:`TabularAdapter` built with its mapping).
        :raises ConfigurationError: when a record's adapter is neither
            registered nor given; nothing is replayed then.
        """
        given = dict(adapters or {})
        with self._lock:
            held = self._store.rejections()
            for rejection in held:
                if rejection.adapter is not None and rejection.adapter not in given:
                    self.adapters.get_adapter(rejection.adapter)
            report = IngestReport()
            for adapter, group in itertools.groupby(held, key=lambda r: r.adapter):
                records = [r.record for r in group]
                if adapter is None:
                    report += self.add_many(records)
                else:
                    report += self.ingest(records, adapter=given.get(adapter, adapter))
            with self._store.transaction():
                self._store.drop_rejections(len(held))
            return report

    def _batch(
        self,
        records: Iterable[Any],
        build: Callable[[Any], Iterable[Touchpoint]],
        on_error: Literal["quarantine", "raise"],
        adapter: str | None,
        progress: Progress | None,
    ) -> IngestReport:
        if on_error not in ("quarantine", "raise"):
            raise ConfigurationError("on_error: must be 'quarantine' or 'raise'")
        with self._gc_paused():
            return self._run_batch(records, build, on_error == "raise", adapter, progress)

    @contextlib.contextmanager
    def _deferred(self) -> Iterator[list[Change]]:
        """Resolve a batch's touchpoints together: each touched component once, at the end.

        The net change is appended to the yielded list; the state is made
        consistent even when the batch stops on an error.
        """
        out: list[Change] = []
        self._resolver.begin_batch()
        try:
            yield out
        finally:
            out.append(self._resolver.end_batch())

    @contextlib.contextmanager
    def _gc_paused(self) -> Iterator[None]:
        """Pause the cyclic garbage collector for a batch (``pause_gc``), restoring it after."""
        pause = self._pause_gc and gc.isenabled()
        if pause:
            gc.disable()
        try:
            yield
        finally:
            if pause:
                gc.enable()

    def _run_batch(
        self,
        records: Iterable[Any],
        build: Callable[[Any], Iterable[Touchpoint]],
        stop_on_error: bool,
        adapter: str | None,
        progress: Progress | None,
    ) -> IngestReport:
        now = self._now()
        accepted = duplicates = suppressed = 0
        channels: dict[str, int] = {}
        rejected: list[Rejection] = []
        stopped: OmnicontactError | None = None
        plugin_failure: PluginError | None = None
        numbered = enumerate(records)
        size = self._batch_size
        listening = self.plugins.implements("stage_changed")
        while True:
            # One transaction per chunk: committed (and on disk) before it is reported.
            changes: list[tuple[Change, str]] = []
            chunk_rejected: list[Rejection] = []
            added: list[str] = []
            chunk = list(itertools.islice(numbered, size))
            taken = len(chunk)
            if not taken:
                break  # nothing left (the last chunk was full): no empty transaction
            with self._writing():
                built = self._build_chunk(chunk, build)
                with self._deferred() as net:
                    try:
                        for index, record, touchpoint in built:
                            try:
                                if isinstance(touchpoint, OmnicontactError):
                                    raise touchpoint
                                position, duplicate, change = self._add(touchpoint, now)
                            except SuppressedError:
                                if stop_on_error:
                                    raise
                                suppressed += 1  # an erased person's: counted, never kept
                                continue
                            except (InvalidTouchpointError, ConflictError, PluginError) as err:
                                if stop_on_error:
                                    raise
                                chunk_rejected.append(_rejection(index, record, err, adapter))
                                continue
                            if duplicate:
                                duplicates += 1
                            else:
                                accepted += 1
                                if listening:
                                    added.append(touchpoint.id)
                                channel = touchpoint.channel
                                channels[channel] = channels.get(channel, 0) + 1
                            if change:
                                changes.append((change, self._store.at(position).id))
                    except (
                        InvalidTouchpointError,
                        ConflictError,
                        PluginError,
                        SuppressedError,
                    ) as err:
                        stopped = err  # on_error="raise": keep what was done, then raise
                changes.extend((change, "batch") for change in net)
                for rejection in chunk_rejected:
                    self._store.add_rejection(rejection)
                for change, cause in changes:
                    self._log(change, cause)
            # Notifications once the chunk is committed, so plug-ins read consistent contacts.
            for rejection in chunk_rejected:
                error = self._notify_safely("touchpoint_rejected", rejection=rejection)
                plugin_failure = plugin_failure or error
            for change, _ in changes:
                try:
                    self._announce(change)
                except PluginError as err:
                    plugin_failure = plugin_failure or err
            if added:
                try:
                    self._announce_stages(added)
                except PluginError as err:
                    plugin_failure = plugin_failure or err
            rejected.extend(chunk_rejected)
            if progress is not None:
                progress(
                    IngestReport(accepted, duplicates, tuple(rejected), dict(channels), suppressed)
                )
            if stopped is not None or taken < size:
                break
        if stopped is not None:
            raise stopped
        report = IngestReport(accepted, duplicates, tuple(rejected), channels, suppressed)
        if plugin_failure is not None:
            plugin_failure.report = report
            raise plugin_failure
        return report

    def _build_chunk(
        self, chunk: list[tuple[int, Any]], build: Callable[[Any], Iterable[Touchpoint]]
    ) -> list[tuple[int, Any, Touchpoint | OmnicontactError]]:
        """Build a chunk's touchpoints (or keep why not), and look their ids up at once."""
        built: list[tuple[int, Any, Touchpoint | OmnicontactError]] = []
        for index, record in chunk:
            try:
                touchpoints = list(build(record))
                if not touchpoints:
                    raise InvalidTouchpointError("payload", "holds no touchpoint")
            except (InvalidTouchpointError, PluginError) as err:
                built.append((index, record, err))
                continue
            built.extend((index, record, touchpoint) for touchpoint in touchpoints)
        self._store.look_up([t.id for _, _, t in built if isinstance(t, Touchpoint)])
        return built

