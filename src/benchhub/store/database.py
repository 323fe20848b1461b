"""Opening a hub database: engine, migrations to the newest schema, sessions."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from benchhub.config import DATABASE_VARIABLE, HubConfig
from benchhub.errors import ConfigError, InvalidInputError

if TYPE_CHECKING:
    from benchhub.store.artifacts import ArtifactStore

MIGRATIONS = Path(__file__).with_name("migrations")


def create_hub_engine(url: str) -> Engine:
    """Creates an engine for `url`; SQLite gets foreign keys and a parent folder."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"Cannot parse database URL {url!r}: {exc}.") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed)
    except (ArgumentError, ImportError) as exc:
        # An unknown dialect (NoSuchModuleError) or a database driver that is not installed.
        raise ConfigError(
            f"Cannot use database URL {_shown(parsed)!r}: {exc}. Check the dialect and driver in {DATABASE_VARIABLE} "
            f"and that the driver is installed (e.g. `pip install psycopg` for postgresql+psycopg)."
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgresql_utc)
    event.listen(engine, "before_cursor_execute", _refuse_nul_characters)
    return engine


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _refuse_nul_characters(_connection, _cursor, _statement, parameters, _context, _executemany) -> None:
    """PostgreSQL can neither store nor compare text holding a NUL character: refuse it on every database, before a query."""
    waiting = [parameters]  # one row or many (executemany, insertmanyvalues): tuples, lists and dicts of values
    while waiting:
        value = waiting.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise InvalidInputError(f"{value[:40]!r} holds a NUL character (\\x00), which no name or text may contain; remove it.")
        elif isinstance(value, dict):
            waiting.extend(value.values())
        elif isinstance(value, (list, tuple)):
            waiting.extend(value)


def _check_lengths(session: Session, _context: object, _instances: object) -> None:
    """Text longer than its column is refused on every database (PostgreSQL would fail the flush; SQLite stores it)."""
    for row in (*session.new, *session.dirty):
        for attribute in inspect(row).mapper.column_attrs:
            value = row.__dict__.get(attribute.key)  # only values set on the row: reading others would load them
            length = getattr(attribute.columns[0].type, "length", None)
            if isinstance(value, str) and length is not None and len(value) > length:
                what = f"{type(row).__name__.removesuffix('Row')} {attribute.key}"
                raise InvalidInputError(f"{what} {value[:40] + '…'!r} has {len(value)} characters; at most {length} fit.")


def _postgresql_utc(dbapi_connection, _record) -> None:
    # Timestamps then read back in UTC (tzinfo=timezone.utc), as on SQLite, whatever the server's or database's timezone.
    # Outside a transaction: a rollback would undo the SET.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_connection.autocommit = autocommit


# Alembic's commands publish their context as module globals (`alembic.context`, `alembic.op`), so two threads that
# upgrade at once break each other (KeyError 'script'); one upgrade at a time per process.
_upgrading = threading.Lock()


def upgrade(engine: Engine) -> None:
    """Migrates the database to the newest schema (a no-op when it is current)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _upgrading, engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str) -> sessionmaker[Session]:
    """Opens (creating and upgrading as needed) the database at `url`."""
    engine = create_hub_engine(url)
    try:
        upgrade(engine)
    except DatabaseError as exc:
        engine.dispose()
        reason = " ".join(str(exc.orig).split()) or type(exc.orig).__name__  # drivers write several lines
        raise ConfigError(f"Cannot open the hub database at {_shown(engine.url)!r}: {reason}. Check {DATABASE_VARIABLE}.") from exc
    sessions = sessionmaker(engine, expire_on_commit=False)
    event.listen(sessions, "before_flush", _check_lengths)
    return sessions


def commit_or_undo(session: Session, *rows: object, undo: Callable[[], None] = lambda: None,
                   check: Callable[[], None] | None = None) -> None:
    """Adds `rows` and commits; on any failure rolls back, runs `undo` (e.g. removes the rows' files) and re-raises.
    `check` runs first, in the transaction that adds them: it may begin it under a lock and refuse."""
    try:
        if check is not None:
            check()
        session.add_all(rows)
        session.commit()
    except BaseException:
        session.rollback()
        undo()
        raise


def immediate_transaction(session: Session) -> None:
    """Starts the session's transaction as a writer, so that a check and the write it guards run alone.

    SQLite: `BEGIN IMMEDIATE` takes the database's write lock now, not at the first write, so no other
    writer can slip in between this transaction's reads and its writes (waiting up to the busy timeout).
    Other backends: a no-op; callers lock the rows they depend on with `SELECT ... FOR UPDATE`.
    The lock is held until the session commits or rolls back. Call it before the transaction has written.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver.in_transaction:
        # pysqlite opens a (deferred) transaction at the first write; IMMEDIATE must come before it.
        raise RuntimeError("immediate_transaction() must start the transaction: commit or roll back the session first.")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def open_store(config: HubConfig) -> Iterator[tuple[sessionmaker[Session], ArtifactStore]]:
    """A hub's database sessions and artifact files, for a worker process or a Ray task (closed after use)."""
    from benchhub.store.artifacts import ArtifactStore

    sessions = open_database(config.database_url)
    try:
        yield sessions, ArtifactStore(config.artifacts)
    finally:
        sessions.kw["bind"].dispose()
