"""Identity resolution on labelled person records: omnicontact and Splink side by side.

The same records go, in the same process and the same run, through:

- **omnicontact**: each record becomes a ``Touchpoint`` (id = record id;
  identifiers ``email``, ``phone``, ``device_id``; traits ``first_name``,
  ``last_name``, ``birth_date``, ``street``, ``postal_code``, ``city``,
  ``country``; the record's channel; ``occurred_at`` = its timestamp), added
  with ``Hub.add_many`` (then ``Hub.resolve_all()`` when the hub has it), and
  each record's contact is read with ``Hub.contact_of``. Records the hub
  quarantines (an invalid phone, a bad date …) are counted, listed by reason
  and scored as contacts of their own, never dropped;
- **Splink** (DuckDB backend), when installed: the light cleaning a Splink user
  writes (names, city, street and e-mail lower-cased and trimmed, postcode
  upper-cased without spaces, phone reduced to its last 9 digits), comparisons
  on the same fields (first and last name with Jaro-Winkler levels, birth
  date, postcode, city, street, e-mail, phone), blocking rules, the
  probability that two records match from deterministic rules, u by random
  sampling, m by two EM passes, ``predict``, then connected components at a
  match probability of 0.95 (``--threshold``), the value Splink's tutorials use.
  Its time covers the cleaning, training, prediction and clustering.

Both predictions are scored against the truth with
``omnicontact.bench.score_clustering``: pairwise precision, recall and F1
(counted from cluster sizes, never by enumerating pairs), B-cubed F1, predicted
clusters mixing people (over-merged) and people split over several clusters
(under-merged). Memory is the process's resident set size sampled every 20 ms
during each run (psutil when installed): Splink's memory is mostly DuckDB's,
which ``tracemalloc`` cannot see.

The data (``--size N`` records, see ``_people.py``) are synthetic people from
FR, GB, DE, ES and US seen through five channels with realistic noise, ordered
by timestamp. Or bring a labelled file: ``--data FILE.csv|.jsonl`` with
``--truth-column`` (the true entity of each row) and ``--id-column``; the
columns used are those of ``_people.FIELDS``; missing ones are left empty.

Re-run::

    pip install -e '.[bench]'
    python benchmarks/bench_matching.py --size 2000
    python benchmarks/bench_matching.py --size 20000
    python benchmarks/bench_matching.py --data people.csv --truth-column person_id
    python benchmarks/bench_matching.py --size 20000 --save-data /tmp/people.csv
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import logging
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from _common import command_line, current_rss_mb, machine_info, print_header, write_results
from _people import (
    ACTIONS,
    FIELDS,
    PLACEHOLDER_EMAILS,
    PLACEHOLDER_PHONES,
    Person,
    faker_version,
    generate_records,
)

import omnicontact
from omnicontact import Hub, Identifier, InvalidTouchpointError, Touchpoint
from omnicontact.bench import Scores, score_clustering

try:
    import psutil
except ImportError:  # the bench extra is not installed: /proc/self/statm
    psutil = None

T = TypeVar("T")
Record = dict[str, Any]
IDENTIFIER_FIELDS = ("email", "phone", "device_id")
TRAIT_FIELDS = ("first_name", "last_name", "birth_date", "street", "postal_code", "city", "country")
QUARANTINED = "quarantined:"
"""Prefix of the singleton cluster id a quarantined record is scored under."""
UNDATED = datetime(2000, 1, 1, tzinfo=timezone.utc)
SPLINK_THRESHOLD = 0.95
SAMPLE_EVERY_S = 0.02


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def load_generated(
    size: int, seed: int, people: dict[str, Person] | None = None
) -> tuple[list[Record], dict[str, str]]:
    """Return *size* synthetic records in timestamp order, and record id -> person id."""
    records: list[Record] = []
    truth: dict[str, str] = {}
    for record, person_id in generate_records(size, seed, people):
        records.append(record)
        truth[record["record_id"]] = person_id
    records.sort(key=lambda r: (r["timestamp"], r["record_id"]))
    return records, truth


def load_file(path: Path, truth_column: str, id_column: str) -> tuple[list[Record], dict[str, str]]:
    """Read a labelled CSV or JSON-lines file; return its records and record id -> entity.

    Rows without an id get their row number; a row without a truth label is an error.
    """
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        with path.open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    records: list[Record] = []
    truth: dict[str, str] = {}
    for number, row in enumerate(rows, 1):
        label = row.get(truth_column)
        if _blank(label):
            raise SystemExit(f"{path}: row {number} has no value in --truth-column {truth_column}")
        record_id = row.get(id_column)
        record_id = str(number) if _blank(record_id) else str(record_id).strip()
        if record_id in truth:
            raise SystemExit(f"{path}: row {number} repeats a record id (--id-column {id_column})")
        record = {name: None if _blank(row.get(name)) else str(row[name]) for name in FIELDS}
        record["record_id"] = record_id
        records.append(record)
        truth[record_id] = str(label)
    if not records:
        raise SystemExit(f"{path}: no rows")
    return records, truth


def save_records(path: Path, records: Sequence[Record], truth: Mapping[str, str]) -> None:
    """Write records with their truth as ``person_id`` to a CSV file (for other tools)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*FIELDS, "person_id"])
        writer.writeheader()
        for record in records:
            writer.writerow({**record, "person_id": truth[record["record_id"]]})


# --------------------------------------------------------------------------
# omnicontact
# --------------------------------------------------------------------------


def to_touchpoint(record: Mapping[str, Any]) -> Touchpoint:
    """Build the touchpoint of one record.

    :raises InvalidTouchpointError: when a field cannot be read (the timestamp, the id).
    """
    stamp = record.get("timestamp")
    if _blank(stamp):
        occurred = UNDATED
    else:
        text = str(stamp).strip()
        try:
            occurred = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        except ValueError:
            raise InvalidTouchpointError("occurred_at", "is not an ISO 8601 timestamp") from None
    channel = record.get("channel") or "unknown"
    return Touchpoint(
        id=record["record_id"],
        occurred_at=occurred,
        channel=channel,
        action=ACTIONS.get(channel, "record"),
        identifiers=[
            Identifier(kind, str(record[kind]))
            for kind in IDENTIFIER_FIELDS
            if not _blank(record.get(kind))
        ],
        traits={name: record[name] for name in TRAIT_FIELDS if not _blank(record.get(name))},
        source="bench_matching",
    )


def run_omnicontact(
    records: Iterable[Mapping[str, Any]],
    *,
    default_region: str | None = None,
    rejections: list[tuple[str, str, str]] | None = None,
    steps: dict[str, float] | None = None,
    hub_out: list[Hub] | None = None,
) -> dict[str, str]:
    """Resolve *records* with omnicontact, incrementally; return record id -> contact id.

    A record omnicontact rejects (when building its touchpoint or in
    ``add_many``'s quarantine) maps to ``"quarantined:<record id>"``, a contact
    of its own, and ``(record id, field, rule)`` is appended to *rejections*.
    The seconds spent building touchpoints, in ``add_many`` and reading
    contacts go into *steps*; the hub is appended to *hub_out*.
    """
    clock = time.perf_counter()
    times: dict[str, float] = {}

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times[name] = now - clock
        clock = now

    rejected: dict[str, tuple[str, str]] = {}
    record_ids: list[str] = []
    touchpoints: list[Touchpoint] = []
    for record in records:
        record_ids.append(record["record_id"])
        try:
            touchpoints.append(to_touchpoint(record))
        except InvalidTouchpointError as err:
            rejected[record["record_id"]] = (err.field, err.rule)
    step("build_touchpoints")

    hub = Hub(default_region=default_region, load_entry_points=False)
    report = hub.add_many(touchpoints)
    for rejection in report.quarantined:
        rejected[rejection.record.id] = (rejection.field, rejection.reason)
    step("add_many")
    out = read_contacts(hub, record_ids, rejected)
    step("read_contacts")
    if rejections is not None:
        rejections.extend((rid, field, rule) for rid, (field, rule) in rejected.items())
    if steps is not None:
        steps.update(times)
    if hub_out is not None:
        hub_out.append(hub)
    return out


def read_contacts(
    hub: Hub, record_ids: Sequence[str], rejected: Mapping[str, tuple[str, str]]
) -> dict[str, str]:
    """Return record id -> contact id, quarantined records as contacts of their own."""
    out: dict[str, str] = {}
    for record_id in record_ids:
        if record_id in out:
            continue
        if record_id in rejected:
            out[record_id] = QUARANTINED + record_id
            continue
        contact = hub.contact_of(record_id)
        for member in contact.touchpoint_ids:  # one lookup per contact, not per record
            out[member] = contact.contact_id
    return out


def partition_of(assignment: Mapping[str, str]) -> set[frozenset[str]]:
    """Return a record -> cluster mapping as a set of clusters."""
    clusters: dict[str, set[str]] = defaultdict(set)
    for record_id, cluster in assignment.items():
        clusters[cluster].add(record_id)
    return {frozenset(c) for c in clusters.values()}


def latency(hub: Hub, records: Sequence[Record]) -> dict[str, float]:
    """Time ``hub.add`` for each record, one at a time; return percentiles in ms."""
    times = []
    for record in records:
        try:
            tp = to_touchpoint(record)
        except InvalidTouchpointError:
            continue
        start = time.perf_counter()
        try:
            hub.add(tp)
        except InvalidTouchpointError:
            continue
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "count": len(times),
        "median_ms": times[len(times) // 2],
        "p90_ms": times[int(len(times) * 0.9)],
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
        "max_ms": times[-1],
        "contacts_before": 0,
    }


# --------------------------------------------------------------------------
# Splink
# --------------------------------------------------------------------------


def splink_version() -> str | None:
    try:
        return metadata.version("splink")
    except metadata.PackageNotFoundError:
        return None


def _lower(value: Any) -> str | None:
    return None if _blank(value) else " ".join(str(value).lower().split())


def _postcode(value: Any) -> str | None:
    return None if _blank(value) else "".join(str(value).upper().split())


def _phone_digits(value: Any) -> str | None:
    digits = "".join(c for c in str(value or "") if c.isdigit())
    return digits[-9:] if len(digits) >= 6 else None


def splink_table(records: Sequence[Mapping[str, Any]]) -> dict[str, list[str | None]]:
    """Return the columns Splink compares, cleaned as a Splink user would."""
    columns: dict[str, list[str | None]] = {
        "unique_id": [str(r["record_id"]) for r in records],
        "first_name": [_lower(r.get("first_name")) for r in records],
        "last_name": [_lower(r.get("last_name")) for r in records],
        "birth_date": [None if _blank(r.get("birth_date")) else r["birth_date"] for r in records],
        "street": [_lower(r.get("street")) for r in records],
        "postal_code": [_postcode(r.get("postal_code")) for r in records],
        "city": [_lower(r.get("city")) for r in records],
        "email": [_lower(r.get("email")) for r in records],
        "phone": [_phone_digits(r.get("phone")) for r in records],
    }
    return columns


def run_splink(
    records: Sequence[Mapping[str, Any]],
    *,
    seed: int,
    threshold: float = SPLINK_THRESHOLD,
    u_max_pairs: float = 1e6,
    details: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Deduplicate *records* with Splink (DuckDB); return record id -> cluster id.

    Steps and their times go into *details*.
    """
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    steps: dict[str, float] = {}
    if details is not None:
        details["steps_s"] = steps  # filled in as the steps end, so a failure shows how far
    start = time.perf_counter()

    def step(name: str) -> None:
        nonlocal start
        now = time.perf_counter()
        steps[name] = now - start
        start = now

    columns = splink_table(records)
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    db_api = DuckDBAPI()
    frame = db_api.register(table)
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
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("last_name", "birth_date"),
            block_on("first_name", "birth_date"),
            block_on("email"),
            block_on("phone"),
            block_on("postal_code", "street"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(frame, settings, log_level=logging.WARNING)
    step("prepare")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "birth_date"), block_on("email", "last_name")],
        recall=0.7,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    step("estimate_u")
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "last_name")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    step("estimate_m_em")
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    step("predict")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    rows = clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    step("cluster")
    if details is not None:
        details["threshold_match_probability"] = threshold
        details["u_max_pairs"] = u_max_pairs
        details["pairs_scored_at_0.5"] = (
            predictions.as_duckdbpyrelation().count("*").fetchall()[0][0]
        )
    return {str(unique_id): str(cluster_id) for unique_id, cluster_id in rows}


# --------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------


def rss_mb() -> float:
    """Return this process's resident set size in MiB."""
    if psutil is not None:
        return float(psutil.Process().memory_info().rss) / 1024**2
    return current_rss_mb() or 0.0


class RssSampler:
    """Samples the resident set size in a thread while a block runs; keeps the peak."""

    def __init__(self, every_s: float = SAMPLE_EVERY_S) -> None:
        self.every_s = every_s
        self.before = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def measure(run: Callable[[], T]) -> tuple[T, dict[str, float]]:
    """Run *run*; return its result and wall time, CPU time and RSS figures."""
    gc.collect()
    with RssSampler() as rss:
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figures = {
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_before_mb": rss.before,
        "rss_peak_mb": rss.peak,
        "rss_growth_mb": rss.peak - rss.before,
    }
    return result, figures


# --------------------------------------------------------------------------
# why clusters mix people (generated data only)
# --------------------------------------------------------------------------

CAUSES = ("placeholder", "role mailbox", "household (twins)", "household", "namesakes", "other")


def _cause(members: list[Record], persons: list[Person]) -> str:
    """Return the likeliest reason why one predicted cluster holds several people."""
    emails = {" ".join(str(r["email"]).lower().split()) for r in members if r.get("email")}
    phones = {"".join(c for c in str(r["phone"]) if c.isdigit()) for r in members if r.get("phone")}
    if emails & set(PLACEHOLDER_EMAILS) or phones & set(PLACEHOLDER_PHONES):
        return "placeholder"
    if emails & {p.role_mailbox for p in persons if p.role_mailbox}:
        return "role mailbox"
    devices = {p.family_device for p in persons}
    if len(devices) == 1 and None not in devices:
        return "household (twins)" if any("twin" in p.tags for p in persons) else "household"
    if len({(p.first.casefold(), p.last.casefold()) for p in persons}) == 1:
        return "namesakes"
    return "other"


def over_merge_causes(
    predicted: Mapping[str, str],
    truth: Mapping[str, str],
    records: Sequence[Record],
    people: Mapping[str, Person],
) -> dict[str, dict[str, int]]:
    """Count the clusters mixing people, and the people in them, by likeliest cause.

    In that order: a placeholder value in the cluster, a shared role mailbox,
    one household (with twins or not), namesakes (same first and last name);
    anything else is ``other`` (typically a chain of several of these).
    """
    clusters: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        clusters[predicted[record["record_id"]]].append(record)
    out = {cause: {"clusters": 0, "people": 0} for cause in CAUSES}
    for members in clusters.values():
        ids = {truth[r["record_id"]] for r in members}
        if len(ids) > 1:
            cause = _cause(members, [people[i] for i in ids])
            out[cause]["clusters"] += 1
            out[cause]["people"] += len(ids)
    return out


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or not b:
        return "-"
    return f"{a / b:.2f}x"


def report_lines(data: Mapping[str, Any], runs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Return the comparison table, one column per tool, ratios omnicontact / Splink."""
    tools = list(runs)
    scores = {t: runs[t]["scores"] for t in tools}
    perf = {t: runs[t]["measure"] for t in tools}
    header = ["", *(runs[t]["label"] for t in tools)]
    if len(tools) == 2:
        header.append("omnicontact / Splink")

    def row(label: str, values: list[str], ratio: str | None = None) -> list[str]:
        return [label, *values, *([ratio or ""] if len(tools) == 2 else [])]

    def metric(label: str, key: str, spec: str, ratio: bool = False) -> list[str]:
        values = [scores[t][key] for t in tools]
        shown = [_fmt(v, spec) for v in values]
        return row(label, shown, _ratio(values[0], values[1]) if ratio and len(tools) == 2 else "")

    def merged(t: str) -> str:
        s = scores[t]
        return f"{s['over_merged_clusters']:,} ({s['over_merged_entities']:,} people)"

    def causes(t: str, cause: str) -> str:
        c = runs[t]["over_merge_causes"][cause]
        return f"{c['clusters']:,} ({c['people']:,} people)"

    def split(t: str) -> str:
        s = scores[t]
        return f"{s['under_merged_entities']:,} ({s['under_merged_records']:,} records)"

    rows = [
        header,
        row("records", [f"{data['records']:,}"] * len(tools)),
        row("people (true entities)", [f"{data['people']:,}"] * len(tools)),
        metric("contacts / clusters found", "predicted_clusters", ","),
        row(
            "records quarantined",
            [f"{runs[t].get('quarantined', 0):,}" if t == "omnicontact" else "-" for t in tools],
        ),
        metric("pairwise precision", "pairwise_precision", ".4f"),
        metric("pairwise recall", "pairwise_recall", ".4f"),
        metric("pairwise F1", "pairwise_f1", ".4f", ratio=True),
        metric("B-cubed precision", "bcubed_precision", ".4f"),
        metric("B-cubed recall", "bcubed_recall", ".4f"),
        metric("B-cubed F1", "bcubed_f1", ".4f", ratio=True),
        row("over-merged clusters", [merged(t) for t in tools]),
        *(
            row(f"  {cause}", [causes(t, cause) for t in tools])
            for cause in CAUSES
            if all("over_merge_causes" in runs[t] for t in tools)
        ),
        row("under-merged people", [split(t) for t in tools]),
        row(
            "time (s)",
            [f"{perf[t]['wall_s']:.2f}" for t in tools],
            _ratio(perf[tools[0]]["wall_s"], perf[tools[-1]]["wall_s"]) if len(tools) == 2 else "",
        ),
        row("CPU time, all threads (s)", [f"{perf[t]['cpu_s']:.2f}" for t in tools]),
        row(
            "peak RSS (growth) MiB",
            [f"{perf[t]['rss_peak_mb']:,.0f} (+{perf[t]['rss_growth_mb']:,.0f})" for t in tools],
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for number, cells in enumerate(rows):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def splink_entry(
    records: Sequence[Record],
    truth: Mapping[str, str],
    people: Mapping[str, Person],
    args: argparse.Namespace,
    version: str,
) -> dict[str, Any]:
    """Run Splink on *records*, measured and scored; return its entry of the results."""
    details: dict[str, Any] = {}
    predicted, figures = measure(
        lambda: run_splink(
            records,
            seed=args.seed,
            threshold=args.threshold,
            u_max_pairs=args.u_max_pairs,
            details=details,
        )
    )
    missing = truth.keys() - predicted.keys()
    for record_id in missing:  # not expected: Splink keeps singletons as clusters
        predicted[record_id] = "unclustered:" + record_id
    scores = score_clustering(predicted, truth)
    entry = {
        "label": f"Splink {version}",
        "measure": figures,
        "scores": scores.as_dict(),
        **details,
        "records_missing_from_output": len(missing),
    }
    if people:
        entry["over_merge_causes"] = over_merge_causes(predicted, truth, records, people)
    log(f"Splink: {figures['wall_s']:.2f} s, pairwise F1 {scores.pairwise_f1:.4f}")
    return entry


def _most_common_region(records: Iterable[Mapping[str, Any]]) -> str | None:
    counts = Counter(
        str(r["country"]).strip().upper() for r in records if not _blank(r.get("country"))
    )
    return counts.most_common(1)[0][0] if counts else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=2000, help="synthetic records (default 2,000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, help="a labelled .csv or .jsonl file instead")
    parser.add_argument("--truth-column", help="with --data: the column holding the true entity")
    parser.add_argument(
        "--id-column", default="record_id", help="with --data: the record id column"
    )
    parser.add_argument(
        "--region",
        help="omnicontact's default_region for national phone numbers without a country "
        "(default: the commonest country in the data)",
    )
    parser.add_argument("--no-splink", action="store_true", help="run omnicontact only")
    parser.add_argument(
        "--threshold",
        type=float,
        default=SPLINK_THRESHOLD,
        help="Splink's clustering match probability (default 0.95)",
    )
    parser.add_argument(
        "--u-max-pairs",
        type=float,
        default=1e6,
        help="Splink's max_pairs for u estimation (default 1e6)",
    )
    parser.add_argument(
        "--latency",
        type=int,
        default=2000,
        help="then time hub.add() for this many new records, one at a time (0: skip)",
    )
    parser.add_argument("--save-data", type=Path, help="also write the records and truth as CSV")
    parser.add_argument("--json", type=Path, help="results file (default results/matching.json)")
    args = parser.parse_args()
    if args.data is not None and not args.truth_column:
        parser.error("--data needs --truth-column")

    info = machine_info()
    info["versions"]["faker"] = faker_version() or "not installed (built-in lists)"
    for name in ("splink", "duckdb", "psutil"):
        try:
            info["versions"][name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            info["versions"][name] = "not installed"
    print_header("identity resolution on labelled records: omnicontact vs Splink", info)
    print(f"omnicontact imported from {Path(omnicontact.__file__).parent}")

    started = time.perf_counter()
    people: dict[str, Person] = {}
    if args.data is not None:
        records, truth = load_file(args.data, args.truth_column, args.id_column)
        source = {"file": str(args.data), "truth_column": args.truth_column}
    else:
        records, truth = load_generated(args.size, args.seed, people)
        source = {"generated": "_people.generate_records", "size": args.size, "seed": args.seed}
    data = {
        **source,
        "omnicontact_imported_from": str(Path(omnicontact.__file__).parent),
        "records": len(records),
        "people": len(set(truth.values())),
        "load_s": time.perf_counter() - started,
    }
    people_count, load_s = data["people"], data["load_s"]
    log(f"data: {len(records):,} records of {people_count:,} people ({load_s:.1f} s)")
    if args.save_data:
        save_records(args.save_data, records, truth)
        log(f"data written to {args.save_data}")
    region = args.region or _most_common_region(records)

    runs: dict[str, dict[str, Any]] = {}
    rejections: list[tuple[str, str, str]] = []
    omni_steps: dict[str, float] = {}
    hubs: list[Hub] = []
    predicted, figures = measure(
        lambda: run_omnicontact(
            records, default_region=region, rejections=rejections, steps=omni_steps, hub_out=hubs
        )
    )
    hub = hubs[0]
    _, batch_figures = measure(hub.resolve_all)
    rejected_ids = {rid: (field, rule) for rid, field, rule in rejections}
    batch = read_contacts(hub, [r["record_id"] for r in records], rejected_ids)
    batch_equal = partition_of(batch) == partition_of(predicted)
    log(f"omnicontact batch resolve_all: {batch_figures['wall_s']:.2f} s, equal: {batch_equal}")
    del batch
    lat = None
    if args.latency:
        extra, _ = load_generated(args.latency, args.seed + 1)
        for record in extra:
            record["record_id"] = "lat-" + record["record_id"]
        contacts_before = hub.stats().contacts
        lat = latency(hub, extra)
        lat["contacts_before"] = contacts_before
        log(
            f"omnicontact add() latency over {lat['count']:,} new records against "
            f"{contacts_before:,} contacts: median {lat['median_ms']:.3f} ms, "
            f"p99 {lat['p99_ms']:.3f} ms"
        )
    del hub
    hubs.clear()
    scores: Scores = score_clustering(predicted, truth)
    reasons = Counter(f"{field}: {rule}" for _, field, rule in rejections)
    runs["omnicontact"] = {
        "label": f"omnicontact {omnicontact.__version__}",
        "measure": figures,
        "scores": scores.as_dict(),
        "default_region": region,
        "steps_s": omni_steps,
        "batch": {"measure": batch_figures, "equals_incremental": batch_equal},
        "latency": lat,
        "quarantined": len(rejections),
        "quarantine_reasons": dict(reasons.most_common()),
    }
    if people:
        runs["omnicontact"]["over_merge_causes"] = over_merge_causes(
            predicted, truth, records, people
        )
    log(f"omnicontact: {figures['wall_s']:.2f} s, pairwise F1 {scores.pairwise_f1:.4f}")
    del predicted
    gc.collect()

    version = splink_version()
    splink_error = None
    if args.no_splink:
        log("Splink: skipped (--no-splink)")
    elif version is None:
        log("Splink: not installed (pip install -e '.[bench]'), skipped")
    else:
        try:
            runs["splink"] = splink_entry(records, truth, people, args, version)
        except Exception as err:  # a peer failing on some data must not hide our figures
            splink_error = f"{type(err).__name__}: {err}"
            log(f"Splink failed: {splink_error}")

    print()
    for line in report_lines(data, runs):
        print(line)
    omni = runs["omnicontact"]
    if omni["quarantined"]:
        print()
        count = omni["quarantined"]
        print(f"omnicontact quarantined {count:,} records (each scored as a contact of its own):")
        for reason, count in omni["quarantine_reasons"].items():
            print(f"  {count:>7,}  {reason}")
    batch = omni["batch"]
    print(
        f"omnicontact batch (resolve_all from scratch): {batch['measure']['wall_s']:.2f} s, "
        f"same contacts as incremental: {'yes' if batch['equals_incremental'] else 'NO'}"
    )
    if "splink" in runs:
        ratio = batch["measure"]["wall_s"] / runs["splink"]["measure"]["wall_s"]
        print(f"  batch time / Splink time: {ratio:.2f}x")
    if omni["latency"]:
        lat = omni["latency"]
        print(
            f"omnicontact add() of one new record against {lat['contacts_before']:,} contacts "
            f"({lat['count']:,} records): median {lat['median_ms']:.3f} ms, "
            f"p90 {lat['p90_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms, max {lat['max_ms']:.1f} ms"
        )
    if splink_error is not None:
        print(f"Splink failed on this data: {splink_error}")
    for tool in runs.values():
        steps = tool["steps_s"]
        print(f"{tool['label']} steps (s): " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()))
    print()
    payload = {
        "benchmark": "matching",
        "command": command_line(),
        "machine": info,
        "parameters": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "data": data,
        "runs": runs,
        "splink_error": splink_error,
    }
    print(f"re-run:   {payload['command']}")
    path = write_results("matching", payload, args.json)
    print(f"results:  {path}")


if __name__ == "__main__":
    main()
