"""The value objects: :class:`Identifier`, :class:`Touchpoint`, :class:`Contact`.

All are frozen, slotted ``attrs`` classes. A touchpoint built by an adapter or
read with :meth:`Touchpoint.from_mapping` holds values *as received*; the
:class:`~omnicontact.Hub` normalizes it (identifiers, timestamps, traits)
before it enters the log. Reprs never show personal data.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from omnicontact._chars import UNSAFE_RE
from omnicontact._frozen import EMPTY, FrozenMap, freeze, thaw
from omnicontact.errors import (
    ConfigurationError,
    InvalidIdentifierError,
    InvalidTimestampError,
    InvalidTouchpointError,
)

if TYPE_CHECKING:
    from omnicontact.cases import Case
    from omnicontact.consent import ConsentState
    from omnicontact.lifecycle.base import StageHistory
    from omnicontact.lifecycle.engine import Lifecycle
    from omnicontact.scoring.base import Score

__all__ = ["Contact", "Identifier", "Touchpoint"]

_KIND_RE = re.compile(r"[a-z][a-z0-9_]*(?::[a-z0-9][a-z0-9_.-]*)?\Z")
_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9_.:-]*\Z")
_MAX_ID_LENGTH = 256

_TOUCHPOINT_FIELDS = frozenset(
    {
        "id",
        "occurred_at",
        "channel",
        "action",
        "identifiers",
        "traits",
        "properties",
        "source",
        "received_at",
    }
)


def fingerprint(value: str) -> str:
    """Return a short, non-reversible tag of *value* for reprs and debugging."""
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


# --------------------------------------------------------------------------
# converters and validators
# --------------------------------------------------------------------------


def _kind(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidIdentifierError("?", "kind must be a string", field="identifiers")
    kind = sys.intern(value.strip().lower())  # a few kinds, millions of identifiers
    if not _KIND_RE.match(kind):
        raise InvalidIdentifierError(
            "?", "kind must be snake_case, optionally 'name:qualifier'", field="identifiers"
        )
    return kind


def _slug(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidTouchpointError(field, "must be a string")
    slug = sys.intern(value.strip().lower())  # a few channels and actions, shared
    if not _SLUG_RE.match(slug):
        raise InvalidTouchpointError(
            field, "must be a lower-case slug of letters, digits and _ . : -"
        )
    return slug


def _channel(value: object) -> str:
    return _slug("channel", value)


def _action(value: object) -> str:
    return _slug("action", value)


def _touchpoint_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidTouchpointError("id", "must be a string")
    text = str(value).strip()
    if not text:
        raise InvalidTouchpointError("id", "must not be empty")
    if len(text) > _MAX_ID_LENGTH:
        raise InvalidTouchpointError("id", f"must be at most {_MAX_ID_LENGTH} characters")
    if UNSAFE_RE.search(text):
        raise InvalidTouchpointError("id", "must not contain control or invisible characters")
    return text


def _source(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidTouchpointError("source", "must be a non-empty string or None")
    return value.strip()


def _identifiers(value: Iterable[Identifier]) -> tuple[Identifier, ...]:
    items = set()
    for item in value:
        if not isinstance(item, Identifier):
            raise InvalidTouchpointError("identifiers", "must hold Identifier objects")
        items.add(item)
    return tuple(sorted(items, key=Identifier.sort_key))


def _json_object(field: str, value: Mapping[str, Any] | None) -> FrozenMap:
    if value is None:
        return EMPTY
    if isinstance(value, FrozenMap):
        return value  # frozen all the way down on construction
    if not isinstance(value, Mapping):
        raise InvalidTouchpointError(field, "must be a JSON object")
    try:
        frozen = freeze(value, field=field)
    except TypeError as err:
        raise InvalidTouchpointError(field, str(err).split(": ", 1)[-1]) from None
    assert isinstance(frozen, FrozenMap)
    return frozen


def _traits(value: Mapping[str, Any] | None) -> FrozenMap:
    return _json_object("traits", value)


def _properties(value: Mapping[str, Any] | None) -> FrozenMap:
    return _json_object("properties", value)


def _is_datetime(field: str) -> Any:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if not isinstance(value, datetime):
            raise InvalidTimestampError(field, "must be a datetime")

    return check


def _optional_datetime(_instance: object, _attribute: object, value: datetime | None) -> None:
    if value is not None and not isinstance(value, datetime):
        raise InvalidTimestampError("received_at", "must be a datetime or None")


def parse_iso_datetime(value: object, field: str) -> datetime:
    """Read an ISO 8601 timestamp (a ``Z`` suffix is accepted) or a datetime."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date) or not isinstance(value, str):
        raise InvalidTimestampError(field, "must be an ISO 8601 timestamp string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidTimestampError(field, "must be an ISO 8601 timestamp string") from None


# --------------------------------------------------------------------------
# Identifier
# --------------------------------------------------------------------------


@attrs.frozen(repr=False, cache_hash=True)
class Identifier:
    """A ``(kind, value)`` pair that can point at a person.

    ``kind`` names a registered identifier kind (``email``, ``phone``,
    ``customer_id``, ``cookie_id``, ``social:facebook``, …) and is lower-cased.
    ``value`` is kept as given until a :class:`~omnicontact.Hub` normalizes it.

    The repr shows the kind and a short fingerprint, never the value.
    """

    kind: str = attrs.field(converter=_kind)
    value: str = attrs.field()

    @value.validator
    def _check_value(self, _attribute: object, value: object) -> None:
        if not isinstance(value, str):
            raise InvalidIdentifierError(self.kind, "value must be a string")

    def sort_key(self) -> tuple[str, str]:
        """Return the key identifiers are ordered by: ``(kind, value)``."""
        return (self.kind, self.value)

    def __repr__(self) -> str:
        return f"Identifier(kind={self.kind!r}, fingerprint={fingerprint(self.value)!r})"


# --------------------------------------------------------------------------
# Touchpoint
# --------------------------------------------------------------------------


@attrs.frozen(repr=False)
class Touchpoint:
    """One encounter between the brand and somebody; immutable.

    :param id: the idempotency key: the same id twice is one touchpoint.
    :param occurred_at: when it happened. May be naive here; the hub applies
        its time-zone policy and stores UTC.
    :param channel: where it happened (``web``, ``app``, ``store``, ``call_centre``, …).
    :param action: what happened (``page_view``, ``signup``, ``purchase``, …).
    :param identifiers: what identified the person, deduplicated and sorted.
    :param traits: what it says about the person (canonical names such as
        ``first_name``, ``country``), a JSON object.
    :param properties: what it says about the event (``amount``, ``case_id``), a JSON object.
    :param source: the system that sent it, if known.
    :param received_at: when the hub received it; stamped by the hub when absent.
    """

    id: str = attrs.field(converter=_touchpoint_id)
    occurred_at: datetime = attrs.field(validator=_is_datetime("occurred_at"))
    channel: str = attrs.field(converter=_channel)
    action: str = attrs.field(converter=_action)
    identifiers: tuple[Identifier, ...] = attrs.field(default=(), converter=_identifiers)
    traits: FrozenMap = attrs.field(default=EMPTY, converter=_traits)
    properties: FrozenMap = attrs.field(default=EMPTY, converter=_properties)
    source: str | None = attrs.field(default=None, converter=_source)
    received_at: datetime | None = attrs.field(default=None, validator=_optional_datetime)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Touchpoint:
        """Build a touchpoint from omnicontact's JSON form (see ``docs/concepts.md``).

        ``identifiers`` is an object of kind to value, or to a list of values;
        timestamps are ISO 8601 strings.

        :raises InvalidTouchpointError: naming the field that is missing or wrong.
        """
        if not isinstance(data, Mapping):
            raise InvalidTouchpointError("touchpoint", "must be a JSON object")
        unknown = set(data) - _TOUCHPOINT_FIELDS
        if unknown:
            raise InvalidTouchpointError(
                sorted(unknown)[0], "is not a touchpoint field (see Touchpoint.from_mapping)"
            )
        for required in ("id", "occurred_at", "channel", "action"):
            if data.get(required) is None:
                raise InvalidTouchpointError(required, "is required")
        received = data.get("received_at")
        return cls(
            id=data["id"],
            occurred_at=parse_iso_datetime(data["occurred_at"], "occurred_at"),
            channel=data["channel"],
            action=data["action"],
            identifiers=_identifiers_from_mapping(data.get("identifiers")),
            traits=data.get("traits"),
            properties=data.get("properties"),
            source=data.get("source"),
            received_at=None if received is None else parse_iso_datetime(received, "received_at"),
        )

    def to_mapping(self) -> dict[str, Any]:
        """Return the JSON form read by :meth:`from_mapping`; empty fields are left out."""
        out: dict[str, Any] = {
            "id": self.id,
            "occurred_at": self.occurred_at.isoformat(),
            "channel": self.channel,
            "action": self.action,
        }
        if self.identifiers:
            grouped: dict[str, list[str]] = {}
            for ident in self.identifiers:
                grouped.setdefault(ident.kind, []).append(ident.value)
            out["identifiers"] = {k: v[0] if len(v) == 1 else v for k, v in grouped.items()}
        if self.traits:
            out["traits"] = thaw(self.traits)
        if self.properties:
            out["properties"] = thaw(self.properties)
        if self.source is not None:
            out["source"] = self.source
        if self.received_at is not None:
            out["received_at"] = self.received_at.isoformat()
        return out

    @classmethod
    def _trusted(
        cls,
        *,
        id: str,
        occurred_at: datetime,
        channel: str,
        action: str,
        identifiers: tuple[Identifier, ...],
        traits: FrozenMap,
        properties: FrozenMap,
        source: str | None,
        received_at: datetime | None,
    ) -> Touchpoint:
        """Build from values that are already valid and canonical, skipping the converters.

        For omnicontact's own pipeline (the normalizer), where every value comes
        from a touchpoint that passed them: identifiers deduplicated and sorted,
        traits and properties frozen.
        """
        new = object.__new__(cls)
        setter = object.__setattr__
        setter(new, "id", id)
        setter(new, "occurred_at", occurred_at)
        setter(new, "channel", channel)
        setter(new, "action", action)
        setter(new, "identifiers", identifiers)
        setter(new, "traits", traits)
        setter(new, "properties", properties)
        setter(new, "source", source)
        setter(new, "received_at", received_at)
        return new

    def same_content(self, other: Touchpoint) -> bool:
        """Tell whether *other* carries the same event, ignoring ``received_at``."""
        return attrs.evolve(self, received_at=None) == attrs.evolve(other, received_at=None)

    def __repr__(self) -> str:
        return (
            f"Touchpoint(id={self.id!r}, occurred_at={self.occurred_at.isoformat()!r}, "
            f"channel={self.channel!r}, action={self.action!r}, "
            f"identifiers={len(self.identifiers)}, traits={sorted(self.traits)!r})"
        )


def _identifiers_from_mapping(value: object) -> tuple[Identifier, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise InvalidTouchpointError("identifiers", "must be an object of kind to value(s)")
    out = []
    for kind, raw in value.items():
        values = raw if isinstance(raw, (list, tuple)) else [raw]
        for item in values:
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise InvalidIdentifierError(str(kind), "value must be a string")
            out.append(Identifier(kind, str(item)))
    return tuple(out)


# --------------------------------------------------------------------------
# Contact
# --------------------------------------------------------------------------


def _timeline(value: Iterable[Touchpoint]) -> tuple[Touchpoint, ...]:
    timeline = tuple(sorted(value, key=lambda tp: (tp.occurred_at, tp.id)))
    if not timeline:
        raise InvalidTouchpointError("timeline", "a contact has at least one touchpoint")
    return timeline


@attrs.frozen(repr=False, eq=True)
class Contact:
    """The unified profile of one person: a read-only projection of the log.

    Built by the hub from the touchpoints that resolved to it; it does not
    change when the hub does, ask the hub again for a fresh view.

    :param contact_id: stable id; after a merge the oldest contact's id survives
        and the others remain valid aliases (``hub.contact(alias)``).
    :param identifiers: every normalized identifier seen on its touchpoints.
    :param traits: one value per trait, the most recent by event time.
    :param timeline: its touchpoints, oldest first.
    :param identified: whether it carries a strong identifier (e-mail, phone, …).
    :param as_of: when the hub built it: its stages and scores are as of then.
    :param lifecycle: the hub's stage models and strategies (set by the hub).
    """

    contact_id: str
    identifiers: tuple[Identifier, ...] = attrs.field(converter=_identifiers)
    traits: FrozenMap = attrs.field(converter=_traits)
    timeline: tuple[Touchpoint, ...] = attrs.field(converter=_timeline)
    identified: bool = False
    as_of: datetime | None = attrs.field(default=None, eq=False)
    _lifecycle: Lifecycle | None = attrs.field(
        default=None, eq=False, repr=False, alias="lifecycle"
    )
    _memo: dict[Any, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    # ------------------------------------------------------------ lifecycle and scores

    @property
    def lifecycle(self) -> Lifecycle | None:
        """The stage models and strategies of the hub that built it (None if built by hand)."""
        return self._lifecycle

    def _when(self, as_of: datetime | None) -> datetime:
        when = as_of if as_of is not None else self.as_of
        if when is None:
            when = self.last_seen
        return when

    @property
    def stages(self) -> Mapping[str, StageHistory]:
        """Its stage history on every track of the hub, as of :attr:`as_of`.

        Derived from its touchpoints by each stage model (see
        ``docs/lifecycle.md``). Empty for a contact not built by a hub.
        """
        found = self._memo.get("stages")
        if found is None:
            lifecycle = self._lifecycle
            found = {} if lifecycle is None else lifecycle.histories(self, self._when(None))
            self._memo["stages"] = found
        return found

    @property
    def stage_history(self) -> StageHistory | None:
        """Its history on the hub's default track (``extended_crm`` unless configured)."""
        lifecycle = self._lifecycle
        if lifecycle is None or lifecycle.default_track is None:
            return None
        return self.stages.get(lifecycle.default_track)

    @property
    def stage(self) -> str | None:
        """Its current stage on the default track (``suspect``, ``prospect``, ``customer``, …)."""
        history = self.stage_history
        return None if history is None else history.current

    def stage_as_of(self, when: datetime, track: str | None = None) -> str | None:
        """Return its stage on *track* (the default track when ``None``) as of *when*.

        Computed from the touchpoints that happened at or before *when*, by
        event time: what a report run on that date would have said, given
        everything known now.

        :raises ConfigurationError: when no stage model is named *track*.
        :raises PluginError: naming the plug-in whose rule raised.
        """
        lifecycle = self._lifecycle
        if lifecycle is None:
            return None
        name = track if track is not None else lifecycle.default_track
        if name is None:
            return None
        return lifecycle.history(self, name, when).current

    def history(
        self, track: str | None = None, as_of: datetime | None = None
    ) -> StageHistory | None:
        """Return its history on *track* (the default track) as of *as_of* (:attr:`as_of`).

        ``None`` for a contact not built by a hub, or with no default track.

        :raises ConfigurationError: when no stage model is named *track*.
        :raises PluginError: naming the plug-in whose rule raised.
        """
        lifecycle = self._lifecycle
        if lifecycle is None:
            return None
        name = track if track is not None else lifecycle.default_track
        if name is None:
            return None
        when = self._when(as_of)
        key = ("history", name, when)
        found: StageHistory | None = self._memo.get(key)
        if found is None:  # pure in the touchpoints: an analysis reading it again pays once
            found = self._memo[key] = lifecycle.history(self, name, when)
        return found

    @property
    def consents(self) -> ConsentState:
        """Its consent per channel and purpose as of :attr:`as_of`, with the full history.

        Derived from its touchpoints (unsubscribes, opt-ins, decisions recorded
        with ``hub.record_consent``): after a merge the most restrictive recent
        decision wins, after a split each side has its own back. See
        ``docs/privacy.md``.
        """
        found = self._memo.get("consents")
        if found is None:
            from omnicontact.consent import consent_state

            found = consent_state(self.timeline, as_of=self.as_of)
            self._memo["consents"] = found
        return found

    def can_contact(self, channel: str, purpose: str) -> bool:
        """Tell whether it may be contacted on *channel* for *purpose* (see :attr:`consents`)."""
        return self.consents.can_contact(channel, purpose)

    @property
    def scores(self) -> Mapping[str, Score]:
        """Its scores by strategy name, as of :attr:`as_of`, each with its breakdown.

        Recomputed from its touchpoints and traits, so never stale after a
        merge or a split. Empty for a contact not built by a hub.
        """
        found = self._memo.get("scores")
        if found is None:
            lifecycle = self._lifecycle
            found = {} if lifecycle is None else lifecycle.scores(self, self._when(None))
            self._memo["scores"] = found
        return found

    def score(self, name: str, as_of: datetime | None = None) -> Score:
        """Return one score as of *as_of* (default :attr:`as_of`).

        :raises ConfigurationError: when no strategy is named *name*, or the
            contact was not built by a hub.
        :raises PluginError: naming the plug-in whose strategy raised.
        """
        lifecycle = self._lifecycle
        if lifecycle is None:
            raise ConfigurationError("this contact was not built by a hub: it has no strategies")
        return lifecycle.score(self, name, self._when(as_of))

    @property
    def first_seen(self) -> datetime:
        """When its earliest touchpoint happened (UTC)."""
        return self.timeline[0].occurred_at

    @property
    def last_seen(self) -> datetime:
        """When its latest touchpoint happened (UTC)."""
        return self.timeline[-1].occurred_at

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels it was seen on, in order of first use."""
        return tuple(dict.fromkeys(tp.channel for tp in self.timeline))

    @property
    def touchpoint_ids(self) -> tuple[str, ...]:
        """The ids of its touchpoints, oldest first."""
        return tuple(tp.id for tp in self.timeline)

    def identifiers_of(self, kind: str) -> tuple[str, ...]:
        """Return the normalized values of one identifier kind."""
        return tuple(i.value for i in self.identifiers if i.kind == kind)

    @property
    def cases(self) -> tuple[Case, ...]:
        """Its cases across channels (touchpoints with a ``case_id`` property), oldest first."""
        from omnicontact.cases import cases_of

        return cases_of(self.timeline)

    @property
    def open_cases(self) -> tuple[Case, ...]:
        """Its cases not solved or closed yet: what an agent on any channel should see."""
        return tuple(case for case in self.cases if case.is_open)

    def __repr__(self) -> str:
        return (
            f"Contact(contact_id={self.contact_id!r}, identifiers={len(self.identifiers)}, "
            f"touchpoints={len(self.timeline)}, channels={list(self.channels)!r})"
        )


UTC = timezone.utc
