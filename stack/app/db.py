"""Item storage for demo-api: SQLAlchemy 2.x Core over DATABASE_URL, with database SLIs.

Metrics (served on the app's /metrics):
  db_call_duration_seconds{operation}   histogram of every database call, failed ones included
                                        (its _count is the database SLOs' total)
  db_call_errors_total{operation}       database calls that failed

Each business request makes exactly one database call (one transaction), so the
database series count the same events as the HTTP ones: operation is one of
OPERATIONS, named after the route that makes it.

Configuration (environment):
  DATABASE_URL        sqlite:///PATH (default: $SLO_STACK_RUN_DIR/demo-api.sqlite3, the run
                      directory defaulting to stack/.run) or postgresql://USER:PASS@HOST:PORT/DB
                      (driven by psycopg 3)
  DB_TIMEOUT_SECONDS  bound on connecting, on waiting for a pooled connection and on one
                      statement (2); a dead database fails calls within it, never hangs them
"""

from __future__ import annotations

import math
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

from prometheus_client import Counter, Histogram
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    make_url,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

OPERATIONS = ("list", "get", "insert", "update", "delete")

# 0.05 must be a bucket boundary: the database latency SLO is "99% of calls in 50 ms or less".
DB_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)

DB_CALL_DURATION = Histogram(
    "db_call_duration_seconds",
    "Duration of database calls (one transaction each), failed calls included.",
    ["operation"],
    buckets=DB_LATENCY_BUCKETS,
)
DB_CALL_ERRORS = Counter("db_call_errors", "Database calls that failed.", ["operation"])

# Every series exists at 0 from the start, so rate() and increase() see the first event
# (the same reason main.pretouch_series creates the HTTP series).
for _operation in OPERATIONS:
    DB_CALL_DURATION.labels(operation=_operation)
    DB_CALL_ERRORS.labels(operation=_operation)

STACK_DIR = Path(__file__).resolve().parent.parent

metadata = MetaData()
items_table = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("price", Float, nullable=False),
)


class DatabaseUnavailable(Exception):
    """A database call failed: unreachable, timed out, rejected, or an injected fault."""

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(f"database {operation} failed: {reason}")
        self.operation = operation
        self.reason = reason


class InjectedDatabaseError(Exception):
    """The fault FAULT_DB_ERROR_RATIO chose this call to fail."""


def default_database_url() -> str:
    run_dir = os.environ.get("SLO_STACK_RUN_DIR") or str(STACK_DIR / ".run")
    return f"sqlite:///{Path(run_dir).resolve() / 'demo-api.sqlite3'}"


def make_engine(url_text: str, timeout_seconds: float) -> Engine:
    """An engine whose every wait is bounded by timeout_seconds."""
    url = make_url(url_text)
    connect_args: dict = {}
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # sqlite3's timeout is how long a writer waits for another's lock.
        connect_args["timeout"] = timeout_seconds
    elif backend == "postgresql":
        # SQLAlchemy's default PostgreSQL driver is psycopg2; this app ships psycopg 3.
        if url.get_driver_name() != "psycopg":
            url = url.set(drivername="postgresql+psycopg")
        connect_args["connect_timeout"] = max(2, math.ceil(timeout_seconds))  # libpq's minimum: 2
        connect_args["options"] = f"-c statement_timeout={int(timeout_seconds * 1000)}"
    engine = create_engine(
        url,
        connect_args=connect_args,
        pool_size=10,
        max_overflow=10,
        pool_timeout=timeout_seconds,
        # A connection the database dropped (say, a restart) is replaced, not handed out.
        pool_pre_ping=True,
    )
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_wal)
    return engine


def _sqlite_wal(dbapi_connection, _record) -> None:
    # Readers then never wait for the writer.
    dbapi_connection.execute("PRAGMA journal_mode=WAL")


class Store:
    """The items table. Every method is one observed database call; a failure raises
    DatabaseUnavailable. Thread-safe: the app calls it from its thread pool."""

    def __init__(self, engine: Engine, inject_error: Callable[[], bool]) -> None:
        self.engine = engine
        self._inject_error = inject_error
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def create_schema(self) -> None:
        """Creates the table if it is missing. Raises SQLAlchemyError when the database
        cannot be reached: the first call made later tries again."""
        with self._schema_lock:
            if not self._schema_ready:
                metadata.create_all(self.engine)
                self._schema_ready = True

    @contextmanager
    def _call(self, operation: str) -> Iterator[Connection]:
        start = time.perf_counter()
        try:
            if self._inject_error():
                raise InjectedDatabaseError("injected database fault")
            self.create_schema()
            with self.engine.begin() as connection:
                yield connection
        except (SQLAlchemyError, InjectedDatabaseError) as e:
            DB_CALL_ERRORS.labels(operation=operation).inc()
            raise DatabaseUnavailable(operation, error_summary(e)) from e
        finally:
            DB_CALL_DURATION.labels(operation=operation).observe(time.perf_counter() - start)

    def list_items(self, limit: int) -> list[dict]:
        with self._call("list") as c:
            rows = c.execute(select(items_table).order_by(items_table.c.id).limit(limit))
            return [dict(row._mapping) for row in rows]

    def get(self, item_id: int) -> Optional[dict]:
        with self._call("get") as c:
            row = c.execute(select(items_table).where(items_table.c.id == item_id)).first()
            return dict(row._mapping) if row else None

    def insert(self, name: str, price: float) -> dict:
        with self._call("insert") as c:
            row = c.execute(
                insert(items_table).values(name=name, price=price).returning(items_table)
            ).one()
            return dict(row._mapping)

    def update(self, item_id: int, name: str, price: float) -> Optional[dict]:
        with self._call("update") as c:
            row = c.execute(
                update(items_table)
                .where(items_table.c.id == item_id)
                .values(name=name, price=price)
                .returning(items_table)
            ).first()
            return dict(row._mapping) if row else None

    def delete(self, item_id: int) -> bool:
        with self._call("delete") as c:
            return c.execute(delete(items_table).where(items_table.c.id == item_id)).rowcount > 0


def error_summary(error: BaseException) -> str:
    # SQLAlchemy appends the statement and a documentation link on further lines.
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
