"""Built-in scoring strategies over a contact's own touchpoints.

``behaviour`` (points per action, decaying with age), ``engagement``
(recency-weighted activity across channels) and ``ambassador`` (promoter
scores, reviews, referrals, shares, support sentiment); ``fit``, ``rfm`` and
``churn_risk`` live in their own modules. ``docs/scoring.md`` gives every
formula and default table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from omnicontact._frozen import FrozenMap
from omnicontact.errors import ConfigurationError
from omnicontact.scoring.base import (
    Contribution,
    Score,
    Subject,
    _PopulationFree,
    _positive,
    age_days,
    first_number,
    number,
)
from omnicontact.scoring.churn import ChurnRiskStrategy
from omnicontact.scoring.fit import FitStrategy
from omnicontact.scoring.rfm import RFMStrategy

__all__ = [
    "AMBASSADOR_POINTS",
    "BEHAVIOUR_POINTS",
    "AmbassadorStrategy",
    "BehaviourStrategy",
    "ENGAGEMENT_WEIGHTS",
    "EngagementStrategy",
    "StepDecay",
    "builtin_strategies",
]

BEHAVIOUR_POINTS: Mapping[str, float] = FrozenMap(
    {
        "page_view": 1,
        "screen_view": 1,
        "product_view": 2,
        "login": 2,
        "email_open": 2,
        "email_click": 5,
        "ad_click": 3,
        "signup": 15,
        "newsletter_subscribe": 10,
        "app_install": 5,
        "loyalty_enroll": 10,
        "add_to_cart": 5,
        "checkout": 8,
        "purchase": 25,
        "review": 10,
        "referral": 20,
        "share": 8,
        "call": 5,
        "complaint": 0,
        "email_unsubscribe": -10,
        "email_spam_complaint": -25,
    }
)
"""The ``behaviour`` strategy's default points per action; other actions score 0."""

ENGAGEMENT_WEIGHTS: Mapping[str, float] = FrozenMap(
    {
        "email_sent": 0,
        "email_delivered": 0,
        "email_bounce": 0,
        "ad_impression": 0,
        "email_unsubscribe": 0,
        "email_spam_complaint": 0,
        "page_view": 1,
        "screen_view": 1,
        "product_view": 1,
        "login": 1,
        "email_open": 1,
        "ad_click": 2,
        "call": 2,
        "email_click": 3,
        "signup": 3,
        "add_to_cart": 3,
        "share": 3,
        "checkout": 4,
        "review": 4,
        "purchase": 5,
        "referral": 5,
    }
)
"""The ``engagement`` strategy's default weight per action; other actions weigh 1."""

AMBASSADOR_POINTS: Mapping[str, float] = FrozenMap(
    {
        "promoter": 20,
        "passive": 5,
        "detractor": -20,
        "positive_review": 15,
        "negative_review": -15,
        "referral": 25,
        "share": 10,
        "positive_sentiment": 5,
        "negative_sentiment": -5,
        "complaint": -5,
    }
)
"""The ``ambassador`` strategy's default points per signal (see docs/scoring.md)."""

_NPS_KEYS = ("nps", "score")


def _points(value: Mapping[str, Any]) -> FrozenMap:
    table = {}
    for key, points in value.items():
        checked = number(points)
        if not isinstance(key, str) or checked is None:
            raise ConfigurationError("scoring points: each action needs a finite number")
        table[key] = checked
    return FrozenMap(table)


def _optional_positive(_instance: object, attribute: Any, value: float | None) -> None:
    if value is not None:
        _positive(attribute.name)(_instance, attribute, value)


@attrs.frozen
class StepDecay:
    """Lose a share of the points every so many days: ``(1 - loss) ** floor(age / every_days)``.

    :param every_days: the length of a step, in days.
    :param loss: the share lost at each step, between 0 and 1.
    """

    every_days: float = attrs.field(validator=_positive("every_days"))
    loss: float = attrs.field()

    @loss.validator
    def _check_loss(self, _attribute: object, value: float) -> None:
        if not (isinstance(value, (int, float)) and 0 <= value <= 1):
            raise ConfigurationError("loss: must be a share between 0 and 1")

    def weight(self, age: float) -> float:
        """Return the weight of something *age* days old."""
        return float((1.0 - self.loss) ** math.floor(age / self.every_days))


# --------------------------------------------------------------------------
# behaviour
# --------------------------------------------------------------------------


@attrs.frozen
class BehaviourStrategy(_PopulationFree):
    """Points per action, decaying with age: ``points[action] * 2 ** (-age / half_life_days)``.

    :param points: points per action (default :data:`BEHAVIOUR_POINTS`); other actions score 0.
    :param half_life_days: days after which an action counts half.
    :param step: a :class:`StepDecay` to use instead of the half-life.
    :param max_age_days: actions older than this count nothing (no limit by default).
    """

    points: Mapping[str, float] = attrs.field(default=BEHAVIOUR_POINTS, converter=_points)
    half_life_days: float = attrs.field(default=30.0, validator=_positive("half_life_days"))
    step: StepDecay | None = None
    max_age_days: float | None = attrs.field(default=None, validator=_optional_positive)
    name: str = "behaviour"
    description: str = "points per action, decaying with age (half-life)"

    def score(self, subject: Subject, as_of: datetime, prepared: object | None) -> Score:
        """Return the sum of the decayed points of the subject's actions."""
        value = self._walk(subject, as_of, None)
        return Score._trusted(
            self.name, value, as_of, None, type(self)._explain, (self, subject, as_of)
        )

    def _explain(self, subject: Subject, as_of: datetime) -> tuple[Contribution, ...]:
        parts: list[Contribution] = []
        self._walk(subject, as_of, parts)
        return tuple(parts)

    def _walk(self, subject: Subject, as_of: datetime, parts: list[Contribution] | None) -> float:
        table = self.points
        half_life = self.half_life_days
        step = self.step
        max_age = self.max_age_days
        total = 0.0
        for tp in subject.touchpoints:
            points = table.get(tp.action)
            if not points:
                continue
            age = (as_of - tp.occurred_at).total_seconds() / 86400.0
            if age < 0 or (max_age is not None and age > max_age):
                continue
            weight = step.weight(age) if step is not None else 2.0 ** (-age / half_life)
            earned = points * weight
            total += earned
            if parts is not None:
                parts.append(
                    Contribution(
                        f"touchpoint:{tp.id}",
                        f"{tp.action}, {age:.1f} days old, weight {weight:.2f}",
                        earned,
                    )
                )
        return total


# --------------------------------------------------------------------------
# engagement
# --------------------------------------------------------------------------


@attrs.frozen
class EngagementStrategy(_PopulationFree):
    """Recency-weighted activity, rewarded for breadth across channels.

    ``value = breadth * sum(weight[action] * channel_weight[channel] * 2 ** (-age / half_life))``
    over the touchpoints of the last ``window_days`` days, where
    ``breadth = 1 + breadth_bonus * (channels - 1)`` and ``channels`` counts the
    distinct channels of the touchpoints that weigh something.

    :param weights: weight per action (default :data:`ENGAGEMENT_WEIGHTS`).
    :param default_weight: the weight of an action not in *weights*.
    :param channel_weights: a multiplier per channel (default 1 for every channel).
    :param half_life_days: days after which a touchpoint counts half.
    :param window_days: touchpoints older than this count nothing.
    :param breadth_bonus: what each channel beyond the first adds to the multiplier.
    """

    weights: Mapping[str, float] = attrs.field(default=ENGAGEMENT_WEIGHTS, converter=_points)
    default_weight: float = 1.0
    channel_weights: Mapping[str, float] = attrs.field(factory=dict, converter=_points)
    half_life_days: float = attrs.field(default=14.0, validator=_positive("half_life_days"))
    window_days: float = attrs.field(default=90.0, validator=_positive("window_days"))
    breadth_bonus: float = 0.25
    name: str = "engagement"
    description: str = "recency-weighted activity, rewarded for breadth across channels"

    def score(self, subject: Subject, as_of: datetime, prepared: object | None) -> Score:
        """Return the breadth multiplier times the decayed weights of recent touchpoints."""
        weights = self.weights
        default = self.default_weight
        channel_weights = self.channel_weights
        half_life = self.half_life_days
        window = self.window_days
        channels = set()
        total = 0.0
        for tp in subject.touchpoints:
            weight = weights.get(tp.action, default)
            if channel_weights:
                weight *= channel_weights.get(tp.channel, 1.0)
            if not weight:
                continue
            age = (as_of - tp.occurred_at).total_seconds() / 86400.0
            if age < 0 or age > window:
                continue
            total += weight * 2.0 ** (-age / half_life)
            channels.add(tp.channel)
        breadth = 1.0 + self.breadth_bonus * (len(channels) - 1) if channels else 1.0
        return Score._trusted(
            self.name,
            breadth * total,
            as_of,
            None,
            type(self)._explain,
            (self, subject, as_of, breadth),
        )

    def _explain(
        self, subject: Subject, as_of: datetime, breadth: float
    ) -> tuple[Contribution, ...]:
        parts = []
        for tp in subject.touchpoints:
            weight = self.weights.get(tp.action, self.default_weight)
            if self.channel_weights:
                weight *= self.channel_weights.get(tp.channel, 1.0)
            if not weight:
                continue
            age = age_days(as_of, tp.occurred_at)
            if age < 0 or age > self.window_days:
                continue
            decay = 2.0 ** (-age / self.half_life_days)
            parts.append(
                Contribution(
                    f"touchpoint:{tp.id}",
                    f"{tp.action} on {tp.channel}, {age:.1f} days old, "
                    f"weight {weight:g} x decay {decay:.2f} x breadth {breadth:.2f}",
                    breadth * (weight * decay),
                )
            )
        return tuple(parts)


# --------------------------------------------------------------------------
# ambassador
# --------------------------------------------------------------------------


def _sentiment(value: object) -> str | None:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("positive", "negative"):
            return text
        value = number(text)
    found = number(value)
    if found is None:
        return None
    if found >= 0.25:
        return "positive"
    if found <= -0.25:
        return "negative"
    return None


@attrs.frozen
class AmbassadorStrategy(_PopulationFree):
    """Ambassador potential: recommendations, good reviews and promoter scores, decaying.

    Each signal scores ``points[signal] * 2 ** (-age / half_life_days)``:

    - ``nps_response``/``survey_response`` with ``nps`` (or ``score``) 0-10:
      ``promoter`` (9-10), ``passive`` (7-8), ``detractor`` (0-6);
    - ``review`` with ``rating`` 1-5: ``positive_review`` (4-5),
      ``negative_review`` (1-2), a 3 scores nothing;
    - ``referral``, ``share``, ``complaint`` (the action);
    - any touchpoint with a ``sentiment`` property (positive/negative, or a number
      from -1 to 1: at least 0.25 is positive, at most -0.25 negative).

    :param points: points per signal (default :data:`AMBASSADOR_POINTS`).
    :param half_life_days: days after which a signal counts half.
    """

    points: Mapping[str, float] = attrs.field(default=AMBASSADOR_POINTS, converter=_points)
    half_life_days: float = attrs.field(default=180.0, validator=_positive("half_life_days"))
    name: str = "ambassador"
    description: str = "ambassador potential: promoter scores, reviews, referrals, shares"

    def score(self, subject: Subject, as_of: datetime, prepared: object | None) -> Score:
        """Return the sum of the decayed points of the subject's ambassador signals."""
        value = self._walk(subject, as_of, None)
        return Score._trusted(
            self.name, value, as_of, None, type(self)._explain, (self, subject, as_of)
        )

    def _explain(self, subject: Subject, as_of: datetime) -> tuple[Contribution, ...]:
        parts: list[Contribution] = []
        self._walk(subject, as_of, parts)
        return tuple(parts)

    def _signals(self, action: str, properties: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Return ``(signal, detail)`` pairs a touchpoint carries ('' signal: ignored)."""
        found = []
        if action in ("nps_response", "survey_response"):
            nps = first_number(properties, _NPS_KEYS)
            if nps is None or not 0 <= nps <= 10:
                found.append(("", "no promoter score from 0 to 10, ignored"))
            else:
                signal = "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"
                found.append((signal, f"promoter score {nps:g}"))
        elif action == "review":
            rating = number(properties.get("rating"))
            if rating is None or not 1 <= rating <= 5:
                found.append(("", "review without a rating from 1 to 5, ignored"))
            elif rating >= 4:
                found.append(("positive_review", f"review rated {rating:g}"))
            elif rating <= 2:
                found.append(("negative_review", f"review rated {rating:g}"))
        elif action in ("referral", "share", "complaint"):
            found.append((action, action))
        if "sentiment" in properties:
            mood = _sentiment(properties["sentiment"])
            if mood is not None:
                found.append((f"{mood}_sentiment", f"{mood} sentiment"))
        return found

    def _walk(self, subject: Subject, as_of: datetime, parts: list[Contribution] | None) -> float:
        table = self.points
        total = 0.0
        for tp in subject.touchpoints:
            properties = tp.properties
            action = tp.action
            if action not in _AMBASSADOR_ACTIONS and "sentiment" not in properties:
                continue
            age = (as_of - tp.occurred_at).total_seconds() / 86400.0
            if age < 0:
                continue
            weight = 2.0 ** (-age / self.half_life_days)
            for signal, detail in self._signals(action, properties):
                earned = table.get(signal, 0.0) * weight if signal else 0.0
                total += earned
                if parts is not None and (earned or not signal):
                    parts.append(
                        Contribution(
                            f"touchpoint:{tp.id}",
                            f"{detail}, {age:.1f} days old, weight {weight:.2f}",
                            earned,
                        )
                    )
        return total


_AMBASSADOR_ACTIONS = frozenset(
    {"nps_response", "survey_response", "review", "referral", "share", "complaint"}
)


def builtin_strategies() -> tuple[
    BehaviourStrategy,
    FitStrategy,
    RFMStrategy,
    EngagementStrategy,
    AmbassadorStrategy,
    ChurnRiskStrategy,
]:
    """Return the six built-in strategies with their default settings."""
    return (
        BehaviourStrategy(),
        FitStrategy(),
        RFMStrategy(),
        EngagementStrategy(),
        AmbassadorStrategy(),
        ChurnRiskStrategy(),
    )
