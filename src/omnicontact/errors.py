"""The exception and warning tree.

Every error omnicontact raises is an :class:`OmnicontactError`; each leaf also
subclasses the builtin it resembles, so ``except ValueError`` keeps working in
code that does not know omnicontact.

Messages name the *field* and the *rule* that was broken, never the personal
value itself: they are safe to log.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AmbiguousIdentifierError",
    "AnalyticsError",
    "ConfigurationError",
    "ConflictError",
    "ContactNotFoundError",
    "FutureTimestampWarning",
    "InvalidDecisionError",
    "InvalidIdentifierError",
    "InvalidTimestampError",
    "InvalidTouchpointError",
    "OmnicontactError",
    "OmnicontactWarning",
    "PluginError",
    "PluginRegistrationError",
    "SchemaVersionError",
    "StoreError",
    "SuppressedError",
    "TouchpointNotFoundError",
    "UnknownIdentifierKindError",
]


class OmnicontactError(Exception):
    """Root of every error raised by omnicontact."""


class ConfigurationError(OmnicontactError, ValueError):
    """A :class:`~omnicontact.Hub` or plug-in was configured with a bad option."""


class InvalidTouchpointError(OmnicontactError, ValueError):
    """A touchpoint, or a mapping meant to become one, breaks a rule.

    :ivar field: the field that is wrong (``"occurred_at"``, ``"traits.country"``, …).
    :ivar rule: the rule it breaks, in words; never the offending value.
    """

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class InvalidTimestampError(InvalidTouchpointError):
    """A timestamp cannot be parsed, or falls outside what the hub accepts."""


class InvalidIdentifierError(InvalidTouchpointError):
    """An identifier value cannot be normalized under its kind's policy.

    :ivar kind: the identifier kind (``"email"``, ``"phone"``, …).
    """

    def __init__(self, kind: str, rule: str, *, field: str | None = None) -> None:
        self.kind = kind
        super().__init__(field or f"identifiers.{kind}", rule)


class UnknownIdentifierKindError(InvalidIdentifierError, LookupError):
    """No loaded plug-in registers this identifier kind."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind, "no registered identifier kind has this name")


class ConflictError(OmnicontactError, ValueError):
    """A touchpoint id arrived again with a different payload.

    Touchpoint ids are idempotency keys: the same id with the same content is a
    harmless duplicate, the same id with other content is a conflict.

    :ivar field: always ``"id"``.
    :ivar rule: what conflicts, in words.
    """

    def __init__(self, rule: str, field: str = "id") -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class InvalidDecisionError(OmnicontactError, ValueError):
    """A split, confirmation or rejection was asked with arguments that do not fit.

    For example a split whose parts overlap, or name a touchpoint of another contact.
    """


class ContactNotFoundError(OmnicontactError, LookupError):
    """No contact carries this identifier or contact id."""


class AmbiguousIdentifierError(OmnicontactError, LookupError):
    """A (weak) identifier is carried by several contacts; use ``Hub.contacts_with``."""


class TouchpointNotFoundError(OmnicontactError, LookupError):
    """No touchpoint with this id has been added to the hub."""


class PluginError(OmnicontactError, RuntimeError):
    """A plug-in raised; the message names the plug-in and the hook.

    :ivar plugin: the plug-in's registered name.
    :ivar hook: the hook being called.
    :ivar report: during batch ingestion, the batch's
        :class:`~omnicontact.IngestReport` (the batch was fully processed).
    """

    def __init__(self, plugin: str, hook: str, rule: str) -> None:
        self.plugin = plugin
        self.hook = hook
        self.report: Any = None
        super().__init__(f"plug-in {plugin!r} in {hook}: {rule}")


class PluginRegistrationError(PluginError, TypeError):
    """A plug-in contributed something of the wrong shape, or a clashing name."""


class SuppressedError(OmnicontactError, ValueError):
    """The touchpoint belongs to a person whose data was erased: it is not stored.

    Its id, or one of its identifiers, is on the suppression list that
    ``hub.erase`` left (as keyed hashes). In batch ingestion such records are
    counted in ``IngestReport.suppressed``, neither stored nor quarantined.
    ``hub.unsuppress(...)`` lifts it (the person came back of their own will).
    """


class AnalyticsError(OmnicontactError, ValueError):
    """An analysis was asked with arguments that cannot give an answer.

    An unknown stage, track or channel, a conversion window that is not
    positive, a funnel without steps: the message names the argument and
    the rule, never a personal value.
    """


class OmnicontactWarning(UserWarning):
    """Root of every warning issued by omnicontact."""


class FutureTimestampWarning(OmnicontactWarning):
    """A touchpoint happened further in the future than the hub tolerates.

    Issued instead of :class:`InvalidTimestampError` when the hub's
    ``future_timestamps`` policy is ``"warn"``.
    """


class StoreError(OmnicontactError, RuntimeError):
    """The store failed (a disk or I/O error, a locked database past its timeout).

    The write that failed is rolled back as a whole; what was acknowledged
    before it stays. The message names the operation, never a stored value.
    """


class SchemaVersionError(StoreError):
    """A database file was written by a newer omnicontact, or is not omnicontact's.

    Opening it is refused before anything is read or written; upgrade
    omnicontact to open it.
    """
