"""The ``omnicontact`` command: a thin shell over the library.

``omnicontact ingest [FILE ...]`` reads touchpoints in omnicontact's JSON
Lines form (the bundled sample journeys when no file is given) into the
database (``contacts.db`` by default, ``--db PATH``, or ``--memory``) and
prints the unified contacts; ``omnicontact show REF`` prints one contact in
full; ``explain`` and ``review`` show the evidence; ``check`` compares the
database with a replay of its log; ``plugins`` lists the loaded plug-ins.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from omnicontact._version import __version__
from omnicontact.bench import demo, suite
from omnicontact.cli.admin import _cmd_check, _cmd_demo, _cmd_plugins, _cmd_report
from omnicontact.cli.files import sample_path
from omnicontact.cli.ingest import _cmd_ingest
from omnicontact.cli.show import _cmd_erase, _cmd_explain, _cmd_export, _cmd_review, _cmd_show
from omnicontact.errors import OmnicontactError

__all__ = ["DEFAULT_DB", "build_parser", "main", "sample_path"]

DEFAULT_DB = "contacts.db"
"""The database file the commands use unless told otherwise (or ``$OMNICONTACT_DB``)."""


_FILES_HELP = (
    "JSON Lines files to ingest first; default: read the database (the sample when there is none)"
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``omnicontact`` command."""
    parser = argparse.ArgumentParser(
        prog="omnicontact", description="One unified view of each contact across every channel."
    )
    parser.add_argument("--version", action="version", version=f"omnicontact {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        p.add_argument("--no-plugins", action="store_true", help="do not load installed plug-ins")

    def database(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db",
            default=os.environ.get("OMNICONTACT_DB", DEFAULT_DB),
            help=f"the SQLite database file (default: $OMNICONTACT_DB or {DEFAULT_DB})",
        )

    def hub_options(p: argparse.ArgumentParser) -> None:
        database(p)
        p.add_argument("--memory", action="store_true", help="use no database file")
        p.add_argument("--region", help="default region for national phone numbers (e.g. FR)")
        p.add_argument("--timezone", default="UTC", help="time zone of naive timestamps")
        p.add_argument("--dayfirst", action="store_true", help="read 01/02 as 1 February")

    p_ingest = sub.add_parser(
        "ingest", help="ingest JSON Lines touchpoints into the database and print the contacts"
    )
    p_ingest.add_argument(
        "files", nargs="*", help="JSON Lines files ('-' for stdin); default: the sample"
    )
    p_ingest.add_argument(
        "--adapter", help="the channel adapter that reads the files (default: omnicontact)"
    )
    p_ingest.add_argument(
        "--mapping", help="a JSON mapping of columns for the tabular adapter (CSV or JSONL rows)"
    )
    p_ingest.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )
    common(p_ingest)
    hub_options(p_ingest)
    p_ingest.set_defaults(run=_cmd_ingest)

    p_show = sub.add_parser("show", help="ingest, then print one contact with its timeline")
    p_show.add_argument(
        "ref", help="kind=value (email=ann@example.com), a contact id, or a touchpoint id"
    )
    p_show.add_argument(
        "files",
        nargs="*",
        help=_FILES_HELP,
    )
    p_show.add_argument("--touchpoint", action="store_true", help="REF is a touchpoint id")
    p_show.add_argument(
        "--as-of",
        help="stages and scores as of this date or time (ISO 8601; a date is its end, UTC);"
        " default: now",
    )
    common(p_show)
    hub_options(p_show)
    p_show.set_defaults(run=_cmd_show)

    p_explain = sub.add_parser(
        "explain", help="ingest, then print why one contact is made of what it holds"
    )
    p_explain.add_argument(
        "ref", help="kind=value (email=ann@example.com), a contact id, or a touchpoint id"
    )
    p_explain.add_argument(
        "files",
        nargs="*",
        help=_FILES_HELP,
    )
    p_explain.add_argument("--touchpoint", action="store_true", help="REF is a touchpoint id")
    p_explain.add_argument(
        "--reveal", action="store_true", help="show identifier values in full (masked by default)"
    )
    common(p_explain)
    hub_options(p_explain)
    p_explain.set_defaults(run=_cmd_explain)

    p_review = sub.add_parser("review", help="ingest, then list the doubtful pairs to review")
    p_review.add_argument(
        "files",
        nargs="*",
        help=_FILES_HELP,
    )
    common(p_review)
    hub_options(p_review)
    p_review.set_defaults(run=_cmd_review)

    p_report = sub.add_parser(
        "report",
        help="ingest, then summarize journeys: stage funnel, flows, attribution, KPIs",
    )
    p_report.add_argument("files", nargs="*", help=_FILES_HELP)
    p_report.add_argument("--html", help="also write the report as one self-contained HTML file")
    p_report.add_argument(
        "--as-of", help="the report's date (ISO 8601; a date is its end, UTC); default: now"
    )
    p_report.add_argument(
        "--track", default="extended_crm", help="the stage model of the funnel (extended_crm)"
    )
    p_report.add_argument(
        "--conversion", default="purchase", help="the action that converts (purchase)"
    )
    common(p_report)
    hub_options(p_report)
    p_report.set_defaults(run=_cmd_report)

    p_erase = sub.add_parser(
        "erase", help="erase one person from the database, for good (right to erasure)"
    )
    p_erase.add_argument(
        "ref", help="kind=value (email=ann@example.com), a contact id, or a touchpoint id"
    )
    p_erase.add_argument("--touchpoint", action="store_true", help="REF is a touchpoint id")
    common(p_erase)
    hub_options(p_erase)
    p_erase.set_defaults(run=_cmd_erase, files=[])

    p_export = sub.add_parser(
        "export", help="print everything known about one person as JSON (portability)"
    )
    p_export.add_argument(
        "ref", help="kind=value (email=ann@example.com), a contact id, or a touchpoint id"
    )
    p_export.add_argument("files", nargs="*", help=_FILES_HELP)
    p_export.add_argument("--touchpoint", action="store_true", help="REF is a touchpoint id")
    common(p_export)
    hub_options(p_export)
    p_export.set_defaults(run=_cmd_export)

    p_demo = sub.add_parser(
        "demo",
        help="generate a world of people, ingest their channel exports, resolve, stage, "
        "score, report",
    )
    demo.add_arguments(p_demo)
    p_demo.set_defaults(run=_cmd_demo)

    p_bench = sub.add_parser(
        "bench", help="run the benchmark suite on a generated world, or score a labelled file"
    )
    suite.add_arguments(p_bench)
    p_bench.set_defaults(run=suite.run)

    p_check = sub.add_parser(
        "check", help="check the database file and compare its projections with a replay"
    )
    database(p_check)
    p_check.add_argument(
        "--repair", action="store_true", help="rebuild the projections when they differ"
    )
    common(p_check)
    p_check.set_defaults(run=_cmd_check, region=None, timezone="UTC", dayfirst=False, memory=False)

    p_plugins = sub.add_parser("plugins", help="list loaded plug-ins, their versions and hooks")
    common(p_plugins)
    p_plugins.set_defaults(run=_cmd_plugins)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 error, 2 usage)."""
    args = build_parser().parse_args(argv)
    stream = out or sys.stdout
    try:
        status: int = args.run(args, stream)
    except BrokenPipeError:  # the reader (| head) went away: not an error
        sys.stderr.close()
        return 0
    except (OmnicontactError, OSError) as err:
        sys.stderr.write(f"omnicontact: error: {err}\n")
        return 1
    return status
