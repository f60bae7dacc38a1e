"""Moving the store's rows between a SQLite file and a PostgreSQL database.

A backup is always a SQLite ``keel.db`` plus the files, whichever engine the store runs on, so a
backup of a laptop can be restored onto a server and back. These two functions are the server side:
:func:`snapshot_to_sqlite` writes a consistent snapshot of the server's tables into a new SQLite file,
and :func:`replace_from_sqlite` replaces the server's rows with a backup's, in one transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from core.store.db import check_is_keel, ensure_schema, open_postgres
from core.store.files import quarantine_file
from core.store.postgres import MIGRATIONS_TABLE, PgDatabase
from core.store.schema import migrations, replaced_pickles

_BATCH = 2_000
_BOOKKEEPING = {"_sqlite_migrations", "sqlite_sequence", "sqlite_stat1", MIGRATIONS_TABLE}


def _keel_tables(db: Database) -> list[str]:
    return [t for t in db.table_names() if t not in _BOOKKEEPING]


def snapshot_to_sqlite(pg: PgDatabase, path: Path) -> None:
    """Every Keel table of the server, as one consistent snapshot (a repeatable-read transaction), into a
    new SQLite file at ``path`` with the current schema."""
    target = Database(str(path))
    try:
        migrations.apply(target)
        pg.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            for table in _keel_tables(target):
                wanted = set(target.table(table).columns_dict)
                columns = [c for c in pg.columns(table) if c in wanted]
                names = ", ".join(f'"{c}"' for c in columns)
                with pg.conn.cursor() as cursor:
                    cursor.execute(f'SELECT {names} FROM "{table}" ORDER BY id')
                    while rows := cursor.fetchmany(_BATCH):
                        target.table(table).insert_all(dict(zip(columns, row)) for row in rows)
        finally:
            pg.conn.execute("COMMIT")
        target.conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def replace_from_sqlite(backup_db: Path, home: Path, url: str) -> None:
    """Replace the server's rows with those of a (checked) backup database, in one transaction.

    The backup's database is first copied beside the store and brought to the current schema there (so
    an older backup's models are converted as on a laptop); then every Keel table is emptied and filled
    from it, ids kept, and the id sequences moved past them. Readers see the old rows or the new ones.
    """
    work = home / f".restore-{os.getpid()}.db"
    with contextlib.suppress(FileNotFoundError):
        work.unlink()
    try:
        source = sqlite3.connect(f"file:{quote(str(backup_db))}?mode=ro&immutable=1", uri=True)
        copy = sqlite3.connect(str(work))
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        upgraded = Database(str(work))
        try:
            check_is_keel(upgraded, work)
            replaced_pickles.clear()
            migrations.apply(upgraded)
            ensure_schema(home, for_restore=True)
            pg = open_postgres(url)
            try:
                _replace_rows(pg, upgraded)
            finally:
                pg.close()
        finally:
            upgraded.close()
        for pickle_file in replaced_pickles:  # converted once; kept aside, never loaded again
            with contextlib.suppress(OSError):
                quarantine_file(pickle_file, home, "models")
        replaced_pickles.clear()
    finally:
        with contextlib.suppress(FileNotFoundError):
            work.unlink()


def _replace_rows(pg: PgDatabase, source: Database) -> None:
    tables = [t for t in _keel_tables(source) if t in pg.table_names()]
    pg.begin_write()
    try:
        for table in reversed(tables):
            pg.execute(f'DELETE FROM "{table}"')
        for table in tables:
            columns = [c for c in source.table(table).columns_dict if c in set(pg.columns(table))]
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("%s" for _ in columns)
            rows = source.execute(f'SELECT {names} FROM "{table}" ORDER BY id')
            with pg.conn.cursor() as cursor:
                while batch := rows.fetchmany(_BATCH):
                    cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', batch)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), GREATEST(COALESCE(MAX(id), 0), 1), "
                    f'MAX(id) IS NOT NULL) FROM "{table}"'
                )
    except BaseException:
        pg.rollback()
        raise
    pg.commit()
