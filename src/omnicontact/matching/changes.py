"""What changed: merges, splits and renames, and the evidence of each merge."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs

from omnicontact.matching.cluster import Link, Output
from omnicontact.model import Identifier

__all__ = ["NO_CHANGE", "Change", "combine", "diff"]


@attrs.frozen
class Change:
    """How contacts changed.

    :param merged: ``(surviving id, ids merged into it)`` for each merge.
    :param split: ``(divided id, ids it became)`` for each split.
    :param renamed: ``(old id, new id)`` when an older touchpoint re-anchored a contact.
    :param rules: the rules whose links caused the merges.
    :param evidence: what those links were, without values: ``shared_identifier:
        email``, ``person: weight +15.4``, ``confirmed``.
    """

    merged: tuple[tuple[str, tuple[str, ...]], ...] = ()
    split: tuple[tuple[str, tuple[str, ...]], ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    rules: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.merged or self.split or self.renamed)


NO_CHANGE = Change()


def diff(
    positions: Sequence[int],
    before: Mapping[int, str | None],
    after: Mapping[int, str | None],
    trace: Callable[[], Output] | None,
) -> Change:
    """Return how contacts changed between *before* and *after* (contact id by position).

    *trace* gives the links of the positions' contacts, to tell which rules
    merged them; ``None`` skips that (``resolve_all`` over the whole log).
    """
    targets: dict[str, set[str]] = {}
    sources: dict[str, set[str]] = {}
    for p in positions:
        old = before[p]
        new = after[p]
        if old is None or new is None:
            continue
        targets.setdefault(old, set()).add(new)
        sources.setdefault(new, set()).add(old)
    merged = []
    split = []
    renamed = []
    for new, olds in sorted(sources.items()):
        if len(olds) > 1:
            merged.append((new, tuple(sorted(olds - {new}))))
    for old, news in sorted(targets.items()):
        if len(news) > 1:
            split.append((old, tuple(sorted(news))))
        else:
            (new,) = news
            if new != old and len(sources[new]) == 1:
                renamed.append((old, new))
    if not (merged or split or renamed):
        return NO_CHANGE
    rules: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    if merged and trace is not None:
        rules, evidence = _merge_evidence(trace(), positions, before)
    return Change(tuple(merged), tuple(split), tuple(renamed), rules, evidence)


def _merge_evidence(
    output: Output, positions: Sequence[int], before: Mapping[int, str | None]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the rules of the links that joined formerly separate contacts, and their evidence.

    The evidence names identifier kinds and weights, never values.
    """
    parent: dict[object, object] = {}

    def find(x: object) -> object:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    labelled: set[object] = set()  # roots holding a former contact
    for p in positions:
        old = before[p]
        if old is not None:
            parent[p] = ("contact", old)
            labelled.add(find(("contact", old)))
    found: set[str] = set()
    evidence: set[str] = set()
    # Links that brought a new touchpoint to a former contact: part of the
    # bridge when that touchpoint then joins another former contact.
    trail: dict[object, set[tuple[str, str]]] = {}
    for link in output.links:
        ra, rb = find(link.a), find(link.b)
        if ra == rb:
            continue
        step = {(link.rule, _describe(link))}
        steps = trail.pop(ra, set()) | trail.pop(rb, set()) | step
        if ra in labelled and rb in labelled:
            for rule, described in steps:
                found.add(rule)
                evidence.add(described)
            steps = set()
        parent[rb] = ra
        if rb in labelled:
            labelled.add(ra)
        if steps:
            trail[ra] = steps
    return tuple(sorted(found)), tuple(sorted(evidence))


def combine(a: Change, b: Change) -> Change:
    """Return the changes of *a* then *b*."""
    if not b:
        return a
    if not a:
        return b
    return Change(
        a.merged + b.merged,
        a.split + b.split,
        a.renamed + b.renamed,
        a.rules + b.rules,
        a.evidence + b.evidence,
    )


def _describe(link: Link) -> str:
    """Say what a link is without any value: its rule, and the kind or weight."""
    if isinstance(link.b, Identifier):
        return f"{link.rule}: {link.b.kind}"
    if link.evidence is not None and link.evidence.weight != float("inf"):
        return f"{link.rule}: weight {link.evidence.weight:+.1f}"
    return link.rule
