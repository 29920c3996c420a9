"""Identifier kinds: what a kind is, its strength, and the registry of kinds.

Every kind, built-in or third-party, is an :class:`IdentifierKind` contributed
through the ``register_identifier_kinds()`` hook.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import tzinfo

import attrs
from dateutil import tz as dateutil_tz

from omnicontact.errors import (
    ConfigurationError,
    PluginRegistrationError,
    UnknownIdentifierKindError,
)

__all__ = ["IdentifierKind", "KindRegistry", "NormalizeContext", "Strength"]

_NAME_RE = re.compile(r"[a-z][a-z0-9_]*\Z")


class Strength(enum.Enum):
    """How much an identifier kind says about who a person is.

    ``STRONG`` kinds (e-mail, phone, customer id) identify one person: two
    touchpoints that share one belong to the same contact. ``WEAK`` kinds
    (cookie, device) may be shared by a household: they attach anonymous
    activity to a contact but never merge two identified people on their own.
    """

    STRONG = "strong"
    WEAK = "weak"


@attrs.frozen
class NormalizeContext:
    """What a normalizer may need to know beyond the raw value.

    :param region: ISO 3166 alpha-2 region for national phone numbers, from the
        touchpoint (``country`` trait, ``locale``/``language``) or the hub's default.
    :param timezone: zone applied to naive datetimes.
    :param dayfirst: read ``01/02/2026`` as 1 February (``True``) or 2 January.
    :param casefold_email_local: case-fold the e-mail local part (the default;
        see ``docs/normalization.md``).
    """

    region: str | None = None
    timezone: tzinfo = attrs.field(factory=lambda: dateutil_tz.UTC)
    dayfirst: bool = False
    casefold_email_local: bool = True


Normalizer = Callable[[str, NormalizeContext], str]
Deriver = Callable[[str], Iterable[tuple[str, str]]]


def _check_name(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise ConfigurationError(f"identifier kind name must be snake_case ASCII, got {value!r}")


@attrs.frozen
class IdentifierKind:
    """A kind of identifier and its normalization policy.

    :param name: ``snake_case`` name used in touchpoints (``email``). With
        ``qualified=True`` the kind also accepts qualified names such as
        ``social:facebook``, all sharing this policy.
    :param strength: :class:`Strength` of the kind.
    :param normalize: ``(raw, context) -> normalized``; idempotent; raises
        :class:`~omnicontact.errors.InvalidIdentifierError` naming the rule broken.
    :param description: one line shown by ``omnicontact plugins``.
    :param qualified: whether ``name:<qualifier>`` forms are accepted.
    :param derive: optional ``normalized -> [(kind, value), …]`` of identifiers
        implied by this one (an e-mail implies its SHA-256), added to the
        touchpoint already normalized.
    :param context_sensitive: whether the result depends on the
        :class:`NormalizeContext` (phones depend on the region); used for caching.
    """

    name: str = attrs.field(validator=_check_name)
    strength: Strength = attrs.field(validator=attrs.validators.instance_of(Strength))
    normalize: Normalizer = attrs.field(repr=False)
    description: str = ""
    qualified: bool = False
    derive: Deriver | None = attrs.field(default=None, repr=False)
    context_sensitive: bool = False


@attrs.frozen
class _Entry:
    kind: IdentifierKind
    plugin: str


class KindRegistry:
    """The identifier kinds known to one hub, by name.

    A third-party kind may replace a built-in one of the same name (the
    built-in is remembered as replaced); two third-party kinds with one name
    are a :class:`~omnicontact.errors.PluginRegistrationError`.
    """

    __slots__ = ("_entries",)

    def __init__(
        self, contributions: Iterable[tuple[str, IdentifierKind]], *, builtin: Iterable[str] = ()
    ) -> None:
        builtins = set(builtin)
        entries: dict[str, _Entry] = {}
        for plugin, kind in contributions:
            if not isinstance(kind, IdentifierKind):
                raise PluginRegistrationError(
                    plugin,
                    "register_identifier_kinds",
                    f"returned a {type(kind).__name__}, expected IdentifierKind",
                )
            previous = entries.get(kind.name)
            if previous is not None:
                if previous.plugin in builtins and plugin not in builtins:
                    pass  # a third-party kind replaces the built-in one
                elif plugin in builtins and previous.plugin not in builtins:
                    continue
                else:
                    raise PluginRegistrationError(
                        plugin,
                        "register_identifier_kinds",
                        f"identifier kind {kind.name!r} is already registered by "
                        f"{previous.plugin!r}",
                    )
            entries[kind.name] = _Entry(kind, plugin)
        self._entries = entries

    def get(self, name: str) -> IdentifierKind:
        """Return the kind for *name* (``social:facebook`` finds ``social``).

        :raises UnknownIdentifierKindError: when no plug-in registers it.
        """
        entry = self._entries.get(name)
        if entry is None:
            base, sep, _ = name.partition(":")
            entry = self._entries.get(base) if sep else None
            if entry is None or not entry.kind.qualified:
                raise UnknownIdentifierKindError(name)
        return entry.kind

    def strength(self, name: str) -> Strength:
        """Return the strength of kind *name*."""
        return self.get(name).strength

    def plugin_of(self, name: str) -> str:
        """Return the name of the plug-in that registered kind *name*."""
        return self._entries[self.get(name).name].plugin

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.get(name)
        except UnknownIdentifierKindError:
            return False
        return True

    def kinds(self) -> tuple[IdentifierKind, ...]:
        """Return every registered kind, sorted by name."""
        return tuple(self._entries[name].kind for name in sorted(self._entries))

    def as_mapping(self) -> Mapping[str, tuple[IdentifierKind, str]]:
        """Return ``{name: (kind, plugin name)}`` for listing."""
        return {name: (e.kind, e.plugin) for name, e in sorted(self._entries.items())}
