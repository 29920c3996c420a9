"""omnicontact-membership: gym and club membership numbers as a strong identifier.

The plug-in contributes the ``membership_id`` identifier kind and counts the
contact merges it is told about. omnicontact finds it through the entry point
``membership = "omnicontact_membership:MembershipPlugin"`` in the ``omnicontact``
group; since it names a class, each hub gets an instance of its own.
"""

from __future__ import annotations

import re

import omnicontact as oc

__all__ = ["RULE", "MembershipPlugin", "normalize_membership_id"]

_SEPARATORS_RE = re.compile(r"[\s\-]+")
_MEMBERSHIP_RE = re.compile(r"[A-Z]{2}\d{6}\Z", re.ASCII)  # ASCII: \d is 0-9 only
RULE = "must be two letters and six digits, such as GM004217"
"""The rule a malformed value breaks, as error messages give it."""


def normalize_membership_id(value: str, context: oc.NormalizeContext) -> str:
    """Return a membership number in canonical form: ``"gm-0042 17"`` gives ``"GM004217"``.

    Spaces and hyphens are removed and letters upper-cased; the result must be
    two letters followed by six digits.

    :raises omnicontact.InvalidIdentifierError: naming the rule, never the value.
    """
    text = _SEPARATORS_RE.sub("", value).upper()
    if not _MEMBERSHIP_RE.match(text):
        raise oc.InvalidIdentifierError("membership_id", RULE)
    return text


class MembershipPlugin:
    """The plug-in object: its hook implementations and the state they keep.

    :ivar merges: how many ``contact_merged`` notifications it received.
    """

    def __init__(self, name: str = "membership") -> None:
        # pluggy names a registered object by its __name__; an instance has
        # none, so give it one for error messages and `omnicontact plugins`.
        self.__name__ = name
        self.merges = 0

    @oc.hookimpl
    def register_identifier_kinds(self) -> list[oc.IdentifierKind]:
        """Contribute ``membership_id``, a strong identifier."""
        return [
            oc.IdentifierKind(
                name="membership_id",
                strength=oc.Strength.STRONG,
                normalize=normalize_membership_id,
                description="gym or club membership number, e.g. GM004217",
            )
        ]

    @oc.hookimpl
    def contact_merged(self, contact_id: str, merged_ids: tuple[str, ...]) -> None:
        """Count one merge: the contacts *merged_ids* became *contact_id*."""
        self.merges += 1
