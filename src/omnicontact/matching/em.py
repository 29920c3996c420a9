"""Unsupervised estimation of Fellegi-Sunter parameters, Splink-style.

The rule being fitted reduces every compared pair to a *comparison vector*: a
tuple holding one level code per field, where code ``0`` is the null level,
codes ``1..n`` are the field's *parametric* levels (those with an ``m`` and a
``u`` probability) and higher codes are levels of fixed weight 0 (correlated
evidence). Only parametric levels take part in estimation.

- :func:`random_pairs` and :func:`estimate_u`: ``u`` from random pairs, which
  are nearly all non-matches;
- :func:`candidate_pairs`: the pairs that share a blocking key, enumerated or
  sampled (with weights that undo the sampling bias);
- :func:`expectation_maximisation`: ``m`` and the share of matches among
  candidate pairs, ``u`` held fixed;
- :func:`correct_u`: takes the matches out of the random-pair estimate of ``u``;
- :func:`tf_tables`: term frequencies of values;
- :func:`fit_parameters`: all of it, one EM session per blocking-key tag.

Everything is deterministic for a given input and :class:`random.Random`.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import combinations

__all__ = [
    "Patterns",
    "Table",
    "candidate_pairs",
    "correct_u",
    "estimate_u",
    "expectation_maximisation",
    "fit_parameters",
    "random_pairs",
    "tf_tables",
]

Table = list[list[float]]
"""Probabilities per field (outer) and parametric level (inner, level code - 1)."""

Patterns = dict[tuple[int, ...], float]
"""Comparison vectors with their (weighted) number of pairs."""

_FLOOR = 1e-6
_CEILING = 1.0 - 1e-6


def _clamp(value: float, low: float = _FLOOR, high: float = _CEILING) -> float:
    return min(max(value, low), high)


def random_pairs(n: int, *, max_pairs: int, rng: random.Random) -> list[tuple[int, int]]:
    """Return pairs ``(i, j)``, ``i < j < n``: all of them, or *max_pairs* drawn at random."""
    if n < 2:
        return []
    if n * (n - 1) // 2 <= max_pairs:
        return list(combinations(range(n), 2))
    out = []
    for _ in range(max_pairs):
        i = rng.randrange(n)
        j = rng.randrange(n - 1)
        j += j >= i
        out.append((i, j) if i < j else (j, i))
    return out


def candidate_pairs(
    keys: Sequence[frozenset[str]], *, max_pairs: int, rng: random.Random
) -> tuple[list[tuple[int, int]], list[float], float]:
    """Return the pairs of records that share a blocking key.

    :param keys: each record's blocking keys.
    :returns: ``(pairs, weights, distinct)``. When the blocks hold at most
        *max_pairs* pairs, every distinct pair once with weight 1. Otherwise
        *max_pairs* draws of a block (in proportion to its pairs) and a pair in
        it; a pair sharing ``k`` keys is drawn ``k`` times as often, so it
        weighs ``1/k``. *distinct* is the (estimated) number of distinct pairs.
    """
    index: dict[str, list[int]] = {}
    for i, record_keys in enumerate(keys):
        for key in sorted(record_keys):
            index.setdefault(key, []).append(i)
    blocks = [index[key] for key in sorted(index) if len(index[key]) > 1]
    total = sum(len(b) * (len(b) - 1) // 2 for b in blocks)
    if total <= max_pairs:
        distinct = sorted({pair for block in blocks for pair in combinations(block, 2)})
        return distinct, [1.0] * len(distinct), float(len(distinct))
    cumulative = []
    running = 0
    for block in blocks:
        running += len(block) * (len(block) - 1) // 2
        cumulative.append(running)
    pairs, weights = [], []
    for _ in range(max_pairs):
        block = blocks[bisect.bisect_right(cumulative, rng.randrange(total))]
        i = rng.randrange(len(block))
        j = rng.randrange(len(block) - 1)
        j += j >= i
        a, b = sorted((block[i], block[j]))
        pairs.append((a, b))
        weights.append(1.0 / max(1, len(keys[a] & keys[b])))
    return pairs, weights, total * sum(weights) / len(weights)


def _counts(patterns: Mapping[tuple[int, ...], float], sizes: Sequence[int]) -> Table:
    counts = [[0.0] * size for size in sizes]
    for vector, weight in patterns.items():
        for k, level in enumerate(vector):
            if 0 < level <= sizes[k]:
                counts[k][level - 1] += weight
    return counts


def estimate_u(vectors: Iterable[tuple[int, ...]], prior: Table) -> tuple[Table, Table]:
    """Return ``u`` from the comparison vectors of random pairs, and the pairs per level.

    ``u`` of a level is its share among the pairs where the field is not null.
    A level never seen keeps its *prior* (the sample says nothing of it).
    """
    counts = _counts(Counter(vectors), [len(levels) for levels in prior])
    u: Table = []
    for k, field_counts in enumerate(counts):
        total = sum(field_counts)
        u.append([_clamp(c / total) if c > 0 else prior[k][i] for i, c in enumerate(field_counts)])
    return u, counts


def correct_u(raw: Table, m: Table, share: float, counts: Table) -> Table:
    """Return ``u`` with the matches among random pairs taken out.

    Among random pairs a level is seen with probability ``λm + (1 - λ)u``, so
    ``u = (raw - λm) / (1 - λ)``, kept at least ``1/n`` (``n``: the field's
    pairs compared). Levels never seen (*counts* 0) keep *raw*.
    """
    out: Table = []
    for k, levels in enumerate(raw):
        total = sum(counts[k])
        out.append(
            [
                _clamp(max((r - share * m[k][i]) / (1.0 - share), 1.0 / total))
                if counts[k][i] > 0
                else r
                for i, r in enumerate(levels)
            ]
        )
    return out


def expectation_maximisation(
    patterns: Mapping[tuple[int, ...], float],
    *,
    m: Table,
    u: Table,
    share: float,
    max_iterations: int,
    tolerance: float,
    fixed_m: bool = False,
) -> tuple[Table, float, Table]:
    """Return ``m``, the share of matches among the pairs, and the matches seen per level.

    Expectation maximisation with ``u`` fixed (and ``m`` too if *fixed_m*),
    from *m* and *share*. Each M-step adds one pseudo-pair spread as the
    starting *m*, so an unseen level keeps a small probability. Stops when no
    probability moves by more than *tolerance*, or after *max_iterations*.
    The last value is, per level, the expected number of matching pairs that
    reached it: how much its ``m`` rests on.
    """
    sizes = [len(levels) for levels in m]
    prior = [[p / sum(levels) for p in levels] for levels in m]
    items = [
        ([(k, level - 1) for k, level in enumerate(vector) if 0 < level <= sizes[k]], weight)
        for vector, weight in patterns.items()
    ]
    items = [(entries, weight) for entries, weight in items if entries]
    total = sum(weight for _, weight in items)
    m = [list(levels) for levels in m]
    numerators = [[0.0] * size for size in sizes]
    if total <= 0:
        return m, share, numerators
    for _ in range(max_iterations):
        numerators = [[0.0] * size for size in sizes]
        matched = 0.0
        for entries, weight in items:
            like_m, like_u = share, 1.0 - share
            for k, i in entries:
                like_m *= m[k][i]
                like_u *= u[k][i]
            posterior = weight * like_m / (like_m + like_u)
            matched += posterior
            for k, i in entries:
                numerators[k][i] += posterior
        new_m = m
        if not fixed_m:
            new_m = [
                [_clamp((c + prior[k][i]) / (sum(field) + 1.0)) for i, c in enumerate(field)]
                for k, field in enumerate(numerators)
            ]
        new_share = _clamp(matched / total)
        moved = max(
            abs(new_share - share),
            max(
                abs(a - b)
                for old, new in zip(m, new_m, strict=True)
                for a, b in zip(old, new, strict=True)
            ),
        )
        m, share = new_m, new_share
        if moved < tolerance:
            break
    return m, share, numerators


def fit_parameters(
    n: int,
    levels: Callable[[int, int], tuple[int, ...]],
    keys: Sequence[frozenset[str]],
    sessions: Mapping[str, frozenset[int]],
    *,
    m: Table,
    u: Table,
    max_pairs: int,
    rng: random.Random,
    max_iterations: int,
    tolerance: float,
) -> tuple[Table, Table, float]:
    """Return ``m``, ``u`` and ``λ`` estimated from *n* records, Splink-style.

    :param levels: the comparison vector of records ``i`` and ``j``.
    :param keys: each record's blocking keys, ``tag:value``.
    :param sessions: per key tag, the fields (indexes) the tag is made of.
    :param m: the starting ``m``; *u*: the prior ``u`` (for unseen levels).

    ``u`` comes from random pairs. ``m`` comes from one EM per key tag over
    the pairs sharing such a key, with the tag's own fields left out (they
    agree by construction, also for non-matches); each field's ``m`` is the
    average over the tags that estimate it, weighted by the matches it rests
    on; a level reached by less than one expected match keeps its starting
    ``m`` (nothing says otherwise). ``λ`` is the share of matches among all
    candidate pairs (EM with ``m`` fixed) times their number, over all pairs
    (0 when no pair shares a key). Then ``u`` is cleared of the matches among
    the random pairs and everything runs once more.
    """
    cache: dict[tuple[int, int], tuple[int, ...]] = {}

    def vector(i: int, j: int) -> tuple[int, ...]:
        found = cache.get((i, j))
        if found is None:
            found = cache[i, j] = levels(i, j)
        return found

    raw_u, counts = estimate_u(
        (levels(i, j) for i, j in random_pairs(n, max_pairs=max_pairs, rng=rng)), u
    )
    blocks = []
    for tag in sorted(sessions):
        prefix = tag + ":"
        tag_keys = [frozenset(k for k in ks if k.startswith(prefix)) for ks in keys]
        pairs, weights, distinct = candidate_pairs(tag_keys, max_pairs=max_pairs, rng=rng)
        patterns: Patterns = {}
        for (i, j), weight in zip(pairs, weights, strict=True):
            masked = tuple(0 if k in sessions[tag] else v for k, v in enumerate(vector(i, j)))
            patterns[masked] = patterns.get(masked, 0.0) + weight
        if patterns:
            blocks.append((patterns, distinct / sum(weights)))
    pairs, weights, distinct = candidate_pairs(keys, max_pairs=max_pairs, rng=rng)
    everything: Patterns = {}
    for (i, j), weight in zip(pairs, weights, strict=True):
        everything[vector(i, j)] = everything.get(vector(i, j), 0.0) + weight
    all_pairs = n * (n - 1) / 2
    u, lam = raw_u, 0.0
    for _ in range(2):
        estimates = []
        for patterns, scale in blocks:
            m_t, _, seen = expectation_maximisation(
                patterns, m=m, u=u, share=0.1, max_iterations=max_iterations, tolerance=tolerance
            )
            estimates.append((m_t, [[c * scale for c in field] for field in seen]))
        m = [
            _average([(m_t[k], seen[k]) for m_t, seen in estimates], fallback=m[k])
            for k in range(len(m))
        ]
        _, share, _ = expectation_maximisation(
            everything,
            m=m,
            u=u,
            share=0.1,
            max_iterations=max_iterations,
            tolerance=tolerance,
            fixed_m=True,
        )
        lam = share * distinct / all_pairs if all_pairs else 0.0
        u = correct_u(raw_u, m, lam, counts)
    return m, u, lam


def _average(
    estimates: Sequence[tuple[list[float], list[float]]], fallback: list[float]
) -> list[float]:
    """Average per level the estimates ``(m, matches per level)`` of one field."""
    weights = [sum(seen) for _, seen in estimates]
    total = sum(weights)
    out = []
    for i, start in enumerate(fallback):
        if total <= 0 or sum(seen[i] for _, seen in estimates) < 1.0:
            out.append(start)
        else:
            out.append(
                _clamp(sum(m[i] * w for (m, _), w in zip(estimates, weights, strict=True)) / total)
            )
    return out


def tf_tables(
    values: Mapping[str, Iterable[str]], value_filter: Callable[[str], bool] = bool
) -> dict[str, dict[str, float]]:
    """Return, per field, each value's share among the records that have one.

    Values for which *value_filter* is false (by default, empty ones) are left out.
    """
    tables = {}
    for field, field_values in values.items():
        counts = Counter(v for v in field_values if value_filter(v))
        total = sum(counts.values())
        if total:
            tables[field] = {value: count / total for value, count in sorted(counts.items())}
    return tables
