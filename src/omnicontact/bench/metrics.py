"""Scores of a clustering against the truth: pairwise, B-cubed, over- and under-merging.

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

from collections import Counter
from collections.abc import Hashable, Mapping
from typing import TypeVar

import attrs

__all__ = ["Scores", "score_clustering"]

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
