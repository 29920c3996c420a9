"""The Markov attribution model: removal effects in a first-order chain, solved exactly.

The chain's states are ``(start)``, one state per channel, and the two
absorbing states ``(conversion)`` and ``(null)``. Every journey is a walk
``(start) → touch₁ → … → touchₙ → (conversion)`` (or ``→ (null)`` when it
did not convert); the transition probabilities are the observed transition
counts, normalized per state. A repeated consecutive touch on one channel is
one visit: a self-loop never changes where a walk is absorbed.

The probability of conversion ``P`` is the absorption probability in
``(conversion)`` from ``(start)``. With ``Q`` the transitions between
transient states and ``r`` those into ``(conversion)``, the fundamental
matrix ``N = (I - Q)⁻¹`` gives every absorption probability ``B = N r``
(``P = B[start]``), and the probability of ever visiting channel ``c`` from
the start, ``h_c = N[start, c] / N[c, c]``. Removing ``c`` (sending its
incoming transitions to ``(null)``) loses exactly the walks that visit it,
so ``P_without_c = P - h_c · B[c]`` and the *removal effect* is
``RE_c = 1 - P_without_c / P = h_c · B[c] / P``. ``N`` is computed once by
Gauss-Jordan elimination with partial pivoting, in pure Python: ``O(k³)``
for ``k`` channels, no simulation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import attrs

from omnicontact._frozen import FrozenMap
from omnicontact.analytics.journeys import Journey
from omnicontact.errors import AnalyticsError

__all__ = ["CONVERSION", "NULL", "START", "MarkovChain", "markov_chain"]

START = "(start)"
"""The state every journey starts in."""
CONVERSION = "(conversion)"
"""The absorbing state of journeys that converted."""
NULL = "(null)"
"""The absorbing state of journeys that did not convert."""


@attrs.frozen
class MarkovChain:
    """A first-order Markov chain over channels, learnt from journeys.

    :param conversion_probability: ``P``, the probability that a walk from
        ``(start)`` ends in ``(conversion)`` (0 when nobody converted).
    :param removal_effects: channel → ``1 - P_without_c / P``, the share of conversions
        lost without it (all 0 when ``P`` is 0).
    :param transitions: state → (next state → probability), the chain itself.
    """

    conversion_probability: float
    removal_effects: FrozenMap
    transitions: FrozenMap

    def credits(self, total: float) -> dict[str, float]:
        """Share *total* over the channels in proportion of their removal effects.

        All zeros when nothing converted (no division by zero).
        """
        effects = self.removal_effects
        whole = sum(effects.values())
        if whole <= 0:
            return dict.fromkeys(effects, 0.0)
        return {channel: total * effect / whole for channel, effect in effects.items()}


def _counts(journeys: Iterable[Journey]) -> dict[str, Counter[str]]:
    """Return the transition counts: state → Counter of next states."""
    paths: Counter[tuple[tuple[str, ...], bool]] = Counter(
        (journey.touches, journey.converted) for journey in journeys
    )
    counts: dict[str, Counter[str]] = {}
    for (touches, converted), times in paths.items():
        previous = START
        for touch in touches:
            if touch != previous:
                found = counts.get(previous)
                if found is None:
                    found = counts[previous] = Counter()
                found[touch] += times
                previous = touch
        found = counts.get(previous)
        if found is None:
            found = counts[previous] = Counter()
        found[CONVERSION if converted else NULL] += times
    return counts


def markov_chain(journeys: Iterable[Journey]) -> MarkovChain:
    """Learn the chain from *journeys* (converting or not) and solve it exactly.

    :returns: the chain, its conversion probability and the removal effect of
        every channel touched; an empty chain when there are no journeys.
    """
    counts = _counts(journeys)
    channels = sorted({touch for nexts in counts.values() for touch in nexts} - {CONVERSION, NULL})
    transitions = FrozenMap(
        {
            state: FrozenMap({to: n / sum(nexts.values()) for to, n in sorted(nexts.items())})
            for state, nexts in sorted(counts.items())
        }
    )
    if not counts:
        return MarkovChain(0.0, FrozenMap(), transitions)
    states = [START, *channels]
    index = {state: i for i, state in enumerate(states)}
    size = len(states)
    matrix = [[0.0] * size for _ in range(size)]  # I - Q
    into = [0.0] * size  # r: one step into (conversion)
    for i in range(size):
        matrix[i][i] = 1.0
    for state, nexts in transitions.items():
        i = index[state]
        for to, probability in nexts.items():
            if to == CONVERSION:
                into[i] = probability
            elif to != NULL:
                matrix[i][index[to]] -= probability
    fundamental = _inverse(matrix)
    absorbed = [sum(n * r for n, r in zip(row, into, strict=True)) for row in fundamental]
    probability = min(1.0, max(0.0, absorbed[0]))
    effects: dict[str, float] = {}
    for channel in channels:
        c = index[channel]
        if probability <= 0:
            effects[channel] = 0.0
            continue
        reach = fundamental[0][c] / fundamental[c][c]
        effects[channel] = min(1.0, max(0.0, reach * absorbed[c] / probability))
    return MarkovChain(probability, FrozenMap(effects), transitions)


def _inverse(matrix: list[list[float]]) -> list[list[float]]:
    """Return the inverse of a square *matrix* (Gauss-Jordan, partial pivoting)."""
    size = len(matrix)
    rows = [row[:] + [1.0 if i == j else 0.0 for j in range(size)] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda i: abs(rows[i][col]))
        if abs(rows[pivot][col]) < 1e-300:
            raise AnalyticsError("markov: the chain is not absorbing")  # pragma: no cover
        rows[col], rows[pivot] = rows[pivot], rows[col]
        head = rows[col]
        scale = 1.0 / head[col]
        head[:] = [x * scale for x in head]
        for i in range(size):
            if i != col:
                row = rows[i]
                factor = row[col]
                if factor:
                    rows[i] = [x - factor * h for x, h in zip(row, head, strict=True)]
    return [row[size:] for row in rows]
