"""Figures of a benchmark: clustering scores, stage accuracy, latency, throughput, memory.

:func:`score_clustering` scores a clustering against the truth: pairwise,
B-cubed, over- and under-merging. :func:`stage_accuracy` tells how often
resolution leaves a person at the lifecycle stage their true touchpoints give.
:func:`latency_percentiles`, :class:`Throughput` and :func:`peak_memory_mb`
measure speed and memory.

Both sides are mappings from a record id to a label: the *predicted* cluster
(a contact id) and the *true* entity (a person id). Labels are only compared
for equality, so relabelling the clusters of either side changes no score.

Everything is computed from the contingency table (how many records each
``(predicted cluster, true entity)`` cell holds) and the cluster sizes, never by
enumerating pairs: scoring 1,000,000 records takes about a second.

Conventions, for the ratios whose denominator is empty:

- no predicted pair (every record alone): pairwise precision is 1.0, since no
  wrong merge was made; no true pair: pairwise recall is 1.0, since there was
  nothing to find. The raw pair counts are in :class:`Scores` to tell these
  cases apart;
- an F1 is 0.0 when both its precision and recall are 0.
"""

from __future__ import annotations

import math
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import attrs

from omnicontact.lifecycle.history import stage_history

if TYPE_CHECKING:
    from omnicontact.lifecycle.history import StageModel
    from omnicontact.model import Touchpoint

__all__ = [
    "Scores",
    "StageAccuracy",
    "Throughput",
    "latency_percentiles",
    "peak_memory_mb",
    "score_clustering",
    "stage_accuracy",
]

K = TypeVar("K", bound=Hashable)


@attrs.frozen
class Scores:
    """How well a predicted clustering of records matches the true entities.

    :param records: records scored.
    :param predicted_clusters: distinct predicted clusters.
    :param true_entities: distinct true entities.
    :param true_positive_pairs: record pairs in the same predicted cluster and
        the same true entity.
    :param predicted_pairs: record pairs in the same predicted cluster.
    :param true_pairs: record pairs of the same true entity.
    :param pairwise_precision: ``true_positive_pairs / predicted_pairs`` (1.0 when
        nothing was merged).
    :param pairwise_recall: ``true_positive_pairs / true_pairs`` (1.0 when no
        entity has two records).
    :param pairwise_f1: harmonic mean of the pairwise precision and recall.
    :param bcubed_precision: the mean, over records, of the share of the record's
        predicted cluster that belongs to its true entity.
    :param bcubed_recall: the mean, over records, of the share of the record's
        true entity that is in its predicted cluster.
    :param bcubed_f1: harmonic mean of the B-cubed precision and recall.
    :param over_merged_clusters: predicted clusters holding more than one true entity.
    :param over_merged_entities: true entities with a record in such a cluster
        (the people affected by a wrong merge).
    :param over_merged_records: records in such clusters.
    :param under_merged_entities: true entities whose records are split across
        more than one predicted cluster.
    :param under_merged_records: records of such entities.
    """

    records: int
    predicted_clusters: int
    true_entities: int
    true_positive_pairs: int
    predicted_pairs: int
    true_pairs: int
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    over_merged_clusters: int
    over_merged_entities: int
    over_merged_records: int
    under_merged_entities: int
    under_merged_records: int

    def as_dict(self) -> dict[str, int | float]:
        """Return the scores as a plain dict of field name to value (JSON-ready)."""
        return attrs.asdict(self)


def _pairs(size: int) -> int:
    """Return the number of unordered pairs among *size* records."""
    return size * (size - 1) // 2


def _ratio(numerator: int, denominator: int) -> float:
    """Return ``numerator / denominator``, or 1.0 when the denominator is 0 (nothing wrong)."""
    return numerator / denominator if denominator else 1.0


def _f1(precision: float, recall: float) -> float:
    """Return the harmonic mean of *precision* and *recall* (0.0 when both are 0)."""
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def _contingency(
    predicted: Mapping[K, Hashable], truth: Mapping[K, Hashable]
) -> Counter[tuple[Hashable, Hashable]]:
    """Return how many records each ``(predicted cluster, true entity)`` cell holds.

    :raises ValueError: when the two sides do not cover the same records, or none.
    """
    if len(predicted) != len(truth) or predicted.keys() != truth.keys():
        unpredicted = len(truth.keys() - predicted.keys())
        untrue = len(predicted.keys() - truth.keys())
        raise ValueError(
            "predicted and truth must cover the same records: "
            f"{unpredicted} record(s) have no predicted cluster, "
            f"{untrue} record(s) have no true entity"
        )
    if not truth:
        raise ValueError("predicted and truth hold no record to score")
    return Counter((predicted[record], entity) for record, entity in truth.items())


def score_clustering(predicted: Mapping[K, Hashable], truth: Mapping[K, Hashable]) -> Scores:
    """Score a predicted clustering of records against the true entities.

    :param predicted: record id to predicted cluster (for example a contact id).
    :param truth: record id to true entity (for example a person id).
    :returns: pairwise and B-cubed precision, recall and F1, and the counts of
        over-merged clusters and under-merged entities.
    :raises ValueError: when the two mappings do not hold the same record ids,
        or hold none. The message gives counts, never record ids or labels.
    """
    cells = _contingency(predicted, truth)
    cluster_size: Counter[Hashable] = Counter()
    entity_size: Counter[Hashable] = Counter()
    entities_in_cluster: Counter[Hashable] = Counter()
    clusters_of_entity: Counter[Hashable] = Counter()
    for (cluster, entity), count in cells.items():
        cluster_size[cluster] += count
        entity_size[entity] += count
        entities_in_cluster[cluster] += 1
        clusters_of_entity[entity] += 1

    records = sum(cluster_size.values())
    true_positive = sum(_pairs(count) for count in cells.values())
    predicted_pairs = sum(_pairs(size) for size in cluster_size.values())
    true_pairs = sum(_pairs(size) for size in entity_size.values())

    # B-cubed: each record of cell (c, e) has precision n_ce / |c| and recall n_ce / |e|.
    bcubed_precision = sum(n * n / cluster_size[c] for (c, _), n in cells.items()) / records
    bcubed_recall = sum(n * n / entity_size[e] for (_, e), n in cells.items()) / records

    over_clusters = {c for c, k in entities_in_cluster.items() if k > 1}
    over_entities = {e for c, e in cells if c in over_clusters}
    under_entities = [e for e, k in clusters_of_entity.items() if k > 1]

    precision = _ratio(true_positive, predicted_pairs)
    recall = _ratio(true_positive, true_pairs)
    return Scores(
        records=records,
        predicted_clusters=len(cluster_size),
        true_entities=len(entity_size),
        true_positive_pairs=true_positive,
        predicted_pairs=predicted_pairs,
        true_pairs=true_pairs,
        pairwise_precision=precision,
        pairwise_recall=recall,
        pairwise_f1=_f1(precision, recall),
        bcubed_precision=bcubed_precision,
        bcubed_recall=bcubed_recall,
        bcubed_f1=_f1(bcubed_precision, bcubed_recall),
        over_merged_clusters=len(over_clusters),
        over_merged_entities=len(over_entities),
        over_merged_records=sum(cluster_size[c] for c in over_clusters),
        under_merged_entities=len(under_entities),
        under_merged_records=sum(entity_size[e] for e in under_entities),
    )


# --------------------------------------------------------------------------
# stage accuracy
# --------------------------------------------------------------------------

NO_STAGE = "(none)"
"""How a missing stage (no touchpoint up to ``as_of``) is shown in the confusion table."""


@attrs.frozen
class StageAccuracy:
    """How often resolution leaves a person at the stage their true touchpoints give.

    :param track: the stage model's name.
    :param as_of: the time the stages are computed for.
    :param people: people scored (those with a touchpoint at or before *as_of*).
    :param correct: people whose resolved contact is at their true stage.
    :param accuracy: ``correct / people`` (1.0 when nobody was scored).
    :param split_people: people whose touchpoints went to more than one contact.
    :param confusion: true stage to resolved stage to people; a missing stage
        is :data:`NO_STAGE`.
    """

    track: str
    as_of: datetime
    people: int
    correct: int
    accuracy: float
    split_people: int
    confusion: Mapping[str, Mapping[str, int]]

    def by_stage(self) -> dict[str, float]:
        """Return, for each true stage, the share of its people resolved at that stage."""
        return {
            stage: row.get(stage, 0) / total
            for stage, row in self.confusion.items()
            if (total := sum(row.values()))
        }

    def as_dict(self) -> dict[str, object]:
        """Return the figures as a JSON-ready dict."""
        return {
            "track": self.track,
            "as_of": self.as_of.isoformat(),
            "people": self.people,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "split_people": self.split_people,
            "by_stage": self.by_stage(),
            "confusion": {t: dict(row) for t, row in self.confusion.items()},
        }


def _main_contact(contacts: Counter[Hashable]) -> Hashable:
    """Return the contact holding most touchpoints; ties go to the smallest label as text."""
    best = max(contacts.values())
    return min((c for c, n in contacts.items() if n == best), key=str)


def stage_accuracy(
    model: StageModel,
    touchpoints: Iterable[Touchpoint],
    predicted: Mapping[str, Hashable],
    truth: Mapping[str, Hashable],
    as_of: datetime,
) -> StageAccuracy:
    """Compare each person's resolved stage with the stage of their true touchpoints.

    For each true person, the *true stage* is ``stage_history(model, their
    touchpoints, as_of).current``; the *resolved stage* is the same function
    over the touchpoints of the contact the person resolved to. A person whose
    touchpoints went to several contacts resolved to the one holding most of
    them (ties: the smallest contact id as text), which is the profile an
    agent would most likely open. Both sides run the same model with no
    score lookup, so score rules never fire on either side.

    :param model: the stage model (a track), e.g. ``hub.lifecycle.models["extended_crm"]``.
    :param touchpoints: every touchpoint scored, each once (those missing from
        *predicted* or *truth* are left out: quarantined records, for example).
    :param predicted: touchpoint id to contact id.
    :param truth: touchpoint id to true person.
    :param as_of: the time of the stages (timezone-aware); touchpoints after it are ignored.
    :returns: the accuracy, the people split over contacts and the confusion table.
    :raises InvalidTimestampError: when *as_of* is naive.
    """
    by_contact: defaultdict[Hashable, list[Touchpoint]] = defaultdict(list)
    by_person: defaultdict[Hashable, list[Touchpoint]] = defaultdict(list)
    contacts_of: defaultdict[Hashable, Counter[Hashable]] = defaultdict(Counter)
    for tp in touchpoints:
        contact = predicted.get(tp.id)
        person = truth.get(tp.id)
        if contact is None or person is None:
            continue
        by_contact[contact].append(tp)
        by_person[person].append(tp)
        contacts_of[person][contact] += 1

    contact_stage: dict[Hashable, str | None] = {}
    confusion: defaultdict[str, Counter[str]] = defaultdict(Counter)
    people = correct = split = 0
    for person, own in by_person.items():
        true_stage = stage_history(model, own, as_of).current
        if true_stage is None:
            continue  # nothing of theirs happened by as_of
        counts = contacts_of[person]
        split += len(counts) > 1
        contact = _main_contact(counts)
        if contact not in contact_stage:
            contact_stage[contact] = stage_history(model, by_contact[contact], as_of).current
        resolved = contact_stage[contact]
        people += 1
        correct += resolved == true_stage
        confusion[true_stage][NO_STAGE if resolved is None else resolved] += 1
    return StageAccuracy(
        track=model.name,
        as_of=as_of,
        people=people,
        correct=correct,
        accuracy=_ratio(correct, people),
        split_people=split,
        confusion={t: dict(row) for t, row in sorted(confusion.items())},
    )


# --------------------------------------------------------------------------
# speed and memory
# --------------------------------------------------------------------------

PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0))


def latency_percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """Return the p50, p90, p99 and max of *seconds*, by the nearest-rank method.

    The p-th percentile is the smallest value with at least p % of the values
    at or below it: ``sorted(seconds)[ceil(p / 100 * n) - 1]``. It is always
    one of the measured values (no interpolation).

    :raises ValueError: when *seconds* is empty.
    """
    if not seconds:
        raise ValueError("latency_percentiles needs at least one measurement")
    ordered = sorted(seconds)
    n = len(ordered)
    out = {name: ordered[max(1, math.ceil(p / 100 * n)) - 1] for name, p in PERCENTILES}
    out["max"] = ordered[-1]
    return out


@attrs.frozen
class Throughput:
    """*count* items done in *seconds* (wall time).

    Add two to pool them (counts and seconds add up); :meth:`measure` times a block.
    """

    count: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        """Items per second (0.0 when no time was measured)."""
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def __add__(self, other: Throughput) -> Throughput:
        return Throughput(self.count + other.count, self.seconds + other.seconds)

    def as_dict(self) -> dict[str, float]:
        """Return ``count``, ``seconds`` and ``per_second`` (JSON-ready)."""
        return {"count": self.count, "seconds": self.seconds, "per_second": self.per_second}

    @classmethod
    def timed(cls, run: Callable[[], int]) -> Throughput:
        """Run *run*, which returns how many items it did; return its throughput."""
        start = time.perf_counter()
        count = run()
        return cls(count, time.perf_counter() - start)

    @staticmethod
    @contextmanager
    def measure(into: dict[str, Throughput], key: str, count: int) -> Iterator[None]:
        """Time the block as *count* items and add it to ``into[key]``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            into[key] = into.get(key, Throughput()) + Throughput(count, time.perf_counter() - start)


def peak_memory_mb() -> float:
    """Return the peak resident set size of this process so far, in MiB.

    Read from ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux,
    bytes on macOS): the whole process, native libraries (SQLite, DuckDB)
    included, which ``tracemalloc`` cannot see. It never goes down, so it
    covers everything the process did before the call.
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024
