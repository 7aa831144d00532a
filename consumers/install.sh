#!/bin/sh
# Install the consumers of tests/consumers: programs and frameworks written for
# websockets 8.1, each in a venv of its own under consumers/.venvs/NAME, on
# CPython 3.9 from pyenv (the Python of their era: Sanic 20.12's httptools and
# uvloop, and websockets 8.1 itself, have no builds for newer Pythons).
#
#   sh consumers/install.sh            install what's missing or out of date
#   sh consumers/install.sh NAME...    only these venvs
#
# Each consumer is installed with `pip install --no-deps` from
# consumers/requirements/NAME.txt, where each of its dependencies is pinned,
# so that PyPI's websockets package is never installed into it: this library
# is, with `pip install --no-deps -e .` from the tree. The one exception is
# the websockets81 venv, which holds the genuine websockets 8.1 and nothing
# else: it runs as a black box peer on the other end of a socket.
#
# Idempotent: a venv whose stamp matches its requirements, this script, the
# tree's path and the interpreter is left alone. This script never fails:
# when a venv can't be installed it says so loudly, writes the reason to
# consumers/.venvs/NAME.failed, and the tests of that consumer are skipped,
# loudly, with that reason.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR="$ROOT/consumers"
VENVS="$DIR/.venvs"
ALL="uvicorn sanic pyppeteer gql websockets81"

banner() {
    {
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo "!!! consumers: $1 IS NOT INSTALLED: $2"
        echo "!!! its tests in tests/consumers will be SKIPPED."
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    } >&2
}

find_python39() {
    if [ -n "${CONSUMERS_PYTHON:-}" ]; then
        echo "$CONSUMERS_PYTHON"
        return
    fi
    pyenv_root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
    # The newest 3.9.x that pyenv has.
    for candidate in $(ls -d "$pyenv_root"/versions/3.9.* 2>/dev/null | sort -V -r); do
        if [ -x "$candidate/bin/python" ]; then
            echo "$candidate/bin/python"
            return
        fi
    done
}

PYTHON=$(find_python39)
mkdir -p "$VENVS"

if [ -z "$PYTHON" ] || [ ! -x "$PYTHON" ]; then
    for name in ${*:-$ALL}; do
        reason="no CPython 3.9 (${PYTHON:-none in $(pyenv root 2>/dev/null || echo $HOME/.pyenv)/versions}): run 'pyenv install 3.9' or set CONSUMERS_PYTHON"
        echo "$reason" > "$VENVS/$name.failed"
        banner "$name" "$reason"
    done
    exit 0
fi

# What a venv's stamp records: if any of it changes, the venv is rebuilt.
fingerprint() {
    {
        cat "$DIR/requirements/$1.txt" "$DIR/install.sh"
        # The C accelerator, built for this Python into the tree by the
        # editable install: rebuilt when its sources change.
        cat "$ROOT"/src/websockets/*.c
        echo "$ROOT"
        echo "$PYTHON"
        "$PYTHON" --version 2>&1
    } | sha256sum | cut -d' ' -f1
}

install_venv() {
    name=$1
    venv="$VENVS/$name"
    log="$VENVS/$name.log"
    pip="$venv/bin/python -m pip"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv" || return 1
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    # The consumer and each of its pinned dependencies, without resolution.
    $pip install --quiet --no-deps --no-compile \
        -r "$DIR/requirements/$name.txt" || return 1
    if [ "$name" = websockets81 ]; then
        # The genuine 8.1 must be what this venv imports.
        "$venv/bin/python" -c "import websockets, sys; \
            sys.exit(websockets.__version__ != '8.1')" || return 1
        return 0
    fi
    # This library, from the tree, in place of PyPI's websockets.
    $pip install --quiet --no-deps -e "$ROOT" || return 1
    "$venv/bin/python" - "$ROOT" <<'EOF' || return 1
import sys
from pathlib import Path

import websockets

where = Path(websockets.__file__).resolve()
if Path(sys.argv[1]).resolve() not in where.parents:
    sys.exit(f"websockets is imported from {where}, not from the tree")
EOF
}

for name in ${*:-$ALL}; do
    if [ ! -f "$DIR/requirements/$name.txt" ]; then
        echo "consumers: no such consumer: $name" >&2
        continue
    fi
    stamp="$VENVS/$name/.stamp-installed"
    want=$(fingerprint "$name")
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        rm -f "$VENVS/$name.failed"
        continue
    fi
    echo "consumers: installing $name in $VENVS/$name with $PYTHON" >&2
    rm -f "$VENVS/$name.failed"
    started=$(date +%s)
    if install_venv "$name" > "$VENVS/$name.log" 2>&1; then
        echo "$want" > "$stamp"
        echo "consumers: $name installed in $(( $(date +%s) - started )) s" >&2
    else
        tail -n 20 "$VENVS/$name.log" >&2
        reason="installing $name failed: see $VENVS/$name.log"
        echo "$reason" > "$VENVS/$name.failed"
        banner "$name" "$reason"
    fi
done
exit 0
