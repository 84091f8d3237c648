#!/usr/bin/env python3
"""Benchmarks `slo report --source raw` against `--source rules` and Google's slo-generator 2.6
on one Prometheus and one history, then the cost of the rules `slo generate-rules` writes
against the same SLOs in Sloth's rule shapes. Not a test; CI does not run it.

Usage: scripts/bench-source.py [COUNT...]        (default: 300 1000)
       scripts/bench-source.py --rule-cost-only  (only the rule cost, on the history it needs)
Env:   SLO_BIN (default: target/release/slo, built first)
       SLO_GENERATOR (default: slo-generator on PATH; `python3 -m venv v && v/bin/pip install
       "slo-generator[prometheus]==2.6.0" "setuptools<70"`)
       RULE_SLOS (SLOs whose rules are costed, default 100)

Reports: one Prometheus whose history ends an hour from now, since slo-generator always
queries at the current instant: 30 days of raw requests from JOBS jobs scraped every minute
(each SLO's selectors carry their own `slo_bench!="<i>"` matcher, so no two SLOs share a query
and each scans its job's two series), and for every SLO the series `slo generate-rules`
records, written directly as promtool would record them (5m rates every RECORD_STEP over the
whole window; the burn-window ratios and the info series every minute, and the window sums of
the 5m rates every 2m, over the last two hours) rather than evaluated, which for 1,000 SLOs
would take hours.

Per run: wall time and peak RSS (GNU time), and the HTTP queries it made (Prometheus' own
prometheus_http_requests_total on /api/v1/query and /api/v1/query_range, before and after).
Rule cost: another Prometheus whose history ends a minute ago (the same raw requests, and
30 days of the 5m series each rule set's window rule sums: our 5m event rates, Sloth's 5m
error ratio, every RECORD_STEP), so that what the rules record goes to the head as in use; the
rules of RULE_SLOS SLOs loaded (every group every 20s so that a few rounds take a minute), the sum over groups of each group's `evaluationTime`
from /api/v1/rules, averaged over three rounds after the first, by kind of group and in all;
and per minute at the intervals the rules really have (ours: 1m, the compliance-window group
2m; Sloth: 1m). Each rule set is measured twice, alternately.
"""

import contextlib
import json
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
DAYS = 30
JOBS = 10
SCRAPE = 60
RECORD_STEP = 300
# The interval of the compliance-window group, which records the window sums.
LONG_STEP = 120
BURN_WINDOWS = ["5m", "1h", "6h", "1d", "3d"]
OBJECTIVE = 0.999
# slo-generator's error budget policy: the same windows as `slo report`, 12 queries an SLO.
POLICY_STEPS = [("5m", 300), ("1h", 3600), ("6h", 21600), ("1d", 86400), ("3d", 259200),
                ("30d", 2592000)]
SLOTH_WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]
FAST_INTERVAL = "20s"


def selectors(i):
    """The errors and total selectors of SLO `i`, shared by every tool."""
    job = f'job="svc-{i % JOBS}",slo_bench!="{i}"'
    return f'http_requests_total{{{job},status="5xx"}}', f"http_requests_total{{{job}}}"


def write_history(out, end, report_slos, rule_slos):
    """Raw counters up to `end`; for `report_slos` SLOs the series `slo report --source rules`
    reads (the 5m rates over the whole window, the rest over its last two hours); for
    `rule_slos` SLOs the 30 days of 5m series the window rules of both rule sets sum."""
    start = end - DAYS * 86400 - 2 * 3600
    recent = end - 2 * 3600
    out.write("# TYPE http_requests counter\n")
    for job in range(JOBS):
        for status, per_second in (("2xx", 1000 / 60 * 0.999), ("5xx", 1000 / 60 * 0.001)):
            head = f'http_requests_total{{job="svc-{job}",status="{status}"}}'
            out.writelines(
                f"{head} {round(per_second * (t - start))} {t}\n"
                for t in range(start, end + 1, SCRAPE)
            )

    def family(name, count, labels_of, value, times):
        out.write(f"# TYPE {name} gauge\n")
        for i in range(count):
            head = f"{name}{{{labels_of(i)}}}"
            out.writelines(f"{head} {value} {t}\n" for t in times)

    native = lambda i: f'slo_service="bench",slo_name="slo-{i}"'  # noqa: E731
    whole = range(start, end + 1, RECORD_STEP)
    rates = max(report_slos, rule_slos)
    family("slo:sli_total_events:rate5m", rates, native, 16.67, whole)
    family("slo:sli_bad_events:rate5m", rates, native, 0.01667, whole)
    # The window's rate samples summed, as the compliance-window group records them.
    per_window = DAYS * 86400 // RECORD_STEP
    for events, rate in (("total", 16.67), ("bad", 0.01667)):
        family(f"slo:sli_{events}_events:sum{DAYS}d_rate5m", report_slos,
               lambda i: f'{native(i)},slo_window="{DAYS}d"', round(rate * per_window, 6),
               range(recent, end + 1, LONG_STEP))
    family("slo_info", report_slos,
           lambda i: f'{native(i)},slo_objective="99.9",slo_window="{DAYS}d"', 1,
           range(recent, end + 1, 60))
    for w in BURN_WINDOWS:
        family(f"slo:sli_error:ratio_rate{w}", report_slos,
               lambda i: f'{native(i)},slo_window="{w}"', 0.001, range(recent, end + 1, 60))
    sloth = lambda i: (  # noqa: E731
        f'sloth_id="bench-slo-{i}",sloth_service="bench",sloth_slo="slo-{i}",sloth_window="5m"')
    # Another metric name than ours, so that the two rule sets never read each other's.
    family("sloth:sli_error:ratio_rate5m", rule_slos, sloth, 0.001, whole)
    out.write("# EOF\n")


@contextlib.contextmanager
def prometheus_with(work, name, end, report_slos, rule_slos):
    """A Prometheus on its own TSDB holding `write_history(end, ...)`: yields (port, config)."""
    data = os.path.join(work, f"{name}.om")
    started = time.time()
    with open(data, "w") as out:
        write_history(out, end, report_slos, rule_slos)
    tsdb = os.path.join(work, f"{name}-tsdb")
    subprocess.run(
        # Few large blocks: each block preallocates its chunk files.
        ["promtool", "tsdb", "create-blocks-from", "openmetrics",
         "--max-block-duration=744h", data, tsdb],
        check=True, stdout=subprocess.DEVNULL)
    os.remove(data)
    print(f"{name} history: {DAYS}d to {end}, written and backfilled in "
          f"{time.time() - started:.0f} s")
    port = free_port()
    config = os.path.join(work, f"{name}-prometheus.yml")
    with open(config, "w") as out:
        out.write("global: {}\n")
    prometheus = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
         "--storage.tsdb.retention.time=100y", "--web.enable-lifecycle",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                get(port, "/-/ready")
                break
            except OSError:
                time.sleep(0.5)
        yield port, config
    finally:
        prometheus.terminate()
        prometheus.wait()
        shutil.rmtree(tsdb)


def spec(count, split=True):
    """`count` SLOs. Without `split`, each total carries a matcher its errors selector lacks
    (`status=~".+"`, which every series passes), so that `slo report --source raw` cannot
    count both from one scan of the total and asks two queries per window, as before."""
    slos = []
    for i in range(count):
        errors, total = selectors(i)
        if not split:
            total = total.replace("}", ',status=~".+"}')
        slos.append(f"""  - name: slo-{i}
    objective: {OBJECTIVE * 100:g}
    window: {DAYS}d
    sli:
      ratio:
        errors: {errors}
        total: {total}
""")
    return "version: 1\nservice: bench\nslos:\n" + "".join(slos)


def slo_generator_configs(directory, count, url):
    """One slo-generator SLO config per SLO (good = total minus 5xx), and its shared config."""
    os.makedirs(directory)
    for i in range(count):
        _, total = selectors(i)
        good = total.replace("}", ',status!="5xx"}')
        with open(os.path.join(directory, f"slo_bench_{i:04}.yaml"), "w") as out:
            out.write(f"""apiVersion: sre.google.com/v2
kind: ServiceLevelObjective
metadata:
  name: bench-slo-{i}
  labels: {{service_name: bench, feature_name: bench, slo_name: slo-{i}}}
spec:
  description: benchmark SLO {i}
  backend: prometheus
  method: good_bad_ratio
  exporters: []
  service_level_indicator:
    filter_good: '{good}'
    filter_valid: '{total}'
  goal: {OBJECTIVE}
""")
    steps = "".join(
        f"""      - name: {name}
        window: {seconds}
        burn_rate_threshold: 1
        alert: false
        message_alert: burning
        message_ok: fine
"""
        for name, seconds in POLICY_STEPS
    )
    shared = os.path.join(os.path.dirname(directory), "slo-generator.yaml")
    with open(shared, "w") as out:
        out.write(f"""backends:
  prometheus:
    url: {url}
exporters: {{}}
error_budget_policies:
  default:
    steps:
{steps}""")
    return shared


def sloth_rules(count):
    """The rules Sloth generates for `count` SLOs, in its shapes, written here by hand: the
    error ratio over each alert window from the raw series, the period's ratio as the average
    of the 5m ratios over it, the metadata, and the page and ticket alerts."""
    budget = round(1 - OBJECTIVE, 6)
    groups = []
    for i in range(count):
        errors, total = selectors(i)
        ids = f'sloth_id="bench-slo-{i}",sloth_service="bench",sloth_slo="slo-{i}"'
        labels = f'{{sloth_id: bench-slo-{i}, sloth_service: bench, sloth_slo: slo-{i}'
        sli = [
            f"""      - record: sloth:sli_error:ratio_rate{w}
        expr: (sum(rate({errors}[{w}]))) / (sum(rate({total}[{w}])))
        labels: {labels}, sloth_window: {w}}}
"""
            for w in SLOTH_WINDOWS
        ]
        sli.append(f"""      - record: sloth:sli_error:ratio_rate{DAYS}d
        expr: sum_over_time(sloth:sli_error:ratio_rate5m{{{ids}}}[{DAYS}d]) / ignoring (sloth_window) count_over_time(sloth:sli_error:ratio_rate5m{{{ids}}}[{DAYS}d])
        labels: {labels}, sloth_window: {DAYS}d}}
""")
        on = "on(sloth_id, sloth_slo, sloth_service) group_left"
        meta = [
            f"      - record: sloth:objective:ratio\n        expr: vector({OBJECTIVE})\n"
            f"        labels: {labels}}}\n",
            f"      - record: sloth:error_budget:ratio\n        expr: vector(1-{OBJECTIVE})\n"
            f"        labels: {labels}}}\n",
            f"      - record: sloth:time_period:days\n        expr: vector({DAYS})\n"
            f"        labels: {labels}}}\n",
            f"      - record: sloth:current_burn_rate:ratio\n        expr: sloth:sli_error:ratio_rate5m{{{ids}}} / {on} sloth:error_budget:ratio{{{ids}}}\n"
            f"        labels: {labels}}}\n",
            f"      - record: sloth:period_burn_rate:ratio\n        expr: sloth:sli_error:ratio_rate{DAYS}d{{{ids}}} / {on} sloth:error_budget:ratio{{{ids}}}\n"
            f"        labels: {labels}}}\n",
            f"      - record: sloth:period_error_budget_remaining:ratio\n        expr: 1 - sloth:period_burn_rate:ratio{{{ids}}}\n"
            f"        labels: {labels}}}\n",
            f"      - record: sloth_slo_info\n        expr: vector(1)\n"
            f"        labels: {labels}, sloth_objective: '99.9'}}\n",
        ]

        def burn(short, long, factor):
            return (f"(max(sloth:sli_error:ratio_rate{short}{{{ids}}} > ({factor} * {budget})) "
                    f"without (sloth_window) and max(sloth:sli_error:ratio_rate{long}{{{ids}}} "
                    f"> ({factor} * {budget})) without (sloth_window))")

        alerts = [
            f"      - alert: BenchPage{i}\n        expr: {burn('5m', '1h', 14.4)} or {burn('30m', '6h', 6)}\n"
            f"        labels: {{severity: page}}\n",
            f"      - alert: BenchTicket{i}\n        expr: {burn('2h', '1d', 3)} or {burn('6h', '3d', 1)}\n"
            f"        labels: {{severity: ticket}}\n",
        ]
        for kind, rules in (("sli", sli), ("meta", meta), ("alerts", alerts)):
            groups.append(f"  - name: sloth-slo-{kind}-bench-slo-{i}\n    rules:\n" + "".join(rules))
    return "groups:\n" + "".join(groups)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read().decode()


def queries_answered(port):
    """Every query and range query Prometheus answered, whatever the status."""
    pattern = r'^prometheus_http_requests_total\{[^}]*handler="/api/v1/query(_range)?"[^}]*\} (\S+)$'
    return sum(float(m.group(2)) for m in re.finditer(pattern, get(port, "/metrics"), re.M))


def measured(command, port, work):
    """Wall time (s), peak RSS (MB), HTTP queries and exit status of `command`."""
    before = queries_answered(port)
    timing = os.path.join(work, "time.txt")
    run = subprocess.run(["/usr/bin/time", "-v", "-o", timing, *command],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with open(timing) as t:
        text = t.read()
    clock = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text).group(1)
    wall = sum(float(part) * 60 ** k for k, part in enumerate(reversed(clock.split(":"))))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    if run.returncode != 0:
        sys.stderr.write(run.stderr[-2000:])
    return wall, rss, queries_answered(port) - before, run.returncode


def group_kind(name):
    """`sli`, `long-sli`, `meta` or `alerts`, from a group name of either rule set."""
    for kind in ("long-sli", "sli", "meta", "alerts"):
        if name.startswith((f"slo-{kind}-", f"sloth-slo-{kind}-")):
            return kind
    return "other"


def rule_cost(port, config, rule_file, rounds=3):
    """Loads `rule_file` alone and returns (per evaluation, per minute at the real
    intervals, groups, per evaluation by kind of group): the sum over groups of
    `evaluationTime`, each averaged over `rounds` evaluations after its first."""
    with open(config, "w") as out:
        out.write(f"global: {{evaluation_interval: {FAST_INTERVAL}}}\nrule_files: [{rule_file}]\n")
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/-/reload",
                                                  method="POST"))
    seen = {}  # group -> {lastEvaluation: evaluationTime}
    real_interval = {}
    deadline = time.time() + 600
    while time.time() < deadline:
        groups = json.loads(get(port, "/api/v1/rules"))["data"]["groups"]
        groups = [g for g in groups if g["file"] == rule_file]
        for g in groups:
            seen.setdefault(g["name"], {})[g["lastEvaluation"]] = g["evaluationTime"]
            real_interval[g["name"]] = 120 if "long-sli" in g["name"] else 60
        if groups and all(len(seen[g["name"]]) >= rounds + 2 for g in groups):
            break
        time.sleep(2)
    per_evaluation = 0.0
    per_minute = 0.0
    by_kind = {}
    for name, evaluations in seen.items():
        # Drop the zero-time placeholder before the first evaluation and the first one.
        times = [v for k, v in sorted(evaluations.items()) if not k.startswith("0001")][1:]
        mean = sum(times[:rounds]) / max(1, len(times[:rounds]))
        per_evaluation += mean
        per_minute += mean * 60 / real_interval[name]
        by_kind[group_kind(name)] = by_kind.get(group_kind(name), 0.0) + mean
    return per_evaluation, per_minute, len(seen), by_kind


def main():
    args = sys.argv[1:]
    rule_cost_only = "--rule-cost-only" in args
    rule_slos = int(os.environ.get("RULE_SLOS", "100"))
    counts = [] if rule_cost_only else [int(c) for c in args] or [300, 1000]
    binary = os.environ.get("SLO_BIN")
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target/release/slo")
    slo_generator = os.environ.get("SLO_GENERATOR", "slo-generator")
    work = tempfile.mkdtemp(prefix="bench-source-")
    try:
        if counts:
            report_costs(binary, slo_generator, work, counts)
        rule_costs(binary, work, rule_slos)
    finally:
        shutil.rmtree(work)


def report_costs(binary, slo_generator, work, counts):
    """Each tool's report of `counts` SLOs. The history ends an hour from now: slo-generator
    always queries at the current instant."""
    end = (int(time.time()) // 60 + 60) * 60
    with prometheus_with(work, "reports", end, max(counts), 0) as (port, _):
        url = f"http://127.0.0.1:{port}"
        print("\n| SLOs | tool | wall time | peak RSS | HTTP queries | exit |")
        print("|---|---|---|---|---|---|")
        for count in counts:
            def report(name, source, split=True):
                path = os.path.join(work, f"slo-{count}-{split}.yaml")
                with open(path, "w") as out:
                    out.write(spec(count, split))
                return (name, [binary, "report", "-c", path, "--prometheus-url", url, "--at",
                               str(int(time.time())), "--format", "json", "--source", source])

            runs = [
                report("`slo --source raw`", "raw"),
                report("`slo --source raw`, two queries a window", "raw", split=False),
                report("`slo --source rules`", "rules"),
            ]
            configs = os.path.join(work, f"slo-generator-{count}")
            shared = slo_generator_configs(configs, count, url)
            runs.append(("slo-generator 2.6", [slo_generator, "compute", "-f", configs,
                                               "-c", shared]))
            for name, command in runs:
                wall, rss, queries, status = measured(command, port, work)
                print(f"| {count} | {name} | {wall:.2f} s | {rss:.0f} MB | {queries:.0f} "
                      f"| {status} |", flush=True)


def rule_costs(binary, work, rule_slos):
    """Both rule sets of `rule_slos` SLOs, on a Prometheus of their own whose history ends a
    minute ago: what the rules record goes to the head, as in use (a history reaching past
    now would make Prometheus refuse every recorded sample as out of bounds), and no series
    of the report benchmark is there for the rules to read."""
    end = (int(time.time()) // 60 - 1) * 60
    with prometheus_with(work, "rules", end, 0, rule_slos) as (port, config):
        # The rule files of the first `rule_slos` SLOs, every group every FAST_INTERVAL.
        path = os.path.join(work, "rules-spec.yaml")
        with open(path, "w") as out:
            out.write(spec(rule_slos))
        ours = os.path.join(work, "ours.rules.yml")
        subprocess.run([binary, "generate-rules", "-c", path, "-o", ours], check=True)
        with open(ours) as f:
            text = f.read()
        with open(ours, "w") as f:
            f.write(text.replace("interval: 2m", f"interval: {FAST_INTERVAL}"))
        sloth = os.path.join(work, "sloth.rules.yml")
        with open(sloth, "w") as f:
            f.write(sloth_rules(rule_slos))
        check = subprocess.run(["promtool", "check", "rules", ours, sloth],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if check.returncode != 0:
            sys.exit(f"promtool check rules: {check.stderr}")
        kinds = ("sli", "long-sli", "meta", "alerts")
        print(f"\n| rules of {rule_slos} SLOs, round | groups | "
              + " | ".join(kinds)
              + " | evaluation time, all groups once | per minute at real intervals |")
        print("|---|---|" + "---|" * len(kinds) + "---|---|")
        # Alternately, twice: whichever set came first would always run on the coldest
        # Prometheus.
        for round_ in (1, 2):
            for name, file in (("slo generate-rules", ours), ("Sloth's shapes", sloth)):
                per_evaluation, per_minute, groups, by_kind = rule_cost(port, config, file)
                split = " | ".join(f"{by_kind[k] * 1000:.0f}" if k in by_kind else "(in sli)"
                                   for k in kinds)
                print(f"| {name}, {round_} | {groups} | {split} "
                      f"| {per_evaluation * 1000:.0f} ms | {per_minute * 1000:.0f} ms |",
                      flush=True)


if __name__ == "__main__":
    main()
