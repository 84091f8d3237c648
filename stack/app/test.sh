#!/usr/bin/env bash
# Runs demo-api's tests (stack/app/tests/, pytest) in a virtualenv that it creates
# or refreshes from requirements.txt and requirements-test.txt when they change.
# Arguments go to pytest (e.g. `stack/app/test.sh -k restart -x`).
#
# Environment (defaults in brackets):
#   SLO_STACK_TEST_VENV [stack/.run/test-venv]  the virtualenv
#   SLO_STACK_PYTHON [python3]                  interpreter that creates it (needs venv:
#                                               Debian's python3-venv)
set -euo pipefail

APP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV=${SLO_STACK_TEST_VENV:-$(dirname "$APP_DIR")/.run/test-venv}
PYTHON=${SLO_STACK_PYTHON:-python3}
REQUIREMENTS=("$APP_DIR/requirements.txt" "$APP_DIR/requirements-test.txt")

stamp=$VENV/.requirements.sha256
want=$(cat "${REQUIREMENTS[@]}" | sha256sum | cut -d' ' -f1)
if [[ ! -x $VENV/bin/python || ! -f $stamp || $(<"$stamp") != "$want" ]]; then
    if [[ ! -x $VENV/bin/python ]]; then
        echo "test.sh: creating virtualenv $VENV" >&2
        "$PYTHON" -m venv "$VENV" || {
            echo "test.sh: cannot create a virtualenv with $PYTHON (Debian: apt-get install python3-venv)" >&2
            exit 1
        }
    fi
    echo "test.sh: installing ${REQUIREMENTS[*]} into $VENV" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        -r "${REQUIREMENTS[0]}" -r "${REQUIREMENTS[1]}" >&2
    echo "$want" >"$stamp"
fi

cd "$APP_DIR"
# No __pycache__ or .pytest_cache in the source tree.
export PYTHONDONTWRITEBYTECODE=1
exec "$VENV/bin/python" -m pytest -p no:cacheprovider tests "$@"
