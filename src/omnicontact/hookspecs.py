"""The hook specifications: the plug-in author's reference.

Three kinds of hook, and the name says which:

- *contributions* ``register_<plural>()`` return a list of objects;
- *decisions* are ``firstresult`` and return ``X | None`` (none yet);
- *notifications* are past participles and return ``None``; they are called
  after the hub's state is consistent, so a failing plug-in never leaves it
  half-written.

Implement a hook with :data:`hookimpl`; call hooks with keyword arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from omnicontact.adapters.base import ChannelAdapter
    from omnicontact.hub import Hub
    from omnicontact.ingest import Rejection
    from omnicontact.lifecycle.base import StageChange
    from omnicontact.lifecycle.history import StageModel
    from omnicontact.matching.config import MatchingConfig
    from omnicontact.matching.guards import MergeGuard
    from omnicontact.matching.rules import MatchingRule
    from omnicontact.normalize.kinds import IdentifierKind
    from omnicontact.scoring.base import ScoringStrategy

__all__ = [
    "contact_merged",
    "contact_split",
    "hookimpl",
    "hookspec",
    "register_channel_adapters",
    "register_identifier_kinds",
    "register_matching_rules",
    "register_merge_guards",
    "register_scoring_strategies",
    "register_stage_models",
    "stage_changed",
    "touchpoint_rejected",
]

PROJECT_NAME = "omnicontact"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marker for hook specifications (used by omnicontact itself)."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marker for hook implementations: decorate your plug-in's functions with it."""


# --------------------------------------------------------------------------
# contributions
# --------------------------------------------------------------------------


@hookspec
def register_identifier_kinds() -> list[IdentifierKind]:  # type: ignore[empty-body]
    """Contribute identifier kinds: their names, strengths and normalizers.

    Called once when a :class:`~omnicontact.Hub` is created. A kind with the
    name of a built-in one replaces it; two plug-ins contributing the same
    name is an error.

    :returns: a list of :class:`~omnicontact.IdentifierKind`.

    .. versionadded:: 0.1
    """


@hookspec
def register_channel_adapters() -> list[ChannelAdapter]:  # type: ignore[empty-body]
    """Contribute channel adapters: what turns a channel's raw payloads into touchpoints.

    Called once when a :class:`~omnicontact.Hub` is created. Each adapter is a
    :class:`~omnicontact.ChannelAdapter`: a ``name`` (what callers pass to
    ``hub.ingest(payloads, adapter=name)``), a one-line ``description``, and
    ``parse(payload)``, which returns the touchpoints of one payload or raises
    :class:`~omnicontact.InvalidTouchpointError` naming the field and rule a
    bad payload breaks (the hub quarantines it). ``parse`` must be a pure
    function of the payload. An adapter with the name of a built-in one
    replaces it; two plug-ins contributing the same name is an error.

    :returns: a list of channel adapters.

    .. versionadded:: 0.3
    """


@hookspec
def register_matching_rules(config: MatchingConfig) -> list[MatchingRule]:  # type: ignore[empty-body]
    """Contribute matching rules: what proposes that two records are one person.

    Called once when a :class:`~omnicontact.Hub` is created. Each rule is a
    :class:`~omnicontact.MatchingRule`: ``prepare`` a record, give its
    ``blocking_keys`` (equality keys; only records sharing one are compared),
    and ``compare`` two prepared records into :class:`~omnicontact.Evidence`
    with a weight and a decision (``"link"``, ``"review"`` or ``"none"``).
    Rules must be pure functions of the records, so that resolution does not
    depend on arrival order. Rule names must be unique.

    :param config: the hub's :class:`~omnicontact.MatchingConfig` (thresholds,
        limits), for rules that follow it.
    :returns: a list of matching rules.

    .. versionadded:: 0.2
    """


@hookspec
def register_merge_guards(config: MatchingConfig) -> list[MergeGuard]:  # type: ignore[empty-body]
    """Contribute merge guards: what may never link, and which links are vetoed.

    Called once when a :class:`~omnicontact.Hub` is created. Each guard is a
    :class:`~omnicontact.MergeGuard`: ``blocks(identifier)`` returns a reason
    when an identifier must never link (a placeholder), ``vetoes(a, b)`` a
    reason when two clusters must not become one. A veto must be monotone
    (whatever it vetoes, it also vetoes for any clusters containing them) and
    may look only at the clusters' identifiers. Guard names must be unique.

    :param config: the hub's :class:`~omnicontact.MatchingConfig`.
    :returns: a list of merge guards.

    .. versionadded:: 0.2
    """


@hookspec
def register_stage_models() -> list[StageModel]:  # type: ignore[empty-body]
    """Contribute lifecycle stage models: the tracks a contact moves along.

    Called once when a :class:`~omnicontact.Hub` is created. Each model is a
    :class:`~omnicontact.StageModel`: a ``name`` (the track), its ordered
    ``stages`` (each with a rank), its transition ``rules`` and the stage a
    contact enters when first seen. Every model runs at once, each as its own
    track; the rules must be pure functions of the contact's touchpoints (and
    scores) up to a time, so that a contact's history is recomputed from its
    touchpoints after any merge or split. Model names must be unique; a model
    with the name of a built-in one replaces it.

    :returns: a list of stage models.

    .. versionadded:: 0.4
    """


@hookspec
def register_scoring_strategies() -> list[ScoringStrategy]:  # type: ignore[empty-body]
    """Contribute scoring strategies: named scores of a contact as of a time.

    Called once when a :class:`~omnicontact.Hub` is created. Each strategy is a
    :class:`~omnicontact.ScoringStrategy`: a ``name``, a ``description``,
    ``needs_population`` with ``prepare(subjects, as_of)`` for scores relative
    to everyone (RFM quintiles), and ``score(subject, as_of, prepared)``, a
    pure function of the contact's touchpoints and traits up to ``as_of`` that
    returns a :class:`~omnicontact.Score` with its breakdown. Names must be
    unique; a strategy with the name of a built-in one replaces it.

    :returns: a list of scoring strategies.

    .. versionadded:: 0.4
    """


# --------------------------------------------------------------------------
# notifications
# --------------------------------------------------------------------------


@hookspec
def contact_merged(hub: Hub, contact_id: str, merged_ids: tuple[str, ...]) -> None:
    """Contacts were merged into one.

    :param hub: the hub where it happened.
    :param contact_id: the surviving contact's id (the oldest of them).
    :param merged_ids: the ids that merged into it; they stay valid aliases.

    .. versionadded:: 0.1
    """


@hookspec
def contact_split(hub: Hub, contact_id: str, into_ids: tuple[str, ...]) -> None:
    """A contact was divided into several.

    Happens when new evidence shows that one contact held several people (for
    example a shared device once both users identified with different e-mails).

    :param hub: the hub where it happened.
    :param contact_id: the id of the contact that was divided.
    :param into_ids: the ids of the contacts it became; ``contact_id`` is one of
        them when its oldest touchpoint stayed.

    .. versionadded:: 0.1
    """


@hookspec
def stage_changed(hub: Hub, contact_id: str, change: StageChange) -> None:
    """A contact entered a stage of a track, because of a touchpoint just added.

    Called after the write is committed, once for each change of a contact's
    history whose cause is a touchpoint added by that write (``hub.add``, or a
    chunk of ``add_many`` / ``ingest``). Histories are recomputed from
    touchpoints by event time, so a late touchpoint can cause a change dated
    in the past. Changes that fall due with time alone (a customer who lapses
    after a year without a purchase) are in the history as of any date, but
    are not notified. Nothing is called when no plug-in implements this hook.

    :param hub: the hub where it happened.
    :param contact_id: the contact's current id.
    :param change: the :class:`~omnicontact.StageChange`: track, from and to
        stage, event time, the touchpoint and the rule that caused it.

    .. versionadded:: 0.4
    """


@hookspec
def touchpoint_rejected(hub: Hub, rejection: Rejection) -> None:
    """A record was put in quarantine instead of the log during batch ingestion.

    :param hub: the hub that rejected it.
    :param rejection: the record, where it was in the batch, and why; the
        reason names the field and rule, never the personal value.

    .. versionadded:: 0.1
    """
