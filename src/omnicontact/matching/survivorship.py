"""Survivorship: which value of each trait a contact shows when its touchpoints disagree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from omnicontact.matching.config import SurvivorshipPolicy
from omnicontact.model import Touchpoint

__all__ = ["survive"]


def survive(timeline: Sequence[Touchpoint], policy: SurvivorshipPolicy) -> dict[str, Any]:
    """Return one value per trait from a contact's touchpoints, oldest first.

    The result depends only on the touchpoints, never on their arrival order:
    *timeline* is ordered by event time then id, and every tie goes to the
    later value in that order.
    """
    simple = policy.default == "most_recent" and not policy.per_trait
    traits: dict[str, Any] = {}
    if simple:
        for tp in timeline:
            traits.update(tp.traits)
        return traits
    seen: dict[str, list[tuple[int, Any, str | None]]] = {}
    for index, tp in enumerate(timeline):
        for name, value in tp.traits.items():
            seen.setdefault(name, []).append((index, value, tp.source))
    rank = {source: i for i, source in enumerate(policy.source_priority)}
    worst = len(rank)
    for name, values in seen.items():
        rule = policy.rule_for(name)
        if rule == "most_recent":
            traits[name] = values[-1][1]
        elif rule == "most_frequent":
            counts: dict[Any, int] = {}
            last: dict[Any, int] = {}
            for index, value, _ in values:
                key = _hashable(value)
                counts[key] = counts.get(key, 0) + 1
                last[key] = index
            best = max(counts, key=lambda k: (counts[k], last[k]))
            traits[name] = next(v for i, v, _ in values if i == last[best])
        else:  # source_priority
            best_item = min(values, key=lambda item: (rank.get(item[2] or "", worst), -item[0]))
            traits[name] = best_item[1]
    return traits


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
