"""Normalization: identifier kinds and their policies, text, dates and traits."""

from omnicontact.normalize.dates import normalize_date, normalize_datetime
from omnicontact.normalize.email import normalize_email
from omnicontact.normalize.kinds import IdentifierKind, KindRegistry, NormalizeContext, Strength
from omnicontact.normalize.normalizer import TouchpointNormalizer
from omnicontact.normalize.phone import normalize_phone
from omnicontact.normalize.text import matching_key, normalize_text
from omnicontact.normalize.traits import normalize_country, normalize_language, normalize_traits

__all__ = [
    "IdentifierKind",
    "KindRegistry",
    "NormalizeContext",
    "Strength",
    "TouchpointNormalizer",
    "matching_key",
    "normalize_country",
    "normalize_date",
    "normalize_datetime",
    "normalize_email",
    "normalize_language",
    "normalize_phone",
    "normalize_text",
    "normalize_traits",
]
