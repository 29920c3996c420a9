"""Attribution: sharing conversions (or their value) out over the channels that led to them.

Seven models, each exact (no sampling): ``first_touch``, ``last_touch``,
``linear``, ``time_decay``, ``position_based``, ``markov`` and ``shapley``.
:func:`attribute` applies one to journeys (:func:`~omnicontact.analytics.journeys.journeys`);
:func:`attribution` builds the journeys of a hub as of a date and returns one
column per model. Every model's credits add up to the number of conversions
(or, with ``weight="value"``, to their total value); Markov's are all zero
when nothing converted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from omnicontact.analytics.base import Table
from omnicontact.analytics.journeys import VALUE_PROPERTIES, Journey, ValueOf, journeys
from omnicontact.analytics.markov import markov_chain
from omnicontact.errors import AnalyticsError
from omnicontact.model import Contact

if TYPE_CHECKING:
    from omnicontact.hub import Hub

__all__ = ["ATTRIBUTION_MODELS", "attribute", "attribution"]

ATTRIBUTION_MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
)
"""The built-in attribution models, in the order :func:`attribution` shows them."""

_WEIGHTS = ("conversions", "value")
_LN2 = math.log(2.0)

Positions = tuple[float, float, float]
Shares = Callable[[Journey], Iterable[tuple[str, float]]]


def _check_model(model: object) -> str:
    if not isinstance(model, str) or model not in ATTRIBUTION_MODELS:
        raise AnalyticsError(
            f"model: unknown attribution model {model!r} (one of {', '.join(ATTRIBUTION_MODELS)})"
        )
    return model


def _check_half_life(half_life: object) -> float:
    if not isinstance(half_life, timedelta) or half_life <= timedelta(0):
        raise AnalyticsError("half_life: must be a positive timedelta")
    return half_life.total_seconds()


def _check_positions(positions: object) -> Positions:
    try:
        first, middle, last = (float(p) for p in positions)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise AnalyticsError("positions: must be three shares (first, middle, last)") from None
    shares = (first, middle, last)
    if not all(math.isfinite(p) and p >= 0 for p in shares) or abs(sum(shares) - 1) > 1e-9:
        raise AnalyticsError("positions: must be three shares >= 0 that sum to 1")
    return shares


def _check_weight(weight: object) -> str:
    if weight not in _WEIGHTS:
        raise AnalyticsError(f"weight: must be 'conversions' or 'value', not {weight!r}")
    assert isinstance(weight, str)
    return weight


# --------------------------------------------------------------------------
# the rule-based models: each journey's shares of its one conversion
# --------------------------------------------------------------------------


def _first(journey: Journey) -> Iterable[tuple[str, float]]:
    return ((journey.touches[0], 1.0),)


def _last(journey: Journey) -> Iterable[tuple[str, float]]:
    return ((journey.touches[-1], 1.0),)


def _linear(journey: Journey) -> Iterable[tuple[str, float]]:
    share = 1.0 / len(journey.touches)
    return ((touch, share) for touch in journey.touches)


def _shapley(journey: Journey) -> Iterable[tuple[str, float]]:
    distinct = set(journey.touches)
    share = 1.0 / len(distinct)
    return ((touch, share) for touch in distinct)


def _position_based(positions: Positions) -> Shares:
    first, middle, last = positions

    def shares(journey: Journey) -> Iterable[tuple[str, float]]:
        touches = journey.touches
        n = len(touches)
        if n == 1:
            return ((touches[0], 1.0),)
        if n == 2:
            return ((touches[0], first + middle / 2), (touches[1], last + middle / 2))
        each = middle / (n - 2)
        return (
            (touches[0], first),
            *((touch, each) for touch in touches[1:-1]),
            (touches[-1], last),
        )

    return shares


def _time_decay(half_life: float) -> Shares:
    rate = _LN2 / half_life

    def shares(journey: Journey) -> Iterable[tuple[str, float]]:
        times = journey.times
        if not times:
            raise AnalyticsError("time_decay: journeys need the times of their touches")
        latest = times[-1]  # the weights are relative: shift them so the largest is 1
        weights = [math.exp(-rate * (latest - t).total_seconds()) for t in times]
        whole = sum(weights)
        return ((touch, w / whole) for touch, w in zip(journey.touches, weights, strict=True))

    return shares


def _credits(
    converting: Sequence[Journey], channels: Iterable[str], shares: Shares, by_value: bool
) -> dict[str, float]:
    credit = dict.fromkeys(channels, 0.0)
    for journey in converting:
        worth = journey.value if by_value else 1.0
        if worth:
            for channel, share in shares(journey):
                credit[channel] += worth * share
    return credit


def attribute(
    journeys: Iterable[Journey],
    model: str,
    *,
    half_life: timedelta = timedelta(days=7),
    positions: Sequence[float] = (0.4, 0.2, 0.4),
    weight: str = "conversions",
) -> dict[str, float]:
    """Share the conversions of *journeys* out over their channels with one *model*.

    Each converting journey carries one conversion (``weight="conversions"``)
    or its value (``weight="value"``), shared out over its touches:

    - ``first_touch`` / ``last_touch``: all of it to the first / last touch.
    - ``linear``: ``1/n`` to each of the ``n`` touches (a channel touched
      twice gets ``2/n``).
    - ``time_decay``: touch ``i`` weighs ``2^(-Δtᵢ / half_life)``, ``Δtᵢ``
      the time from the touch to the conversion; shares are the weights
      normalized to sum to 1.
    - ``position_based``: *positions* ``(first, middle, last)``, 40/20/40 by
      default: the first and last touches get ``first`` and ``last``, the
      touches in between share ``middle`` equally; one touch gets everything;
      two touches get ``first + middle/2`` and ``last + middle/2`` (50/50).
    - ``markov``: conversions shared in proportion of each channel's removal
      effect in the chain learnt from **all** journeys, converting or not
      (:func:`~omnicontact.analytics.markov.markov_chain`); the transitions are
      counted per journey, whatever the weight.
    - ``shapley``: the exact Shapley value of the game where a coalition
      ``S`` of channels is worth the conversions whose journey's channel set
      is a subset of ``S`` (Zhao et al., 2018); it reduces to
      ``φ_c = Σ_{T ∋ c} R(T) / |T|``, ``R(T)`` the conversions whose set of
      channels is exactly ``T``: each conversion shared equally over its
      distinct channels.

    :returns: channel → credit, for every channel of *journeys* (0 when it got
        none), sorted by channel; the credits sum to the conversions (or their
        value). Empty when there are no journeys.
    :raises AnalyticsError: naming the argument: an unknown *model*, a
        *half_life* that is not positive, *positions* that do not sum to 1, an
        unknown *weight*, ``time_decay`` over journeys without times.
    """
    name = _check_model(model)
    seconds = _check_half_life(half_life)
    shares_of = _check_positions(positions)
    by_value = _check_weight(weight) == "value"
    items = tuple(journeys)
    return _attribute(items, name, seconds, shares_of, by_value)


def _attribute(
    items: Sequence[Journey], model: str, half_life: float, positions: Positions, by_value: bool
) -> dict[str, float]:
    channels = sorted({touch for journey in items for touch in journey.touches})
    converting = [journey for journey in items if journey.converted]
    if model == "markov":
        total = sum(j.value for j in converting) if by_value else float(len(converting))
        credit = dict.fromkeys(channels, 0.0)
        credit.update(markov_chain(items).credits(total))
        return credit
    rules: dict[str, Shares] = {
        "first_touch": _first,
        "last_touch": _last,
        "linear": _linear,
        "shapley": _shapley,
    }
    if model == "time_decay":
        shares = _time_decay(half_life)
    elif model == "position_based":
        shares = _position_based(positions)
    else:
        shares = rules[model]
    return _credits(converting, channels, shares, by_value)


def attribution(
    source: Hub | Iterable[Contact],
    *,
    as_of: datetime,
    models: Sequence[str] = ATTRIBUTION_MODELS,
    weight: str = "conversions",
    conversion: str | Iterable[str] = "purchase",
    lookback: timedelta | None = timedelta(days=30),
    channels: Iterable[str] | None = None,
    value: ValueOf = VALUE_PROPERTIES,
    half_life: timedelta = timedelta(days=7),
    positions: Sequence[float] = (0.4, 0.2, 0.4),
) -> Table:
    """Return the attribution of *source*'s conversions as of *as_of*, one column per model.

    The journeys are built once by :func:`~omnicontact.analytics.journeys.journeys`
    (*conversion*, *lookback*, *channels*, *value*), then each of *models* is
    applied by :func:`attribute` (*weight*, *half_life*, *positions*).

    :returns: a table named ``attribution`` (conversions) or
        ``attribution_value`` (value), columns ``channel`` then one per model,
        one row per channel touched, sorted by channel; no rows when there
        are no journeys.
    :raises AnalyticsError: naming the argument (see :func:`journeys` and
        :func:`attribute`); an empty *models*.
    """
    names = list(dict.fromkeys([models] if isinstance(models, str) else models))
    if not names:
        raise AnalyticsError("models: name at least one attribution model")
    for name in names:
        _check_model(name)
    seconds = _check_half_life(half_life)
    shares_of = _check_positions(positions)
    by_value = _check_weight(weight) == "value"
    items = journeys(
        source,
        as_of=as_of,
        conversion=conversion,
        lookback=lookback,
        channels=channels,
        value=value,
    )
    results = [_attribute(items, name, seconds, shares_of, by_value) for name in names]
    channel_names = sorted({touch for journey in items for touch in journey.touches})
    return Table(
        "attribution_value" if by_value else "attribution",
        ("channel", *names),
        [(channel, *(result[channel] for result in results)) for channel in channel_names],
    )
