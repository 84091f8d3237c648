#!/usr/bin/env bash
# Docker-free demo stack: demo-api + Prometheus + Alertmanager (+ webhook sink,
# + node-exporter when installed), all bound to 127.0.0.1.
#
# Usage: stack/local.sh COMMAND [ARGS...]
#   up                 install what is missing, start everything, wait until ready
#   down               stop everything (TERM, then KILL after a bounded wait)
#   status             show what runs where
#   load ARGS...       run the load generator against the app (see loadgen.py --help)
#   faults [K=V...]    show or change the app's fault injection
#                      (error_ratio, latency_ratio, latency_seconds, seed)
#   wait-scraped N     wait until Prometheus has scraped sum(http_requests_total) == N
#   render             only write the effective Prometheus/Alertmanager configs
#
# Environment (defaults in brackets):
#   SLO_STACK_APP_PORT [8000]  SLO_STACK_PROM_PORT [9090]  SLO_STACK_AM_PORT [9093]
#   SLO_STACK_SINK_PORT [5001] SLO_STACK_NODE_PORT [9100]
#   SLO_STACK_NODE_EXPORTER [auto]  auto: start node-exporter if installed; 0: never; 1: required
#   SLO_STACK_RULES [stack/prometheus/rules/slo-rules.yml]  rule file Prometheus loads
#   SLO_STACK_RUN_DIR [stack/.run]   pid files, logs, TSDB, rendered configs
#   SLO_STACK_VENV [stack/.run/venv] virtualenv for the app
#   SLO_STACK_PYTHON [python3]       interpreter used to create the venv and run tools
#   SLO_STACK_TIMEOUT [60]           seconds to wait for readiness / scrapes
#   SLO_STACK_STOP_TIMEOUT [10]      seconds between TERM and KILL
#   FAULT_ERROR_RATIO, FAULT_LATENCY_RATIO, FAULT_LATENCY_SECONDS, FAULT_SEED
#                                    passed through to the app
set -euo pipefail

STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN_DIR=${SLO_STACK_RUN_DIR:-$STACK_DIR/.run}
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)
STATE_FILE=$RUN_DIR/stack.env

# A running stack remembers its ports: status/load/down use them by default.
if [[ -f $STATE_FILE && ${1:-} != up && ${1:-} != render ]]; then
    # shellcheck disable=SC1090
    source "$STATE_FILE"
fi
APP_PORT=${SLO_STACK_APP_PORT:-${STATE_APP_PORT:-8000}}
PROM_PORT=${SLO_STACK_PROM_PORT:-${STATE_PROM_PORT:-9090}}
AM_PORT=${SLO_STACK_AM_PORT:-${STATE_AM_PORT:-9093}}
SINK_PORT=${SLO_STACK_SINK_PORT:-${STATE_SINK_PORT:-5001}}
NODE_PORT=${SLO_STACK_NODE_PORT:-${STATE_NODE_PORT:-9100}}
NODE_EXPORTER=${SLO_STACK_NODE_EXPORTER:-auto}
RULES=${SLO_STACK_RULES:-$STACK_DIR/prometheus/rules/slo-rules.yml}
VENV=${SLO_STACK_VENV:-$STACK_DIR/.run/venv}
PYTHON=${SLO_STACK_PYTHON:-python3}
TIMEOUT=${SLO_STACK_TIMEOUT:-60}
STOP_TIMEOUT=${SLO_STACK_STOP_TIMEOUT:-10}
LOG_DIR=$RUN_DIR/logs
APP_LOG_FILE=${APP_LOG_FILE:-$LOG_DIR/app.json.log}

# Components in start order; down stops them in reverse.
COMPONENTS=(sink app alertmanager node-exporter prometheus)

log() { printf '[local.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

pidfile() { echo "$RUN_DIR/$1.pid"; }

# Is the pid in $1's pid file alive and still the process we started?
running_pid() {
    local f pid
    f=$(pidfile "$1")
    [[ -f $f ]] || return 1
    pid=$(<"$f")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    if [[ -r /proc/$pid/cmdline ]]; then
        # Guard against pid reuse: the command line must mention our marker.
        local marker
        marker=$(<"$RUN_DIR/$1.marker") 2>/dev/null || marker=""
        if [[ -n $marker ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker"; then
            return 1
        fi
    fi
    echo "$pid"
}

# alive PID: the process exists and is not a zombie waiting to be reaped
# (daemons outlive this script and are reparented to init, which may reap late).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# http_get URL: print the body, fail on non-2xx or connection error.
http_get() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time 5 "$1"
    else
        "$PYTHON" -c 'import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
    fi
}

# prom_query EXPR: print the scalar value of the first sample, or nothing.
prom_query() {
    "$PYTHON" - "$PROM_PORT" "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
port, expr = sys.argv[1], sys.argv[2]
url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
try:
    doc = json.load(urllib.request.urlopen(url, timeout=5))
except Exception:
    sys.exit(0)
res = doc.get("data", {}).get("result", [])
if res:
    print(res[0]["value"][1])
EOF
}

tail_log() {
    local f="$LOG_DIR/$1.log"
    if [[ -f $f ]]; then
        log "last lines of $f:"
        tail -n 20 "$f" >&2 || true
    fi
}

# start NAME MARKER CMD...: start detached in its own session, stdio to a log file.
start() {
    local name=$1 marker=$2 pid
    shift 2
    if pid=$(running_pid "$name"); then
        die "$name already running (pid $pid); run '$0 down' first"
    fi
    echo "$marker" >"$RUN_DIR/$name.marker"
    setsid "$@" </dev/null >"$LOG_DIR/$name.log" 2>&1 &
    echo $! >"$(pidfile "$name")"
    log "started $name (pid $!): $*"
}

# wait_http NAME URL: poll URL until it answers 2xx, bounded by $TIMEOUT.
wait_http() {
    local name=$1 url=$2 deadline=$((SECONDS + TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! running_pid "$name" >/dev/null; then
            tail_log "$name"
            die "$name exited before becoming ready"
        fi
        if http_get "$url" >/dev/null 2>&1; then
            log "$name ready at $url"
            return 0
        fi
        sleep 0.2
    done
    tail_log "$name"
    die "$name not ready at $url after ${TIMEOUT}s"
}

stop_one() {
    local name=$1 pid deadline
    if ! pid=$(running_pid "$name"); then
        rm -f "$(pidfile "$name")" "$RUN_DIR/$name.marker"
        return 0
    fi
    # Each component leads its own process group (setsid): signal the group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid" && ((SECONDS < deadline)); do
        sleep 0.1
    done
    if alive "$pid"; then
        log "$name (pid $pid) ignored TERM for ${STOP_TIMEOUT}s: sending KILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        while alive "$pid"; do sleep 0.1; done
    fi
    rm -f "$(pidfile "$name")" "$RUN_DIR/$name.marker"
    log "stopped $name (pid $pid)"
}

cmd_down() {
    local i
    for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
        stop_one "${COMPONENTS[i]}"
    done
    rm -f "$STATE_FILE"
}

find_bin() { # find_bin NAME...: first one on PATH
    local b
    for b in "$@"; do
        if command -v "$b" >/dev/null 2>&1; then
            command -v "$b"
            return 0
        fi
    done
    return 1
}

ensure_debian_packages() {
    local missing=()
    find_bin prometheus >/dev/null || missing+=(prometheus)
    find_bin alertmanager prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
    ((${#missing[@]} == 0)) && return 0
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        die "missing ${missing[*]}: install them (Debian: apt-get install ${missing[*]}) or run as root"
    fi
    log "installing ${missing[*]} with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

ensure_venv() {
    local req=$STACK_DIR/app/requirements.txt stamp want
    stamp=$VENV/.requirements.sha256
    want=$(sha256sum "$req" | cut -d' ' -f1)
    if [[ -x $VENV/bin/python && -f $stamp && $(<"$stamp") == "$want" ]]; then
        return 0
    fi
    if [[ ! -x $VENV/bin/python ]]; then
        log "creating virtualenv $VENV"
        if ! "$PYTHON" -m venv "$VENV" >&2; then
            if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
                rm -rf "$VENV"
                "$PYTHON" -m venv "$VENV" >&2
            else
                die "cannot create a virtualenv with $PYTHON (Debian: apt-get install python3-venv)"
            fi
        fi
    fi
    log "installing $req into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >&2
    echo "$want" >"$stamp"
}

cmd_render() {
    [[ -f $RULES ]] || die "rule file not found: $RULES (set SLO_STACK_RULES)"
    local rules
    rules=$(cd "$(dirname "$RULES")" && pwd)/$(basename "$RULES")
    sed -e "s|\"app:8000\"|\"127.0.0.1:$APP_PORT\"|" \
        -e "s|\"alertmanager:9093\"|\"127.0.0.1:$AM_PORT\"|" \
        -e "s|\"node-exporter:9100\"|\"127.0.0.1:$NODE_PORT\"|" \
        -e "s|\"localhost:9090\"|\"127.0.0.1:$PROM_PORT\"|" \
        -e "s|^  - rules/slo-rules.yml$|  - \"$rules\"|" \
        "$STACK_DIR/prometheus/prometheus.yml" >"$RUN_DIR/prometheus.yml"
    sed -e "s|http://alert-sink:5001/|http://127.0.0.1:$SINK_PORT/|" \
        "$STACK_DIR/alertmanager/alertmanager.yml" >"$RUN_DIR/alertmanager.yml"
    # The substitutions must all have happened (the templates may drift).
    # shellcheck disable=SC2015
    grep -q "127.0.0.1:$APP_PORT" "$RUN_DIR/prometheus.yml" &&
        grep -qF "\"$rules\"" "$RUN_DIR/prometheus.yml" &&
        ! grep -qE '"(app|alertmanager|node-exporter|localhost):[0-9]+"' "$RUN_DIR/prometheus.yml" &&
        ! grep -q 'http://alert-sink' "$RUN_DIR/alertmanager.yml" ||
        die "rendering the configs failed: check the templates' targets"
    echo "$RUN_DIR/prometheus.yml"
    echo "$RUN_DIR/alertmanager.yml"
}

cmd_up() {
    local p name
    for name in "${COMPONENTS[@]}"; do
        if p=$(running_pid "$name"); then
            die "$name already running (pid $p); run '$0 down' first"
        fi
    done
    ensure_debian_packages
    local prom_bin am_bin node_bin=""
    prom_bin=$(find_bin prometheus)
    am_bin=$(find_bin alertmanager prometheus-alertmanager)
    case $NODE_EXPORTER in
    0 | no | false) ;;
    1 | yes | true) node_bin=$(find_bin node_exporter prometheus-node-exporter) || die "node-exporter not installed" ;;
    *) node_bin=$(find_bin node_exporter prometheus-node-exporter) || node_bin="" ;;
    esac

    local ports=("$APP_PORT" "$PROM_PORT" "$AM_PORT" "$SINK_PORT")
    [[ -n $node_bin ]] && ports+=("$NODE_PORT")
    for p in "${ports[@]}"; do
        [[ $p =~ ^[0-9]+$ ]] || die "bad port: $p"
        ! port_in_use "$p" || die "port $p on 127.0.0.1 is already in use"
    done
    ensure_venv

    mkdir -p "$LOG_DIR"
    cmd_render >/dev/null
    if command -v promtool >/dev/null 2>&1; then
        promtool check config "$RUN_DIR/prometheus.yml" >"$LOG_DIR/promtool.log" 2>&1 ||
            { cat "$LOG_DIR/promtool.log" >&2; die "promtool rejected the Prometheus config"; }
    fi
    cat >"$STATE_FILE" <<EOF
STATE_APP_PORT=$APP_PORT
STATE_PROM_PORT=$PROM_PORT
STATE_AM_PORT=$AM_PORT
STATE_SINK_PORT=$SINK_PORT
STATE_NODE_PORT=$NODE_PORT
EOF

    # From here on, a failure stops whatever was started.
    trap 'log "up failed: stopping what was started"; cmd_down' EXIT

    start sink "webhook_sink.py" "$PYTHON" "$STACK_DIR/alertmanager/webhook_sink.py" \
        --host 127.0.0.1 --port "$SINK_PORT" --log "$LOG_DIR/alerts.jsonl"
    APP_LOG_FILE=$APP_LOG_FILE start app "$STACK_DIR/app/main.py" \
        "$VENV/bin/python" "$STACK_DIR/app/main.py" --host 127.0.0.1 --port "$APP_PORT"
    rm -rf "$RUN_DIR/alertmanager-data"
    start alertmanager "$RUN_DIR/alertmanager.yml" "$am_bin" \
        --config.file="$RUN_DIR/alertmanager.yml" \
        --storage.path="$RUN_DIR/alertmanager-data" \
        --web.listen-address="127.0.0.1:$AM_PORT" \
        --web.external-url="http://127.0.0.1:$AM_PORT/" \
        --cluster.listen-address=
    if [[ -n $node_bin ]]; then
        start node-exporter "--web.listen-address=127.0.0.1:$NODE_PORT" "$node_bin" \
            --web.listen-address="127.0.0.1:$NODE_PORT"
    fi
    # Fresh TSDB on every up, so a run's counters start from zero.
    rm -rf "$RUN_DIR/prometheus-data"
    start prometheus "$RUN_DIR/prometheus.yml" "$prom_bin" \
        --config.file="$RUN_DIR/prometheus.yml" \
        --storage.tsdb.path="$RUN_DIR/prometheus-data" \
        --storage.tsdb.retention.time=2d \
        --web.listen-address="127.0.0.1:$PROM_PORT" \
        --web.external-url="http://127.0.0.1:$PROM_PORT/" \
        --web.enable-lifecycle

    wait_http sink "http://127.0.0.1:$SINK_PORT/health"
    wait_http app "http://127.0.0.1:$APP_PORT/health"
    wait_http alertmanager "http://127.0.0.1:$AM_PORT/-/ready"
    if [[ -n $node_bin ]]; then
        wait_http node-exporter "http://127.0.0.1:$NODE_PORT/metrics"
    fi
    wait_http prometheus "http://127.0.0.1:$PROM_PORT/-/ready"

    # Wait for the first successful scrape of the app: every business series
    # then exists at 0 in the TSDB before any load arrives.
    local deadline=$((SECONDS + TIMEOUT)) v=""
    while ((SECONDS < deadline)); do
        v=$(prom_query 'up{job="demo-api"}')
        [[ $v == 1 ]] && break
        sleep 0.5
    done
    [[ $v == 1 ]] || { tail_log prometheus; die "Prometheus has not scraped job demo-api after ${TIMEOUT}s"; }
    log "Prometheus scrapes job demo-api"
    trap - EXIT

    cmd_status
}

cmd_status() {
    local name pid base url any=0
    for name in "${COMPONENTS[@]}"; do
        case $name in
        app) base="http://127.0.0.1:$APP_PORT" url="$base/health" ;;
        prometheus) base="http://127.0.0.1:$PROM_PORT" url="$base/-/ready" ;;
        alertmanager) base="http://127.0.0.1:$AM_PORT" url="$base/-/ready" ;;
        sink) base="http://127.0.0.1:$SINK_PORT" url="$base/health" ;;
        node-exporter) base="http://127.0.0.1:$NODE_PORT" url="$base/metrics" ;;
        esac
        if pid=$(running_pid "$name"); then
            any=1
            if http_get "$url" >/dev/null 2>&1; then
                printf '%-14s running  pid %-7s %s\n' "$name" "$pid" "$base"
            else
                printf '%-14s starting pid %-7s %s (not answering)\n' "$name" "$pid" "$base"
            fi
        else
            printf '%-14s stopped\n' "$name"
        fi
    done
    if ((any)); then
        echo "logs: $LOG_DIR (app JSON log: $APP_LOG_FILE)"
    fi
}

cmd_load() {
    exec "$PYTHON" "$STACK_DIR/loadgen/loadgen.py" --url "http://127.0.0.1:$APP_PORT" "$@"
}

cmd_faults() {
    if (($# == 0)); then
        http_get "http://127.0.0.1:$APP_PORT/admin/faults"
        echo
        return
    fi
    "$PYTHON" - "$APP_PORT" "$@" <<'EOF'
import json, sys, urllib.request
port, pairs = sys.argv[1], sys.argv[2:]
body = {}
for p in pairs:
    k, _, v = p.partition("=")
    body[k] = None if v == "" else (int(v) if k == "seed" else float(v))
req = urllib.request.Request(f"http://127.0.0.1:{port}/admin/faults", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"}, method="POST")
try:
    print(urllib.request.urlopen(req, timeout=5).read().decode())
except urllib.error.HTTPError as e:
    sys.exit(f"faults: HTTP {e.code}: {e.read().decode()}")
EOF
}

cmd_wait_scraped() {
    local want=${1:?usage: wait-scraped TOTAL} deadline=$((SECONDS + TIMEOUT)) got=""
    while ((SECONDS < deadline)); do
        got=$(prom_query 'sum(http_requests_total{job="demo-api"})')
        # Prometheus prints floats; counters here are integers.
        if [[ -n $got ]] && "$PYTHON" -c 'import sys; sys.exit(0 if float(sys.argv[1]) == float(sys.argv[2]) else 1)' "$got" "$want"; then
            log "Prometheus has scraped $want requests"
            return 0
        fi
        sleep 0.5
    done
    die "Prometheus still reports ${got:-nothing} requests, expected $want, after ${TIMEOUT}s"
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
load) shift; cmd_load "$@" ;;
faults) shift; cmd_faults "$@" ;;
wait-scraped) shift; cmd_wait_scraped "$@" ;;
render) cmd_render ;;
-h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' ;;
*) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
