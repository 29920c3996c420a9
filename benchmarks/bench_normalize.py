"""Cost of normalizing one identifier, per kind, in microseconds per call.

For each kind (email, phone national with its region, phone international,
customer_id, loyalty_id, cookie_id, device_id, email_sha256) it measures, in
one run so the ratios are comparable:

- ``raw``: the kind's registered normalizer function, called on distinct raw
  values (no cache: every call does the full work);
- ``no cache``: the hub's ``TouchpointNormalizer.identifier`` with
  ``cache_size=0`` (raw work + ``Identifier`` objects + derived identifiers,
  such as the SHA-256 an e-mail implies);
- ``cached``: the same with its LRU cache (100,000 entries, the hub's default),
  fed the kind's identifiers in stream order from a synthetic population (see
  ``_common.generate_population``), a fresh cache each round; the hit rate is
  printed;
- for e-mail, also the module's full path ``normalize_email`` (the registered
  normalizer may take a fast path for plain ASCII addresses);
- the bare library calls on the same values:
  ``email_validator.validate_email(check_deliverability=False)`` and
  ``phonenumbers.parse`` + ``format_number(E164)`` (plus ``is_valid_number``,
  which omnicontact also checks), and the ratio ``raw / bare``.

It also times ``TouchpointNormalizer.touchpoint`` (identifiers, timestamps,
traits and the rebuilt ``Touchpoint``) over the whole stream, cache on: the
ceiling normalization alone puts on ingestion.

Each figure is the median over ``--rounds`` rounds (``time.perf_counter``).

Re-run::

    python benchmarks/bench_normalize.py
    python benchmarks/bench_normalize.py --touchpoints 100000 --rounds 7 --distinct 2000
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import phonenumbers
from _common import (
    command_line,
    email_sha256_forms,
    generate_population,
    machine_info,
    median,
    print_header,
    time_rounds,
    write_results,
)
from email_validator import validate_email
from phonenumbers import PhoneNumberFormat

from omnicontact import Hub, Identifier, NormalizeContext
from omnicontact.normalize.email import normalize_email
from omnicontact.normalize.normalizer import TouchpointNormalizer

CACHE_SIZE = 100_000
ROWS = (
    "email",
    "phone national",
    "phone international",
    "customer_id",
    "loyalty_id",
    "cookie_id",
    "device_id",
    "email_sha256",
)

Item = tuple[Identifier, "str | None"]


def _row_of(ident: Identifier) -> str:
    if ident.kind != "phone":
        return ident.kind
    value = ident.value.strip()
    return "phone international" if value.startswith(("+", "00")) else "phone national"


def _region_of(touchpoint: Any) -> str | None:
    country = touchpoint.traits.get("country")
    if country:
        return str(country).upper()
    locale = touchpoint.properties.get("locale")
    return str(locale).replace("_", "-").rpartition("-")[2].upper() if locale else None


def _streams(population: Any) -> dict[str, list[Item]]:
    """Return each row's identifiers in stream order, with the region the hub would use."""
    streams: dict[str, list[Item]] = {row: [] for row in ROWS}
    for tp in population.touchpoints:
        region = _region_of(tp)
        for ident in tp.identifiers:
            streams[_row_of(ident)].append((ident, region))
    # Hashed e-mails as an ad platform sends them back: each person's a few times.
    hashed = email_sha256_forms(population)
    for position in range(len(streams["email"])):
        streams["email_sha256"].append(
            (Identifier("email_sha256", hashed[(position * 7919) % len(hashed)]), None)
        )
    return streams


def _distinct(stream: list[Item], limit: int) -> list[Item]:
    seen: dict[tuple[str, str | None], Item] = {}
    for ident, region in stream:
        seen.setdefault((ident.value, region), (ident, region))
        if len(seen) >= limit:
            break
    return list(seen.values())


def _per_call_us(run: Callable[[], object], calls: int, rounds: int) -> float:
    return median(time_rounds(run, rounds)) / calls * 1e6


def measure(population: Any, rounds: int, distinct: int) -> dict[str, dict[str, Any]]:
    # The registered e-mail and phone normalizers are per-hub objects that
    # remember domains and compact phone forms: every timed round gets the
    # kinds of a hub of its own, made before the clock starts, so that nothing
    # one round learned makes the next one look cheaper.
    spare_kinds = [Hub(load_entry_points=False).kinds for _ in range(4 * rounds * 8 + 16)]
    contexts = {None: NormalizeContext()}
    for region in ("FR", "GB", "US", "DE"):
        contexts[region] = NormalizeContext(region=region)
    out: dict[str, dict[str, Any]] = {}
    for row, stream in _streams(population).items():
        sample = _distinct(stream, distinct)
        kind_name = sample[0][0].kind
        calls = [(ident.value, contexts[region]) for ident, region in sample]

        def raw(calls: list[tuple[str, NormalizeContext]] = calls, name: str = kind_name) -> None:
            fn = spare_kinds.pop().get(name).normalize
            for value, context in calls:
                fn(value, context)

        def through(items: list[Item], cache_size: int) -> Callable[[], TouchpointNormalizer]:
            def run() -> TouchpointNormalizer:
                normalizer = TouchpointNormalizer(spare_kinds.pop(), NormalizeContext(), cache_size)
                identifier = normalizer.identifier
                for ident, region in items:
                    identifier(ident, region)
                return normalizer

            return run

        figures: dict[str, Any] = {
            "distinct_values": len(sample),
            "stream_length": len(stream),
            "raw_us": _per_call_us(raw, len(calls), rounds),
            "no_cache_us": _per_call_us(through(sample, 0), len(sample), rounds),
            "cached_us": _per_call_us(through(stream, CACHE_SIZE), len(stream), rounds),
        }
        normalizer = through(stream, CACHE_SIZE)()
        figures["hit_rate"] = normalizer.hits / max(1, normalizer.hits + normalizer.misses)
        # The cost of a hit alone: the distinct sample again on a cache that holds it.
        warm = normalizer.identifier
        for ident, region in sample:
            warm(ident, region)

        def hits(items: list[Item] = sample, identifier: Any = warm) -> None:
            for ident, region in items:
                identifier(ident, region)

        figures["hit_us"] = _per_call_us(hits, len(sample), rounds)
        values = [(ident.value, region) for ident, region in sample]
        if row == "email":
            # The registered normalizer may take a fast path; time the full one too.
            figures["full_path_us"] = _per_call_us(
                lambda calls=calls: [normalize_email(v, c) for v, c in calls], len(calls), rounds
            )
            values = [(value.strip(), region) for value, region in values]  # we strip too

            def bare(values: list[tuple[str, str | None]] = values) -> None:
                for value, _ in values:
                    validate_email(value, check_deliverability=False)

            figures["bare"] = "email_validator.validate_email(check_deliverability=False)"
            figures["bare_us"] = _per_call_us(bare, len(values), rounds)
        elif row.startswith("phone"):
            # The bare library does not read the 00 prefix without a region; we rewrite it too.
            values = [("+" + v[2:] if v.startswith("00") else v, r) for v, r in values]

            def bare(values: list[tuple[str, str | None]] = values) -> None:
                for value, region in values:
                    number = phonenumbers.parse(value, region)
                    phonenumbers.format_number(number, PhoneNumberFormat.E164)

            def bare_valid(values: list[tuple[str, str | None]] = values) -> None:
                for value, region in values:
                    number = phonenumbers.parse(value, region)
                    phonenumbers.is_valid_number(number)
                    phonenumbers.format_number(number, PhoneNumberFormat.E164)

            figures["bare"] = "phonenumbers.parse + format_number(E164)"
            figures["bare_us"] = _per_call_us(bare, len(values), rounds)
            figures["bare_valid_us"] = _per_call_us(bare_valid, len(values), rounds)
        if "bare_us" in figures:
            figures["raw_over_bare"] = figures["raw_us"] / figures["bare_us"]
        out[row] = figures
    return out


def measure_touchpoints(population: Any, rounds: int) -> dict[str, Any]:
    spare_kinds = [Hub(load_entry_points=False).kinds for _ in range(rounds + 2)]  # see measure()
    now = datetime.now(timezone.utc)
    stream = population.touchpoints

    def run() -> TouchpointNormalizer:
        normalizer = TouchpointNormalizer(spare_kinds.pop(), NormalizeContext(), CACHE_SIZE)
        touchpoint = normalizer.touchpoint
        for tp in stream:
            touchpoint(tp, now)
        return normalizer

    us = _per_call_us(run, len(stream), rounds)
    normalizer = run()
    return {
        "touchpoints": len(stream),
        "us_per_touchpoint": us,
        "ceiling_touchpoints_per_s": 1e6 / us,
        "identifier_hit_rate": normalizer.hits / max(1, normalizer.hits + normalizer.misses),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--touchpoints", type=int, default=100_000, help="stream length")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the median is kept")
    parser.add_argument("--distinct", type=int, default=2_000, help="values per kind, uncached")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    info = machine_info()
    print_header("omnicontact: identifier normalization, µs per call", info)
    start = time.perf_counter()
    population = generate_population(args.touchpoints, args.seed)
    print(
        f"population: {args.touchpoints:,} touchpoints of {population.people:,} people "
        f"(seed {args.seed}), built in {time.perf_counter() - start:.1f} s; "
        f"median of {args.rounds} rounds"
    )
    print()
    rows = measure(population, args.rounds, args.distinct)
    header = (
        f"{'kind':<20} {'raw':>7} {'no cache':>9} {'hit':>6} {'cached':>7} {'hit rate':>9} "
        f"{'bare lib':>9} {'raw/bare':>9}   stream"
    )
    print(header)
    print("-" * len(header))
    for row, f in rows.items():
        bare = f"{f['bare_us']:9.2f}" if "bare_us" in f else f"{'-':>9}"
        ratio = f"{f['raw_over_bare']:8.2f}x" if "raw_over_bare" in f else f"{'-':>9}"
        print(
            f"{row:<20} {f['raw_us']:7.2f} {f['no_cache_us']:9.2f} {f['hit_us']:6.2f} "
            f"{f['cached_us']:7.2f} "
            f"{f['hit_rate']:9.1%} {bare} {ratio}   {f['stream_length']:,}"
        )
    print()
    print("µs per call. raw: the kind's normalizer function; no cache: through")
    print("TouchpointNormalizer.identifier, cache off; hit: a cache hit alone; cached: the")
    print("stream in order through the LRU cache (fresh each round) at the hit rate shown.")
    print("bare lib: email_validator.validate_email(check_deliverability=False);")
    print("phonenumbers.parse + format_number(E164). With is_valid_number added (omnicontact")
    print(
        "checks validity too): "
        + ", ".join(
            f"{row} {f['bare_valid_us']:.2f} µs" for row, f in rows.items() if "bare_valid_us" in f
        )
    )
    if "full_path_us" in rows["email"]:
        print(
            f"email, full path (normalize_email, email-validator every call): "
            f"{rows['email']['full_path_us']:.2f} µs"
        )
    tps = measure_touchpoints(population, max(3, args.rounds // 2))
    print()
    print(
        f"TouchpointNormalizer.touchpoint, whole stream, cache on: "
        f"{tps['us_per_touchpoint']:.2f} µs/touchpoint "
        f"(ceiling {tps['ceiling_touchpoints_per_s']:,.0f} touchpoints/s from normalization "
        f"alone; identifier hit rate {tps['identifier_hit_rate']:.1%})"
    )
    command = command_line()
    print()
    print(f"re-run: {command}")
    path = write_results(
        "normalize",
        {
            "benchmark": "normalize",
            "command": command,
            "machine": info,
            "parameters": vars(args),
            "unit": "µs per call (median of rounds)",
            "kinds": rows,
            "touchpoint": tps,
        },
    )
    print(f"results:  {path}")


if __name__ == "__main__":
    main()
