#!/usr/bin/env bash
# Usage: stack/ensure-venv.sh VENV REQUIREMENTS...
# Creates the virtualenv VENV if it is missing and installs the pinned requirements files
# into it whenever their contents change (a hash of them is kept in VENV). Quiet when the
# virtualenv is current. SLO_STACK_PYTHON [python3] is the interpreter that creates it.
set -euo pipefail

venv=${1:?usage: ensure-venv.sh VENV REQUIREMENTS...}
shift
(($# > 0)) || { echo "usage: ensure-venv.sh VENV REQUIREMENTS..." >&2; exit 2; }
python=${SLO_STACK_PYTHON:-python3}

stamp=$venv/.requirements.sha256
want=$(cat "$@" | sha256sum | cut -d' ' -f1)
if [[ -x $venv/bin/python && -f $stamp && $(<"$stamp") == "$want" ]]; then
    exit 0
fi
if [[ ! -x $venv/bin/python ]]; then
    echo "ensure-venv.sh: creating virtualenv $venv" >&2
    "$python" -m venv "$venv" >&2 || {
        echo "ensure-venv.sh: cannot create a virtualenv with $python (Debian: apt-get install python3-venv)" >&2
        exit 1
    }
fi
echo "ensure-venv.sh: installing $* into $venv" >&2
args=()
for requirements in "$@"; do
    args+=(-r "$requirements")
done
"$venv/bin/python" -m pip install -q --disable-pip-version-check "${args[@]}" >&2
echo "$want" >"$stamp"
