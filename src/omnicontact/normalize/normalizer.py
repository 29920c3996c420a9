"""Turning a touchpoint as received into the canonical form the log keeps."""

from __future__ import annotations

from datetime import datetime, timezone

import attrs

from omnicontact._cache import remember
from omnicontact._frozen import EMPTY, FrozenMap, freeze_object
from omnicontact.errors import InvalidIdentifierError
from omnicontact.model import Identifier, Touchpoint
from omnicontact.normalize.dates import normalize_datetime
from omnicontact.normalize.kinds import IdentifierKind, KindRegistry, NormalizeContext
from omnicontact.normalize.traits import normalize_traits, region_hint

__all__ = ["TouchpointNormalizer"]


class TouchpointNormalizer:
    """Normalizes identifiers, timestamps and traits under one hub's policies.

    Normalized identifiers are kept in a bounded cache keyed by kind and raw
    value (and region, for kinds whose result depends on it): real streams
    repeat identifiers, and the cache also makes repeated identifiers share one
    object in memory. Eviction follows :func:`omnicontact._cache.remember`.

    :param kinds: the registered identifier kinds.
    :param context: the hub's defaults (region, time zone, day order, e-mail case).
    :param cache_size: entries kept; 0 disables the cache.
    """

    __slots__ = (
        "_cache",
        "_contexts",
        "_trait_cache",
        "cache_size",
        "context",
        "hits",
        "kinds",
        "misses",
    )

    def __init__(self, kinds: KindRegistry, context: NormalizeContext, cache_size: int = 100_000):
        self.kinds = kinds
        self.context = context
        self.cache_size = cache_size
        self._cache: dict[tuple[str, str, str | None], tuple[Identifier, ...]] = {}
        self.hits = 0
        self.misses = 0
        self._contexts: dict[str | None, NormalizeContext] = {None: context}
        self._trait_cache: dict[FrozenMap, FrozenMap] = {}

    def identifier(
        self, identifier: Identifier, region: str | None = None
    ) -> tuple[Identifier, ...]:
        """Return *identifier* normalized, followed by the identifiers it implies.

        :raises InvalidIdentifierError: when its kind rejects the value.
        :raises UnknownIdentifierKindError: when no plug-in registers its kind.
        """
        return self._normalize(self.kinds.get(identifier.kind), identifier, region)

    def _normalize(
        self, kind: IdentifierKind, identifier: Identifier, region: str | None
    ) -> tuple[Identifier, ...]:
        key = (identifier.kind, identifier.value, region if kind.context_sensitive else None)
        cache = self._cache
        cached = cache.get(key)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        context = self._contexts.get(region)
        if context is None:
            context = self._contexts[region] = attrs.evolve(self.context, region=region)
        value = kind.normalize(identifier.value, context)
        if not isinstance(value, str) or not value:
            raise InvalidIdentifierError(identifier.kind, "its normalizer returned no value")
        out = [Identifier(identifier.kind, value)]
        if kind.derive is not None:
            out.extend(Identifier(k, v) for k, v in kind.derive(value))
        result = tuple(out)
        remember(cache, key, result, self.cache_size)
        return result

    def _traits(self, raw: FrozenMap) -> FrozenMap:
        """Return normalized traits; a person's traits repeat, so whole maps are cached.

        Only maps of strings are cached: ``1``, ``1.0`` and ``True`` are equal
        keys in Python but different JSON values.
        """
        cacheable = all(type(value) is str for value in raw.values())
        cache = self._trait_cache
        cached = cache.get(raw) if cacheable else None
        if cached is None:
            traits = normalize_traits(raw, self.context)
            cached = freeze_object(traits) if traits else EMPTY
            if cacheable:
                remember(cache, raw, cached, self.cache_size)
        return cached

    def clear(self) -> None:
        """Forget every cached value (after an erasure: the caches hold personal data)."""
        self._cache.clear()
        self._trait_cache.clear()

    def lookup(self, identifier: Identifier, region: str | None = None) -> Identifier:
        """Return the normalized form of *identifier* alone (for lookups)."""
        return self.identifier(identifier, region or self.context.region)[0]

    def touchpoint(self, touchpoint: Touchpoint, received_at: datetime) -> Touchpoint:
        """Return *touchpoint* in canonical form: UTC times, normalized identifiers and traits.

        ``received_at`` is kept when the touchpoint has one, else stamped.

        :raises InvalidTouchpointError: (or a subclass) naming the field and rule broken.
        """
        context = self.context
        traits = self._traits(touchpoint.traits) if touchpoint.traits else EMPTY
        region: str | None = None
        region_known = False
        identifiers: set[Identifier] = set()
        get_kind = self.kinds.get
        for identifier in touchpoint.identifiers:
            kind = get_kind(identifier.kind)
            if kind.context_sensitive and not region_known:
                region = region_hint(traits, touchpoint.properties) or context.region
                region_known = True
            identifiers.update(self._normalize(kind, identifier, region))
        occurred = touchpoint.occurred_at
        if occurred.tzinfo is not timezone.utc:
            occurred = normalize_datetime(occurred, timezone_=context.timezone)
        received = touchpoint.received_at
        if received is None:
            received = received_at
        elif received.tzinfo is not timezone.utc:
            received = normalize_datetime(received, timezone_=context.timezone, field="received_at")
        # Every field is valid already (it came from a Touchpoint, or from a
        # normalizer): build without running the converters again.
        return Touchpoint._trusted(
            id=touchpoint.id,
            occurred_at=occurred,
            channel=touchpoint.channel,
            action=touchpoint.action,
            identifiers=tuple(sorted(identifiers, key=Identifier.sort_key)),
            traits=traits,
            properties=touchpoint.properties,
            source=touchpoint.source,
            received_at=received,
        )
