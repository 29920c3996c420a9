"""Scoring: named scores of a contact as of a time, each with its breakdown.

:class:`ScoringStrategy` is the protocol; the built-ins are ``behaviour``,
``fit``, ``rfm``, ``engagement``, ``ambassador`` and ``churn_risk``. See
``docs/scoring.md``.
"""

from __future__ import annotations

from omnicontact.scoring.base import (
    Contribution,
    Score,
    ScoringStrategy,
    Subject,
    check_as_of,
    score_all,
    subject_as_of,
)
from omnicontact.scoring.churn import ChurnRiskStrategy
from omnicontact.scoring.fit import (
    DEFAULT_FIT_RULES,
    DEFAULT_GRADES,
    SENIOR_TITLE,
    FitRule,
    FitStrategy,
)
from omnicontact.scoring.rfm import RFMPopulation, RFMStrategy, RFMValues
from omnicontact.scoring.strategies import (
    AMBASSADOR_POINTS,
    BEHAVIOUR_POINTS,
    ENGAGEMENT_WEIGHTS,
    AmbassadorStrategy,
    BehaviourStrategy,
    EngagementStrategy,
    StepDecay,
    builtin_strategies,
)

__all__ = [
    "AMBASSADOR_POINTS",
    "AmbassadorStrategy",
    "BEHAVIOUR_POINTS",
    "BehaviourStrategy",
    "ChurnRiskStrategy",
    "Contribution",
    "DEFAULT_FIT_RULES",
    "DEFAULT_GRADES",
    "ENGAGEMENT_WEIGHTS",
    "EngagementStrategy",
    "FitRule",
    "FitStrategy",
    "RFMPopulation",
    "RFMStrategy",
    "RFMValues",
    "SENIOR_TITLE",
    "Score",
    "ScoringStrategy",
    "StepDecay",
    "Subject",
    "builtin_strategies",
    "check_as_of",
    "score_all",
    "subject_as_of",
]
