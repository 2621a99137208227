#!/usr/bin/env bash
# Shared set-up for ./scripts/test and ./scripts/demo: create or reuse .venv with Python 3.13
# and install the pinned requirements when they changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
    # 1. python3.13 on PATH (a pyenv shim may exist without the version being active).
    if command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'import sys' >/dev/null 2>&1; then
        command -v python3.13
        return 0
    fi
    # 2. a pyenv-installed 3.13 that is not the active version.
    if command -v pyenv >/dev/null 2>&1; then
        local root
        root="$(pyenv root)"
        for candidate in "$root"/versions/3.13*/bin/python3.13; do
            if [ -x "$candidate" ]; then
                echo "$candidate"
                return 0
            fi
        done
    fi
    return 1
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then
        rm -rf "$VENV"
        local py
        if py="$(find_python)"; then
            echo ">> creating .venv with $py"
            "$py" -m venv "$VENV"
        elif command -v uv >/dev/null 2>&1; then
            echo ">> creating .venv with uv (Python 3.13)"
            uv venv --python 3.13 "$VENV"
            uv pip install --python "$VENV/bin/python" pip
        else
            echo "error: Python 3.13 is required (Home Assistant 2025.4 needs it)." >&2
            echo "Install it with pyenv ('pyenv install 3.13'), your distribution, or install 'uv'." >&2
            exit 1
        fi
    fi
    # Reinstall only when a requirements file changed since the last install.
    local stamp="$VENV/.requirements.sha256"
    local want
    want="$(cat "$ROOT"/requirements*.txt "$ROOT"/constraints.txt | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo ">> installing pinned requirements into .venv"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            -r "$ROOT/requirements_test.txt" -c "$ROOT/constraints.txt"
        echo "$want" >"$stamp"
    fi
}
