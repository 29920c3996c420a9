"""Characters no identifier or id may contain."""

from __future__ import annotations

import re

__all__ = ["UNSAFE_RE"]

UNSAFE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
"""Control characters, zero-width and bidirectional marks, word joiners, BOM."""
