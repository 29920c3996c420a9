"""The built-in stage models: ``extended_crm`` (the default), ``inbound`` and ``b2b``.

Each is a function that returns a :class:`~omnicontact.lifecycle.StageModel`;
the function's name is the track's name. ``docs/lifecycle.md`` has a table of
each model's stages and rules.
"""

from __future__ import annotations

from datetime import timedelta

from omnicontact.lifecycle.base import Stage
from omnicontact.lifecycle.constructors import (
    after_inactivity,
    any_of,
    on_action,
    on_identifier,
    on_property,
    on_score,
)
from omnicontact.lifecycle.history import StageModel
from omnicontact.lifecycle.rules import TouchpointRule, TransitionRule

__all__ = ["DEFAULT_MODEL", "b2b", "builtin_models", "extended_crm", "inbound"]

DEFAULT_MODEL = "extended_crm"
"""The name of the default track."""

IDENTIFYING_KINDS = frozenset({"email", "phone"})
PROMOTER_ACTIONS = frozenset({"nps_response", "survey_response"})


def _promoter(name: str, to: str, from_stages: frozenset[str]) -> TouchpointRule:
    """Return a rule for a promoter score of 9 or 10 (``nps``, or ``score`` on a survey)."""
    return any_of(
        name,
        to,
        on_property(name, to, "nps", at_least=9, at_most=10),
        on_property(name, to, "score", actions=PROMOTER_ACTIONS, at_least=9, at_most=10),
        from_stages=from_stages,
    )


def _good_review(name: str, to: str, from_stages: frozenset[str]) -> TouchpointRule:
    """Return a rule for a review rated 4 or more (property ``rating``, 1 to 5)."""
    return on_property(name, to, "rating", actions="review", at_least=4, from_stages=from_stages)


def extended_crm(lapse_after: timedelta = timedelta(days=365)) -> StageModel:
    """Return the default track: suspect → prospect → customer → ambassador, and ``lapsed``.

    :param lapse_after: how long a customer or ambassador goes without a
        purchase before lapsing.
    """
    customers = frozenset({"customer"})
    rules: tuple[TransitionRule, ...] = (
        on_identifier("identified", "prospect", IDENTIFYING_KINDS),
        on_action("subscribed", "prospect", ("newsletter_subscribe", "signup")),
        on_action("purchased", "customer", "purchase"),
        on_action("referred", "ambassador", ("referral", "share"), from_stages=customers),
        _good_review("reviewed", "ambassador", customers),
        _promoter("promoter", "ambassador", customers),
        after_inactivity(
            "lapsed", "lapsed", "purchase", lapse_after, from_stages=("customer", "ambassador")
        ),
    )
    return StageModel(
        name="extended_crm",
        stages=(
            Stage("suspect", 0, "Seen, not identified."),
            Stage("prospect", 1, "Identified: gave an e-mail or phone, subscribed or signed up."),
            Stage("lapsed", 1, "Was a customer; no purchase for a while."),
            Stage("customer", 2, "Bought."),
            Stage("ambassador", 3, "A customer who recommends: referral, share, review, promoter."),
        ),
        rules=rules,
        initial="suspect",
        description="From the first anonymous touch to ambassador (the extended-CRM idea).",
    )


def inbound() -> StageModel:
    """Return a HubSpot-like track: stranger → visitor → lead → customer → promoter."""
    customers = frozenset({"customer"})
    rules: tuple[TransitionRule, ...] = (
        on_action("visited", "visitor", ("page_view", "screen_view", "app_install")),
        on_identifier("identified", "lead", IDENTIFYING_KINDS),
        on_action("subscribed", "lead", ("newsletter_subscribe", "signup")),
        on_action("purchased", "customer", "purchase"),
        on_action("referred", "promoter", ("referral", "share"), from_stages=customers),
        _good_review("reviewed", "promoter", customers),
        _promoter("promoter", "promoter", customers),
    )
    return StageModel(
        name="inbound",
        stages=(
            Stage("stranger", 0, "Seen somewhere (an ad, a message), not on our site or app yet."),
            Stage("visitor", 1, "Visited the site or the app."),
            Stage("lead", 2, "Identified: gave an e-mail or phone, subscribed or signed up."),
            Stage("customer", 3, "Bought."),
            Stage("promoter", 4, "A customer who recommends: referral, share, review, promoter."),
        ),
        rules=rules,
        initial="stranger",
        description="Inbound marketing: attract, convert, close, delight.",
    )


def b2b(mql_score: str = "behaviour", mql_threshold: float = 50) -> StageModel:
    """Return a business-to-business funnel, from subscriber to evangelist.

    subscriber → lead → mql → sql → opportunity → customer → evangelist.

    :param mql_score: the score that makes a marketing-qualified lead.
    :param mql_threshold: the score at which it does (once per history).
    """
    customers = frozenset({"customer"})
    rules: tuple[TransitionRule, ...] = (
        on_action("subscribed", "subscriber", "newsletter_subscribe"),
        on_identifier("email_given", "subscriber", "email"),
        on_action("converted", "lead", ("signup", "form_submit", "download", "demo_request")),
        on_score("mql_score", "mql", mql_score, mql_threshold, once=True),
        on_action("mql", "mql", "mql"),
        on_action("sales_qualified", "sql", ("meeting_booked", "sales_accepted")),
        on_action("opportunity", "opportunity", "opportunity_created"),
        on_action("won", "customer", ("purchase", "deal_won")),
        on_action("referred", "evangelist", "referral", from_stages=customers),
        _good_review("reviewed", "evangelist", customers),
        _promoter("promoter", "evangelist", customers),
    )
    return StageModel(
        name="b2b",
        stages=(
            Stage("subscriber", 0, "Subscribed to the newsletter or gave an e-mail."),
            Stage("lead", 1, "Converted: signed up, filled a form, downloaded, asked for a demo."),
            Stage("mql", 2, "Marketing-qualified: behaviour score high enough, or marked so."),
            Stage("sql", 3, "Sales-qualified: a meeting booked or accepted by sales."),
            Stage("opportunity", 4, "An opportunity is open."),
            Stage("customer", 5, "Bought, or a deal was won."),
            Stage("evangelist", 6, "A customer who recommends: referral, review, promoter."),
        ),
        rules=rules,
        initial=None,
        description="A business-to-business funnel, from subscriber to evangelist.",
    )


def builtin_models() -> tuple[StageModel, ...]:
    """Return the built-in models with their default settings, the default first."""
    return (extended_crm(), inbound(), b2b())
