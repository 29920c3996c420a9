"""A synthetic omnichannel world with ground truth, streamed household by household.

:class:`World` makes a seeded population (FR, GB, DE, ES, US) and their
journeys across web, app, store, call centre, e-mail and social networks, and
yields each journey's payloads as the channel would export them, for the
built-in adapters ``segment``, ``orders``, ``email_events`` and ``support``.
Each :class:`WorldEvent` carries the true person beside the payload, never
inside it::

    world = World(people=1000, seed=7)
    for event in world.events():
        hub.ingest([event.payload], adapter=event.adapter)

Households are generated one at a time from a random generator seeded with
``(seed, household number)``, and e-mails, phones and ids are unique by
construction, so memory does not grow with ``people``. Events come household
after household; within a household, in arrival order (which is not quite
event-time order). ``docs/benchmarks.md`` lists the rates and the noise.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from random import Random
from typing import Any

import attrs

from omnicontact.bench._journeys import Household
from omnicontact.bench._people import COUNTRY_WEIGHTS, LOCALES, Names, Person, make_person
from omnicontact.errors import ConfigurationError

__all__ = ["World", "WorldEvent", "faker_version"]

FAMILY = 0.14
"""Share of households that are families of 2-4 (one surname, one address, shared devices)."""


@attrs.frozen
class WorldEvent:
    """One payload of the world, with the truth kept beside it.

    :param adapter: the built-in adapter that reads the payload: ``"segment"``,
        ``"orders"``, ``"email_events"`` or ``"support"``.
    :param payload: exactly what the channel would export (JSON-ready); the
        truth is never inside it.
    :param touchpoint_id: the id the adapter gives the touchpoint (the
        ``messageId``; ``order:<id>``; ``email_event:<event id>``;
        ``support:<case>/<id>``).
    :param person: the true person, e.g. ``"p-00000123"``.
    """

    adapter: str
    payload: dict[str, Any] = attrs.field(repr=False)
    touchpoint_id: str
    person: str


def faker_version() -> str | None:
    """Return the installed Faker version, or ``None`` when Faker is not installed."""
    try:
        from importlib import metadata

        return metadata.version("faker")
    except metadata.PackageNotFoundError:
        return None


class World:
    """A seeded population and its journeys, generated again each time it is read.

    :param people: how many people live in the world.
    :param seed: the seed; the world is deterministic for (``people``, ``seed``,
        ``countries``, ``start``, ``days``, ``use_faker`` and the Faker version).
    :param countries: where people live, among FR, GB, DE, ES and US.
    :param start: the world's first moment (tz-aware).
    :param days: how long the world lasts.
    :param use_faker: names and addresses from Faker (``True``), from small
        built-in lists (``False``), or from Faker when installed (``None``).
    :raises ConfigurationError: for an unknown country, a naive *start*, fewer
        than one person or day, or ``use_faker=True`` without Faker.
    """

    def __init__(
        self,
        *,
        people: int = 1000,
        seed: int = 42,
        countries: Sequence[str] = ("FR", "GB", "DE", "ES", "US"),
        start: datetime = datetime(2026, 1, 5, tzinfo=timezone.utc),
        days: int = 180,
        use_faker: bool | None = None,
    ) -> None:
        if not isinstance(people, int) or people < 1:
            raise ConfigurationError("people: must be an integer ≥ 1")
        if not isinstance(days, int) or days < 1:
            raise ConfigurationError("days: must be an integer ≥ 1")
        if start.tzinfo is None:
            raise ConfigurationError("start: must be timezone-aware")
        countries = tuple(countries)
        unknown = sorted(set(countries) - set(COUNTRY_WEIGHTS))
        if not countries or unknown:
            known = ", ".join(COUNTRY_WEIGHTS)
            raise ConfigurationError(f"countries: must be among {known}")
        if use_faker is None:
            use_faker = faker_version() is not None
        if use_faker and faker_version() is None:
            raise ConfigurationError(
                "use_faker: Faker is not installed (pip install 'omnicontact[bench]')"
            )
        self.people = people
        self.seed = seed
        self.countries = tuple(dict.fromkeys(countries))
        self.start = start.astimezone(timezone.utc)
        self.days = days
        self.use_faker = bool(use_faker)

    def __repr__(self) -> str:
        return (
            f"World(people={self.people}, seed={self.seed}, countries={self.countries!r}, "
            f"start={self.start.isoformat()}, days={self.days}, use_faker={self.use_faker})"
        )

    @property
    def end(self) -> datetime:
        """The world's last moment: no event happens at or after it (use it as ``as_of``)."""
        return self.start + timedelta(days=self.days)

    def events(self) -> Iterator[WorldEvent]:
        """Yield every event, household after household; each household's in arrival order.

        Some payloads come twice (a retried delivery: an equal payload, the
        same touchpoint id); app events may arrive up to 48 hours late, and
        orders the night after. Reading it again gives the same events.
        """
        for household, members in self._households():
            for e in Household(household, members, self.start, self.end).events():
                yield WorldEvent(e.adapter, e.payload, e.touchpoint_id, e.person)

    def truth(self) -> Iterator[tuple[str, str]]:
        """Yield ``(touchpoint_id, person)`` for every event, by generating the world again.

        A duplicate delivery gives its pair twice.
        """
        for event in self.events():
            yield event.touchpoint_id, event.person

    # ------------------------------------------------------------------ people

    def _households(self) -> Iterator[tuple[Random, list[Person]]]:
        """Yield each household's generator (for its journeys) and members."""
        names = Names(self.countries, self._fakers())
        weights = [COUNTRY_WEIGHTS[c] for c in self.countries]
        companies = max(3, self.people // 2000)
        serial = 0
        number = 0
        while serial < self.people:
            rng = Random(f"{self.seed}:{number}")
            number += 1
            country = rng.choices(self.countries, weights)[0]
            names.reseed(rng, country)
            size = rng.choice((2, 2, 3, 3, 4)) if rng.random() < FAMILY else 1
            size = min(size, self.people - serial)
            members: list[Person] = []
            for _ in range(size):
                serial += 1
                head = members[0] if members else None
                members.append(
                    make_person(
                        rng,
                        names,
                        serial,
                        country,
                        last=head.last if head else None,
                        address=(head.street, head.postal_code, head.city) if head else None,
                        companies=companies,
                        seed=self.seed,
                    )
                )
            yield rng, members

    def _fakers(self) -> dict[str, Any] | None:
        if not self.use_faker:
            return None
        from faker import Faker

        return {c: Faker(LOCALES[c]) for c in self.countries}
