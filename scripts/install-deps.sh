#!/usr/bin/env bash
# Installs the Debian packages slo needs, when missing (as root, or through sudo). The one
# place that runs apt-get: scripts/test.sh and stack/demo.sh call it.
#   scripts/install-deps.sh demo            prometheus, prometheus-alertmanager, python3-venv
#   scripts/install-deps.sh demo postgres   the same, plus postgresql (`--postgres`)
#   scripts/install-deps.sh test            all of them, plus promtool, amtool, docker-compose,
#                                           npm, tmux and chromium
set -euo pipefail

usage="usage: $0 [demo [postgres]|test]"
mode=${1:-test}
[[ $mode == demo || $mode == test ]] || { echo "$usage" >&2; exit 2; }
postgres=${2:-}
[[ -z $postgres || ($mode == demo && $postgres == postgres) ]] || { echo "$usage" >&2; exit 2; }
[[ $mode == test ]] && postgres=postgres

need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null ||
  need+=(prometheus-alertmanager)
# Debian's python3 has venv but not ensurepip, which python3-venv adds.
python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# Debian keeps PostgreSQL's server programs off PATH.
if [[ -n $postgres ]] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  need+=(postgresql)
fi
if [[ $mode == test ]]; then
  command -v promtool >/dev/null || need+=(prometheus)
  command -v amtool >/dev/null || need+=(prometheus-alertmanager)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  # Node's npm: the grafana_types test installs Grafana's published types with `npm ci`.
  command -v npm >/dev/null || need+=(npm)
  # The terminal tests drive slo in tmux: a real terminal for the progress line and --watch.
  command -v tmux >/dev/null || need+=(tmux)
  # The HTML report test screenshots the page with a headless chromium.
  command -v chromium >/dev/null || need+=(chromium)
fi

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
if ((${#need[@]})); then
  if ! command -v apt-get >/dev/null || { [[ -n $sudo ]] && ! command -v sudo >/dev/null; }; then
    echo "install-deps: missing ${need[*]}; install them (Debian: apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "== installing: ${need[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi
# Debian starts the packaged daemons on the ports the demo uses; the tests and the demo run
# their own. The demo stops only the ones its installation just started.
if [[ $mode == test ]] || ((${#need[@]})); then
  units=(prometheus prometheus-alertmanager prometheus-node-exporter)
  # The package's own cluster listens on 5432, the demo's default; the tests use free ports.
  [[ " ${need[*]} " == *" postgresql "* ]] && units+=(postgresql)
  for unit in "${units[@]}"; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$unit" 2>/dev/null; then
      $sudo systemctl stop "$unit" || true
    fi
  done
fi
