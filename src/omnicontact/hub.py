"""The :class:`Hub`: the one entry point that wires store, plug-ins and pipeline."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Literal

import attrs
from dateutil import tz as dateutil_tz

from omnicontact.adapters.base import AdapterRegistry, ChannelAdapter
from omnicontact.batching import Batching
from omnicontact.errors import (
    AmbiguousIdentifierError,
    ConfigurationError,
    ConflictError,
    ContactNotFoundError,
    FutureTimestampWarning,
    InvalidTimestampError,
    InvalidTouchpointError,
    PluginError,
    PluginRegistrationError,
    TouchpointNotFoundError,
)
from omnicontact.ingest import Rejection
from omnicontact.lifecycle.engine import Lifecycle
from omnicontact.lifecycle.history import StageModel
from omnicontact.lifecycle.models import DEFAULT_MODEL
from omnicontact.limits import PayloadLimits
from omnicontact.matching.changes import Change
from omnicontact.matching.config import MatchingConfig
from omnicontact.matching.decisions import Decisions, record_of
from omnicontact.matching.guards import MergeGuard
from omnicontact.matching.journal import Journal
from omnicontact.matching.resolver import Resolver
from omnicontact.matching.rules import MatchingRule
from omnicontact.matching.survivorship import survive
from omnicontact.model import Contact, Identifier, Touchpoint
from omnicontact.normalize.kinds import KindRegistry, NormalizeContext, Strength
from omnicontact.normalize.normalizer import TouchpointNormalizer
from omnicontact.normalize.traits import normalize_country
from omnicontact.persistence import Persistence
from omnicontact.plugins import Plugins
from omnicontact.privacy import Privacy
from omnicontact.scoring.base import Score, ScoringStrategy
from omnicontact.store.base import Store
from omnicontact.store.memory import MemoryStore
from omnicontact.views import ContactView, ProjectionStore, ResolverView, StoredView

__all__ = ["FuturePolicy", "Hub", "HubStats", "Receipt"]

FuturePolicy = Literal["reject", "warn", "accept"]
"""What the hub does with a touchpoint that happened too far in the future."""


@attrs.frozen
class Receipt:
    """What :meth:`Hub.add` did with one touchpoint.

    :param touchpoint: the touchpoint as the log holds it (normalized).
    :param contact_id: the contact it belongs to now.
    :param duplicate: whether the log already held it (nothing changed).
    """

    touchpoint: Touchpoint
    contact_id: str
    duplicate: bool


@attrs.frozen
class HubStats:
    """Counts describing a hub, for monitoring."""

    touchpoints: int
    contacts: int
    quarantined: int
    cache_hits: int
    cache_misses: int


def _name_of(item: Any) -> str:
    name: str = item.name
    return name


def _zone(value: str | tzinfo) -> tzinfo:
    if isinstance(value, tzinfo):
        return value
    zone = dateutil_tz.UTC if value.upper() == "UTC" else dateutil_tz.gettz(value)
    if zone is None:
        raise ConfigurationError(f"default_timezone: unknown time zone {value!r}")
    return zone


class Hub(Persistence, Batching, Decisions, Privacy):
    """One unified view of every contact, fed with touchpoints.

    :param default_region: ISO 3166 alpha-2 region for national phone numbers
        when the touchpoint does not tell (no ``country`` trait or locale).
    :param default_timezone: zone for naive timestamps (an IANA name or a
        ``tzinfo``); UTC by default.
    :param dayfirst: read ambiguous free-form dates day first (``01/02`` is 1 February).
    :param casefold_email_local: case-fold the local part of e-mail addresses.
    :param future_timestamps: ``"reject"`` (default), ``"warn"`` or ``"accept"``
        a touchpoint that happened more than *max_future* after it was received.
    :param max_future: the clock skew tolerated before that policy applies.
    :param plugins: extra plug-in objects or modules to register.
    :param load_entry_points: load installed plug-ins (entry-point group
        ``omnicontact``); ``None`` means yes unless
        ``OMNICONTACT_DISABLE_PLUGIN_AUTOLOAD`` is set.
    :param allow_plugins: when given, only installed plug-ins with these names load.
    :param block_plugins: plug-in names never registered (built-ins included).
    :param clock: returns the current time (tz-aware); for tests and replays.
    :param cache_size: normalized identifiers kept in the cache.
    :param store: where the log lives; in memory by default (:meth:`open`
        gives a hub on an SQLite file).
    :param limits: size and shape limits on the payloads :meth:`ingest`
        reads (:class:`PayloadLimits` defaults otherwise).
    :param batch_size: touchpoints per transaction in :meth:`add_many` and
        :meth:`ingest`: on a persistent store each is one commit, so memory
        stays bounded and other writers get their turn.
    :param pause_gc: pause Python's cyclic garbage collector while a batch
        (:meth:`add_many`, :meth:`ingest`) runs, and restore it after. Bulk
        ingestion allocates millions of long-lived objects, which makes the
        collector re-scan the whole heap again and again (about a quarter of
        the ingestion time); the hub's own structures hold no reference cycles.
        Set ``False`` if other threads rely on prompt collection of cycles.
    :param matching: identity-resolution settings (limits, placeholders,
        thresholds, survivorship); :class:`MatchingConfig` defaults otherwise.
    :param default_track: the stage model ``contact.stage`` reads
        (``extended_crm``; none when the built-in models are blocked); every
        registered model runs as its own track.
    :raises ConfigurationError: for an unknown region, time zone or policy, or
        a matching setting that names an unknown identifier kind.
    :raises PluginRegistrationError: when a plug-in contributes something that
        is not a matching rule or guard, or two with one name.
    """

    def __init__(
        self,
        *,
        default_region: str | None = None,
        default_timezone: str | tzinfo = "UTC",
        dayfirst: bool = False,
        casefold_email_local: bool = True,
        future_timestamps: FuturePolicy = "reject",
        max_future: timedelta = timedelta(days=1),
        plugins: Iterable[object] = (),
        load_entry_points: bool | None = None,
        allow_plugins: Collection[str] | None = None,
        block_plugins: Collection[str] = (),
        clock: Callable[[], datetime] | None = None,
        cache_size: int = 100_000,
        store: Store | None = None,
        pause_gc: bool = True,
        matching: MatchingConfig | None = None,
        batch_size: int = 2000,
        limits: PayloadLimits | None = None,
        default_track: str | None = DEFAULT_MODEL,
    ) -> None:
        if default_region is not None:
            try:
                default_region = normalize_country(default_region, "default_region")
            except InvalidTouchpointError as err:
                raise ConfigurationError(str(err)) from None
        if future_timestamps not in ("reject", "warn", "accept"):
            raise ConfigurationError("future_timestamps: must be 'reject', 'warn' or 'accept'")
        if max_future < timedelta(0):
            raise ConfigurationError("max_future: must not be negative")
        if cache_size < 0:
            raise ConfigurationError("cache_size: must not be negative")
        if batch_size < 1:
            raise ConfigurationError("batch_size: must be at least 1")
        if limits is not None and not isinstance(limits, PayloadLimits):
            raise ConfigurationError("limits: must be a PayloadLimits")
        self.limits = limits or PayloadLimits()
        if store is not None and not isinstance(store, Store):
            raise ConfigurationError("store: does not implement the Store protocol")
        self.plugins = Plugins(
            plugins,
            load_entry_points=load_entry_points,
            allow=allow_plugins,
            block=block_plugins,
        )
        self.kinds = KindRegistry(
            self.plugins.collect("register_identifier_kinds"),
            builtin=self.plugins.builtin_names(),
        )
        context = NormalizeContext(
            region=default_region,
            timezone=_zone(default_timezone),
            dayfirst=dayfirst,
            casefold_email_local=casefold_email_local,
        )
        self._normalizer = TouchpointNormalizer(self.kinds, context, cache_size)
        self._future_policy = future_timestamps
        self._max_future = max_future
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._store: Store = store if store is not None else MemoryStore()
        self._strong: dict[str, bool] = {}
        self._pause_gc = pause_gc
        self._batch_size = batch_size
        self._cache_size = cache_size
        self._lock = threading.RLock()
        if matching is None:
            matching = MatchingConfig()
        elif not isinstance(matching, MatchingConfig):
            raise ConfigurationError("matching: must be a MatchingConfig")
        unknown = sorted(k for k in matching.kinds_named() if k not in self.kinds)
        if unknown:
            raise ConfigurationError(f"matching: unknown identifier kind(s) {', '.join(unknown)}")
        self.matching = matching
        self._guards = self._contributed("register_merge_guards", MergeGuard)
        self.adapters = self._collect_adapters()
        self.lifecycle = Lifecycle(
            models=self._replaceable("register_stage_models", StageModel),
            strategies=self._replaceable("register_scoring_strategies", ScoringStrategy),
            default_track=default_track,
            population=self.contacts,
            version=self._data_version,
        )
        self._base_rules = self._rules()
        self._resolver = self._new_resolver({})
        self._seen = self._seen_decisions = self._rules_version = 0
        self._warm = not len(self._store)
        self._view: ContactView
        store = self._store
        if isinstance(store, ProjectionStore):
            self._view = StoredView(store)
            if store.projected_through() != len(store):
                self.rebuild()  # written by a process that did not project: repair
        else:
            self._view = ResolverView(lambda: self._resolver, store)
            self._engine()

    def _new_resolver(self, saved: dict[str, dict[str, Any]]) -> Resolver:
        """Return an empty resolver, with the trained rules' parameters in *saved*."""
        rules = []
        for rule in self._base_rules:
            params = saved.get(rule.name)
            from_dict = getattr(type(rule), "from_dict", None)
            overridden = rule.name in self.matching.rule_overrides
            if params is not None and from_dict is not None and not overridden:
                rule = from_dict(params)
            rules.append(rule)
        resolver = Resolver(
            is_strong=self._is_strong,
            config=self.matching,
            guards=self._guards,
            rules=rules,
            cache_size=self._cache_size,
            derive=self._derived,
        )
        if isinstance(self._store, ProjectionStore):
            resolver.journal = Journal()  # notes what to write to the projections
        return resolver

    def _derived(self, identifier: Identifier) -> list[Identifier]:
        """Return the identifiers a normalized identifier implies (its hash, for e-mails)."""
        try:
            kind = self.kinds.get(identifier.kind)
        except LookupError:
            return []
        if kind.derive is None:
            return []
        return [Identifier(k, v) for k, v in kind.derive(identifier.value)]

    def _rules(self) -> list[MatchingRule]:
        rules = self._contributed("register_matching_rules", MatchingRule)
        names = {rule.name for rule in rules}
        disabled = self.matching.disabled_rules
        if "shared_identifier" in disabled:
            raise ConfigurationError(
                "disabled_rules: shared_identifier is the engine's own and cannot be disabled;"
                " block identifiers with blocked_values or blocked_patterns instead"
            )
        overrides = self.matching.rule_overrides
        for setting, wanted in (("disabled_rules", disabled), ("rule_overrides", set(overrides))):
            unknown = sorted(wanted - names)
            if unknown:
                raise ConfigurationError(f"{setting}: no matching rule named {unknown[0]!r}")
        for name, rule in overrides.items():
            if not isinstance(rule, MatchingRule) or _name_of(rule) != name:
                raise ConfigurationError(
                    f"rule_overrides: {name!r} must map to a MatchingRule named {name!r}"
                )
        return [overrides.get(r.name, r) for r in rules if r.name not in disabled]

    @property
    def rules(self) -> tuple[MatchingRule, ...]:
        """The matching rules in use (after :meth:`train_matching`, the fitted ones).

        The built-in ``shared_identifier`` rule is the engine's own and not listed.
        """
        with self._lock:
            if self._warm:
                return self._resolver.rules
            return self._new_resolver(self._store.saved_rules()[1]).rules

    def _contributed(self, hook: str, protocol: type) -> list[Any]:
        """Collect matching rules or guards, checking their type and unique names."""
        found: list[Any] = []
        names: set[str] = set()
        for plugin, item in self.plugins.collect(hook, config=self.matching):
            if not isinstance(item, protocol) or not isinstance(getattr(item, "name", None), str):
                raise PluginRegistrationError(
                    plugin, hook, f"returned a {type(item).__name__}, not a {protocol.__name__}"
                )
            name = _name_of(item)
            if name in names:
                raise PluginRegistrationError(plugin, hook, f"a second one is named {name!r}")
            names.add(name)
            found.append(item)
        return found

    def _replaceable(self, hook: str, protocol: type) -> list[tuple[str, Any]]:
        """Collect stage models or strategies: ``(plug-in, item)``, unique names.

        A third-party item with the name of a built-in one replaces it; two
        third-party items with one name are an error.
        """
        owners: dict[str, str] = {}
        found: dict[str, tuple[str, Any]] = {}
        for plugin, item in self.plugins.collect(hook):
            name = getattr(item, "name", None)
            if not isinstance(item, protocol) or not isinstance(name, str):
                raise PluginRegistrationError(
                    plugin, hook, f"returned a {type(item).__name__}, not a {protocol.__name__}"
                )
            owner = owners.get(name)
            if owner is not None and not self.plugins.is_builtin(owner):
                raise PluginRegistrationError(plugin, hook, f"a second one is named {name!r}")
            owners[name] = plugin
            found[name] = (plugin, item)
        return list(found.values())

    def _data_version(self) -> tuple[int, int]:
        """Return what changes when the contacts may: the log's and the decisions' lengths."""
        with self._lock:
            seen = self._seen_decisions
            return len(self._store), seen + len(self._store.decisions(seen))

    def _collect_adapters(self) -> AdapterRegistry:
        """Collect channel adapters; a third-party one may replace a built-in one."""
        hook = "register_channel_adapters"
        owners: dict[str, str] = {}
        found: list[tuple[str, ChannelAdapter]] = []
        for plugin, item in self.plugins.collect(hook):
            name = getattr(item, "name", None)
            if not isinstance(item, ChannelAdapter) or not isinstance(name, str):
                raise PluginRegistrationError(
                    plugin, hook, f"returned a {type(item).__name__}, not a ChannelAdapter"
                )
            owner = owners.get(name)
            if owner is not None and not self.plugins.is_builtin(owner):
                raise PluginRegistrationError(plugin, hook, f"a second adapter is named {name!r}")
            owners[name] = plugin
            found.append((plugin, item))
        return AdapterRegistry(found)

    def _is_strong(self, kind: str) -> bool:
        is_strong = self._strong.get(kind)
        if is_strong is None:
            is_strong = self._strong[kind] = self.kinds.strength(kind) is Strength.STRONG
        return is_strong

    # ------------------------------------------------------------------ writing

    def add(self, touchpoint: Touchpoint) -> Receipt:
        """Normalize *touchpoint*, append it to the log and resolve it to a contact.

        Idempotent by touchpoint id: the same id with the same content again
        changes nothing (``Receipt.duplicate``).

        :raises InvalidTouchpointError: (or a subclass) when it cannot be
            normalized; nothing is stored.
        :raises ConflictError: when its id is in the log with other content.
        :raises SuppressedError: when it belongs to a person whose data was
            erased (its id or an identifier is on the suppression list).
        :raises PluginError: when a notified plug-in raised; the touchpoint is stored.
        :raises StoreError: when the store failed; nothing is stored.
        """
        now = self._now()
        with self._writing() as resolver:
            position, duplicate, change = self._add(touchpoint, now)
            stored = self._store.at(position)
            receipt = Receipt(stored, resolver.contact_id_of(position), duplicate)
            self._log(change, stored.id)
        self._announce(change)
        if not duplicate:
            self._announce_stages([stored.id])
        return receipt

    def _add(self, touchpoint: Touchpoint, now: datetime) -> tuple[int, bool, Change | None]:
        """Normalize, store and resolve; return ``(log position, duplicate, change)``."""
        if not isinstance(touchpoint, Touchpoint):
            raise InvalidTouchpointError(
                "touchpoint", "must be a Touchpoint (use Hub.ingest for JSON mappings)"
            )
        normalized = self._normalizer.touchpoint(touchpoint, now)
        self._check_future(normalized)
        store = self._store
        existing = store.position_of(normalized.id)
        if existing is not None:
            stored = store.at(existing)
            if not stored.same_content(normalized):
                raise ConflictError(
                    "a touchpoint with this id is already in the log with other content"
                )
            return existing, True, None
        self._check_suppressed(normalized)  # an erased person's: never stored again
        # Resolve first: a matching rule that raises does so before anything
        # changes, and then nothing is stored either.
        position = len(store)
        change = self._resolver.add(
            position,
            (normalized.occurred_at, normalized.id),
            normalized.identifiers,
            record_of(normalized),
        )
        appended = store.append(normalized)
        assert appended == position
        self._seen = position + 1
        return position, False, change

    def _check_future(self, touchpoint: Touchpoint) -> None:
        if self._future_policy == "accept":
            return
        reference = touchpoint.received_at
        assert reference is not None
        if touchpoint.occurred_at - reference <= self._max_future:
            return
        hours = self._max_future.total_seconds() / 3600
        rule = f"is more than {hours:g} h after the touchpoint was received (max_future)"
        if self._future_policy == "reject":
            raise InvalidTimestampError("occurred_at", rule)
        warnings.warn(FutureTimestampWarning(f"occurred_at: {rule}"), stacklevel=4)

    def now(self) -> datetime:
        """Return the hub's clock (UTC): what "now" means for stages, scores and reports."""
        return self._now()

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ConfigurationError("clock: must return a timezone-aware datetime")
        return now.astimezone(timezone.utc)

    def _announce(self, change: Change | None) -> None:
        """Tell the plug-ins what merged and split (after the change is committed)."""
        if not change:
            return
        failure: PluginError | None = None
        # Call every notification, then keep the first failure (never short-circuit).
        for contact_id, merged_ids in change.merged:
            error = self._notify_safely(
                "contact_merged", contact_id=contact_id, merged_ids=merged_ids
            )
            failure = failure or error
        for contact_id, into_ids in change.split:
            error = self._notify_safely("contact_split", contact_id=contact_id, into_ids=into_ids)
            failure = failure or error
        if failure is not None:
            raise failure

    def _announce_stages(self, touchpoint_ids: Iterable[str]) -> None:
        """Call ``stage_changed`` for each change the new touchpoints caused.

        Nothing is computed when no plug-in implements the hook. A stage rule
        that raises is kept in ``lifecycle.failures`` (never stops ingestion);
        a failing listener is raised after every change was announced.
        """
        if not self.plugins.implements("stage_changed"):
            return
        by_contact: dict[str, set[str]] = {}
        for touchpoint_id in touchpoint_ids:
            contact = self.contact_of(touchpoint_id)
            by_contact.setdefault(contact.contact_id, set()).add(touchpoint_id)
        failure: PluginError | None = None
        for contact_id, caused in by_contact.items():
            contact = self.contact(contact_id)
            for track in self.lifecycle.models:
                try:
                    history = self.lifecycle.history(contact, track, self._now())
                except PluginError as err:
                    self.lifecycle._note(err)
                    continue
                for change in history.changes:
                    if change.touchpoint_id in caused:
                        error = self._notify_safely(
                            "stage_changed", contact_id=contact_id, change=change
                        )
                        failure = failure or error
        if failure is not None:
            raise failure

    def _notify_safely(self, hook: str, **kwargs: Any) -> PluginError | None:
        kwargs.setdefault("hub", self)
        try:
            self.plugins.notify(hook, **kwargs)
        except PluginError as err:
            return err
        return None

    # ------------------------------------------------------------------ reading

    def normalize(self, identifier: Identifier, *, region: str | None = None) -> Identifier:
        """Return *identifier* normalized under this hub's policies.

        :raises InvalidIdentifierError: when its kind rejects the value.
        """
        with self._lock:  # the normalizer's caches are shared with writers
            return self._normalizer.lookup(identifier, region)

    def contact(self, ref: Identifier | str, *, region: str | None = None) -> Contact:
        """Return the contact for an identifier (normalized first) or a contact id or alias.

        *region* reads a national phone number in that region instead of the
        hub's ``default_region``.

        :raises ContactNotFoundError: when no contact matches.
        :raises AmbiguousIdentifierError: when a weak identifier is on several contacts.
        :raises InvalidIdentifierError: when the identifier cannot be normalized.
        """
        found = self.find(ref, region=region)
        if found is None:
            what = "contact id" if isinstance(ref, str) else f"{ref.kind} identifier"
            raise ContactNotFoundError(f"no contact has this {what}")
        return found

    def find(self, ref: Identifier | str, *, region: str | None = None) -> Contact | None:
        """Like :meth:`contact`, but return ``None`` when nothing matches."""
        with self._lock:
            view = self._view
            if isinstance(ref, str):
                current = view.current_id(ref)
                return None if current is None else self._contact(current)
            if not isinstance(ref, Identifier):
                raise TypeError("ref must be an Identifier or a contact id")
            normalized = self.normalize(ref, region=region)
            linking = view.linking(normalized)
            if linking is not None:
                return self._contact(linking)
            matches = view.carrying(normalized)
            if len(matches) > 1:
                raise AmbiguousIdentifierError(
                    f"{normalized.kind} identifier is on {len(matches)} contacts;"
                    " use contacts_with()"
                )
            return self._contact(matches[0]) if matches else None

    def contacts_with(
        self, identifier: Identifier, *, region: str | None = None
    ) -> tuple[Contact, ...]:
        """Return every contact that carries *identifier* (normalized first), oldest first.

        Includes contacts where it links nothing (a placeholder, an identifier
        frozen as shared, or one a guard kept apart).
        """
        with self._lock:
            normalized = self.normalize(identifier, region=region)
            found = [self._contact(c) for c in self._view.carrying(normalized)]
        return tuple(sorted(found, key=lambda c: (c.first_seen, c.timeline[0].id)))

    def contact_of(self, touchpoint_id: str) -> Contact:
        """Return the contact the touchpoint with this id resolved to.

        :raises TouchpointNotFoundError: when no touchpoint has this id.
        """
        with self._lock:
            position = self._position(touchpoint_id)
            return self._contact(self._view.contact_id_of(position))

    def contacts(self) -> Iterator[Contact]:
        """Iterate every contact, oldest (by first touchpoint) first."""
        with self._lock:
            built = [self._contact(c) for c in self._view.contact_ids()]
        built.sort(key=lambda c: (c.first_seen, c.timeline[0].id))
        return iter(built)

    def scores(
        self, *, as_of: datetime | None = None, names: Iterable[str] | None = None
    ) -> dict[str, dict[str, Score]]:
        """Score every contact with every strategy (or those *names*) as of *as_of* (now).

        Each population strategy (RFM) is prepared once for all. For one
        contact, ``contact.scores`` gives the same.

        :returns: contact id to strategy name to :class:`~omnicontact.Score`.
        :raises ConfigurationError: naming an unknown strategy.
        :raises PluginError: naming the plug-in whose strategy raised.
        :raises InvalidTimestampError: when *as_of* is naive.
        """
        when = self._now() if as_of is None else as_of
        wanted = None if names is None else list(names)
        return dict(self.lifecycle.score_contacts(self.contacts(), when, wanted))

    def touchpoint(self, touchpoint_id: str) -> Touchpoint:
        """Return the touchpoint with this id as the log holds it (normalized).

        :raises TouchpointNotFoundError: when no touchpoint has this id.
        """
        return self._store.at(self._position(touchpoint_id))

    def _position(self, touchpoint_id: str) -> int:
        position = self._store.position_of(touchpoint_id)
        if position is None:
            raise TouchpointNotFoundError("no touchpoint with this id is in the log")
        return position

    def touchpoints(self) -> Iterator[Touchpoint]:
        """Iterate the log in arrival order."""
        return iter(self._store)

    def quarantine(self) -> tuple[Rejection, ...]:
        """Return the records rejected by batch ingestion, oldest first."""
        with self._lock:
            return self._store.rejections()

    def drain_quarantine(self) -> tuple[Rejection, ...]:
        """Return and forget the quarantined records (to fix and ingest again)."""
        with self._lock:
            return self._store.drain_rejections()

    def stats(self) -> HubStats:
        """Return counts of touchpoints, contacts, quarantine and cache use."""
        with self._lock:
            return HubStats(
                touchpoints=len(self._store),
                contacts=len(self._view),
                quarantined=self._store.count_rejections(),
                cache_hits=self._normalizer.hits,
                cache_misses=self._normalizer.misses,
            )

    def __repr__(self) -> str:
        with self._lock:
            return f"Hub(touchpoints={len(self._store)}, contacts={len(self._view)})"

    # ------------------------------------------------------------------ building

    def _contact(self, contact_id: str) -> Contact:
        """Build the current contact with this id (the view must know it)."""
        found = self._view.members(contact_id)
        assert found is not None, "the view names only current contacts"
        positions, identified = found
        timeline = sorted(self._store.at_many(positions), key=lambda tp: (tp.occurred_at, tp.id))
        identifiers: set[Identifier] = set()
        for tp in timeline:
            identifiers.update(tp.identifiers)
        blocked = self._resolver.blocked
        return Contact(
            contact_id=contact_id,
            identifiers={i for i in identifiers if blocked(i) is None},
            traits=survive(timeline, self.matching.survivorship),
            timeline=timeline,
            identified=identified,
            as_of=self._now(),
            lifecycle=self.lifecycle,
        )
