"""demo-api: a tiny items CRUD service used to demonstrate `slo`.

Items live in a database through SQLAlchemy (db.py): SQLite by default,
PostgreSQL when DATABASE_URL says so. A failed database call answers 503.

Metrics (prometheus-fastapi-instrumentator defaults, served on /metrics):
  http_requests_total{handler,method,status}        status grouped: 2xx/4xx/5xx
  http_request_duration_seconds{handler,method}      histogram, buckets incl. 0.3
  items_created_total                                business counter
  db_call_duration_seconds{operation}                histogram, buckets incl. 0.05 (db.py)
  db_call_errors_total{operation}                    failed database calls (db.py)

Only the business routes (/items...) are instrumented and can be faulted;
/metrics, /health and /admin/* are excluded from both.

Configuration (environment):
  APP_HOST / APP_PORT           bind address when run as `python main.py` (127.0.0.1:8000)
  APP_LOG_FILE                  also write JSON log lines to this file (optional)
  DATABASE_URL, DB_TIMEOUT_SECONDS  where items are stored, and the bound on its waits (db.py)
  FAULT_ERROR_RATIO             probability a business request fails with 500 (0)
  FAULT_LATENCY_RATIO           probability a business request is delayed (0)
  FAULT_LATENCY_SECONDS         injected delay in seconds (0.5)
  FAULT_DB_ERROR_RATIO          probability a database call fails (0)
  FAULT_SEED                    seed for the fault RNG (random if unset)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import sys
import threading
import time
from contextlib import asynccontextmanager
from typing import Any, Dict, Optional

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY, Counter
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from db import DatabaseUnavailable, Store, default_database_url, error_summary, make_engine

SERVICE = "demo-api"

# Histogram buckets for http_request_duration_seconds. 0.3 must be a bucket
# boundary: the latency SLO is "95% of requests under 0.3s".
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5)

# Handlers never counted by the SLI metrics (regexes, searched in the route template).
EXCLUDED_HANDLERS = ["^/metrics$", "^/health$", "^/admin"]


# --------------------------------------------------------------------------
# Structured JSON logging: one JSON object per line, to stdout and optionally
# to a file (APP_LOG_FILE) that Promtail ships to Loki.
# --------------------------------------------------------------------------
_STD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: Dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + ".%03dZ" % int(record.msecs),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": SERVICE,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                doc[key] = value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str, separators=(",", ":"))


def setup_logging() -> logging.Logger:
    formatter = JsonFormatter()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    log_file = os.environ.get("APP_LOG_FILE")
    if log_file:
        os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        h.setFormatter(formatter)
        root.addHandler(h)
    root.setLevel(os.environ.get("APP_LOG_LEVEL", "INFO").upper())
    # Route uvicorn's own loggers through the JSON handlers; we write our own
    # access log, so silence uvicorn's.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers = []
        lg.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    return logging.getLogger(SERVICE)


log = setup_logging()


# --------------------------------------------------------------------------
# Fault injection
# --------------------------------------------------------------------------
def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    if raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a number, got {raw!r}")


class Faults:
    def __init__(self) -> None:
        self.error_ratio = _env_float("FAULT_ERROR_RATIO", 0.0)
        self.latency_ratio = _env_float("FAULT_LATENCY_RATIO", 0.0)
        self.latency_seconds = _env_float("FAULT_LATENCY_SECONDS", 0.5)
        self.db_error_ratio = _env_float("FAULT_DB_ERROR_RATIO", 0.0)
        seed = os.environ.get("FAULT_SEED", "").strip()
        self.reseed(int(seed) if seed else None)
        self.validate()

    def reseed(self, seed: Optional[int]) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        # Database calls run in the thread pool, the HTTP draws on the event loop: their
        # own generator and a lock keep both sequences reproducible.
        self.db_rng = random.Random(seed)
        self.db_lock = threading.Lock()

    def validate(self) -> None:
        for name in ("error_ratio", "latency_ratio", "db_error_ratio"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {v}")
        if self.latency_seconds < 0:
            raise ValueError("latency_seconds must be >= 0")

    def as_dict(self) -> Dict[str, Any]:
        return {
            "error_ratio": self.error_ratio,
            "latency_ratio": self.latency_ratio,
            "latency_seconds": self.latency_seconds,
            "db_error_ratio": self.db_error_ratio,
            "seed": self.seed,
        }

    def decide(self) -> tuple[bool, bool]:
        """Returns (fail, delay). Two draws per request, always in the same
        order, so a fixed seed and a fixed request sequence give the same
        faults (the app runs on one event loop: no lock is needed)."""
        fail = self.rng.random() < self.error_ratio
        delay = self.rng.random() < self.latency_ratio
        return fail, delay

    def decide_db_error(self) -> bool:
        """Whether the next database call fails (one draw per call)."""
        with self.db_lock:
            return self.db_rng.random() < self.db_error_ratio


faults = Faults()


async def inject_faults(request: Request) -> None:
    fail, delay = faults.decide()
    if delay and faults.latency_seconds > 0:
        request.state.fault_delay = faults.latency_seconds
        await asyncio.sleep(faults.latency_seconds)
    if fail:
        request.state.fault_error = True
        raise HTTPException(status_code=500, detail="injected fault")


class FaultUpdate(BaseModel):
    error_ratio: Optional[float] = Field(default=None, ge=0.0, le=1.0)
    latency_ratio: Optional[float] = Field(default=None, ge=0.0, le=1.0)
    latency_seconds: Optional[float] = Field(default=None, ge=0.0)
    db_error_ratio: Optional[float] = Field(default=None, ge=0.0, le=1.0)
    seed: Optional[int] = None


# --------------------------------------------------------------------------
# Business routes
# --------------------------------------------------------------------------
ITEMS_CREATED = Counter("items_created", "Number of items created via POST /items.")


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    price: float = Field(default=0.0, ge=0.0)


class Item(ItemIn):
    id: int


store = Store(
    make_engine(
        os.environ.get("DATABASE_URL") or default_database_url(),
        _env_float("DB_TIMEOUT_SECONDS", 2.0),
    ),
    faults.decide_db_error,
)

items = APIRouter(prefix="/items", tags=["items"], dependencies=[Depends(inject_faults)])

# The routes are plain functions: FastAPI runs them in its thread pool, so a slow
# database call blocks one thread, not the event loop. Each makes one database call.


def _found(item: Optional[dict]) -> Item:
    if item is None:
        raise HTTPException(status_code=404, detail="item not found")
    return Item(**item)


@items.get("")
def list_items(limit: int = 100) -> list[Item]:
    return [Item(**item) for item in store.list_items(max(0, limit))]


@items.get("/{item_id}")
def get_item(item_id: int) -> Item:
    return _found(store.get(item_id))


@items.post("", status_code=201)
def create_item(body: ItemIn) -> Item:
    item = Item(**store.insert(body.name, body.price))
    ITEMS_CREATED.inc()
    return item


@items.put("/{item_id}")
def update_item(item_id: int, body: ItemIn) -> Item:
    return _found(store.update(item_id, body.name, body.price))


@items.delete("/{item_id}", status_code=204)
def delete_item(item_id: int) -> None:
    if not store.delete(item_id):
        raise HTTPException(status_code=404, detail="item not found")


# --------------------------------------------------------------------------
# App, instrumentation, operational routes
# --------------------------------------------------------------------------
def pretouch_series() -> None:
    """Create every business (handler, method, status) series at 0 before the
    first request. Without this a series appears only on its first increment,
    which increase()/rate() cannot see, so the SLI would under-count errors
    (each 5xx series would lose its first event)."""
    total = REGISTRY._names_to_collectors.get("http_requests_total")  # noqa: SLF001
    latency = REGISTRY._names_to_collectors.get("http_request_duration_seconds")  # noqa: SLF001
    if total is None or latency is None:
        log.warning("instrumentator metrics not found; series not pre-created")
        return
    for route in items.routes:
        for method in sorted(getattr(route, "methods", ()) or ()):
            for status in ("2xx", "4xx", "5xx"):
                total.labels(method=method, status=status, handler=route.path)
            latency.labels(method=method, handler=route.path)


@asynccontextmanager
async def lifespan(_app: FastAPI):
    # The middleware stack (and so the instrumentator's metrics) is built
    # before the lifespan startup runs.
    pretouch_series()
    try:
        store.create_schema()
    except SQLAlchemyError as e:
        # The app still starts: it answers 503 until the database is back.
        log.warning(
            "database unavailable at start",
            extra={"database": store.describe(), "error": error_summary(e)},
        )
    log.info("started", extra={"faults": faults.as_dict(), "database": store.describe()})
    yield
    store.engine.dispose()
    log.info("stopping")


app = FastAPI(title=SERVICE, lifespan=lifespan)
app.include_router(items)


@app.exception_handler(DatabaseUnavailable)
async def database_unavailable(request: Request, error: DatabaseUnavailable) -> JSONResponse:
    request.state.db_error = error.reason
    return JSONResponse(status_code=503, content={"detail": "database unavailable"})


@app.middleware("http")
async def access_log(request: Request, call_next):
    start = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        path = request.url.path
        if path != "/metrics" and path != "/health":
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    "fault_error": getattr(request.state, "fault_error", False),
                    "fault_delay": getattr(request.state, "fault_delay", 0),
                    "db_error": getattr(request.state, "db_error", None),
                },
            )


@app.get("/health")
async def health() -> Dict[str, str]:
    return {"status": "ok"}


@app.get("/admin/faults")
async def get_faults() -> Dict[str, Any]:
    return faults.as_dict()


@app.post("/admin/faults")
async def set_faults(update: FaultUpdate) -> Dict[str, Any]:
    changes = update.model_dump(exclude_unset=True)
    for key in ("error_ratio", "latency_ratio", "latency_seconds", "db_error_ratio"):
        if key in changes and changes[key] is not None:
            setattr(faults, key, float(changes[key]))
    if "seed" in changes:
        faults.reseed(changes["seed"])
    log.info("faults updated", extra={"faults": faults.as_dict()})
    return faults.as_dict()


# Added last, so it is the outermost middleware: it times everything,
# including injected delays, and sees the final status code.
Instrumentator(
    should_group_status_codes=True,
    excluded_handlers=EXCLUDED_HANDLERS,
).instrument(app, latency_lowr_buckets=LATENCY_BUCKETS).expose(
    app, endpoint="/metrics", include_in_schema=False
)


def main() -> None:
    import argparse

    import uvicorn

    p = argparse.ArgumentParser(description="Run the demo-api service.")
    p.add_argument("--host", default=os.environ.get("APP_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("APP_PORT", "8000")))
    args = p.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
