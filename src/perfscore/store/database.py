"""The store's database: its URL, the engine, the schema version check and ``db upgrade``.

Second step of the store (:mod:`perfscore.store`), under :mod:`.ingest`, :mod:`.review` and
:mod:`.history`. The URL comes from ``--db``, else ``$PERFSCORE_DB``, else the SQLite file
``perfscore.db`` in the current folder; a bare path is a SQLite file and ``postgresql://``
uses psycopg 3. SQLite runs in WAL mode with a busy timeout and takes its write lock when a
transaction begins (``BEGIN IMMEDIATE``), so that two ingests at once wait for each other
instead of failing. Before any use the schema is checked: a database with a schema newer
than this perfscore knows, or one that is not perfscore's, is a clear error, never a guess.
Migrations are Alembic's, shipped in ``migrations/`` and run by :func:`upgrade`.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterator

from sqlalchemy import create_engine, event, insert, inspect, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session

from perfscore.errors import PerfscoreError, Problem, fill
from perfscore.store.direct import BUSY_SECONDS, DB_VARIABLE, DEFAULT_FILE, REVISIONS, STORE_NAME, resolve_url
from perfscore.store.schema import StoreInfo


def shown(url: str) -> str:
    """The URL as messages show it: any password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _store_problem(url: str, message: str, expected: str, key: str, **fields: object) -> PerfscoreError:
    """The store at ``url`` refused: ``message`` and ``expected`` in English, ``errors.store_<key>`` and ``errors.expected_store_<key>`` in the catalogue."""
    return PerfscoreError(Problem(message, file=shown(url), expected=expected, key=f"store_{key}", expected_key=f"expected_store_{key}", fields=fill(**fields)))


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite with WAL, a busy timeout and immediate write locks."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise _store_problem(url, "not a database URL", "sqlite:///FILE, postgresql://USER@HOST/DB, or a file path", "not_url") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": BUSY_SECONDS})
            _sqlite_settings(engine)
            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as error:
        raise _store_problem(url, f"no driver for this database: {error}", "a sqlite or postgresql URL", "no_driver", error=error) from None


def _sqlite_settings(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def connect(dbapi_connection: Any, record: Any) -> None:
        # the driver's own transaction handling is switched off: "begin" below says how
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")  # WAL keeps a committed unit through a crash of the process
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        # take the write lock at the start: a deferred transaction that has read cannot wait
        # for another writer (SQLite answers "database is locked" at once), this one can
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("perfscore.store") / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def known_revisions() -> tuple[list[str], set[str]]:
    """The head revision(s) of the shipped migrations, and every revision they know."""
    return [REVISIONS[-1]], set(REVISIONS)


def migration_revisions() -> tuple[list[str], set[str]]:
    """:func:`known_revisions` as Alembic reads them from ``migrations/versions``."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_alembic_config())
    return list(scripts.get_heads()), {script.revision for script in scripts.walk_revisions()}


@dataclass(frozen=True, slots=True)
class SchemaState:
    """What a database holds: nothing yet, perfscore's store (at a revision), or something else."""

    kind: str  # "empty", "perfscore" or "foreign"
    revision: str | None = None
    tables: tuple[str, ...] = ()


def schema_state(engine: Engine, url: str) -> SchemaState:
    try:
        with engine.connect() as connection:
            tables = tuple(sorted(inspect(connection).get_table_names()))
            if not tables:
                return SchemaState("empty")
            if "perfscore_store" not in tables or "alembic_version" not in tables:
                return SchemaState("foreign", tables=tables)
            marker = connection.execute(select(StoreInfo.name)).scalars().all()
            if STORE_NAME not in marker:
                return SchemaState("foreign", tables=tables)
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            return SchemaState("perfscore", revision, tables)
    except DBAPIError as error:
        raise _cannot_open(url, error) from None


def _cannot_open(url: str, error: SQLAlchemyError) -> PerfscoreError:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return _store_problem(url, f"cannot open the store: {reason}", "a perfscore store: a SQLite file perfscore made, or a reachable PostgreSQL database", "cannot_open", reason=reason)


def check_schema(engine: Engine, url: str, *, create: bool) -> None:
    """Refuse a database that is not perfscore's or is newer; create an empty one if asked."""
    state = schema_state(engine, url)
    heads, known = known_revisions()
    if state.kind == "empty":
        if create:
            upgrade(engine, url)
            return
        raise _store_problem(url, "no perfscore store here yet (the database is empty or missing)", "a store that `perfscore ingest` filled, or run `perfscore db upgrade` to create one", "empty")
    if state.kind == "foreign":
        listed = ", ".join(state.tables[:8]) + (" …" if len(state.tables) > 8 else "")
        raise _store_problem(url, f"not a perfscore store: it holds other tables ({listed})", "a database perfscore created (an empty one is set up by `perfscore db upgrade`)", "foreign", tables=listed)
    if state.revision not in known:
        raise _store_problem(url, f"the store's schema (revision {state.revision}) is newer than this perfscore knows (head {', '.join(heads)})", "a newer perfscore: upgrade perfscore to read this store", "newer", revision=state.revision, heads=", ".join(heads))
    if state.revision not in heads:
        raise _store_problem(url, f"the store's schema (revision {state.revision}) is older than this perfscore's (head {', '.join(heads)})", "run `perfscore db upgrade` once (back up first: docs/store.md)", "older", revision=state.revision, heads=", ".join(heads))


def upgrade(engine: Engine, url: str) -> str:
    """Bring the store's schema to the head revision (creating it in an empty database); return it."""
    from alembic import command

    state = schema_state(engine, url)
    if state.kind == "foreign":
        check_schema(engine, url, create=False)  # raises, naming what is there
    heads, known = known_revisions()
    if state.kind == "perfscore" and state.revision not in known:
        check_schema(engine, url, create=False)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "head")
            if connection.execute(select(StoreInfo.name).where(StoreInfo.name == STORE_NAME)).first() is None:
                connection.execute(insert(StoreInfo).values(name=STORE_NAME, created_at=now()))
    except DBAPIError as error:
        # another process creating the same store at the same moment: it is there now
        if schema_state(engine, url).kind == "perfscore":
            return heads[0]
        raise _cannot_open(url, error) from None
    return heads[0]


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class Store:
    """An open, checked store: its URL and engine, and sessions one transaction each."""

    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_store(option: str | None, *, create: bool = False) -> Store:
    """The store named by ``--db``/``$PERFSCORE_DB``/default, checked (and created if ``create``)."""
    url = resolve_url(option)
    engine = make_engine(url)
    try:
        check_schema(engine, url, create=create)
    except BaseException:
        engine.dispose()
        raise
    return Store(url, engine)


__all__ = ["BUSY_SECONDS", "DB_VARIABLE", "DEFAULT_FILE", "REVISIONS", "SchemaState", "Store", "check_schema", "known_revisions", "make_engine", "migration_revisions", "now", "open_store", "resolve_url", "schema_state", "shown", "upgrade"]
