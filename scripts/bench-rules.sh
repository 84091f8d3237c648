#!/usr/bin/env bash
# Benchmarks `slo generate-rules` (release build) on generated specs of 1,000 and 10,000 SLOs:
# wall time and peak memory from GNU time. Usage: scripts/bench-rules.sh [COUNT...]
# The specs cycle through the SLI kinds (errors ratio, good ratio, grouped latency, raw) so
# every code path of the generator is in the mix.
set -euo pipefail
cd "$(dirname "$0")/.."

counts=("$@")
((${#counts[@]})) || counts=(1000 10000)

cargo build --release --quiet
bin=target/release/slo
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

spec() {
  awk -v n="$1" 'BEGIN {
    print "version: 1\nservice: bench\nlabels: {team: platform}\nslos:"
    for (i = 0; i < n; i++) {
      printf "  - name: slo-%d\n    objective: 99.9\n    window: %s\n    sli:\n", i, (i % 3 ? "30d" : "28d")
      k = i % 4
      if (k == 0) printf "      ratio:\n        errors: http_requests_total{job=\"svc-%d\",status=\"5xx\"}\n        total: http_requests_total{job=\"svc-%d\"}\n", i, i
      if (k == 1) printf "      ratio:\n        good: jobs_ok_total{job=\"svc-%d\"}\n        total: jobs_total{job=\"svc-%d\"}\n", i, i
      if (k == 2) printf "      latency:\n        histogram: http_request_duration_seconds\n        selector: %c{job=\"svc-%d\"}%c\n        threshold: 0.3\n        group_by: [handler]\n", 39, i, 39
      if (k == 3) printf "      raw:\n        error_ratio: 1 - avg_over_time(up{job=\"svc-%d\"}[{{window}}])\n", i
    }
  }'
}

for n in "${counts[@]}"; do
  spec "$n" >"$work/slos-$n.yaml"
  echo "== $n SLOs: $(wc -c <"$work/slos-$n.yaml") bytes of spec"
  /usr/bin/time -v "$bin" generate-rules -c "$work/slos-$n.yaml" -o "$work/rules-$n.yaml" 2>"$work/time-$n.txt"
  grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$work/time-$n.txt"
  echo "   output: $(wc -c <"$work/rules-$n.yaml") bytes, $(grep -c -E '^ +- (record|alert):' "$work/rules-$n.yaml") rules"
done
