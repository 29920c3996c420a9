"""The built-in plug-in ``omnicontact.scoring``: the scoring strategies every hub has.

``behaviour``, ``fit``, ``rfm``, ``engagement``, ``ambassador`` and
``churn_risk``, contributed through the same hook as a third-party strategy.
See ``docs/scoring.md``.
"""

from __future__ import annotations

from omnicontact.hookspecs import hookimpl
from omnicontact.scoring.base import ScoringStrategy
from omnicontact.scoring.strategies import builtin_strategies

__all__ = ["register_scoring_strategies"]


@hookimpl
def register_scoring_strategies() -> list[ScoringStrategy]:
    """Contribute the six built-in strategies with their default settings."""
    return list(builtin_strategies())
