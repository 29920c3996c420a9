"""Peers run beside omnicontact on the same records: Splink for matching, when installed.

:func:`person_record` flattens one touchpoint, as its channel adapter read it
(before omnicontact normalizes anything), into the columns a Splink user would
compare: names, birth date, street, postal code, city, e-mail, phone and
customer id. :func:`run_splink` deduplicates such records with Splink's DuckDB
backend, set up the way ``benchmarks/bench_matching.py`` does (the light
cleaning a Splink user writes, Jaro-Winkler name levels, blocking rules,
u by random sampling, m by two EM passes, clusters at a match probability of
0.95), with the customer id as one more exact comparison and blocking rule,
and the e-mail and customer id among the deterministic rules that estimate
the prior (channel events often carry an e-mail alone); it returns record id
to cluster id.

Splink is optional (``pip install 'omnicontact[bench]'``): :func:`splink_version`
is ``None`` when it is not installed, and nothing here imports it before
:func:`run_splink` is called.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

from omnicontact.bench.metrics import score_clustering

if TYPE_CHECKING:
    from omnicontact.model import Touchpoint

__all__ = [
    "RECORD_FIELDS",
    "compare_with_splink",
    "person_record",
    "run_splink",
    "splink_version",
]

SPLINK_THRESHOLD = 0.95
"""The match probability at which Splink's pairs are clustered (its tutorials' value)."""

RECORD_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "street",
    "postal_code",
    "city",
    "email",
    "phone",
    "customer_id",
)
"""The columns of a person record."""

_IDENTIFIER_FIELDS = ("email", "phone", "customer_id")
_TRAIT_FIELDS = ("first_name", "last_name", "birth_date", "street", "postal_code", "city")
Record = dict[str, str | None]


def splink_version() -> str | None:
    """Return the installed Splink version, or ``None`` when it is not installed."""
    try:
        return metadata.version("splink")
    except metadata.PackageNotFoundError:
        return None


def person_record(touchpoint: Touchpoint) -> Record | None:
    """Return the person columns of *touchpoint*, or ``None`` when it names nobody.

    A touchpoint names somebody when it carries an e-mail, a phone or a
    customer id (anonymous page views on a cookie are not a record to
    deduplicate). The first value of each kind is kept, as given.
    """
    found: dict[str, str] = {}
    for identifier in touchpoint.identifiers:
        if identifier.kind in _IDENTIFIER_FIELDS and identifier.kind not in found:
            found[identifier.kind] = str(identifier.value)
    if not found:
        return None
    record: Record = {"unique_id": touchpoint.id}
    for name in _TRAIT_FIELDS:
        value = touchpoint.traits.get(name)
        record[name] = None if value is None else str(value)
    for name in _IDENTIFIER_FIELDS:
        record[name] = found.get(name)
    return record


def _lower(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.lower().split())
    return text or None


def _postcode(value: str | None) -> str | None:
    text = "".join((value or "").upper().split())
    return text or None


def _phone_digits(value: str | None) -> str | None:
    digits = "".join(c for c in (value or "") if c.isdigit())
    return digits[-9:] if len(digits) >= 6 else None


def _clean(records: Sequence[Mapping[str, str | None]]) -> dict[str, list[str | None]]:
    """Return the columns Splink compares, cleaned as a Splink user would."""
    return {
        "unique_id": [r["unique_id"] for r in records],
        "first_name": [_lower(r.get("first_name")) for r in records],
        "last_name": [_lower(r.get("last_name")) for r in records],
        "birth_date": [r.get("birth_date") or None for r in records],
        "street": [_lower(r.get("street")) for r in records],
        "postal_code": [_postcode(r.get("postal_code")) for r in records],
        "city": [_lower(r.get("city")) for r in records],
        "email": [_lower(r.get("email")) for r in records],
        "phone": [_phone_digits(r.get("phone")) for r in records],
        "customer_id": [_lower(r.get("customer_id")) for r in records],
    }


def run_splink(
    records: Sequence[Mapping[str, str | None]],
    *,
    seed: int = 42,
    threshold: float = SPLINK_THRESHOLD,
    u_max_pairs: float = 1e6,
) -> dict[str, str]:
    """Deduplicate *records* (from :func:`person_record`) with Splink; return id to cluster.

    :raises ImportError: when Splink (or pyarrow) is not installed.
    """
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    columns = _clean(records)
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    frame: Any = DuckDBAPI().register(table)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("postal_code"),
            cl.JaroWinklerAtThresholds("city", [0.9]),
            cl.JaroWinklerAtThresholds("street", [0.9, 0.7]),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.ExactMatch("customer_id"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("last_name", "birth_date"),
            block_on("first_name", "birth_date"),
            block_on("email"),
            block_on("phone"),
            block_on("customer_id"),
            block_on("postal_code", "street"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    splink_logger = logging.getLogger("splink")
    level = splink_logger.level
    splink_logger.setLevel(logging.ERROR)  # "m values not fully trained" on sparse columns
    try:
        linker = Linker(frame, settings, log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [
                block_on("first_name", "last_name", "birth_date"),
                block_on("email"),
                block_on("customer_id"),
            ],
            recall=0.7,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("first_name", "last_name")
        )
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
        predictions = linker.inference.predict(threshold_match_probability=0.5)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        )
        rows = clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    finally:
        splink_logger.setLevel(level)
    out = {str(unique_id): str(cluster_id) for unique_id, cluster_id in rows}
    for record in records:  # Splink keeps singletons; guard against a record left out
        rid = str(record["unique_id"])
        out.setdefault(rid, "unclustered:" + rid)
    return out


def compare_with_splink(
    records: Mapping[str, Mapping[str, str | None]],
    predicted: Mapping[str, str],
    truth: Mapping[str, str],
    omnicontact_seconds: float,
    *,
    seed: int = 42,
) -> dict[str, Any]:
    """Run Splink on *records*; score it and omnicontact's *predicted* on the same records.

    :param records: record id to :func:`person_record` (ids present in *truth*
        and *predicted*).
    :param omnicontact_seconds: omnicontact's time, shown beside Splink's.
    :returns: ``{"splink": figures}``: both tools' scores on these records, the
        times and the ratios omnicontact / Splink; or ``skipped`` (not
        installed, too few records) or ``error`` (Splink raised) with the reason.
    """
    version = splink_version()
    if version is None:
        return {"splink": {"skipped": "Splink is not installed (pip install 'omnicontact[bench]')"}}
    ids = sorted(rid for rid in records if rid in truth and rid in predicted)
    if len(ids) < 2:
        return {"splink": {"skipped": "fewer than two records with an e-mail, phone or id"}}
    subset = {rid: truth[rid] for rid in ids}
    ours = score_clustering({rid: predicted[rid] for rid in ids}, subset)
    start = time.perf_counter()
    try:
        clusters = run_splink([records[rid] for rid in ids], seed=seed)
    except Exception as err:  # a peer's failure is a figure, not a crash
        return {"splink": {"version": version, "error": f"{type(err).__name__}: {err}"[:300]}}
    seconds = time.perf_counter() - start
    theirs = score_clustering({rid: clusters[rid] for rid in ids}, subset)
    return {
        "splink": {
            "version": version,
            "records": len(ids),
            "seconds": seconds,
            "omnicontact_seconds": omnicontact_seconds,
            "scores": theirs.as_dict(),
            "omnicontact_scores": ours.as_dict(),
            "pairwise_f1_ratio": _ratio(ours.pairwise_f1, theirs.pairwise_f1),
            "bcubed_f1_ratio": _ratio(ours.bcubed_f1, theirs.bcubed_f1),
            "seconds_ratio": _ratio(omnicontact_seconds, seconds),
        }
    }


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None
