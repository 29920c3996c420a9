"""The value objects: Identifier, Touchpoint (converters, JSON form) and Contact."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact._frozen import FrozenMap

from .strategies import identifier_kinds, json_objects, markers, slugs, touchpoints

JOURNEYS = Path(__file__).resolve().parent.parent / "examples" / "journeys.jsonl"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def _journey_lines() -> list[str]:
    return [line for line in JOURNEYS.read_text(encoding="utf-8").splitlines() if line.strip()]


def tp(**fields: Any) -> oc.Touchpoint:
    """A touchpoint with defaults for the required fields."""
    fields.setdefault("id", "tp-1")
    fields.setdefault("occurred_at", T0)
    fields.setdefault("channel", "web")
    fields.setdefault("action", "page_view")
    return oc.Touchpoint(**fields)


def minimal_mapping(**extra: Any) -> dict[str, Any]:
    """The smallest valid JSON form, plus *extra*."""
    return {
        "id": "tp-1",
        "occurred_at": "2026-03-01T09:00:00+00:00",
        "channel": "web",
        "action": "page_view",
        **extra,
    }


class TestIdentifier:
    """Identifier: kind lower-cased and validated, value a string, repr without value."""

    @pytest.mark.parametrize(
        ("given_kind", "kind"),
        [("email", "email"), (" EMAIL ", "email"), ("Social:Facebook", "social:facebook"),
         ("customer_id", "customer_id"), ("social:x.com", "social:x.com")],
    )  # fmt: skip
    def test_kind_lower_cased(self, given_kind: str, kind: str) -> None:
        """Kinds are trimmed and lower-cased; a qualifier is allowed."""
        assert oc.Identifier(given_kind, "v").kind == kind

    @pytest.mark.parametrize(
        "kind", ["", "1email", "e-mail", "e mail", "email:", ":x", "social:_x", "a:b:c", "é"]
    )
    def test_bad_kind(self, kind: str) -> None:
        """A kind that is not snake_case[:qualifier] is an InvalidIdentifierError."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            oc.Identifier(kind, "v")
        assert info.value.field == "identifiers"
        assert isinstance(info.value, ValueError)

    @pytest.mark.parametrize("kind", [None, 5, b"email"])
    def test_kind_must_be_string(self, kind: object) -> None:
        """A non-string kind is an InvalidIdentifierError."""
        with pytest.raises(oc.InvalidIdentifierError):
            oc.Identifier(kind, "v")  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", [None, 5, b"x", ["x"]])
    def test_value_must_be_string(self, value: object) -> None:
        """A non-string value is an InvalidIdentifierError naming the kind."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            oc.Identifier("email", value)  # type: ignore[arg-type]
        assert info.value.kind == "email"

    def test_value_kept_as_given(self) -> None:
        """The model does not normalize values; the hub does."""
        assert oc.Identifier("email", " Ann@Example.COM ").value == " Ann@Example.COM "

    @given(identifier_kinds(), st.text(), st.text())
    def test_equality_and_hash(self, kind: str, one: str, two: str) -> None:
        """Identifiers are equal, and hash equal, exactly when kind and value are."""
        a, b = oc.Identifier(kind, one), oc.Identifier(kind.upper(), two)
        assert (a == b) is (one == two)
        if one == two:
            assert hash(a) == hash(b)
        assert a.sort_key() == (kind, one)

    def test_frozen(self) -> None:
        """Identifiers cannot be changed in place."""
        ident = oc.Identifier("email", "a@b.c")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            ident.value = "x"  # type: ignore[misc]

    @given(identifier_kinds(), markers(), st.text(max_size=5), st.text(max_size=5))
    def test_repr_hides_value(self, kind: str, marker: str, pre: str, post: str) -> None:
        """The repr shows the kind and a fingerprint, never the value."""
        ident = oc.Identifier(kind, pre + marker + post)
        text = repr(ident)
        assert marker not in text
        assert kind in text
        assert "fingerprint=" in text


class TestTouchpointConverters:
    """Touchpoint fields are converted then checked when it is built."""

    def test_channel_and_action_slugs(self) -> None:
        """Channel and action are trimmed and lower-cased."""
        built = tp(channel=" Call_Centre ", action="Page_View")
        assert (built.channel, built.action) == ("call_centre", "page_view")

    @pytest.mark.parametrize("field", ["channel", "action"])
    @pytest.mark.parametrize("value", ["", "  ", "call centre", "-web", "wéb", 5, None])
    def test_bad_slug(self, field: str, value: object) -> None:
        """A channel or action that is no slug is an InvalidTouchpointError naming it."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            tp(**{field: value})
        assert info.value.field == field

    @given(slugs())
    def test_slug_converter_idempotent(self, value: str) -> None:
        """A converted slug converts to itself, lower-case and without padding."""
        built = tp(channel=value, action=value)
        assert built.channel == value.strip().lower()
        assert tp(channel=built.channel).channel == built.channel

    @pytest.mark.parametrize(
        ("value", "kept"), [("tp-1", "tp-1"), (" tp-1 ", "tp-1"), (42, "42"), ("Ünï", "Ünï")]
    )
    def test_id(self, value: object, kept: str) -> None:
        """The id is a trimmed string; integers are accepted as their text."""
        assert tp(id=value).id == kept

    @pytest.mark.parametrize("value", ["", "   ", True, None, 1.5, "a" * 257, "tp\u200b1", "tp\n1"])
    def test_bad_id(self, value: object) -> None:
        """Blank, non-string, boolean, too long or invisible-character ids are rejected."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            tp(id=value)
        assert info.value.field == "id"

    @pytest.mark.parametrize("value", ["2026-03-01T09:00:00Z", 1772442760, None])
    def test_occurred_at_must_be_datetime(self, value: object) -> None:
        """occurred_at must be a datetime object (text goes through from_mapping)."""
        with pytest.raises(oc.InvalidTimestampError) as info:
            tp(occurred_at=value)
        assert info.value.field == "occurred_at"

    def test_received_at_datetime_or_none(self) -> None:
        """received_at is optional, but must be a datetime when given."""
        assert tp().received_at is None
        with pytest.raises(oc.InvalidTimestampError) as info:
            tp(received_at="2026-03-01")
        assert info.value.field == "received_at"

    def test_source(self) -> None:
        """source is trimmed; a blank or non-string source is rejected."""
        assert tp(source=" crm ").source == "crm"
        for bad in ("", "  ", 5):
            with pytest.raises(oc.InvalidTouchpointError) as info:
                tp(source=bad)
            assert info.value.field == "source"

    @given(
        st.lists(
            st.builds(oc.Identifier, st.sampled_from(["email", "phone", "b"]), st.text(max_size=3))
        )
    )
    def test_identifiers_deduplicated_and_sorted(self, identifiers: list[oc.Identifier]) -> None:
        """Identifiers come out as a sorted tuple without duplicates, whatever the input order."""
        built = tp(identifiers=identifiers)
        assert isinstance(built.identifiers, tuple)
        assert set(built.identifiers) == set(identifiers)
        assert len(built.identifiers) == len(set(identifiers))
        keys = [(i.kind, i.value) for i in built.identifiers]
        assert keys == sorted(keys)
        assert tp(identifiers=list(reversed(identifiers))) == built

    def test_identifiers_must_be_identifier_objects(self) -> None:
        """Anything but Identifier objects is an InvalidTouchpointError on 'identifiers'."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            tp(identifiers=[("email", "a@b.c")])
        assert info.value.field == "identifiers"

    @pytest.mark.parametrize("field", ["traits", "properties"])
    def test_json_objects_frozen(self, field: str) -> None:
        """traits and properties are frozen copies: later changes to the input do not leak in."""
        given_value: dict[str, Any] = {"tags": ["a", "b"], "address": {"city": "Lyon"}}
        built = tp(**{field: given_value})
        given_value["tags"].append("c")
        given_value["new"] = 1
        frozen = getattr(built, field)
        assert isinstance(frozen, FrozenMap)
        assert frozen["tags"] == ("a", "b")
        assert "new" not in frozen
        assert isinstance(frozen["address"], FrozenMap)
        with pytest.raises(TypeError):
            frozen["x"] = 1  # type: ignore[index]

    @pytest.mark.parametrize("field", ["traits", "properties"])
    @pytest.mark.parametrize(
        "value", [["a"], "text", 5, {"a": {1, 2}}, {"a": float("nan")}, {1: "a"}, {"a": b"x"}]
    )
    def test_json_objects_rejected(self, field: str, value: object) -> None:
        """Non-objects and non-JSON content are an InvalidTouchpointError naming the field."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            tp(**{field: value})
        assert info.value.field == field

    def test_empty_json_objects(self) -> None:
        """None and {} both give an empty mapping."""
        assert tp(traits=None).traits == {} == tp(traits={}).traits

    @given(touchpoints())
    def test_hashable(self, built: oc.Touchpoint) -> None:
        """Touchpoints are hashable, and equal ones hash equal."""
        twin = attrs.evolve(built)
        assert twin == built
        assert hash(twin) == hash(built)
        assert len({built, twin}) == 1

    @pytest.mark.parametrize("field", ["traits", "properties"])
    def test_frozen_map_input_is_frozen_too(self, field: str) -> None:
        """A FrozenMap given as traits/properties is frozen all the way down, like a dict."""
        built = tp(**{field: FrozenMap({"tags": ["a", "b"]})})
        assert getattr(built, field)["tags"] == ("a", "b")
        hash(built)

    def test_frozen(self) -> None:
        """Touchpoints cannot be changed in place; evolve makes a changed copy."""
        built = tp()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            built.channel = "app"  # type: ignore[misc]
        assert attrs.evolve(built, channel="App").channel == "app"


class TestSameContent:
    """same_content compares everything but received_at."""

    @given(touchpoints(), st.none() | st.datetimes(timezones=st.just(timezone.utc)))
    def test_ignores_received_at(self, built: oc.Touchpoint, received: datetime | None) -> None:
        """Changing received_at keeps the same content."""
        assert built.same_content(attrs.evolve(built, received_at=received))

    @pytest.mark.parametrize(
        "change",
        [
            {"channel": "app"},
            {"action": "signup"},
            {"occurred_at": T0 + timedelta(seconds=1)},
            {"identifiers": [oc.Identifier("email", "a@b.c")]},
            {"traits": {"city": "Lyon"}},
            {"properties": {"page": "/"}},
            {"source": "crm"},
            {"id": "tp-2"},
        ],
    )
    def test_other_fields_matter(self, change: dict[str, Any]) -> None:
        """Any other difference is different content."""
        base = tp(received_at=T0)
        assert not base.same_content(attrs.evolve(base, **change))


class TestJsonForm:
    """from_mapping and to_mapping: omnicontact's JSON form of a touchpoint."""

    @given(touchpoints())
    def test_round_trip_from_touchpoint(self, built: oc.Touchpoint) -> None:
        """from_mapping(to_mapping(tp)) == tp, and the mapping survives JSON."""
        mapping = built.to_mapping()
        assert oc.Touchpoint.from_mapping(mapping) == built
        again = oc.Touchpoint.from_mapping(json.loads(json.dumps(mapping)))
        assert again == built
        assert again.occurred_at.utcoffset() == built.occurred_at.utcoffset()

    @pytest.mark.parametrize("line", _journey_lines(), ids=lambda line: json.loads(line)["id"])
    def test_round_trip_sample_journeys(self, line: str) -> None:
        """Every line of examples/journeys.jsonl reads and writes back unchanged."""
        mapping = json.loads(line)
        assert oc.Touchpoint.from_mapping(mapping).to_mapping() == mapping

    def test_sample_has_lines(self) -> None:
        """The sample file is found and holds the 68 documented touchpoints."""
        assert len(_journey_lines()) == 68

    def test_empty_fields_left_out(self) -> None:
        """to_mapping leaves out empty identifiers, traits, properties, source, received_at."""
        assert set(tp().to_mapping()) == {"id", "occurred_at", "channel", "action"}

    def test_identifiers_grouped_by_kind(self) -> None:
        """One value per kind is a string, several are a sorted list."""
        built = tp(
            identifiers=[
                oc.Identifier("cookie_id", "b"),
                oc.Identifier("email", "a@b.c"),
                oc.Identifier("cookie_id", "a"),
            ]
        )
        assert built.to_mapping()["identifiers"] == {"cookie_id": ["a", "b"], "email": "a@b.c"}

    def test_identifier_forms_read(self) -> None:
        """Identifiers map kind to a value, a list of values, or an integer."""
        read = oc.Touchpoint.from_mapping(
            minimal_mapping(
                identifiers={"Email": "a@b.c", "cookie_id": ["x", "y"], "customer_id": 42}
            )
        )
        assert {(i.kind, i.value) for i in read.identifiers} == {
            ("email", "a@b.c"),
            ("cookie_id", "x"),
            ("cookie_id", "y"),
            ("customer_id", "42"),
        }

    def test_z_suffix_and_naive(self) -> None:
        """'Z' means UTC; a timestamp without offset stays naive until the hub applies its zone."""
        read = oc.Touchpoint.from_mapping(minimal_mapping(occurred_at="2026-03-01T09:00:00Z"))
        assert read.occurred_at == T0
        naive = oc.Touchpoint.from_mapping(minimal_mapping(occurred_at="2026-03-01T09:00:00"))
        assert naive.occurred_at.tzinfo is None

    @pytest.mark.parametrize("key", ["ID", "timestamp", "email", "extra"])
    def test_unknown_key(self, key: str) -> None:
        """A key that is no touchpoint field is an InvalidTouchpointError naming it."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            oc.Touchpoint.from_mapping(minimal_mapping(**{key: "x"}))
        assert info.value.field == key
        assert str(info.value).startswith(f"{key}: ")

    @pytest.mark.parametrize("field", ["id", "occurred_at", "channel", "action"])
    @pytest.mark.parametrize("missing", [True, False])
    def test_missing_required(self, field: str, missing: bool) -> None:
        """A required field that is absent or null is an InvalidTouchpointError naming it."""
        mapping = minimal_mapping()
        if missing:
            del mapping[field]
        else:
            mapping[field] = None
        with pytest.raises(oc.InvalidTouchpointError) as info:
            oc.Touchpoint.from_mapping(mapping)
        assert info.value.field == field

    @pytest.mark.parametrize("field", ["occurred_at", "received_at"])
    @pytest.mark.parametrize(
        "value", ["yesterday", "2026-13-01T00:00:00", "", 1772442760, True, [2026]]
    )
    def test_bad_timestamp(self, field: str, value: object) -> None:
        """A timestamp that is no ISO 8601 string is an InvalidTimestampError naming the field."""
        with pytest.raises(oc.InvalidTimestampError) as info:
            oc.Touchpoint.from_mapping(minimal_mapping(**{field: value}))
        assert info.value.field == field
        assert isinstance(info.value, oc.InvalidTouchpointError)

    @pytest.mark.parametrize("value", [["email", "a@b.c"], "a@b.c", 5, True])
    def test_identifiers_not_an_object(self, value: object) -> None:
        """identifiers must be an object of kind to value(s)."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            oc.Touchpoint.from_mapping(minimal_mapping(identifiers=value))
        assert info.value.field == "identifiers"

    @pytest.mark.parametrize("value", [True, False, None, 1.5, {"a": 1}, [True]])
    def test_identifier_value_not_a_string(self, value: object) -> None:
        """A boolean, null, float or object identifier value names identifiers.<kind>."""
        with pytest.raises(oc.InvalidIdentifierError) as info:
            oc.Touchpoint.from_mapping(minimal_mapping(identifiers={"email": value}))
        assert info.value.field == "identifiers.email"
        assert isinstance(info.value, oc.InvalidTouchpointError)

    @pytest.mark.parametrize("value", [True, False, 1.5, ["tp-1"]])
    def test_id_not_a_string(self, value: object) -> None:
        """A boolean, float or list id is an InvalidTouchpointError naming 'id'."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            oc.Touchpoint.from_mapping(minimal_mapping(id=value))
        assert info.value.field == "id"

    @pytest.mark.parametrize("field", ["traits", "properties"])
    def test_bad_json_object(self, field: str) -> None:
        """traits/properties that are no object name their field."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            oc.Touchpoint.from_mapping(minimal_mapping(**{field: ["x"]}))
        assert info.value.field == field

    @pytest.mark.parametrize("data", [None, [], "tp", 5])
    def test_not_a_mapping(self, data: object) -> None:
        """A record that is no object is an InvalidTouchpointError on 'touchpoint'."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            oc.Touchpoint.from_mapping(data)  # type: ignore[arg-type]
        assert info.value.field == "touchpoint"

    @given(
        st.dictionaries(
            st.sampled_from(
                ["id", "occurred_at", "channel", "action", "identifiers", "traits", "source", "x"]
            ),
            st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none(), json_objects()),
        )
    )
    def test_only_typed_error(self, data: dict[str, Any]) -> None:
        """For arbitrary JSON-ish records: a Touchpoint or InvalidTouchpointError, nothing else."""
        try:
            read = oc.Touchpoint.from_mapping(data)
        except oc.InvalidTouchpointError as err:
            field = err.field
        else:
            assert isinstance(read, oc.Touchpoint)
            return
        assert field  # the error always names a field


def _values_with(marker: str) -> st.SearchStrategy[str]:
    return st.tuples(st.text(max_size=4), st.text(max_size=4)).map(lambda t: t[0] + marker + t[1])


class TestPrivacy:
    """Reprs never contain identifier values or trait values."""

    @given(markers(), st.data())
    def test_touchpoint_and_contact_reprs(self, marker: str, data: st.DataObject) -> None:
        """Identifier values and trait/property values never appear in reprs."""
        values = _values_with(marker)
        built = data.draw(
            touchpoints(identifier_values=lambda: values).filter(
                lambda t: marker not in str(t.id) and marker not in (t.source or "")
            )
        )
        built = attrs.evolve(
            built,
            identifiers=[*built.identifiers, oc.Identifier("email", data.draw(values))],
            traits={"first_name": data.draw(values), "tags": [data.draw(values)]},
            properties={"note": data.draw(values)},
        )
        contact = oc.Contact(
            contact_id="c-1", identifiers=built.identifiers, traits=built.traits, timeline=[built]
        )
        for text in (
            repr(built),
            repr(contact),
            repr(built.traits),
            repr(built.identifiers),
            str(built),
        ):
            assert marker not in text
        assert "first_name" in repr(built)  # trait names are not personal, values are


class TestContact:
    """Contact: a read-only projection; timeline order and derived properties."""

    def _timeline(self) -> list[oc.Touchpoint]:
        return [
            tp(id="c", occurred_at=T0 + timedelta(hours=2), channel="store"),
            tp(id="a", occurred_at=T0, channel="web"),
            tp(id="d", occurred_at=T0 + timedelta(hours=3), channel="web"),
            tp(id="b", occurred_at=T0 + timedelta(hours=1), channel="email"),
            tp(id="a2", occurred_at=T0, channel="app"),
        ]

    def _contact(self, timeline: list[oc.Touchpoint]) -> oc.Contact:
        return oc.Contact(
            contact_id="c-1",
            identifiers=[oc.Identifier("email", "a@b.c"), oc.Identifier("email", "a@b.c")],
            traits={"first_name": "Ann"},
            timeline=timeline,
        )

    def test_timeline_sorted(self) -> None:
        """The timeline is oldest first, ties broken by id."""
        contact = self._contact(self._timeline())
        assert contact.touchpoint_ids == ("a", "a2", "b", "c", "d")

    def test_first_and_last_seen(self) -> None:
        """first_seen/last_seen are the earliest and latest occurred_at."""
        contact = self._contact(self._timeline())
        assert contact.first_seen == T0
        assert contact.last_seen == T0 + timedelta(hours=3)

    def test_channels_in_order_of_first_use(self) -> None:
        """channels lists each channel once, in the order of its first touchpoint."""
        contact = self._contact(self._timeline())
        assert contact.channels == ("web", "app", "email", "store")

    def test_identifiers_deduplicated(self) -> None:
        """Identifiers are deduplicated; identifiers_of returns the values of one kind."""
        contact = self._contact(self._timeline())
        assert contact.identifiers == (oc.Identifier("email", "a@b.c"),)
        assert contact.identifiers_of("email") == ("a@b.c",)
        assert contact.identifiers_of("phone") == ()

    def test_needs_a_touchpoint(self) -> None:
        """A contact without touchpoints is an InvalidTouchpointError on 'timeline'."""
        with pytest.raises(oc.InvalidTouchpointError) as info:
            self._contact([])
        assert info.value.field == "timeline"

    def test_defaults_and_frozen(self) -> None:
        """identified defaults to False; traits are frozen; the contact is immutable."""
        contact = self._contact(self._timeline())
        assert contact.identified is False
        assert isinstance(contact.traits, FrozenMap)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            contact.contact_id = "x"  # type: ignore[misc]

    @given(
        st.lists(
            st.tuples(st.integers(0, 10_000), st.sampled_from(["web", "app", "store", "email"])),
            min_size=1,
            max_size=12,
            unique_by=lambda t: t,
        )
    )
    def test_properties_agree_with_timeline(self, events: list[tuple[int, str]]) -> None:
        """first_seen ≤ every time ≤ last_seen; channels are the distinct channels in time order."""
        timeline = [
            tp(
                id=f"tp-{minute:05d}-{channel}",
                occurred_at=T0 + timedelta(minutes=minute),
                channel=channel,
            )
            for minute, channel in events
        ]
        contact = self._contact(timeline)
        times = [t.occurred_at for t in contact.timeline]
        assert times == sorted(times)
        assert contact.first_seen == min(times)
        assert contact.last_seen == max(times)
        ordered = [t.channel for t in sorted(timeline, key=lambda t: (t.occurred_at, t.id))]
        assert list(contact.channels) == list(dict.fromkeys(ordered))
        assert set(contact.channels) == {c for _, c in events}

    def test_contact_from_hub(self, hub: oc.Hub) -> None:
        """The hub's contact carries normalized identifiers and its touchpoints in time order."""
        hub.add(tp(id="tp-2", occurred_at=T0 + timedelta(hours=1), channel="store",
                   identifiers=[oc.Identifier("email", "ANN@example.com")]))  # fmt: skip
        hub.add(tp(id="tp-1", occurred_at=T0, channel="web",
                   identifiers=[oc.Identifier("email", " ann@EXAMPLE.com")]))  # fmt: skip
        contact = hub.contact(oc.Identifier("email", "Ann@Example.com"))
        assert contact.touchpoint_ids == ("tp-1", "tp-2")
        assert contact.channels == ("web", "store")
        assert contact.identifiers_of("email") == ("ann@example.com",)
        assert contact.first_seen == T0
        assert "ann@example.com" not in repr(contact)
