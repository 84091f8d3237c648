#!/usr/bin/env bash
# Usage: stack/locust/run.sh PROFILE --host URL [LOCUST_ARGS...]
# Runs locustfile.py headless in a named load profile, with CSV stats:
#
#   profile      users  spawn rate (users/s)
#   baseline        50    5
#   contention     100   10
#   overload      1000   20
#
# Later arguments win over the profile's (e.g. `-u 10 -r 10` for a small run). Without
# --run-time Locust runs until interrupted; without --csv the stats go to
# $SLO_STACK_RUN_DIR/locust-PROFILE (stack/.run by default): PREFIX_stats.csv holds one row
# per route and an "Aggregated" row whose "Request Count" and "Failure Count" are the tally.
#
# Environment (defaults in brackets):
#   SLO_STACK_LOCUST_VENV [stack/.run/locust-venv]  virtualenv, created from requirements.txt
#   SLO_STACK_RUN_DIR [stack/.run]                  where the default CSV prefix lives
#   SLO_STACK_PYTHON [python3]                      interpreter that creates the virtualenv
set -euo pipefail

LOCUST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STACK_DIR=$(dirname "$LOCUST_DIR")
RUN_DIR=${SLO_STACK_RUN_DIR:-$STACK_DIR/.run}
VENV=${SLO_STACK_LOCUST_VENV:-$STACK_DIR/.run/locust-venv}

profile=${1:-}
case $profile in
baseline) users=50 spawn_rate=5 ;;
contention) users=100 spawn_rate=10 ;;
overload) users=1000 spawn_rate=20 ;;
*)
    echo "run.sh: unknown profile '${profile}': expected baseline, contention or overload" >&2
    echo "usage: stack/locust/run.sh PROFILE --host URL [LOCUST_ARGS...]" >&2
    exit 2
    ;;
esac
shift

mkdir -p "$RUN_DIR"
"$STACK_DIR/ensure-venv.sh" "$VENV" "$LOCUST_DIR/requirements.txt"
# --profile tags the run with the profile's name in Locust's own reports. Without
# --stop-timeout Locust kills its users at the end: a request in flight reaches the app but
# never the tally.
exec "$VENV/bin/locust" -f "$LOCUST_DIR/locustfile.py" --headless --only-summary \
    --profile "$profile" --users "$users" --spawn-rate "$spawn_rate" --stop-timeout 10s \
    --csv "$RUN_DIR/locust-$profile" "$@"
