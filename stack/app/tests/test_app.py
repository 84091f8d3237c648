"""demo-api against its real database: each test runs `main.py` under uvicorn on a free
loopback port, as the stack does, and talks HTTP to it. Run with stack/app/test.sh."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

APP = Path(__file__).resolve().parent.parent / "main.py"
READY_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base: str, method: str, path: str, body: Optional[dict] = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            text = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as e:
        text, status = e.read().decode(), e.code
    return status, (json.loads(text) if text.startswith(("{", "[")) else text)


class App:
    """One demo-api process; stop() ends it and waits."""

    def __init__(self, tmp: Path, **env: str) -> None:
        self.base = f"http://127.0.0.1:{free_port()}"
        self.log = tmp / f"app-{self.base.rsplit(':', 1)[1]}.log"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("FAULT_", "DATABASE_"))}
        full_env.update({"SLO_STACK_RUN_DIR": str(tmp)}, **env)
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(APP), "--port", self.base.rsplit(":", 1)[1]],
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"demo-api exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if request(self.base, "GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"demo-api not ready after {READY_TIMEOUT}s:\n{self.log.read_text()}")

    def call(self, method: str, path: str, body: Optional[dict] = None) -> tuple[int, Any]:
        return request(self.base, method, path, body)

    def metrics(self) -> dict[str, float]:
        """Sample name with labels -> value, as /metrics prints them."""
        _, text = self.call("GET", "/metrics")
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                samples[name] = float(value)
        return samples

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator:
    apps: list[App] = []

    def start(**env: str) -> App:
        apps.append(App(tmp_path, **env))
        return apps[-1]

    yield start
    for app in apps:
        app.stop()


def test_crud_round_trip_on_sqlite(start_app, tmp_path):
    app = start_app()
    status, created = app.call("POST", "/items", {"name": "pen", "price": 1.5})
    assert status == 201 and created["name"] == "pen" and created["price"] == 1.5
    item = f"/items/{created['id']}"
    assert app.call("GET", item) == (200, created)
    assert app.call("GET", "/items")[1] == [created]
    status, updated = app.call("PUT", item, {"name": "ink", "price": 2})
    assert status == 200 and updated == {"id": created["id"], "name": "ink", "price": 2.0}
    assert app.call("GET", item) == (200, updated)
    assert app.call("DELETE", item)[0] == 204
    assert app.call("GET", item)[0] == 404
    assert app.call("PUT", item, {"name": "x"})[0] == 404
    assert app.call("DELETE", item)[0] == 404
    assert (tmp_path / "demo-api.sqlite3").is_file(), "SQLite file not under SLO_STACK_RUN_DIR"


def test_items_survive_an_app_restart(start_app):
    first = start_app()
    _, kept = first.call("POST", "/items", {"name": "kept", "price": 3})
    _, gone = first.call("POST", "/items", {"name": "gone", "price": 4})
    first.call("DELETE", f"/items/{gone['id']}")
    first.stop()

    second = start_app()
    assert second.call("GET", "/items") == (200, [kept])
    assert second.call("GET", f"/items/{kept['id']}") == (200, kept)


def test_database_histogram_and_error_counter_are_on_metrics(start_app):
    app = start_app()
    before = app.metrics()
    for operation in ("list", "get", "insert", "update", "delete"):
        # Created at 0 before the first call, so increase() sees the first event.
        assert before[f'db_call_errors_total{{operation="{operation}"}}'] == 0
        assert before[f'db_call_duration_seconds_count{{operation="{operation}"}}'] == 0
        # 0.05 is the database latency SLO's threshold, so it must be a bucket boundary.
        assert f'db_call_duration_seconds_bucket{{le="0.05",operation="{operation}"}}' in before

    _, item = app.call("POST", "/items", {"name": "a"})
    app.call("GET", f"/items/{item['id']}")
    app.call("GET", "/items")
    after = app.metrics()
    for operation in ("insert", "get", "list"):
        assert after[f'db_call_duration_seconds_count{{operation="{operation}"}}'] == 1
    assert after['db_call_duration_seconds_count{operation="update"}'] == 0


def db_error_count(app: App) -> float:
    return sum(v for k, v in app.metrics().items() if k.startswith("db_call_errors_total{"))


@pytest.mark.parametrize("how", ["env", "admin"])
def test_db_error_fault_fails_database_calls_at_about_its_ratio(start_app, how):
    ratio, calls = 0.2, 500
    if how == "env":
        app = start_app(FAULT_DB_ERROR_RATIO=str(ratio), FAULT_SEED="7")
    else:
        app = start_app(FAULT_SEED="7")
        status, faults = app.call("POST", "/admin/faults", {"db_error_ratio": ratio})
        assert status == 200 and faults["db_error_ratio"] == ratio
    statuses = [app.call("GET", "/items")[0] for _ in range(calls)]
    assert set(statuses) <= {200, 503}
    failed = statuses.count(503)
    # Binomial(500, 0.2): standard deviation 0.018; 0.06 is more than 3 of them.
    assert abs(failed / calls - ratio) < 0.06, f"{failed} of {calls} calls failed"
    # Each request is one database call: the counter is the 503 tally.
    assert db_error_count(app) == failed


def test_a_dead_database_answers_503_quickly(start_app):
    closed_port = free_port()  # nothing listens there once free_port returns
    app = start_app(DATABASE_URL=f"postgresql://demo:demo@127.0.0.1:{closed_port}/demo")
    for method, path, body in [
        ("GET", "/items", None),
        ("POST", "/items", {"name": "a"}),
        ("GET", "/items/1", None),
        ("PUT", "/items/1", {"name": "b"}),
        ("DELETE", "/items/1", None),
    ]:
        start = time.monotonic()
        status, answer = app.call(method, path, body)
        elapsed = time.monotonic() - start
        assert (status, answer) == (503, {"detail": "database unavailable"}), (method, path)
        assert elapsed < 2.0, f"{method} {path} took {elapsed:.2f}s"
    assert db_error_count(app) == 5
    assert app.call("GET", "/health")[0] == 200
