"""A hub's lifecycle and scores: each contact's tracks and scores, derived from its touchpoints.

Nothing here is stored: a contact's stage history on each track and its
scores are pure functions of its touchpoints (and traits) as of a time, so
they are recomputed from the touchpoints whenever they are asked for. That is
what keeps them right after merges and splits, whatever order the touchpoints
arrived in: the merged contact's history is the history of the union, and
each side of a split gets its own back.

A stage rule or a scoring strategy that raises is isolated: the explicit
calls (:meth:`Lifecycle.history`, :meth:`Lifecycle.score`) raise
:class:`~omnicontact.PluginError` naming the plug-in; the contact's
properties (``contact.stages``, ``contact.scores``) keep the last value
computed for that contact instead, and the failure is logged and kept in
:attr:`Lifecycle.failures`.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from omnicontact.errors import ConfigurationError, OmnicontactError, PluginError
from omnicontact.lifecycle.base import StageHistory
from omnicontact.lifecycle.history import StageModel
from omnicontact.lifecycle.models import DEFAULT_MODEL
from omnicontact.scoring.base import Score, ScoringStrategy, Subject, check_as_of, subject_as_of

if TYPE_CHECKING:
    from omnicontact.model import Contact

__all__ = ["Lifecycle"]

logger = logging.getLogger("omnicontact.lifecycle")

_LAST_GOOD = 10_000
"""How many (contact, track or score) last good values are kept for failures."""


class Lifecycle:
    """The stage models (tracks) and scoring strategies of one hub, and their evaluation.

    Built by the hub from the ``register_stage_models`` and
    ``register_scoring_strategies`` hooks; ``hub.lifecycle`` is this object.

    :ivar models: track name to :class:`~omnicontact.StageModel`.
    :ivar strategies: score name to :class:`~omnicontact.ScoringStrategy`.
    :ivar default_track: the track ``contact.stage`` and ``contact.stage_history`` read.
    :ivar failures: the latest :class:`~omnicontact.PluginError` s raised by a
        stage rule or a strategy while computing a contact's properties (at
        most 100, oldest first).
    """

    def __init__(
        self,
        *,
        models: Sequence[tuple[str, StageModel]],
        strategies: Sequence[tuple[str, ScoringStrategy]],
        default_track: str | None,
        population: Callable[[], Iterable[Contact]],
        version: Callable[[], object],
    ) -> None:
        self.models: Mapping[str, StageModel] = {m.name: m for _, m in models}
        self.strategies: Mapping[str, ScoringStrategy] = {s.name: s for _, s in strategies}
        self._owners = {("model", m.name): plugin for plugin, m in models}
        self._owners.update({("score", s.name): plugin for plugin, s in strategies})
        if default_track == DEFAULT_MODEL and default_track not in self.models:
            default_track = None  # the built-in models are blocked: no default track
        if default_track is not None and default_track not in self.models:
            raise ConfigurationError(f"default_track: no stage model is named {default_track!r}")
        self.default_track = default_track
        self._population = population
        self._version = version
        self.failures: deque[PluginError] = deque(maxlen=100)
        self._last_good: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
        self._prepared: dict[tuple[str, object, date], tuple[datetime, object]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ stages

    def history(self, contact: Contact, track: str, as_of: datetime) -> StageHistory:
        """Return the contact's stage history on *track* as of *as_of*.

        :raises ConfigurationError: when no stage model is named *track*.
        :raises PluginError: naming the plug-in whose rule raised.
        :raises InvalidTimestampError: when *as_of* is naive.
        """
        check_as_of(as_of)
        model = self.models.get(track)
        if model is None:
            raise ConfigurationError(f"no stage model (track) is named {track!r}")
        try:
            found = model.history(contact.timeline, as_of, score_at=self._score_at(contact))
        except OmnicontactError:
            raise
        except Exception as err:
            raise self._failure("model", track, "register_stage_models", err) from err
        self._keep(("model", track, contact.contact_id), found)
        return found

    def histories(self, contact: Contact, as_of: datetime) -> dict[str, StageHistory]:
        """Return the contact's history on every track; never raises for a failing rule.

        A track whose rule raised gives the last history computed for this
        contact (or is left out); the failure is logged and kept in :attr:`failures`.
        """
        out: dict[str, StageHistory] = {}
        for track in self.models:
            try:
                out[track] = self.history(contact, track, as_of)
            except PluginError as err:
                self._note(err)
                kept = self._kept(("model", track, contact.contact_id))
                if kept is not None:
                    out[track] = kept
        return out

    def _score_at(self, contact: Contact) -> Callable[[str, datetime], float | None]:
        """Return ``score_at(name, when)`` over this contact's touchpoints, for score rules.

        Only population-free strategies can drive stages (a population score
        as of every touchpoint's time would need the whole population each
        time); for the others, and for unknown names, it returns ``None``.
        """
        memo: dict[tuple[str, datetime], float | None] = {}

        def score_at(name: str, when: datetime) -> float | None:
            key = (name, when)
            if key in memo:
                return memo[key]
            strategy = self.strategies.get(name)
            value: float | None = None
            if strategy is not None and not strategy.needs_population:
                subject = self.subject(contact, when)
                value = self._strategy_score(strategy, subject, when, None).value
            memo[key] = value
            return value

        return score_at

    # ------------------------------------------------------------------ scores

    def subject(self, contact: Contact, as_of: datetime) -> Subject:
        """Return what a strategy sees of *contact* as of *as_of*.

        The contact's traits (after the hub's survivorship) when *as_of* is at
        or after its last touchpoint; before that, each trait's latest value
        up to *as_of*.
        """
        traits = contact.traits if as_of >= contact.last_seen else None
        return subject_as_of(contact.contact_id, contact.timeline, as_of, traits)

    def score(self, contact: Contact, name: str, as_of: datetime) -> Score:
        """Return one score of the contact as of *as_of*.

        :raises ConfigurationError: when no strategy is named *name*.
        :raises PluginError: naming the plug-in whose strategy raised.
        :raises InvalidTimestampError: when *as_of* is naive.
        """
        check_as_of(as_of)
        strategy = self.strategies.get(name)
        if strategy is None:
            raise ConfigurationError(f"no scoring strategy is named {name!r}")
        prepared = self.prepared(strategy, as_of)
        found = self._strategy_score(strategy, self.subject(contact, as_of), as_of, prepared)
        self._keep(("score", name, contact.contact_id), found)
        return found

    def scores(self, contact: Contact, as_of: datetime) -> dict[str, Score]:
        """Return every score of the contact; never raises for a failing strategy.

        A strategy that raised gives the last score computed for this contact
        (or is left out); the failure is logged and kept in :attr:`failures`.
        """
        out: dict[str, Score] = {}
        for name in self.strategies:
            try:
                out[name] = self.score(contact, name, as_of)
            except PluginError as err:
                self._note(err)
                kept = self._kept(("score", name, contact.contact_id))
                if kept is not None:
                    out[name] = kept
        return out

    def score_contacts(
        self, contacts: Iterable[Contact], as_of: datetime, names: Sequence[str] | None = None
    ) -> Iterable[tuple[str, dict[str, Score]]]:
        """Yield ``(contact id, {name: score})`` for many contacts, each strategy prepared once.

        :raises ConfigurationError: naming an unknown strategy.
        :raises PluginError: naming the plug-in whose strategy raised.
        """
        check_as_of(as_of)
        wanted = list(self.strategies) if names is None else list(names)
        for name in wanted:
            if name not in self.strategies:
                raise ConfigurationError(f"no scoring strategy is named {name!r}")
        strategies = [self.strategies[name] for name in wanted]
        ready = [self.prepared(strategy, as_of) for strategy in strategies]
        for contact in contacts:
            subject = self.subject(contact, as_of)
            yield (
                contact.contact_id,
                {
                    s.name: self._strategy_score(s, subject, as_of, r)
                    for s, r in zip(strategies, ready, strict=True)
                },
            )

    def prepared(self, strategy: ScoringStrategy, as_of: datetime) -> object | None:
        """Return what *strategy* computed over the population, for scores as of *as_of*.

        Population strategies (RFM) are prepared over every contact of the
        hub as of *as_of*, and the result is kept while the hub's data does
        not change, for that exact time. For the same data and the same UTC
        day, a later time reuses it when it is asked for as "now" (see
        ``contact.scores``): the population's cut points move by the day, not
        by the second.
        """
        if not strategy.needs_population:
            return None
        version = self._version()
        key = (strategy.name, version, as_of.astimezone(timezone.utc).date())
        with self._lock:
            found = self._prepared.get(key)
        if found is not None:
            return found[1]
        subjects = (self.subject(contact, as_of) for contact in self._population())
        try:
            ready = strategy.prepare(subjects, as_of)
        except OmnicontactError:
            raise
        except Exception as err:
            raise self._failure("score", strategy.name, "register_scoring_strategies", err) from err
        with self._lock:
            self._prepared = {k: v for k, v in self._prepared.items() if k[1] == version}
            self._prepared[key] = (as_of, ready)
        return ready

    def _strategy_score(
        self, strategy: ScoringStrategy, subject: Subject, as_of: datetime, prepared: object
    ) -> Score:
        try:
            found = strategy.score(subject, as_of, prepared)
        except OmnicontactError:
            raise
        except Exception as err:
            raise self._failure("score", strategy.name, "register_scoring_strategies", err) from err
        if not isinstance(found, Score):
            raise PluginError(
                self._owners.get(("score", strategy.name), "?"),
                "register_scoring_strategies",
                f"strategy {strategy.name!r} returned a {type(found).__name__}, not a Score",
            )
        return found

    # ------------------------------------------------------------------ failures

    def _failure(self, what: str, name: str, hook: str, err: Exception) -> PluginError:
        """Return a PluginError naming the plug-in; its message names the exception type only."""
        label = "stage model" if what == "model" else "strategy"
        plugin = self._owners.get((what, name), "?")
        return PluginError(plugin, hook, f"{label} {name!r} raised {type(err).__name__}")

    def _note(self, err: PluginError) -> None:
        self.failures.append(err)
        logger.warning("%s; the contact keeps its previous value", err)

    def _keep(self, key: tuple[str, str, str], value: Any) -> None:
        with self._lock:
            self._last_good[key] = value
            self._last_good.move_to_end(key)
            while len(self._last_good) > _LAST_GOOD:
                self._last_good.popitem(last=False)

    def _kept(self, key: tuple[str, str, str]) -> Any:
        with self._lock:
            return self._last_good.get(key)

    def forget(self) -> None:
        """Drop every value kept for failures and every prepared population (after an erasure)."""
        with self._lock:
            self._last_good.clear()
            self._prepared.clear()

    def __repr__(self) -> str:
        return (
            f"Lifecycle(tracks={sorted(self.models)!r}, scores={sorted(self.strategies)!r}, "
            f"default_track={self.default_track!r})"
        )
