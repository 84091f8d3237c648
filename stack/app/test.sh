#!/usr/bin/env bash
# Runs demo-api's tests (stack/app/tests/, pytest) in a virtualenv that is created, or
# refreshed when requirements.txt or requirements-test.txt change, by stack/ensure-venv.sh.
# Arguments go to pytest (e.g. `stack/app/test.sh -k restart -x`).
#
# Environment (defaults in brackets):
#   SLO_STACK_TEST_VENV [stack/.run/test-venv]  the virtualenv
#   SLO_STACK_PYTHON [python3]                  interpreter that creates it (needs venv:
#                                               Debian's python3-venv)
set -euo pipefail

APP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STACK_DIR=$(dirname "$APP_DIR")
VENV=${SLO_STACK_TEST_VENV:-$STACK_DIR/.run/test-venv}

"$STACK_DIR/ensure-venv.sh" "$VENV" "$APP_DIR/requirements.txt" "$APP_DIR/requirements-test.txt"
cd "$APP_DIR"
# No __pycache__ or .pytest_cache in the source tree.
export PYTHONDONTWRITEBYTECODE=1
exec "$VENV/bin/python" -m pytest -p no:cacheprovider tests "$@"
