"""Tools to evaluate identity resolution against labelled data.

:func:`score_clustering` compares a predicted clustering of records (record id
to contact id) with the truth (record id to person id) and returns
:class:`Scores`: pairwise and B-cubed precision, recall and F1, and how many
clusters mix people or people are split. ``benchmarks/bench_matching.py`` uses
it to compare omnicontact with a peer on the same records.
"""

from omnicontact.bench.metrics import Scores, score_clustering

__all__ = ["Scores", "score_clustering"]
