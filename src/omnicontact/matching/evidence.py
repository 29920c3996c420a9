"""The evidence of matching rules: their blocking index, and what they found between records.

Kept apart from the resolver, which keeps contacts: this module only answers
"which earlier records may be the same person as this one, and how sure is
each rule", as a pure function of the records and the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any

from omnicontact.errors import PluginError
from omnicontact.matching.rules import Evidence, MatchingRule, Record
from omnicontact.model import Identifier

__all__ = ["EvidenceIndex", "Results"]

Results = list[tuple[int, Any, list[Hashable], list[tuple[int, Evidence | None]]]]
"""Per rule: ``(rule index, prepared record, blocking keys, [(candidate, evidence)])``."""


class EvidenceIndex:
    """The blocking index of every rule over the log, and the evidence found.

    :param rules: the matching rules, in order.
    :param max_block: a key shared by more records than this is dropped.
    :param is_strong: tells whether an identifier kind is strong.
    :param reuse: prepared records to use instead of preparing again (kept
        by a rebuild while the rules are the same objects), for the positions
        below :attr:`reuse_below`.
    """

    def __init__(
        self,
        rules: Sequence[MatchingRule],
        *,
        max_block: int,
        is_strong: Callable[[str], bool],
        reuse: list[dict[int, Any]] | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self.max_block = max_block
        self._is_strong = is_strong
        self.reuse = reuse
        #: Positions below this one were prepared in *reuse* (the others are new).
        self.reuse_below = 0
        self.prepared: list[dict[int, Any]] = [{} for _ in self.rules]
        self.index: list[dict[Hashable, int | list[int]]] = [{} for _ in self.rules]
        self.saturated: list[set[Hashable]] = [set() for _ in self.rules]
        self.links: dict[int, list[tuple[int, Evidence]]] = {}
        self.reviews: dict[tuple[int, int], Evidence] = {}

    def evaluate(
        self, position: int, record: Record, strong_of: Callable[[int], tuple[Identifier, ...]]
    ) -> Results:
        """Run the rules on a record against its candidates, changing nothing.

        Every call into plug-in code happens here, before any state changes,
        so a rule that raises leaves everything as it was. *strong_of* gives
        the strong identifiers of an earlier position. Two records that
        share a strong identifier (placeholders aside) are not compared: the
        ``shared_identifier`` rule links them, under the same guards, and
        comparing them again would only cost time (and, on a role mailbox,
        count the shared address as evidence of one person).

        :raises PluginError: naming the rule that raised.
        """
        out: Results = []
        limit = self.max_block
        mine_ids = frozenset(i for i in record.identifiers if self._is_strong(i.kind))
        for i, rule in enumerate(self.rules):
            step = "prepare"
            try:
                reuse = self.reuse
                if reuse is not None and position < self.reuse_below:
                    prepared = reuse[i].get(position)  # None: it prepared to nothing
                else:
                    prepared = rule.prepare(record)
                if prepared is None:
                    continue
                step = "blocking_keys"
                keys = list(rule.blocking_keys(prepared))
                step = "compare"
                index, saturated, mine = self.index[i], self.saturated[i], self.prepared[i]
                found: list[tuple[int, Evidence | None]] = []
                seen: set[int] = set()
                for block in keys:
                    bucket = None if block in saturated else index.get(block)
                    if bucket is None:
                        continue
                    members = [bucket] if isinstance(bucket, int) else bucket
                    if len(members) >= limit:
                        continue  # saturates when committed: compares nothing
                    for other in members:
                        if other in seen:
                            continue
                        seen.add(other)
                        if mine_ids and not mine_ids.isdisjoint(strong_of(other)):
                            continue  # they share a strong identifier: that rule links them
                        found.append((other, self._compare(rule, prepared, mine[other])))
            except Exception as err:
                raise PluginError(
                    f"rule {rule.name}", step, f"raised {type(err).__name__}"
                ) from err
            out.append((i, prepared, keys, found))
        return out

    @staticmethod
    def _compare(rule: MatchingRule, a: Any, b: Any) -> Evidence | None:
        if rule.deterministic:
            return Evidence(rule.name, float("inf"), "link")
        return rule.compare(a, b)

    def commit(self, position: int, results: Results) -> tuple[list[int], bool, list[int]]:
        """Index a record and keep its evidence.

        :returns: the positions it links to, whether any rule can compare it,
            and the positions whose evidence was forgotten because a blocking
            key saturated (their components must be recomputed).
        """
        linked: list[int] = []
        touched: list[int] = []
        limit = self.max_block
        for i, prepared, keys, found in results:
            self.prepared[i][position] = prepared
            index, saturated = self.index[i], self.saturated[i]
            for block in keys:
                if block in saturated:
                    continue
                bucket = index.get(block)
                if bucket is None:
                    index[block] = position  # most keys stay single: no list for them
                    continue
                if isinstance(bucket, int):
                    bucket = index[block] = [bucket]
                if len(bucket) >= limit:
                    touched.extend(self._saturate(i, block, bucket))
                    continue
                bucket.append(position)
            for other, evidence in found:
                self._record(position, other, evidence, linked)
        return linked, bool(results), touched

    def _saturate(self, i: int, block: Hashable, bucket: list[int]) -> list[int]:
        """Drop a blocking key shared by too many records, and the evidence found only through it.

        The result is as if the key never existed, whatever the arrival
        order: a pair keeps its evidence only if it shares another key.
        """
        rule = self.rules[i]
        saturated = self.saturated[i]
        saturated.add(block)
        del self.index[i][block]
        members = set(bucket)
        prepared = self.prepared[i]

        def keys(p: int) -> set[Hashable]:
            return set(rule.blocking_keys(prepared[p])) - saturated

        touched: list[int] = []
        for a in sorted(members):
            kept = []
            for b, evidence in self.links.get(a, ()):
                if b in members and evidence.rule == rule.name and not keys(a) & keys(b):
                    touched.append(a)
                    continue
                kept.append((b, evidence))
            if a in self.links:
                self.links[a] = kept
        for pair in [p for p in self.reviews if p[0] in members and p[1] in members]:
            if self.reviews[pair].rule == rule.name and not keys(pair[0]) & keys(pair[1]):
                del self.reviews[pair]
        return touched

    def _record(self, a: int, b: int, evidence: Evidence | None, linked: list[int]) -> None:
        if evidence is None or evidence.decision == "none":
            return
        if evidence.decision == "link":
            self.links.setdefault(a, []).append((b, evidence))
            self.links.setdefault(b, []).append((a, evidence))
            linked.append(b)
        else:
            self.reviews[(min(a, b), max(a, b))] = evidence

    def between(self, positions: Sequence[int]) -> list[tuple[int, int, Evidence]]:
        """Return the link-level evidence between positions of one set, each pair once."""
        members = set(positions)
        out = []
        for p in positions:
            for q, evidence in self.links.get(p, ()):
                if p < q and q in members:
                    out.append((p, q, evidence))
        return out

    def pending(self) -> Iterator[tuple[int, int, Evidence]]:
        """Iterate the doubtful pairs found so far (some may be settled since)."""
        for (a, b), evidence in sorted(self.reviews.items()):
            yield a, b, evidence

    def drop_review(self, a: int, b: int) -> None:
        """Forget a doubtful pair (it was decided)."""
        self.reviews.pop((min(a, b), max(a, b)), None)

    def fit(self, **options: Any) -> tuple[tuple[MatchingRule, ...], tuple[str, ...]]:
        """Return the rules, each fit-able one fitted on its prepared records, and their names."""
        trained = []
        rules = list(self.rules)
        for i, rule in enumerate(rules):
            fit = getattr(rule, "fit", None)
            if fit is None:
                continue
            rules[i] = fit(list(self.prepared[i].values()), **options)
            trained.append(rule.name)
        return tuple(rules), tuple(trained)
