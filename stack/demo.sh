#!/usr/bin/env bash
# End-to-end demo of slo against the Docker-free stack. Run from anywhere:
#   stack/demo.sh
#
# Installs the Debian packages the stack needs when missing (scripts/install-deps.sh demo),
# builds slo and slo-stack (cargo build --release) unless SLO_BIN points at a slo binary,
# then runs `slo-stack demo` from the repo root: slo validate, generate-rules (loaded by
# Prometheus) and generate-dashboard into the run dir, the stack up, FAULT_ERROR_RATIO
# (0.02) of DEMO_DURATION (75) seconds of load at DEMO_RATE (20) req/s failing, a wait for
# the final scrape, slo report, slo check (DEMO_CHECK_ARGS, default
# "--min-budget-remaining 0") and its exit code, the alerts pending or firing, and the
# stack down on every way out. `target/release/slo-stack demo --help` lists the options.
#
# Arguments are passed to `slo-stack demo`: `--postgres` stores the app's items in
# PostgreSQL (installing Debian's postgresql package when missing) instead of SQLite, and
# `--load locust --profile baseline|contention|overload` drives the load with Locust
# (stack/locust/) instead of loadgen.
#
# Environment: SLO_BIN, SLO_CONFIG (slo.yaml), DEMO_*, FAULT_* and SLO_STACK_*
# (see `slo-stack --help`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

database=""
for arg in "$@"; do
  [[ $arg == --postgres ]] && database=postgres
done
[[ ${SLO_STACK_POSTGRES:-} =~ ^(1|true|yes|on)$ ]] && database=postgres
scripts/install-deps.sh demo ${database:+"$database"}
printf '\n\033[1m==> building slo and slo-stack\033[0m\n'
if [[ -n ${SLO_BIN:-} ]]; then
  cargo build --release --bin slo-stack
else
  cargo build --release
fi
exec target/release/slo-stack demo "$@"
