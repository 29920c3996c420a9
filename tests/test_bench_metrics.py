"""Clustering scores: pairwise and B-cubed precision/recall/F1, over- and under-merging."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Hashable, Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicontact.bench import Scores, score_clustering

# Six records: true entities A = {1, 2, 3}, B = {4, 5}, C = {6};
# predicted clusters x = {1, 2}, y = {3, 4, 5}, z = {6}.
TRUTH = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "C"}
PREDICTED = {1: "x", 2: "x", 3: "y", 4: "y", 5: "y", 6: "z"}


@st.composite
def labellings(draw: st.DrawFn, max_records: int = 30) -> tuple[dict[int, int], dict[int, int]]:
    """Draw (predicted, truth) over the same records, with few labels so clusters form."""
    size = draw(st.integers(1, max_records))
    labels = st.integers(0, max(1, size // 2))
    predicted = {r: draw(labels) for r in range(size)}
    truth = {r: draw(labels) for r in range(size)}
    return predicted, truth


def _brute_force_pairs(
    predicted: Mapping[int, Hashable], truth: Mapping[int, Hashable]
) -> tuple[int, int, int]:
    """Count (true positive, predicted, true) pairs by enumerating every pair."""
    tp = pred = true = 0
    for a, b in itertools.combinations(sorted(truth), 2):
        same_pred = predicted[a] == predicted[b]
        same_true = truth[a] == truth[b]
        pred += same_pred
        true += same_true
        tp += same_pred and same_true
    return tp, pred, true


def _brute_force_bcubed(
    predicted: Mapping[int, Hashable], truth: Mapping[int, Hashable]
) -> tuple[float, float]:
    """B-cubed precision and recall from their per-record definition."""
    precision = recall = 0.0
    for record in truth:
        cluster = {r for r in predicted if predicted[r] == predicted[record]}
        entity = {r for r in truth if truth[r] == truth[record]}
        precision += len(cluster & entity) / len(cluster)
        recall += len(cluster & entity) / len(entity)
    return precision / len(truth), recall / len(truth)


class TestWorkedExample:
    """Hand-computed scores on six records."""

    def test_pair_counts(self) -> None:
        """True pairs 3 + 1, predicted 1 + 3, both agree on (1, 2) and (4, 5)."""
        scores = score_clustering(PREDICTED, TRUTH)
        assert scores.true_pairs == 4
        assert scores.predicted_pairs == 4
        assert scores.true_positive_pairs == 2

    def test_pairwise_ratios(self) -> None:
        """Precision 2/4, recall 2/4, F1 1/2."""
        scores = score_clustering(PREDICTED, TRUTH)
        assert scores.pairwise_precision == pytest.approx(0.5)
        assert scores.pairwise_recall == pytest.approx(0.5)
        assert scores.pairwise_f1 == pytest.approx(0.5)

    def test_bcubed(self) -> None:
        """Per record precision 1, 1, 1/3, 2/3, 2/3, 1; recall 2/3, 2/3, 1/3, 1, 1, 1."""
        scores = score_clustering(PREDICTED, TRUTH)
        precision = (1 + 1 + 1 / 3 + 2 / 3 + 2 / 3 + 1) / 6
        recall = (2 / 3 + 2 / 3 + 1 / 3 + 1 + 1 + 1) / 6
        assert scores.bcubed_precision == pytest.approx(precision)  # 0.7778
        assert scores.bcubed_recall == pytest.approx(recall)  # 0.8333
        f1 = 2 * precision * recall / (precision + recall)
        assert scores.bcubed_f1 == pytest.approx(f1)

    def test_over_and_under_merging(self) -> None:
        """Cluster y mixes A and B (3 records of 2 people); A is split over x and y."""
        scores = score_clustering(PREDICTED, TRUTH)
        assert scores.over_merged_clusters == 1
        assert scores.over_merged_entities == 2
        assert scores.over_merged_records == 3
        assert scores.under_merged_entities == 1
        assert scores.under_merged_records == 3

    def test_sizes(self) -> None:
        """It counts records, predicted clusters and true entities."""
        scores = score_clustering(PREDICTED, TRUTH)
        assert (scores.records, scores.predicted_clusters, scores.true_entities) == (6, 3, 3)

    def test_one_big_cluster(self) -> None:
        """Everything merged: recall 1, precision = true pairs / all pairs = 4/15."""
        scores = score_clustering(dict.fromkeys(TRUTH, "all"), TRUTH)
        assert scores.pairwise_recall == 1.0
        assert scores.pairwise_precision == pytest.approx(4 / 15)
        assert scores.bcubed_recall == 1.0
        assert scores.bcubed_precision == pytest.approx((3 * 3 / 6 + 2 * 2 / 6 + 1 / 6) / 6)
        assert scores.over_merged_clusters == 1
        assert scores.over_merged_entities == 3
        assert scores.under_merged_entities == 0

    def test_as_dict(self) -> None:
        """as_dict gives every field by name, ready for JSON."""
        scores = score_clustering(PREDICTED, TRUTH)
        data = scores.as_dict()
        assert list(data) == [f.name for f in Scores.__attrs_attrs__]
        assert data["pairwise_f1"] == scores.pairwise_f1
        assert Scores(**data) == scores


class TestEdgeCases:
    """Empty denominators, mismatched records."""

    def test_all_singletons_both_sides(self) -> None:
        """No pair anywhere: every score is 1.0 (nothing to find, nothing wrong)."""
        same = {r: r for r in range(5)}
        scores = score_clustering(same, same)
        assert scores.pairwise_precision == scores.pairwise_recall == scores.pairwise_f1 == 1.0
        assert scores.predicted_pairs == scores.true_pairs == 0

    def test_missing_prediction(self) -> None:
        """A record without a predicted cluster is a ValueError giving counts, not ids."""
        with pytest.raises(ValueError, match="1 record\\(s\\) have no predicted cluster") as info:
            score_clustering({1: "x"}, {1: "A", 2: "secret-person"})
        assert "secret-person" not in str(info.value)
        assert "2" not in str(info.value).replace("1 record", "")

    def test_missing_truth(self) -> None:
        """A record without a true entity is a ValueError too."""
        with pytest.raises(ValueError, match="1 record\\(s\\) have no true entity"):
            score_clustering({1: "x", 2: "y"}, {1: "A"})

    def test_same_size_different_records(self) -> None:
        """Two sides of the same size over different records are told apart."""
        with pytest.raises(ValueError, match="same records"):
            score_clustering({1: "x", 2: "x"}, {1: "A", 3: "A"})

    def test_empty(self) -> None:
        """Nothing to score is an error, not a perfect score."""
        with pytest.raises(ValueError, match="no record"):
            score_clustering({}, {})

    def test_scales_to_a_million_records(self) -> None:
        """A million records in clusters of four score in seconds, without enumerating pairs."""
        truth = {r: r // 4 for r in range(1_000_000)}
        predicted = {r: r // 8 for r in range(1_000_000)}
        start = time.perf_counter()
        scores = score_clustering(predicted, truth)
        assert time.perf_counter() - start < 20
        assert scores.true_pairs == 250_000 * 6
        assert scores.predicted_pairs == 125_000 * 28
        assert scores.pairwise_recall == 1.0
        assert scores.pairwise_precision == pytest.approx(12 / 28)


class TestProperties:
    """Invariants over random labellings."""

    @given(labellings())
    def test_identical_clusterings_score_one(self, pair: tuple[dict[int, int], ...]) -> None:
        """A prediction equal to the truth scores 1.0 everywhere, with no merge error."""
        _, truth = pair
        scores = score_clustering(truth, truth)
        for name in ("pairwise_precision", "pairwise_recall", "pairwise_f1"):
            assert getattr(scores, name) == 1.0
        for name in ("bcubed_precision", "bcubed_recall", "bcubed_f1"):
            assert getattr(scores, name) == pytest.approx(1.0)
        assert scores.over_merged_clusters == scores.under_merged_entities == 0

    @given(labellings(), st.integers(1, 1000))
    def test_relabelling_changes_nothing(
        self, pair: tuple[dict[int, int], dict[int, int]], shift: int
    ) -> None:
        """Renaming the clusters of either side (injectively) leaves every score unchanged."""
        predicted, truth = pair
        renamed_predicted = {r: f"contact-{c * 7 + shift}" for r, c in predicted.items()}
        renamed_truth = {r: (c + shift, "person") for r, c in truth.items()}
        assert score_clustering(renamed_predicted, renamed_truth) == score_clustering(
            predicted, truth
        )

    @given(labellings())
    def test_symmetry(self, pair: tuple[dict[int, int], dict[int, int]]) -> None:
        """Swapping the sides swaps precision and recall, and over- and under-merging."""
        predicted, truth = pair
        forward = score_clustering(predicted, truth)
        backward = score_clustering(truth, predicted)
        assert forward.pairwise_precision == backward.pairwise_recall
        assert forward.bcubed_precision == pytest.approx(backward.bcubed_recall)
        assert forward.over_merged_clusters == backward.under_merged_entities

    @given(labellings())
    def test_all_singletons_prediction(self, pair: tuple[dict[int, int], dict[int, int]]) -> None:
        """Predicting every record alone: precision 1, recall 0 as soon as the truth has pairs."""
        _, truth = pair
        scores = score_clustering({r: r for r in truth}, truth)
        assert scores.pairwise_precision == 1.0
        assert scores.bcubed_precision == 1.0
        assert scores.over_merged_clusters == 0
        if scores.true_pairs:
            assert scores.pairwise_recall == 0.0
            assert scores.pairwise_f1 == 0.0
        else:
            assert scores.pairwise_recall == 1.0

    @given(labellings())
    def test_pair_counts_match_brute_force(
        self, pair: tuple[dict[int, int], dict[int, int]]
    ) -> None:
        """Counting through the contingency table equals enumerating every pair."""
        predicted, truth = pair
        scores = score_clustering(predicted, truth)
        expected = _brute_force_pairs(predicted, truth)
        assert (scores.true_positive_pairs, scores.predicted_pairs, scores.true_pairs) == expected

    @given(labellings(max_records=15))
    def test_bcubed_matches_definition(self, pair: tuple[dict[int, int], dict[int, int]]) -> None:
        """B-cubed from the contingency table equals its per-record definition."""
        predicted, truth = pair
        scores = score_clustering(predicted, truth)
        precision, recall = _brute_force_bcubed(predicted, truth)
        assert scores.bcubed_precision == pytest.approx(precision)
        assert scores.bcubed_recall == pytest.approx(recall)

    @given(labellings())
    def test_bounds(self, pair: tuple[dict[int, int], dict[int, int]]) -> None:
        """Every ratio lies in [0, 1] and F1 lies between precision and recall."""
        scores = score_clustering(*pair)
        for kind in ("pairwise", "bcubed"):
            p, r, f1 = (getattr(scores, f"{kind}_{m}") for m in ("precision", "recall", "f1"))
            for value in (p, r, f1):
                assert 0.0 <= value <= 1.0 + 1e-12
            assert min(p, r) - 1e-12 <= f1 <= max(p, r) + 1e-12
            assert not math.isnan(f1)

    @given(labellings())
    def test_merge_error_counts(self, pair: tuple[dict[int, int], dict[int, int]]) -> None:
        """Over-merged clusters exist iff precision < 1; split entities iff recall < 1."""
        scores = score_clustering(*pair)
        assert (scores.over_merged_clusters > 0) == (scores.pairwise_precision < 1.0)
        assert (scores.under_merged_entities > 0) == (scores.pairwise_recall < 1.0)
        assert scores.over_merged_entities >= 2 * (scores.over_merged_clusters > 0)
