#!/usr/bin/env python3
"""Benchmarks `slo report --source raw` against `--source rules` on one Prometheus and one
history: wall time and peak RSS (GNU time) and the HTTP queries each run made (Prometheus'
own prometheus_http_requests_total{handler="/api/v1/query"}, read before and after).

Usage: scripts/bench-source.py [COUNT...]        (default: 300 1000)
Env:   SLO_BIN (default: target/release/slo, built first), BENCH_DAYS (window, default 7).

The history: COUNT SLOs over JOBS jobs of raw requests scraped every minute (each SLO's
selector names its own `slo_bench` matcher, so no two SLOs share a query and each scans its
job's two series), and for every SLO the series `slo generate-rules` records, written
directly as promtool would record them (a 5m rate sample every RECORD_STEP, the burn-window
ratios and the info series) rather than evaluated, which for 1,000 SLOs would take hours.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
END = 1_793_491_200  # 2026-11-01T00:00:00Z
JOBS = 10
SCRAPE = 60
RECORD_STEP = 300
BURN_WINDOWS = ["5m", "1h", "6h", "1d", "3d"]


def raw_history(days):
    """Two counters per job: ~1000 requests a minute, 0.1% errors."""
    start = END - days * 86400 - 3600
    lines = ["# TYPE http_requests counter"]
    for job in range(JOBS):
        for status, per_second in (("2xx", 1000 / 60 * 0.999), ("5xx", 1000 / 60 * 0.001)):
            head = f'http_requests_total{{job="svc-{job}",status="{status}"}}'
            lines.extend(
                f"{head} {round(per_second * (t - start))} {t}"
                for t in range(start, END + 1, SCRAPE)
            )
    return lines


def recorded_history(count, days):
    """What the rules of `count` SLOs record over the window (plus an hour)."""
    start = END - days * 86400 - 3600
    families = {}

    def add(family, labels, value, t):
        families.setdefault(family, []).append(f"{family}{{{labels}}} {value} {t}")

    for i in range(count):
        slo = f'slo_service="bench",slo_name="slo-{i}"'
        for t in range(start, END + 1, RECORD_STEP):
            add("slo:sli_total_events:rate5m", slo, 16.67, t)
            add("slo:sli_bad_events:rate5m", slo, 0.01667, t)
        for t in range(END - 3600, END + 1, 60):
            add("slo_info", f'{slo},slo_objective="99.9",slo_window="{days}d"', 1, t)
            for w in BURN_WINDOWS:
                add(f"slo:sli_error:ratio_rate{w}", f'{slo},slo_window="{w}"', 0.001, t)
    for family, lines in families.items():
        yield f"# TYPE {family} gauge"
        yield from lines


def spec(count, days):
    slos = "".join(
        f"""  - name: slo-{i}
    objective: 99.9
    window: {days}d
    sli:
      ratio:
        errors: http_requests_total{{job="svc-{i % JOBS}",status="5xx",slo_bench!="{i}"}}
        total: http_requests_total{{job="svc-{i % JOBS}",slo_bench!="{i}"}}
"""
        for i in range(count)
    )
    return f"version: 1\nservice: bench\nslos:\n{slos}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def queries_answered(port):
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    match = re.search(
        r'^prometheus_http_requests_total\{code="200",handler="/api/v1/query"\} (\S+)$',
        metrics,
        re.M,
    )
    return float(match.group(1)) if match else 0.0


def main():
    counts = [int(c) for c in sys.argv[1:]] or [300, 1000]
    days = int(os.environ.get("BENCH_DAYS", "7"))
    binary = os.environ.get("SLO_BIN")
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target/release/slo")
    work = tempfile.mkdtemp(prefix="bench-source-")
    try:
        data = os.path.join(work, "data.om")
        with open(data, "w") as out:
            for line in raw_history(days):
                out.write(line + "\n")
            for line in recorded_history(max(counts), days):
                out.write(line + "\n")
            out.write("# EOF\n")
        tsdb = os.path.join(work, "tsdb")
        started = time.time()
        subprocess.run(
            # Few large blocks: each block preallocates its chunk files.
            ["promtool", "tsdb", "create-blocks-from", "openmetrics",
             "--max-block-duration=744h", data, tsdb],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        os.remove(data)
        print(f"history: {days}d, backfilled in {time.time() - started:.0f} s")
        port = free_port()
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as out:
            out.write("global: {}\n")
        prometheus = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={tsdb}",
                "--storage.tsdb.retention.time=100y",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready")
                    break
                except OSError:
                    time.sleep(0.2)
            print("| SLOs | source | wall time | peak RSS | HTTP queries | exit |")
            print("|---|---|---|---|---|---|")
            for count in counts:
                path = os.path.join(work, f"slo-{count}.yaml")
                with open(path, "w") as out:
                    out.write(spec(count, days))
                for source in ("raw", "rules"):
                    before = queries_answered(port)
                    timing = os.path.join(work, "time.txt")
                    run = subprocess.run(
                        ["/usr/bin/time", "-v", "-o", timing, binary, "report", "-c", path,
                         "--prometheus-url", f"http://127.0.0.1:{port}",
                         "--at", str(END), "--format", "json", "--source", source],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                    )
                    with open(timing) as t:
                        text = t.read()
                    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text).group(1)
                    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
                    queries = queries_answered(port) - before
                    print(f"| {count} | {source} | {wall} | {rss / 1024:.0f} MB | {queries:.0f} | {run.returncode} |")
        finally:
            prometheus.terminate()
            prometheus.wait()
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
