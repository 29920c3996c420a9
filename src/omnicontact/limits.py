"""Size and shape limits on raw payloads: refused quickly, in bounded memory.

A payload from a channel is untrusted: a deeply nested object, a huge string
or a huge document must not exhaust the process. :class:`PayloadLimits` is
checked before an adapter reads a payload; a payload over a limit is
quarantined with a reason that names the limit, never the content.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from omnicontact.errors import ConfigurationError, InvalidTouchpointError

__all__ = ["PayloadLimits"]


def _positive(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"limits: {attribute.name} must be a positive integer")


@attrs.frozen(kw_only=True)
class PayloadLimits:
    """How large and deep a payload may be.

    :param max_bytes: the payload's size, counted as the length of its strings
        and keys plus 8 per other value (default 1 MiB); for a raw text line,
        its length.
    :param max_depth: how deeply objects and lists may nest (default 32).
    :param max_string: the longest string or key, in characters (default 65,536).
    :param max_items: the most members of one object or list (default 10,000).
    """

    max_bytes: int = attrs.field(default=1 << 20, validator=_positive)
    max_depth: int = attrs.field(default=32, validator=_positive)
    max_string: int = attrs.field(default=65_536, validator=_positive)
    max_items: int = attrs.field(default=10_000, validator=_positive)

    def check(self, payload: Any) -> None:
        """Refuse a payload over a limit; walk it without recursion, stopping at the first.

        :raises InvalidTouchpointError: on the field ``payload``, naming the limit.
        """
        budget = self.max_bytes
        stack: list[tuple[Any, int]] = [(payload, 0)]
        while stack:
            value, depth = stack.pop()
            if isinstance(value, str):
                if len(value) > self.max_string:
                    raise InvalidTouchpointError(
                        "payload", f"holds a string longer than {self.max_string} characters"
                    )
                budget -= len(value)
            elif isinstance(value, (Mapping, list, tuple)):
                if depth >= self.max_depth:
                    raise InvalidTouchpointError(
                        "payload", f"is nested deeper than {self.max_depth} levels"
                    )
                if len(value) > self.max_items:
                    raise InvalidTouchpointError(
                        "payload", f"holds more than {self.max_items} members in one place"
                    )
                if isinstance(value, Mapping):
                    for key, item in value.items():
                        stack.append((key, depth + 1))
                        stack.append((item, depth + 1))
                else:
                    stack.extend((item, depth + 1) for item in value)
                budget -= 8
            else:
                budget -= 8
            if budget < 0:
                raise InvalidTouchpointError("payload", f"is larger than {self.max_bytes} bytes")

    def check_text(self, text: str) -> None:
        """Refuse a raw line longer than ``max_bytes`` before it is parsed.

        :raises InvalidTouchpointError: on the field ``payload``.
        """
        if len(text) > self.max_bytes:
            raise InvalidTouchpointError("payload", f"is larger than {self.max_bytes} bytes")
