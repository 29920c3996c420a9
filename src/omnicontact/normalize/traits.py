"""Traits: canonical names, each with its normalizer.

Canonical traits (see ``docs/concepts.md``) are checked and put in one form;
any other trait is kept under its own name, strings in NFC with whitespace
collapsed. ``None`` or blank values mean "not given" and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import phonenumbers

from omnicontact.errors import InvalidTouchpointError
from omnicontact.normalize.dates import normalize_date
from omnicontact.normalize.kinds import NormalizeContext
from omnicontact.normalize.text import normalize_text

__all__ = [
    "CANONICAL_TRAITS",
    "normalize_country",
    "normalize_language",
    "normalize_traits",
    "region_hint",
]

_COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}
# ISO 3166-1 alpha-2 codes with no telephone numbering plan of their own.
_NO_PHONE_PLAN = {"AQ", "BV", "GS", "HM", "PN", "TF", "UM"}
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS) | _NO_PHONE_PLAN
_LANGUAGE_RE = re.compile(
    r"(?P<lang>[a-z]{2,3})(?:-(?P<script>[a-z]{4}))?(?:-(?P<region>[a-z]{2}|\d{3}))?\Z"
)


def normalize_country(value: object, field: str = "traits.country") -> str:
    """Return an ISO 3166-1 alpha-2 code, upper-cased (``uk`` is read as ``GB``).

    :raises InvalidTouchpointError: when it is not a known alpha-2 code.
    """
    if not isinstance(value, str):
        raise InvalidTouchpointError(field, "must be an ISO 3166-1 alpha-2 code")
    code = value.strip().upper()
    code = _COUNTRY_ALIASES.get(code, code)
    if code not in COUNTRIES:
        raise InvalidTouchpointError(field, "must be an ISO 3166-1 alpha-2 code")
    return code


def normalize_language(value: object, field: str = "traits.language") -> str:
    """Return a BCP 47 tag in its usual case: ``FR_fr`` gives ``fr-FR``.

    ``zh-hant-tw`` gives ``zh-Hant-TW``; only language[-Script][-REGION] tags are accepted.

    :raises InvalidTouchpointError: when it is not a language[-Script][-REGION] tag.
    """
    if not isinstance(value, str):
        raise InvalidTouchpointError(field, "must be a BCP 47 language tag")
    match = _LANGUAGE_RE.match(value.strip().replace("_", "-").lower())
    if match is None:
        raise InvalidTouchpointError(field, "must be a BCP 47 language tag such as fr-FR")
    tag = match["lang"]
    if match["script"]:
        tag += "-" + match["script"].title()
    if match["region"]:
        tag += "-" + match["region"].upper()
    return tag


def _text(field: str) -> Callable[[object, NormalizeContext], str]:
    def normalize(value: object, context: NormalizeContext) -> str:
        if not isinstance(value, str):
            raise InvalidTouchpointError(field, "must be a string")
        return normalize_text(value)

    return normalize


def _upper_text(field: str) -> Callable[[object, NormalizeContext], str]:
    def normalize(value: object, context: NormalizeContext) -> str:
        if not isinstance(value, str):
            raise InvalidTouchpointError(field, "must be a string")
        return normalize_text(value.upper())  # upper first: NFC must come last

    return normalize


CANONICAL_TRAITS: Mapping[str, Callable[[object, NormalizeContext], Any]] = {
    "first_name": _text("traits.first_name"),
    "last_name": _text("traits.last_name"),
    "full_name": _text("traits.full_name"),
    "gender": _text("traits.gender"),
    "street": _text("traits.street"),
    "postal_code": _upper_text("traits.postal_code"),
    "city": _text("traits.city"),
    "region": _text("traits.region"),
    "company": _text("traits.company"),
    "job_title": _text("traits.job_title"),
    "birth_date": lambda value, context: normalize_date(
        value, dayfirst=context.dayfirst, field="traits.birth_date"
    ),
    "country": lambda value, context: normalize_country(value),
    "language": lambda value, context: normalize_language(value),
}


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def normalize_traits(traits: Mapping[str, Any], context: NormalizeContext) -> dict[str, Any]:
    """Return *traits* with canonical ones normalized and blank ones left out.

    :raises InvalidTouchpointError: naming the first trait that breaks its rule.
    """
    out: dict[str, Any] = {}
    for name, value in traits.items():
        if _is_blank(value):
            continue
        normalizer = CANONICAL_TRAITS.get(name)
        if normalizer is not None:
            value = normalizer(value, context)
        elif isinstance(value, str):
            value = normalize_text(value)
        if not _is_blank(value):  # only invisible characters: not given either
            out[name] = value
    return out


def region_hint(traits: Mapping[str, Any], properties: Mapping[str, Any]) -> str | None:
    """Return the region a touchpoint's national phone numbers should be read in.

    From the ``country`` trait, else the region of a ``locale`` trait or
    property, else of the ``language`` trait; ``None`` when nothing says.
    Values are expected already normalized where they are canonical traits.
    """
    country = traits.get("country")
    if isinstance(country, str) and country in COUNTRIES:
        return country
    for candidate in (traits.get("locale"), properties.get("locale"), traits.get("language")):
        if isinstance(candidate, str):
            region = candidate.replace("_", "-").rpartition("-")[2].upper()
            if region in COUNTRIES and "-" in candidate.replace("_", "-"):
                return region
    return None
