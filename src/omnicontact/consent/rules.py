"""Which touchpoints are consent decisions: a data table, by action.

:data:`CONSENT_RULES` maps a touchpoint action to a :class:`ConsentRule`. A
rule either fixes the channel, purpose and status (``email_unsubscribe`` is
always e-mail marketing denied) or reads them from the touchpoint's
properties (the generic ``consent`` form that ``hub.record_consent`` writes).
Extend it by passing your own mapping to :func:`~omnicontact.consent.consent_state`::

    rules = {**CONSENT_RULES, "push_disabled": ConsentRule("push", "marketing", "denied")}

A decision's *subject* is the identifier it concerns, as a key that does not
reveal it: ``"email:" + sha256(address)``, the same digest as the
``email_sha256`` identifier. :data:`SUBJECT_KINDS` says which identifier kinds
address each channel.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from omnicontact.consent.model import (
    ALL,
    DENIED,
    GRANTED,
    LEGAL_BASES,
    STATUSES,
    ConsentDecision,
    is_slug,
    utc,
)
from omnicontact.errors import InvalidTouchpointError
from omnicontact.model import Touchpoint

__all__ = [
    "CONSENT_RULES",
    "DEFAULT_SUBJECT_KINDS",
    "SUBJECT_KINDS",
    "ConsentRule",
    "decisions_of",
    "subjects_of",
]

_SHA256_RE = re.compile(r"[0-9a-f]{64}\Z")
_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


@attrs.frozen
class ConsentRule:
    """How touchpoints with one action give consent decisions.

    A field left ``None`` is read from the touchpoint's property of the same
    name, and is then required: ``channel`` and ``purpose`` must be lower-case
    slugs or ``"*"``, ``status`` ``"granted"`` or ``"denied"``. A rule that
    reads any property also reads an optional ``legal_basis`` property (one of
    :data:`~omnicontact.consent.model.LEGAL_BASES`), which overrides its own.

    :param channel: the channel decided, or ``None``: the ``channel`` property.
    :param purpose: the purpose decided, or ``None``: the ``purpose`` property.
    :param status: the status, or ``None``: the ``status`` property, or the flag.
    :param legal_basis: the basis the decision rests on.
    :param flag: a property holding ``true`` or ``false`` (also ``"yes"``/``"no"``)
        that gives the status, granted or denied; a touchpoint without it is
        no decision (``signup`` with ``marketing_opt_in``).
    :param description: what the rule means, in words, for listings.
    """

    channel: str | None = None
    purpose: str | None = None
    status: str | None = None
    legal_basis: str | None = None
    flag: str | None = None
    description: str = ""

    @property
    def reads_properties(self) -> bool:
        """Whether it reads its channel, purpose or status from properties."""
        return (
            self.channel is None
            or self.purpose is None
            or (self.status is None and self.flag is None)
        )


CONSENT_RULES: Mapping[str, ConsentRule] = MappingProxyType(
    {
        "consent": ConsentRule(description="the generic form: properties say it all"),
        "consent_given": ConsentRule(status=GRANTED, description="generic form, granted"),
        "consent_withdrawn": ConsentRule(status=DENIED, description="generic form, denied"),
        "email_unsubscribe": ConsentRule(
            "email", "marketing", DENIED, "consent", description="unsubscribe link or ESP event"
        ),
        "email_spam_complaint": ConsentRule(
            "email", ALL, DENIED, "consent", description="marked as spam: no e-mail at all"
        ),
        "newsletter_subscribe": ConsentRule(
            "email", "marketing", GRANTED, "consent", description="newsletter opt-in"
        ),
        "sms_opt_out": ConsentRule(
            "sms", "marketing", DENIED, "consent", description="STOP, UNSUBSCRIBE, ARRET"
        ),
        "sms_opt_in": ConsentRule(
            "sms", "marketing", GRANTED, "consent", description="START, UNSTOP"
        ),
        "signup": ConsentRule(
            "email",
            "marketing",
            None,
            "consent",
            flag="marketing_opt_in",
            description="a sign-up form's marketing box, when it has one",
        ),
    }
)
"""The built-in consent rules by touchpoint action (``email_bounce`` is not one)."""

SUBJECT_KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "email": ("email",),
        "sms": ("phone",),
        "phone": ("phone",),
        "whatsapp": ("phone",),
        "push": ("device_id",),
    }
)
"""The identifier kinds that address each channel, in order of preference."""

DEFAULT_SUBJECT_KINDS = ("email", "phone", "customer_id")
"""The identifier kinds tried after the channel's own (the only ones for ``"*"``, ``post``, …).

A decision read from a touchpoint without the channel's kind (a push opt-in
recorded with the person's e-mail) still concerns someone identified: it
joins the history of that identifier.
"""


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().encode("utf-8", "surrogatepass")).hexdigest()


def subjects_of(touchpoint: Touchpoint, channel: str) -> tuple[str | None, ...]:
    """Return the subjects of a decision on *channel* read from *touchpoint*.

    The first kind the touchpoint carries, of those :data:`SUBJECT_KINDS`
    gives for *channel* then :data:`DEFAULT_SUBJECT_KINDS`, gives one
    subject per value, ``"<kind>:<sha256 of the value>"``; an identifier of
    kind ``<kind>_sha256`` gives ``"<kind>:<its value>"``, the same key.
    Values are hashed as they are on the touchpoint (a hub's touchpoints are
    normalized). ``(None,)`` when it carries none of those kinds.
    """
    kinds = dict.fromkeys((*SUBJECT_KINDS.get(channel, ()), *DEFAULT_SUBJECT_KINDS))
    for kind in kinds:
        hashed = f"{kind}_sha256"
        found = set()
        for ident in touchpoint.identifiers:
            if ident.kind == kind:
                found.add(f"{kind}:{_digest(ident.value)}")
            elif ident.kind == hashed:
                value = ident.value.strip().lower()
                if _SHA256_RE.match(value):
                    found.add(f"{kind}:{value}")
        if found:
            return tuple(sorted(found))
    return (None,)


def _slug(touchpoint: Touchpoint, name: str) -> str:
    value = touchpoint.properties.get(name)
    if value is None:
        raise InvalidTouchpointError(f"properties.{name}", "is required")
    text = value.strip().lower() if isinstance(value, str) else value
    if not is_slug(text):
        raise InvalidTouchpointError(f"properties.{name}", "must be a lower-case slug or '*'")
    assert isinstance(text, str)
    return text


def _status(touchpoint: Touchpoint, rule: ConsentRule) -> str | None:
    props = touchpoint.properties
    if rule.flag is not None:
        value = props.get(rule.flag)
        if value is None:
            return None
        text = value.strip().lower() if isinstance(value, str) else value
        if text is True or text in _TRUE:
            return GRANTED
        if text is False or text in _FALSE:
            return DENIED
        raise InvalidTouchpointError(f"properties.{rule.flag}", "must be true or false")
    value = props.get("status")
    if rule.status is not None and (value is None or not rule.reads_properties):
        return rule.status
    if value is None:
        raise InvalidTouchpointError("properties.status", "is required")
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in STATUSES:
        raise InvalidTouchpointError("properties.status", "must be 'granted' or 'denied'")
    if rule.status is not None and text != rule.status:
        raise InvalidTouchpointError("properties.status", "contradicts the action")
    assert isinstance(text, str)
    return text


def _basis(touchpoint: Touchpoint, rule: ConsentRule) -> str | None:
    value = touchpoint.properties.get("legal_basis") if rule.reads_properties else None
    if value is None:
        return rule.legal_basis
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in LEGAL_BASES:
        raise InvalidTouchpointError("properties.legal_basis", "must be a GDPR article 6 basis")
    assert isinstance(text, str)
    return text


def decisions_of(touchpoint: Touchpoint, rule: ConsentRule) -> tuple[ConsentDecision, ...]:
    """Return the decisions *rule* reads from *touchpoint*: one per subject, or none.

    :raises InvalidTouchpointError: naming the property (``properties.purpose``)
        and the rule it breaks, never the value.
    """
    channel = rule.channel if rule.channel is not None else _slug(touchpoint, "channel")
    purpose = rule.purpose if rule.purpose is not None else _slug(touchpoint, "purpose")
    status = _status(touchpoint, rule)
    if status is None:
        return ()
    basis = _basis(touchpoint, rule)
    at = utc(touchpoint.occurred_at)
    source = touchpoint.source if touchpoint.source is not None else touchpoint.channel
    return tuple(
        ConsentDecision(
            channel=channel,
            purpose=purpose,
            status=status,
            at=at,
            source=source,
            touchpoint_id=touchpoint.id,
            legal_basis=basis,
            subject=subject,
        )
        for subject in subjects_of(touchpoint, channel)
    )
