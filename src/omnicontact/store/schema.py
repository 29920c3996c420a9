"""The SQLite schema, its version, and the forward migrations run on open.

Table and column names are constants of this module; nothing from input
ever becomes SQL text. ``PRAGMA user_version`` holds the schema version and
``PRAGMA application_id`` marks the file as omnicontact's.
"""

from __future__ import annotations

import sqlite3

from omnicontact.errors import SchemaVersionError

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "migrate"]

APPLICATION_ID = 0x6F6D6E69  # "omni"
"""Written in the file header: tells an omnicontact database from any other SQLite file."""

_V1 = (
    # The log: the truth. A touchpoint's position never changes.
    """CREATE TABLE touchpoints (
        position INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL
    )""",
    """CREATE TABLE identifiers (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (kind, value, position)
    ) WITHOUT ROWID""",
    # Decisions on identity, replayed with the log.
    """CREATE TABLE decisions (
        seq INTEGER PRIMARY KEY,
        action TEXT NOT NULL,
        sides TEXT NOT NULL
    )""",
    "CREATE TABLE rules (name TEXT PRIMARY KEY, params TEXT NOT NULL) WITHOUT ROWID",
    # The audit ledger, and the contact ids each entry names (for lookups).
    "CREATE TABLE audit (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL)",
    """CREATE TABLE audit_names (
        contact_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (contact_id, seq)
    ) WITHOUT ROWID""",
    """CREATE TABLE quarantine (
        seq INTEGER PRIMARY KEY,
        position INTEGER NOT NULL,
        error TEXT NOT NULL,
        field TEXT NOT NULL,
        reason TEXT NOT NULL,
        form TEXT NOT NULL,
        record TEXT NOT NULL
    )""",
    # Projections: derived from the log, rebuilt by Hub.rebuild().
    """CREATE TABLE membership (
        position INTEGER PRIMARY KEY,
        contact_id TEXT NOT NULL
    )""",
    "CREATE INDEX membership_by_contact ON membership (contact_id)",
    """CREATE TABLE contacts (
        contact_id TEXT PRIMARY KEY,
        anchor INTEGER NOT NULL,
        identified INTEGER NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE linked (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        contact_id TEXT NOT NULL,
        PRIMARY KEY (kind, value)
    ) WITHOUT ROWID""",
    # Every contact id ever issued, and the touchpoint it came from: ids stay
    # valid as aliases after merges. History, not projection: kept by rebuilds.
    "CREATE TABLE issued (contact_id TEXT PRIMARY KEY, anchor INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "INSERT INTO meta (key, value) VALUES ('projected_through', '0'), ('rules_version', '0')",
)

_V2 = (
    # The channel adapter that read a quarantined record, to replay it with the same one.
    "ALTER TABLE quarantine ADD COLUMN adapter TEXT",
)

_V3 = (
    # Keyed hashes of what an erased person was known by: they block re-creation.
    "CREATE TABLE suppressed (hash TEXT PRIMARY KEY) WITHOUT ROWID",
)

MIGRATIONS: list[tuple[str, ...]] = [_V1, _V2, _V3]
"""``MIGRATIONS[n]`` takes a database from schema version ``n`` to ``n + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this code writes."""


def migrate(connection: sqlite3.Connection, migrations: list[tuple[str, ...]] | None = None) -> int:
    """Bring the database up to the latest schema, in one write transaction.

    :returns: the version the file had.
    :raises SchemaVersionError: when the file is newer than this code, or is
        a SQLite database that is not omnicontact's.
    """
    steps = MIGRATIONS if migrations is None else migrations
    latest = len(steps)
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        application = connection.execute("PRAGMA application_id").fetchone()[0]
        if version == 0:
            tables = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
            if tables:
                raise SchemaVersionError("this SQLite file holds tables that are not omnicontact's")
        elif application != APPLICATION_ID:
            raise SchemaVersionError("this SQLite file is not an omnicontact database")
        if version > latest:
            raise SchemaVersionError(
                f"the database has schema version {version}; this omnicontact reads up to"
                f" {latest}: upgrade omnicontact to open it"
            )
        for step in steps[version:]:
            for statement in step:
                connection.execute(statement)
        if version < latest:
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
            connection.execute(f"PRAGMA user_version = {latest:d}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return int(version)
