"""Timestamps and dates: explicit naive-time policy, UTC, epochs, full dates, no year < 1900."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo

import pytest
from dateutil import tz as dateutil_tz
from hypothesis import example, given
from hypothesis import strategies as st

import omnicontact as oc
from omnicontact.normalize import normalize_date, normalize_datetime

PARIS = dateutil_tz.gettz("Europe/Paris")
NEW_YORK = dateutil_tz.gettz("America/New_York")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MIN_ACCEPTED = datetime(1900, 1, 1, tzinfo=timezone.utc)
ZONES = st.one_of(
    st.just(timezone.utc),
    st.timezones(),
    st.sampled_from([PARIS, NEW_YORK, dateutil_tz.gettz("Asia/Kolkata")]),
)
MODERN = st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2200, 1, 1))


def _is_utc(moment: datetime) -> bool:
    return moment.tzinfo is timezone.utc


class TestTimestampForms:
    """normalize_datetime reads datetimes, ISO text, free text and epochs into aware UTC."""

    def test_aware_converted_to_utc(self) -> None:
        """An aware timestamp keeps its instant, expressed in UTC (docs example)."""
        result = normalize_datetime("2026-03-05T08:10:55+01:00")
        assert result == datetime(2026, 3, 5, 7, 10, 55, tzinfo=timezone.utc)
        assert _is_utc(result)

    def test_z_suffix(self) -> None:
        """A trailing Z means UTC."""
        assert normalize_datetime("2026-03-05T07:10:55Z") == datetime(
            2026, 3, 5, 7, 10, 55, tzinfo=timezone.utc
        )

    def test_naive_defaults_to_utc(self) -> None:
        """With no zone given, a naive timestamp is read as UTC."""
        assert normalize_datetime("2026-03-05T07:10:55") == datetime(
            2026, 3, 5, 7, 10, 55, tzinfo=timezone.utc
        )

    def test_naive_read_in_given_zone(self) -> None:
        """A naive timestamp is read in timezone_ (Paris is UTC+1 in March)."""
        result = normalize_datetime("2026-03-05T08:10:55", timezone_=PARIS)
        assert result == datetime(2026, 3, 5, 7, 10, 55, tzinfo=timezone.utc)
        assert _is_utc(result)

    def test_aware_ignores_given_zone(self) -> None:
        """timezone_ only applies to naive values."""
        assert normalize_datetime(
            "2026-03-05T08:10:55+01:00", timezone_=NEW_YORK
        ) == normalize_datetime("2026-03-05T08:10:55+01:00")

    def test_spring_forward_gap_moved_forward(self) -> None:
        """2026-03-29 02:30 does not exist in Paris: stored as 01:30 UTC (03:30 local)."""
        result = normalize_datetime(datetime(2026, 3, 29, 2, 30), timezone_=PARIS)
        assert result == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)

    def test_fall_back_ambiguous_is_first(self) -> None:
        """2026-10-25 02:30 happens twice in Paris: the first one, 00:30 UTC."""
        result = normalize_datetime("2026-10-25 02:30", timezone_=PARIS)
        assert result == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)

    def test_dayfirst(self) -> None:
        """01/02/2026 10:00 is 2 January, or 1 February with dayfirst (docs example)."""
        assert normalize_datetime("01/02/2026 10:00") == datetime(
            2026, 1, 2, 10, tzinfo=timezone.utc
        )
        assert normalize_datetime("01/02/2026 10:00", dayfirst=True) == datetime(
            2026, 2, 1, 10, tzinfo=timezone.utc
        )

    @pytest.mark.parametrize(
        ("value", "millis"),
        [(1772442760, 0), (1772442760123, 123), ("1772442760", 0), ("1772442760123", 123)],
    )
    def test_epoch_seconds_and_milliseconds(self, value: int | str, millis: int) -> None:
        """Epoch seconds and milliseconds (numbers or digit strings) are 2026-03-02 09:12:40 UTC."""
        expected = datetime(2026, 3, 2, 9, 12, 40, tzinfo=timezone.utc)
        assert normalize_datetime(value) == expected + timedelta(milliseconds=millis)

    def test_epoch_fraction(self) -> None:
        """A float epoch keeps its fraction of a second."""
        assert normalize_datetime(1772442760.25) == EPOCH + timedelta(seconds=1772442760.25)

    @pytest.mark.parametrize(
        "value",
        ["", "   ", "not a date", "March 2026", "2026", "10:00", "32/01/2026", True, None,
         date(2026, 3, 2), [2026, 3, 2], float("nan"), float("inf")],
    )  # fmt: skip
    def test_rejected(self, value: object) -> None:
        """Text that is no full date, booleans, plain dates and non-finite numbers are rejected."""
        with pytest.raises(oc.InvalidTimestampError) as info:
            normalize_datetime(value)
        assert info.value.field == "occurred_at"

    def test_field_named(self) -> None:
        """The error names the field it was given."""
        with pytest.raises(oc.InvalidTimestampError) as info:
            normalize_datetime("nope", field="received_at")
        assert info.value.field == "received_at"
        assert str(info.value).startswith("received_at: ")

    @pytest.mark.parametrize(
        "value",
        ["1899-12-31T23:59:59Z", "1850-06-01", datetime(1899, 1, 1), -2209075200, "0001-01-01"],
    )
    def test_years_before_1900_rejected(self, value: object) -> None:
        """Anything before 1900 is an InvalidTimestampError."""
        with pytest.raises(oc.InvalidTimestampError):
            normalize_datetime(value)

    def test_year_1900_accepted(self) -> None:
        """1900 itself is accepted."""
        assert normalize_datetime("1900-01-01T00:00:00Z").year == 1900


class TestTimestampProperties:
    """Invariants of normalize_datetime."""

    @given(st.datetimes(min_value=datetime(1901, 1, 2), timezones=ZONES))
    def test_aware_keeps_instant(self, value: datetime) -> None:
        """An aware datetime comes back as the same instant, in UTC."""
        result = normalize_datetime(value, timezone_=NEW_YORK)
        # timestamps, not ==: PEP 495 makes inter-zone == False for times in a gap or fold
        assert result.timestamp() == value.timestamp()
        assert _is_utc(result)

    @given(MODERN, ZONES)
    @example(datetime(2026, 3, 29, 2, 30), PARIS)
    @example(datetime(2026, 10, 25, 2, 30), PARIS)
    def test_naive_wall_time_in_zone(self, value: datetime, zone: tzinfo) -> None:
        """A naive time is that wall time in the zone, moved forward out of a gap; stored UTC."""
        result = normalize_datetime(value, timezone_=zone)
        assert _is_utc(result)
        wall = result.astimezone(zone).replace(tzinfo=None)
        if dateutil_tz.datetime_exists(value, tz=zone):
            assert wall == value
        else:  # a gap: moved forward, never backward, by at most a day
            assert value < wall <= value + timedelta(days=1)

    @given(
        st.one_of(
            MODERN,
            st.datetimes(min_value=datetime(1901, 1, 2), timezones=ZONES),
            MODERN.map(datetime.isoformat),
            MODERN.map(lambda d: d.strftime("%d %B %Y %H:%M")),
            st.integers(-2_000_000_000, 4_000_000_000_000),
        ),
        ZONES,
        st.booleans(),
    )
    def test_idempotent(self, value: object, zone: tzinfo, dayfirst: bool) -> None:
        """Normalizing the result, or its ISO text, again gives the result."""
        once = normalize_datetime(value, timezone_=zone, dayfirst=dayfirst)
        assert normalize_datetime(once, timezone_=zone, dayfirst=dayfirst) == once
        assert normalize_datetime(once.isoformat(), timezone_=zone) == once

    @given(st.integers(100_000_001, 4_000_000_000))
    def test_milliseconds_equal_seconds(self, seconds: int) -> None:
        """n seconds and n*1000 milliseconds are the same instant (above the 10^11 threshold)."""
        expected = EPOCH + timedelta(seconds=seconds)
        assert normalize_datetime(seconds) == expected
        assert normalize_datetime(seconds * 1000) == expected
        assert normalize_datetime(str(seconds * 1000)) == expected

    @given(st.text())
    def test_text_gives_utc_or_typed_error(self, value: str) -> None:
        """For arbitrary text: an aware UTC datetime, or InvalidTimestampError, nothing else."""
        try:
            result = normalize_datetime(value)
        except oc.InvalidTimestampError as err:
            field = err.field
        else:
            assert _is_utc(result)
            return
        assert field == "occurred_at"

    @given(st.floats(), st.booleans())
    def test_floats_give_utc_or_typed_error(self, value: float, dayfirst: bool) -> None:
        """Any float (NaN, infinities, huge) is a UTC datetime or InvalidTimestampError."""
        try:
            result = normalize_datetime(value, dayfirst=dayfirst)
        except oc.InvalidTimestampError:
            return
        assert _is_utc(result)

    @given(st.integers())
    @example(10**400)
    def test_ints_give_utc_or_typed_error(self, value: int) -> None:
        """Any integer is a UTC datetime or InvalidTimestampError, nothing else."""
        try:
            result = normalize_datetime(value)
        except oc.InvalidTimestampError:
            return
        assert _is_utc(result)

    @given(st.datetimes(), ZONES)
    @example(datetime(1, 1, 1), PARIS)
    @example(datetime(9999, 12, 31, 23), NEW_YORK)
    def test_any_naive_datetime_utc_or_typed_error(self, value: datetime, zone: tzinfo) -> None:
        """Any naive datetime in any zone is a UTC datetime or InvalidTimestampError."""
        try:
            result = normalize_datetime(value, timezone_=zone)
        except oc.InvalidTimestampError:
            return
        assert _is_utc(result)

    @given(st.datetimes(min_value=datetime(1899, 12, 30), max_value=datetime(1900, 1, 2)), ZONES)
    @example(datetime(1900, 1, 1, 0, 30), timezone(timedelta(hours=1)))
    def test_stored_never_before_1900(self, value: datetime, zone: tzinfo) -> None:
        """No accepted timestamp is stored before 1900-01-01T00:00Z."""
        try:
            result = normalize_datetime(value.replace(tzinfo=zone))
        except oc.InvalidTimestampError:
            return
        assert result >= MIN_ACCEPTED


class TestDates:
    """normalize_date: a full calendar date as ISO YYYY-MM-DD (the birth_date policy)."""

    def test_iso_read_as_is(self) -> None:
        """An ISO date is kept, whatever dayfirst says."""
        assert normalize_date("1988-11-12") == "1988-11-12"
        assert normalize_date(" 1988-11-12 ", dayfirst=True) == "1988-11-12"

    def test_dayfirst(self) -> None:
        """11/12/1988 is 12 November, or 11 December with dayfirst (docs example)."""
        assert normalize_date("11/12/1988") == "1988-11-12"
        assert normalize_date("11/12/1988", dayfirst=True) == "1988-12-11"

    def test_unambiguous_day_either_way(self) -> None:
        """23/11/1988 is 23 November either way, since 23 cannot be a month."""
        assert normalize_date("23/11/1988") == "1988-11-23"
        assert normalize_date("23/11/1988", dayfirst=True) == "1988-11-23"

    def test_free_text(self) -> None:
        """A full date in words is read."""
        assert normalize_date("12 March 1985") == "1985-03-12"
        assert normalize_date("March 12, 1985") == "1985-03-12"

    def test_date_and_datetime_objects(self) -> None:
        """date and datetime objects give their calendar date."""
        assert normalize_date(date(1985, 3, 12)) == "1985-03-12"
        assert normalize_date(datetime(1985, 3, 12, 23, 59)) == "1985-03-12"

    @pytest.mark.parametrize("value", ["1985", "March 1985", "1985-03", "03/1985", "12 March"])
    def test_partial_rejected(self, value: str) -> None:
        """A date missing its year, month or day is rejected."""
        with pytest.raises(oc.InvalidTimestampError) as info:
            normalize_date(value)
        assert info.value.field == "birth_date"

    @pytest.mark.parametrize("value", ["1899-12-31", "31/12/1899", date(1850, 1, 1), "0001-01-01"])
    def test_before_1900_rejected(self, value: object) -> None:
        """Dates before 1900 are rejected; 1900-01-01 is accepted."""
        with pytest.raises(oc.InvalidTimestampError):
            normalize_date(value)
        assert normalize_date("1900-01-01") == "1900-01-01"

    @pytest.mark.parametrize("value", [None, "", "  ", 19850312, 1985.0, True, ["1985-03-12"]])
    def test_non_dates_rejected(self, value: object) -> None:
        """Non-strings, blanks and numbers are not dates."""
        with pytest.raises(oc.InvalidTimestampError):
            normalize_date(value)

    @given(st.dates(min_value=date(1900, 1, 1)), st.booleans())
    def test_every_format_of_a_date(self, day: date, dayfirst: bool) -> None:
        """ISO, words, and the dayfirst-matching numeric form all give the ISO date."""
        numeric = day.strftime("%d/%m/%Y" if dayfirst else "%m/%d/%Y")
        for text in (day.isoformat(), day.strftime("%d %B %Y"), day.strftime("%B %d, %Y"), numeric):
            assert normalize_date(text, dayfirst=dayfirst) == day.isoformat()

    @given(st.one_of(st.text(), st.dates().map(date.isoformat)), st.booleans())
    def test_idempotent_or_typed_error(self, value: str, dayfirst: bool) -> None:
        """For arbitrary text: InvalidTimestampError, or an ISO date that is its own normal form."""
        try:
            once = normalize_date(value, dayfirst=dayfirst)
        except oc.InvalidTimestampError:
            return
        assert date.fromisoformat(once).year >= 1900
        assert normalize_date(once, dayfirst=not dayfirst) == once
