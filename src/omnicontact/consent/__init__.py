"""Consent per channel and purpose, derived from a contact's touchpoints.

Decisions are read from touchpoints by a data table of rules
(:data:`CONSENT_RULES`); :func:`consent_state` gives a contact's consent as
of a time, with its full history and the conflicts between the identifiers
merged into it (the most restrictive recent decision wins). See
``docs/privacy.md``.
"""

from omnicontact.consent.model import (
    ALL,
    DEFAULT_ALLOWED_PURPOSES,
    DENIED,
    GRANTED,
    LEGAL_BASES,
    PURPOSES,
    STATUSES,
    ConsentConflict,
    ConsentDecision,
    IgnoredConsent,
)
from omnicontact.consent.rules import (
    CONSENT_RULES,
    DEFAULT_SUBJECT_KINDS,
    SUBJECT_KINDS,
    ConsentRule,
    subjects_of,
)
from omnicontact.consent.state import ConsentState, consent_state

__all__ = [
    "ALL",
    "CONSENT_RULES",
    "DEFAULT_ALLOWED_PURPOSES",
    "DEFAULT_SUBJECT_KINDS",
    "DENIED",
    "GRANTED",
    "LEGAL_BASES",
    "PURPOSES",
    "STATUSES",
    "SUBJECT_KINDS",
    "ConsentConflict",
    "ConsentDecision",
    "ConsentRule",
    "ConsentState",
    "IgnoredConsent",
    "consent_state",
    "subjects_of",
]
