"""The built-in plug-in ``omnicontact.lifecycle``: the stage models every hub runs.

``extended_crm`` (suspect → prospect → customer → ambassador, the default
track), ``inbound`` and ``b2b``, contributed through the same hook as a
third-party model. See ``docs/lifecycle.md``.
"""

from __future__ import annotations

from omnicontact.hookspecs import hookimpl
from omnicontact.lifecycle.history import StageModel
from omnicontact.lifecycle.models import builtin_models

__all__ = ["register_stage_models"]


@hookimpl
def register_stage_models() -> list[StageModel]:
    """Contribute ``extended_crm``, ``inbound`` and ``b2b`` with their default settings."""
    return list(builtin_models())
