#!/usr/bin/env bash
# End-to-end demo of slo against the Docker-free stack. Run from anywhere:
#   stack/demo.sh
#
# 1. builds slo (cargo build --release) unless SLO_BIN points at a binary
# 2. slo validate, slo generate-rules (into the run dir; promtool checks it)
#    and slo generate-dashboard (into the run dir)
# 3. stack/local.sh up with FAULT_ERROR_RATIO (default 0.02) and the
#    generated rules loaded into Prometheus
# 4. drives load for DEMO_DURATION seconds (default 75) at DEMO_RATE req/s (20)
# 5. waits until Prometheus has scraped the loadgen's final request count
# 6. slo report and slo check (prints check's exit code), the alerts Prometheus
#    has pending/firing
# 7. stack/local.sh down, always (trap on EXIT)
#
# The compose stack uses committed copies of the generated files instead:
# stack/generate.sh refreshes them.
#
# Environment: SLO_BIN, SLO_CONFIG (slo.yaml), DEMO_DURATION, DEMO_RATE,
# DEMO_CHECK_ARGS (default "--min-budget-remaining 0"), FAULT_* and
# SLO_STACK_* (see stack/local.sh).
set -euo pipefail

STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$STACK_DIR")
cd "$REPO_DIR"

export SLO_STACK_RUN_DIR=${SLO_STACK_RUN_DIR:-$STACK_DIR/.run}
mkdir -p "$SLO_STACK_RUN_DIR"
RUN_DIR=$(cd "$SLO_STACK_RUN_DIR" && pwd)
PROM_PORT=${SLO_STACK_PROM_PORT:-9090}
PROM_URL=http://127.0.0.1:$PROM_PORT
CONFIG=${SLO_CONFIG:-slo.yaml}
DURATION=${DEMO_DURATION:-75}
RATE=${DEMO_RATE:-20}
read -r -a CHECK_ARGS <<<"${DEMO_CHECK_ARGS:---min-budget-remaining 0}"
export FAULT_ERROR_RATIO=${FAULT_ERROR_RATIO:-0.02}
PYTHON=${SLO_STACK_PYTHON:-python3}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

if [[ -z ${SLO_BIN:-} ]]; then
    step "building slo"
    run cargo build --release
    SLO_BIN=$REPO_DIR/target/release/slo
fi
[[ -x $SLO_BIN ]] || { echo "demo: SLO_BIN=$SLO_BIN is not executable" >&2; exit 2; }

step "validating $CONFIG"
run "$SLO_BIN" validate --config "$CONFIG"

step "generating Prometheus rules and the Grafana dashboard into $RUN_DIR"
run "$SLO_BIN" generate-rules --config "$CONFIG" --output "$RUN_DIR/slo-rules.yml"
if command -v promtool >/dev/null 2>&1; then
    run promtool check rules "$RUN_DIR/slo-rules.yml"
fi
run "$SLO_BIN" generate-dashboard --config "$CONFIG" --output "$RUN_DIR/slo-dashboard.json"
echo "(Grafana runs only in docker-compose, which provisions the committed copies under stack/grafana/provisioning; stack/generate.sh refreshes them and the committed rules after a change to $CONFIG)"

step "starting the stack (FAULT_ERROR_RATIO=$FAULT_ERROR_RATIO${FAULT_LATENCY_RATIO:+, FAULT_LATENCY_RATIO=$FAULT_LATENCY_RATIO})"
trap '"$STACK_DIR/local.sh" down || true' EXIT
SLO_STACK_RULES=$RUN_DIR/slo-rules.yml "$STACK_DIR/local.sh" up

step "driving load: ${DURATION}s at ${RATE} req/s"
"$STACK_DIR/local.sh" load --duration "$DURATION" --rate "$RATE" --json >"$RUN_DIR/loadgen.json"
"$PYTHON" - "$RUN_DIR/loadgen.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"loadgen: {d['total']} requests in {d['elapsed_seconds']}s; by class {d['by_class']}; "
      f"slower than {d['latency_threshold']}s: {d['slow']}; transport errors: {d['transport_errors']}")
if d["answered"]:
    print(f"loadgen's own SLIs: availability {d['availability'] * 100:.3f}%, "
          f"latency {d['latency_good_ratio'] * 100:.3f}%")
EOF
ANSWERED=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["answered"])' "$RUN_DIR/loadgen.json")

step "waiting for Prometheus to scrape the final counters"
"$STACK_DIR/local.sh" wait-scraped "$ANSWERED"

step "slo report"
run "$SLO_BIN" report --config "$CONFIG" --prometheus-url "$PROM_URL"

step "slo check"
set +e
run "$SLO_BIN" check --config "$CONFIG" --prometheus-url "$PROM_URL" "${CHECK_ARGS[@]}"
rc=$?
set -e
case $rc in
0) meaning="ok" ;;
1) meaning="policy failed" ;;
2) meaning="invalid usage/spec" ;;
3) meaning="data source failed / no data" ;;
*) meaning="unexpected" ;;
esac
echo "slo check exit code: $rc ($meaning)"

step "alerts in Prometheus"
"$PYTHON" - "$PROM_URL" <<'EOF'
import json, sys, urllib.request
base = sys.argv[1]
rules = json.load(urllib.request.urlopen(base + "/api/v1/rules", timeout=5))["data"]["groups"]
n_rules = sum(len(g["rules"]) for g in rules)
alerts = json.load(urllib.request.urlopen(base + "/api/v1/alerts", timeout=5))["data"]["alerts"]
print(f"{len(rules)} rule groups, {n_rules} rules loaded; {len(alerts)} alerts pending/firing")
for a in alerts:
    l = a["labels"]
    print(f"  {a['state']:8} {l.get('alertname')} severity={l.get('severity')} slo={l.get('slo_name', '')}")
EOF

step "done (the stack is stopped on exit)"
