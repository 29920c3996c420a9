"""The scoring protocol and its values: :class:`Subject`, :class:`Score`, :class:`Contribution`.

A scoring strategy is a pure function of one contact's touchpoints and traits
*as of* a time (and, for strategies that rank contacts against each other, of
the population as of that time). Nothing depends on the order the touchpoints
arrived in: a :class:`Subject` holds them sorted by ``(occurred_at, id)`` and
only those that happened at or before ``as_of``. After a merge the hub scores
the union of the touchpoints, after a split each side its own.

Every score carries its *breakdown*: the contributions it is made of, each
naming a touchpoint id, a trait name or the population, never a personal value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol, runtime_checkable

import attrs

from omnicontact._frozen import EMPTY, FrozenMap, freeze
from omnicontact.errors import ConfigurationError, InvalidTimestampError
from omnicontact.model import Touchpoint

__all__ = [
    "Contribution",
    "Score",
    "ScoringStrategy",
    "Subject",
    "check_as_of",
    "score_all",
    "subject_as_of",
]

_DAY = 86400.0
_MAX_AMOUNT = 1e12  # larger amounts are implausible: ignored, so sums stay finite


@attrs.frozen
class Contribution:
    """One line of a score's breakdown.

    :param source: where the points come from: ``"touchpoint:<touchpoint id>"``,
        ``"trait:<trait name>"``, ``"identifier:<kind>"`` or ``"population"``.
    :param reason: a short explanation in words and numbers, never a personal
        value (``"purchase, 12.0 days old, weight 0.76"``).
    :param points: what it adds to the score (for the additive strategies,
        the points of a breakdown add up to the score's value).
    """

    source: str
    reason: str
    points: float


Explain = Callable[..., "Iterable[Contribution]"]


def _breakdown(value: Iterable[Contribution] | Explain) -> tuple[Contribution, ...] | Explain:
    return value if callable(value) else tuple(value)


@attrs.frozen(repr=False)
class Score:
    """A named score of one contact as of a time, with its breakdown.

    Equality and hash use ``name``, ``value``, ``as_of`` and ``label``; the
    breakdown is what explains the value, not part of it.

    :param name: the strategy's name (``"behaviour"``, ``"rfm"``, …).
    :param value: the score, a finite number.
    :param as_of: the time it was computed for.
    :param breakdown: its contributions; may be given as a zero-argument
        callable, called once on first access (the built-in strategies compute
        it only when somebody asks, from the very values the score used).
    :param label: a short class of the value, if the strategy has one: an RFM
        cell (``"545"``), a grade (``"A"``), a risk band (``"high"``).
    """

    name: str
    value: float
    as_of: datetime
    _breakdown: tuple[Contribution, ...] | Explain = attrs.field(
        default=(), converter=_breakdown, eq=False, alias="breakdown"
    )
    label: str | None = None
    _args: tuple[Any, ...] | None = attrs.field(default=None, init=False, eq=False)

    @property
    def breakdown(self) -> tuple[Contribution, ...]:
        """The contributions the value is made of, in the order they were counted."""
        parts = self._breakdown
        if callable(parts):
            args = self._args
            parts = tuple(parts() if args is None else parts(*args))
            object.__setattr__(self, "_breakdown", parts)
            object.__setattr__(self, "_args", None)
        return parts

    @classmethod
    def _trusted(
        cls,
        name: str,
        value: float,
        as_of: datetime,
        label: str | None,
        explain: tuple[Contribution, ...] | Explain,
        args: tuple[Any, ...] | None = None,
    ) -> Score:
        """Build without the attrs machinery, for the strategies' hot path.

        The breakdown is ``explain(*args)``, computed on first access: a plain
        function and a tuple cost less than a closure (fewer objects for the
        garbage collector to track when a million scores are kept).
        """
        new = object.__new__(cls)
        setter = object.__setattr__
        setter(new, "name", name)
        setter(new, "value", value)
        setter(new, "as_of", as_of)
        setter(new, "label", label)
        setter(new, "_breakdown", explain)
        setter(new, "_args", args)
        return new

    def __repr__(self) -> str:
        return (
            f"Score(name={self.name!r}, value={self.value!r}, "
            f"as_of={self.as_of.isoformat()!r}, label={self.label!r})"
        )


def _traits(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if value is None:
        return EMPTY
    if isinstance(value, FrozenMap):
        return value
    frozen = freeze(dict(value), field="traits")
    assert isinstance(frozen, FrozenMap)
    return frozen


@attrs.frozen(repr=False)
class Subject:
    """What a strategy sees of one contact as of a time.

    Build it with :func:`subject_as_of`, which filters and sorts.

    :param contact_id: the contact's id.
    :param touchpoints: its touchpoints that happened at or before the time,
        sorted by ``(occurred_at, id)``.
    :param traits: its traits as of the time (trait name to value).
    """

    contact_id: str
    touchpoints: tuple[Touchpoint, ...]
    traits: Mapping[str, Any] = attrs.field(default=EMPTY, converter=_traits)

    @classmethod
    def _trusted(
        cls, contact_id: str, touchpoints: tuple[Touchpoint, ...], traits: Mapping[str, Any]
    ) -> Subject:
        new = object.__new__(cls)
        setter = object.__setattr__
        setter(new, "contact_id", contact_id)
        setter(new, "touchpoints", touchpoints)
        setter(new, "traits", traits)
        return new

    def __repr__(self) -> str:
        return (
            f"Subject(contact_id={self.contact_id!r}, touchpoints={len(self.touchpoints)}, "
            f"traits={sorted(self.traits)!r})"
        )


def check_as_of(as_of: object) -> datetime:
    """Return *as_of* if it is a timezone-aware datetime.

    :raises InvalidTimestampError: naming ``as_of``, when it is not a datetime
        or is naive.
    """
    if not isinstance(as_of, datetime):
        raise InvalidTimestampError("as_of", "must be a datetime")
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidTimestampError("as_of", "must be timezone-aware")
    return as_of


def _aware(tp: Touchpoint) -> Touchpoint:
    if tp.occurred_at.tzinfo is None:  # never in the hub's log; read as UTC
        return attrs.evolve(tp, occurred_at=tp.occurred_at.replace(tzinfo=timezone.utc))
    return tp


def _order(tp: Touchpoint) -> tuple[datetime, str]:
    return (tp.occurred_at, tp.id)


def subject_as_of(
    contact_id: str,
    touchpoints: Iterable[Touchpoint],
    as_of: datetime,
    traits: Mapping[str, Any] | None = None,
) -> Subject:
    """Return the :class:`Subject` of a contact as of *as_of*.

    Keeps the touchpoints that happened at or before *as_of*, sorted by
    ``(occurred_at, id)``, whatever order they come in. A naive
    ``occurred_at`` (never found in a hub's log) is read as UTC.

    :param traits: the contact's traits as of *as_of*. When ``None``, each
        trait takes its value from the most recent kept touchpoint that
        carries it (the hub's default survivorship).
    :raises InvalidTimestampError: if *as_of* is naive.
    """
    check_as_of(as_of)
    kept = []
    for tp in touchpoints:
        if tp.occurred_at.tzinfo is None:
            tp = _aware(tp)
        if tp.occurred_at <= as_of:
            kept.append(tp)
    previous: tuple[datetime, str] | None = None
    for tp in kept:  # usually sorted already (a contact's timeline): check, do not sort
        key = (tp.occurred_at, tp.id)
        if previous is not None and key < previous:
            kept.sort(key=_order)
            break
        previous = key
    if traits is None:
        merged: dict[str, Any] = {}
        for tp in kept:
            if tp.traits:
                merged.update(tp.traits)
        return Subject._trusted(contact_id, tuple(kept), FrozenMap._of_frozen(merged))
    return Subject(contact_id, tuple(kept), traits)


@runtime_checkable
class ScoringStrategy(Protocol):
    """Computes one named score of a contact as of a time.

    A strategy is a pure function of a :class:`Subject` (and, when
    ``needs_population`` is true, of what :meth:`prepare` computed over every
    contact as of the same time). :meth:`score` never raises on odd data
    (missing or non-numeric amounts, no touchpoints, touchpoints after
    ``as_of``): it ignores it, and says so in the breakdown when it matters.

    :ivar name: unique among the hub's strategies, a slug (``"behaviour"``).
    :ivar description: one line saying what the score measures.
    :ivar needs_population: whether :meth:`prepare` needs every contact's subject.
    """

    @property
    def name(self) -> str:
        """Unique among the hub's strategies, a slug (``"behaviour"``)."""
        ...

    @property
    def description(self) -> str:
        """One line saying what the score measures."""
        ...

    @property
    def needs_population(self) -> bool:
        """Whether :meth:`prepare` needs every contact's subject."""
        ...

    def prepare(self, subjects: Iterable[Subject], as_of: datetime) -> object | None:
        """Compute what the strategy needs from the population, once per *as_of*.

        Called with every contact's subject only when ``needs_population`` is
        true; otherwise with nothing, and returns ``None`` at once.
        """
        ...

    def score(self, subject: Subject, as_of: datetime, prepared: object | None) -> Score:
        """Return the score of *subject* as of *as_of*, given what :meth:`prepare` returned."""
        ...


def score_all(
    strategies: Sequence[ScoringStrategy], subjects: Sequence[Subject], as_of: datetime
) -> dict[str, dict[str, Score]]:
    """Score every subject with every strategy as of *as_of*.

    Each strategy is prepared once (over *subjects* when it needs the
    population).

    :returns: contact id to strategy name to :class:`Score`.
    :raises ConfigurationError: if two strategies share a name.
    :raises InvalidTimestampError: if *as_of* is naive.
    """
    check_as_of(as_of)
    names = [strategy.name for strategy in strategies]
    if len(set(names)) != len(names):
        raise ConfigurationError("scoring strategies: two strategies have the same name")
    prepared = [
        strategy.prepare(subjects if strategy.needs_population else (), as_of)
        for strategy in strategies
    ]
    out: dict[str, dict[str, Score]] = {}
    pairs = list(zip(strategies, prepared, strict=True))
    for subject in subjects:
        out[subject.contact_id] = {
            strategy.name: strategy.score(subject, as_of, ready) for strategy, ready in pairs
        }
    return out


# --------------------------------------------------------------------------
# helpers shared by the built-in strategies
# --------------------------------------------------------------------------


class _PopulationFree:
    """The ``prepare`` of strategies that look at one contact only."""

    needs_population = False

    def prepare(self, subjects: Iterable[Subject], as_of: datetime) -> None:
        """Return ``None``: nothing to compute over the population."""


def age_days(as_of: datetime, occurred_at: datetime) -> float:
    """Return how many days before *as_of* something happened (negative: after)."""
    return (as_of - occurred_at).total_seconds() / _DAY


def number(value: object) -> float | None:
    """Return *value* as a finite number of plausible size, or ``None``.

    Accepts ints, floats and numeric strings; booleans, NaN, infinities and
    magnitudes above 10^12 are not numbers here.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(result) or abs(result) > _MAX_AMOUNT:
        return None
    return result


def first_number(properties: Mapping[str, Any], keys: Sequence[str]) -> float | None:
    """Return the first of *keys* in *properties* that holds a number (see :func:`number`)."""
    for key in keys:
        if key in properties:
            found = number(properties[key])
            if found is not None:
                return found
    return None


def _positive(name: str) -> Any:
    def check(_instance: object, _attribute: object, value: float) -> None:
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ConfigurationError(f"{name}: must be a positive number of days")

    return check
