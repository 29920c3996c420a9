"""``hub.explain(contact)``: the evidence graph behind one contact, printable for a person."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from omnicontact.matching.rules import EvidencePart
from omnicontact.model import Identifier

__all__ = [
    "ExplainedLink",
    "ExplainedVeto",
    "Explanation",
    "IgnoredIdentifier",
    "PendingReview",
    "mask",
]


def mask(identifier: Identifier) -> str:
    """Return ``kind:value`` with most of the value hidden (``email:j•••h@example.com``)."""
    value = identifier.value
    if identifier.kind == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"email:{_mask_text(local)}@{domain}"
    return f"{identifier.kind}:{_mask_text(value)}"


def _mask_text(text: str) -> str:
    if len(text) <= 2:
        return "•" * len(text)
    keep = 1 if len(text) < 8 else 2
    return text[:keep] + "•" * (len(text) - 2 * keep) + text[-keep:]


@attrs.frozen
class ExplainedLink:
    """One link inside the contact: which rule joined which touchpoints or identifier.

    :param rule: ``shared_identifier``, ``confirmed``, ``shared_weak_identifier``
        or a probabilistic rule's name.
    :param touchpoint_id: one end: a touchpoint.
    :param other_touchpoint_id: the other end, when it is a touchpoint.
    :param identifier: the other end, when it is an identifier the touchpoint carries.
    :param weight: the match weight (log2 odds); ``inf`` for deterministic links.
    :param parts: each compared field's level and weight (probabilistic links).
    """

    rule: str
    touchpoint_id: str
    other_touchpoint_id: str | None = None
    identifier: Identifier | None = None
    weight: float = math.inf
    parts: tuple[EvidencePart, ...] = ()


@attrs.frozen
class ExplainedVeto:
    """A link that was refused at the contact's edge, and why.

    :param rule: the rule that proposed the link.
    :param touchpoint_id: the touchpoint on one side.
    :param other_touchpoint_id: the touchpoint on the other side, if a touchpoint.
    :param identifier: the identifier on the other side, if an identifier.
    :param guard: the guard that vetoed it (``never_link`` for a decision).
    :param reason: the guard's reason.
    """

    rule: str
    touchpoint_id: str
    other_touchpoint_id: str | None
    identifier: Identifier | None
    guard: str
    reason: str


@attrs.frozen
class IgnoredIdentifier:
    """An identifier of the contact's touchpoints that links nothing, and why.

    :param identifier: the identifier.
    :param reason: ``blocked by <guard>: <reason>`` or ``frozen as shared``.
    """

    identifier: Identifier
    reason: str


@attrs.frozen
class PendingReview:
    """A doubtful pair touching the contact, waiting for a person's decision.

    :param touchpoint_id: the contact's touchpoint.
    :param other_touchpoint_id: the touchpoint of the other contact.
    :param other_contact_id: the other contact.
    :param weight: the match weight.
    :param parts: each compared field's level and weight.
    """

    touchpoint_id: str
    other_touchpoint_id: str
    other_contact_id: str
    weight: float
    parts: tuple[EvidencePart, ...]


@attrs.frozen
class Explanation:
    """Why a contact is made of what it is made of.

    :param contact_id: the contact.
    :param touchpoint_ids: its touchpoints, oldest first.
    :param links: the links that hold it together.
    :param vetoes: links refused between it and other contacts (or inside its
        candidate component), with the guard and reason.
    :param ignored: identifiers on its touchpoints that link nothing.
    :param reviews: doubtful pairs with other contacts, awaiting a decision.
    """

    contact_id: str
    touchpoint_ids: tuple[str, ...]
    links: tuple[ExplainedLink, ...]
    vetoes: tuple[ExplainedVeto, ...]
    ignored: tuple[IgnoredIdentifier, ...]
    reviews: tuple[PendingReview, ...]

    def render(self, *, reveal: bool = False) -> str:
        """Return the explanation as text for a person.

        Identifier values are masked unless *reveal* is true.
        """
        show: Callable[[Identifier], str] = (lambda i: f"{i.kind}:{i.value}") if reveal else mask
        lines = [f"contact {self.contact_id}: {len(self.touchpoint_ids)} touchpoint(s)"]
        by_rule: dict[str, list[ExplainedLink]] = {}
        for link in self.links:
            by_rule.setdefault(link.rule, []).append(link)
        lines.append(f"links ({len(self.links)}):")
        if not self.links:
            lines.append("  (none: a single touchpoint, or touchpoints sharing only themselves)")
        for rule in sorted(by_rule):
            for link in by_rule[rule]:
                if link.identifier is not None:
                    lines.append(f"  {rule}: {link.touchpoint_id} carries {show(link.identifier)}")
                    continue
                weight = "certain" if math.isinf(link.weight) else f"weight {link.weight:+.1f}"
                lines.append(
                    f"  {rule}: {link.touchpoint_id} ~ {link.other_touchpoint_id} ({weight})"
                )
                lines.extend(_parts(link.parts))
        if self.vetoes:
            lines.append(f"vetoed ({len(self.vetoes)}):")
            for veto in self.vetoes:
                other = show(veto.identifier) if veto.identifier else veto.other_touchpoint_id
                lines.append(
                    f"  {veto.rule}: {veto.touchpoint_id} ~ {other} refused by {veto.guard}:"
                    f" {veto.reason}"
                )
        if self.ignored:
            lines.append(f"ignored identifiers ({len(self.ignored)}):")
            lines.extend(f"  {show(i.identifier)}: {i.reason}" for i in self.ignored)
        if self.reviews:
            lines.append(f"awaiting review ({len(self.reviews)}):")
            for review in self.reviews:
                lines.append(
                    f"  {review.touchpoint_id} ~ {review.other_touchpoint_id} of contact"
                    f" {review.other_contact_id} (weight {review.weight:+.1f})"
                )
                lines.extend(_parts(review.parts))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()

    def as_dict(self, *, reveal: bool = False) -> dict[str, Any]:
        """Return the explanation in JSON form; values masked unless *reveal*."""
        show: Callable[[Identifier], str] = (lambda i: f"{i.kind}:{i.value}") if reveal else mask

        def parts(items: Sequence[EvidencePart]) -> list[dict[str, Any]]:
            return [{"field": p.field, "level": p.level, "weight": p.weight} for p in items]

        return {
            "contact_id": self.contact_id,
            "touchpoint_ids": list(self.touchpoint_ids),
            "links": [
                {
                    "rule": link.rule,
                    "touchpoint_id": link.touchpoint_id,
                    "other_touchpoint_id": link.other_touchpoint_id,
                    "identifier": show(link.identifier) if link.identifier else None,
                    "weight": None if math.isinf(link.weight) else link.weight,
                    "parts": parts(link.parts),
                }
                for link in self.links
            ],
            "vetoes": [
                {
                    "rule": veto.rule,
                    "touchpoint_id": veto.touchpoint_id,
                    "other_touchpoint_id": veto.other_touchpoint_id,
                    "identifier": show(veto.identifier) if veto.identifier else None,
                    "guard": veto.guard,
                    "reason": veto.reason,
                }
                for veto in self.vetoes
            ],
            "ignored": [
                {"identifier": show(i.identifier), "reason": i.reason} for i in self.ignored
            ],
            "reviews": [
                {
                    "touchpoint_id": r.touchpoint_id,
                    "other_touchpoint_id": r.other_touchpoint_id,
                    "other_contact_id": r.other_contact_id,
                    "weight": r.weight,
                    "parts": parts(r.parts),
                }
                for r in self.reviews
            ],
        }


def _parts(parts: Sequence[EvidencePart]) -> list[str]:
    return [f"      {p.field}: {p.level} ({p.weight:+.1f})" for p in parts if p.level != "null"]
