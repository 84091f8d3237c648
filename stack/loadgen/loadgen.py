#!/usr/bin/env python3
"""Load generator for demo-api (standard library only).

Sends a paced mix of item CRUD requests and prints its own tally: total
requests, responses by status class and how many were slower than a latency
threshold as measured by the client. The SLIs are computed server-side from
the app's metrics; the injected latency (0.5s by default) is far from the
0.3s threshold and normal handlers answer in milliseconds, so the client's
"slow" count and the server's histogram agree.

Requests that need an existing item (get, put, delete) take an id the
generator created itself and hold it exclusively while in flight, so the mix
produces no 404s; when no id is free, a POST is sent instead.

Examples:
  loadgen.py --url http://127.0.0.1:8000 --rate 25 --duration 60
  loadgen.py --requests 1500 --rate 40 --concurrency 4 --json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Dict, List, Optional, Tuple

OPS = ("get", "list", "post", "put", "delete")
DEFAULT_MIX = "get=60,list=10,post=20,put=5,delete=5"


def parse_mix(text: str) -> List[Tuple[str, float]]:
    mix: List[Tuple[str, float]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, weight = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in OPS:
            raise argparse.ArgumentTypeError(
                f"bad mix entry {part!r}: expected OP=WEIGHT with OP one of {', '.join(OPS)}"
            )
        try:
            w = float(weight)
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad weight in {part!r}")
        if w < 0:
            raise argparse.ArgumentTypeError(f"negative weight in {part!r}")
        mix.append((name, w))
    if not mix or sum(w for _, w in mix) <= 0:
        raise argparse.ArgumentTypeError("mix needs at least one positive weight")
    return mix


def status_class(code: int) -> str:
    return f"{code // 100}xx" if 100 <= code < 600 else "other"


class IdPool:
    """Ids of items this generator created. An id is checked out exclusively
    while a request uses it, so a DELETE never races a GET/PUT on the same id."""

    def __init__(self, rng: random.Random) -> None:
        self._free: List[int] = []
        self._lock = threading.Lock()
        self._rng = rng

    def take(self) -> Optional[int]:
        with self._lock:
            if not self._free:
                return None
            i = self._rng.randrange(len(self._free))
            self._free[i], self._free[-1] = self._free[-1], self._free[i]
            return self._free.pop()

    def put(self, item_id: int) -> None:
        with self._lock:
            self._free.append(item_id)


class Tally:
    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.lock = threading.Lock()
        self.total = 0
        self.by_class: Dict[str, int] = {"2xx": 0, "4xx": 0, "5xx": 0}
        # Exact codes tell the app's injected 500s from its 503s (a database call failed).
        self.by_status: Dict[str, int] = {}
        self.by_op: Dict[str, Dict[str, int]] = {}
        self.transport_errors = 0
        self.slow = 0
        self.latencies: List[float] = []
        self.error_samples: List[str] = []

    def record(self, op: str, code: Optional[int], cls: str, latency: float) -> None:
        with self.lock:
            self.total += 1
            self.by_class[cls] = self.by_class.get(cls, 0) + 1
            if code is not None:
                self.by_status[str(code)] = self.by_status.get(str(code), 0) + 1
            per = self.by_op.setdefault(op, {})
            per[cls] = per.get(cls, 0) + 1
            if cls == "error":
                self.transport_errors += 1
                return
            self.latencies.append(latency)
            if latency > self.threshold:
                self.slow += 1


class Scheduler:
    """Hands out send times: request i is due at start + i/rate."""

    def __init__(self, rate: float, duration: Optional[float], requests: Optional[int]) -> None:
        self.rate = rate
        self.duration = duration
        self.requests = requests
        self.lock = threading.Lock()
        self.issued = 0
        self.start = time.monotonic()
        self.stopped = threading.Event()

    def next_slot(self) -> bool:
        with self.lock:
            if self.stopped.is_set():
                return False
            i = self.issued
            if self.requests is not None and i >= self.requests:
                return False
            due = self.start + (i / self.rate if self.rate > 0 else 0.0)
            if self.duration is not None:
                if self.rate > 0 and due - self.start >= self.duration:
                    return False
                if self.rate <= 0 and time.monotonic() - self.start >= self.duration:
                    return False
            self.issued += 1
        delay = due - time.monotonic()
        if delay > 0:
            # Interruptible sleep, so Ctrl-C stops promptly.
            if self.stopped.wait(delay):
                return False
        return True


def do_request(base: str, method: str, path: str, body: Optional[dict], timeout: float) -> Tuple[Optional[int], bytes]:
    data = None
    headers = {"Accept": "application/json"}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        try:
            payload = e.read()
        except Exception:  # noqa: BLE001
            payload = b""
        return e.code, payload


def worker(args, sched: Scheduler, pool: IdPool, tally: Tally, mix, seed: int) -> None:
    rng = random.Random(seed)
    ops = [m for m, _ in mix]
    weights = [w for _, w in mix]
    base = args.url.rstrip("/")
    while sched.next_slot():
        op = rng.choices(ops, weights)[0]
        item_id: Optional[int] = None
        if op in ("get", "put", "delete"):
            item_id = pool.take()
            if item_id is None:
                op = "post"  # nothing to act on yet: create something instead
        n = rng.randrange(1_000_000)
        if op == "get":
            method, path, body = "GET", f"/items/{item_id}", None
        elif op == "list":
            method, path, body = "GET", "/items?limit=20", None
        elif op == "post":
            method, path, body = "POST", "/items", {"name": f"item-{n}", "price": n / 100}
        elif op == "put":
            method, path, body = "PUT", f"/items/{item_id}", {"name": f"item-{n}", "price": n / 100}
        else:
            method, path, body = "DELETE", f"/items/{item_id}", None

        t0 = time.perf_counter()
        try:
            code, payload = do_request(base, method, path, body, args.timeout)
            latency = time.perf_counter() - t0
            cls = status_class(code)
        except Exception as e:  # noqa: BLE001  (connection refused, reset, timeout...)
            latency = time.perf_counter() - t0
            code, payload, cls = None, b"", "error"
            with tally.lock:
                if len(tally.error_samples) < 5:
                    tally.error_samples.append(f"{method} {path}: {e!r}")
        tally.record(op, code, cls, latency)

        if op == "post" and code is not None and 200 <= code < 300:
            try:
                pool.put(int(json.loads(payload)["id"]))
            except (ValueError, KeyError, TypeError):
                pass
        elif item_id is not None:
            gone = code == 404 or (op == "delete" and code is not None and 200 <= code < 300)
            if not gone:
                pool.put(item_id)


def percentile(sorted_vals: List[float], q: float) -> Optional[float]:
    if not sorted_vals:
        return None
    k = min(len(sorted_vals) - 1, max(0, int(round(q * (len(sorted_vals) - 1)))))
    return sorted_vals[k]


def summary(tally: Tally, sched: Scheduler, args, elapsed: float) -> dict:
    lat = sorted(tally.latencies)
    answered = tally.total - tally.transport_errors
    bad = tally.by_class.get("5xx", 0)
    return {
        "url": args.url,
        "total": tally.total,
        "answered": answered,
        "by_class": dict(sorted(tally.by_class.items())),
        "by_status": dict(sorted(tally.by_status.items())),
        "by_op": {k: dict(sorted(v.items())) for k, v in sorted(tally.by_op.items())},
        "transport_errors": tally.transport_errors,
        "transport_error_samples": tally.error_samples,
        "latency_threshold": args.latency_threshold,
        "slow": tally.slow,
        # Ratios over answered requests, the way the server counts them.
        "availability": (1 - bad / answered) if answered else None,
        "latency_good_ratio": (1 - tally.slow / answered) if answered else None,
        "latency_seconds": {
            "p50": percentile(lat, 0.50),
            "p95": percentile(lat, 0.95),
            "p99": percentile(lat, 0.99),
            "max": lat[-1] if lat else None,
        },
        "elapsed_seconds": round(elapsed, 3),
        "achieved_rate": round(tally.total / elapsed, 2) if elapsed > 0 else None,
    }


def print_text(s: dict) -> None:
    def pct(v):
        return "n/a" if v is None else f"{v * 100:.3f}%"

    def ms(v):
        return "n/a" if v is None else f"{v * 1000:.1f}ms"

    print(f"loadgen: {s['total']} requests to {s['url']} in {s['elapsed_seconds']}s "
          f"({s['achieved_rate']} req/s)")
    print("  by status class: " + ", ".join(f"{k}={v}" for k, v in s["by_class"].items()))
    print("  by operation:    " + "; ".join(
        f"{op} " + ",".join(f"{k}={v}" for k, v in c.items()) for op, c in s["by_op"].items()))
    print(f"  slower than {s['latency_threshold']}s (client-side): {s['slow']}")
    print(f"  availability (non-5xx/answered): {pct(s['availability'])}; "
          f"latency good ratio: {pct(s['latency_good_ratio'])}")
    l = s["latency_seconds"]
    print(f"  latency p50={ms(l['p50'])} p95={ms(l['p95'])} p99={ms(l['p99'])} max={ms(l['max'])}")
    if s["transport_errors"]:
        print(f"  transport errors: {s['transport_errors']} e.g. {s['transport_error_samples'][:2]}")


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8000", help="base URL of demo-api")
    p.add_argument("--rate", type=float, default=20.0, help="target requests per second in total (0 = as fast as possible)")
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("--duration", type=float, help="seconds to run (default 60 unless --requests)")
    stop.add_argument("--requests", type=int, help="send exactly this many requests")
    p.add_argument("--concurrency", type=int, default=4, help="worker threads")
    p.add_argument("--mix", type=parse_mix, default=parse_mix(DEFAULT_MIX),
                   help=f"operation weights, ops: {', '.join(OPS)} (default {DEFAULT_MIX})")
    p.add_argument("--latency-threshold", type=float, default=0.3, help="seconds; slower responses are counted as slow")
    p.add_argument("--timeout", type=float, default=10.0, help="per-request timeout in seconds")
    p.add_argument("--seed", type=int, default=None, help="seed for the operation mix")
    p.add_argument("--json", action="store_true", help="print the tally as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = p.parse_args(argv)

    if args.requests is not None and args.requests < 0:
        p.error("--requests must be >= 0")
    if args.duration is None and args.requests is None:
        args.duration = 60.0
    if args.concurrency < 1:
        p.error("--concurrency must be >= 1")
    if not (args.url.startswith("http://") or args.url.startswith("https://")):
        p.error("--url must start with http:// or https://")

    master = random.Random(args.seed)
    tally = Tally(args.latency_threshold)
    pool = IdPool(random.Random(master.randrange(2**32)))
    sched = Scheduler(args.rate, args.duration, args.requests)
    threads = [
        threading.Thread(target=worker, args=(args, sched, pool, tally, args.mix, master.randrange(2**32)), daemon=True)
        for _ in range(args.concurrency)
    ]
    for t in threads:
        t.start()
    last = time.monotonic()
    try:
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=0.5)
            now = time.monotonic()
            if not args.quiet and now - last >= 10:
                last = now
                with tally.lock:
                    print(f"loadgen: {tally.total} sent, {dict(tally.by_class)}, slow={tally.slow}",
                          file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        sched.stopped.set()
        for t in threads:
            t.join(timeout=args.timeout + 1)
    elapsed = time.monotonic() - sched.start

    s = summary(tally, sched, args, elapsed)
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        print_text(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
