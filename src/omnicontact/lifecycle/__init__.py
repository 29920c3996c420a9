"""Lifecycle stages: stage models (tracks), transition rules and stage histories.

A stage history is a pure function of a contact's touchpoints as of a time
(:func:`stage_history`); see ``docs/lifecycle.md``.
"""

from omnicontact.lifecycle.base import (
    Stage,
    StageChange,
    StageHistory,
    StageModelError,
    Stay,
    read_number,
)
from omnicontact.lifecycle.constructors import (
    after_inactivity,
    any_of,
    on_action,
    on_identifier,
    on_property,
    on_score,
    on_trait,
)
from omnicontact.lifecycle.history import StageModel, stage_history
from omnicontact.lifecycle.models import DEFAULT_MODEL, b2b, builtin_models, extended_crm, inbound
from omnicontact.lifecycle.rules import (
    INITIAL_RULE,
    RuleContext,
    ScoreAt,
    StateRule,
    TimeRule,
    TouchpointRule,
    TransitionRule,
)

__all__ = [
    "DEFAULT_MODEL",
    "INITIAL_RULE",
    "RuleContext",
    "ScoreAt",
    "Stage",
    "StageChange",
    "StageHistory",
    "StageModel",
    "StageModelError",
    "StateRule",
    "Stay",
    "TimeRule",
    "TouchpointRule",
    "TransitionRule",
    "after_inactivity",
    "any_of",
    "b2b",
    "builtin_models",
    "extended_crm",
    "inbound",
    "on_action",
    "on_identifier",
    "on_property",
    "on_score",
    "on_trait",
    "read_number",
    "stage_history",
]
