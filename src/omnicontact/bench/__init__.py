"""Tools to evaluate omnicontact: metrics against labelled data, and the benchmark suite.

:func:`score_clustering` compares a predicted clustering of records (record id
to contact id) with the truth (record id to person id) and returns
:class:`Scores`: pairwise and B-cubed precision, recall and F1, and how many
clusters mix people or people are split. :func:`stage_accuracy` tells how often
resolution leaves a person at the lifecycle stage their true touchpoints give;
:func:`latency_percentiles`, :class:`Throughput` and :func:`peak_memory_mb`
measure speed and memory. ``omnicontact.bench.suite`` runs them all on a
generated world (``omnicontact bench``).
"""

from omnicontact.bench.metrics import (
    Scores,
    StageAccuracy,
    Throughput,
    latency_percentiles,
    peak_memory_mb,
    score_clustering,
    stage_accuracy,
)

__all__ = [
    "Scores",
    "StageAccuracy",
    "Throughput",
    "latency_percentiles",
    "peak_memory_mb",
    "score_clustering",
    "stage_accuracy",
]
