#!/usr/bin/env bash
# Regenerates every generated file under stack/ from the root slo.yaml
# (`stack/generate.sh DIR` writes the same layout under DIR instead):
#
#   stack/prometheus/rules/slo-rules.yml                      slo generate-rules
#   stack/grafana/provisioning/datasources/slo-prometheus.yaml  slo generate-dashboard
#   stack/grafana/provisioning/dashboards/slo.yaml              --provisioning
#   stack/grafana/provisioning/dashboards/slo/*.json
#
# The rest of stack/grafana/provisioning (the Loki datasource, the logs
# dashboard and its provider) is hand-written and left alone. Run it after
# changing slo.yaml or slo itself; tests/stack.rs and tests/rules.rs fail
# while the committed files differ from what slo generates.
#
# Environment: SLO_BIN, a slo binary to use instead of `cargo run`.
set -euo pipefail

STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Paths given by the caller are relative to where it runs, not to the repo root.
if [[ ${SLO_BIN:-} == */* && $SLO_BIN != /* ]]; then
    SLO_BIN=$PWD/$SLO_BIN
fi
OUT=${1:-$STACK_DIR}
mkdir -p "$OUT/prometheus/rules"
OUT=$(cd "$OUT" && pwd)
# The spec's path is written into the files, so it is given relative to the repo root.
cd "$(dirname "$STACK_DIR")"

if [[ -n ${SLO_BIN:-} ]]; then
    slo=("$SLO_BIN")
else
    slo=(cargo run --quiet --bin slo --)
fi

"${slo[@]}" generate-rules --config slo.yaml --output "$OUT/prometheus/rules/slo-rules.yml"
# The folder holds generated dashboards only: clearing it drops the one of a renamed service.
rm -rf "$OUT/grafana/provisioning/dashboards/slo"
"${slo[@]}" generate-dashboard --config slo.yaml --output /dev/null \
    --provisioning "$OUT/grafana/provisioning" --prometheus-url http://prometheus:9090
echo "regenerated $OUT/prometheus/rules/slo-rules.yml and the SLO parts of $OUT/grafana/provisioning"
