#!/usr/bin/env bash
# Shared set-up for ./scripts/test and ./scripts/demo: one virtual environment per test
# lane, each installed with its Home Assistant release's own package_constraints.txt and
# the lane's resolved set (constraints*.txt), reinstalled only when a pin changed.
#
# Lanes (see README, "For developers"):
#   current  .venv          the newest Home Assistant with a matching
#                           pytest-homeassistant-custom-component, Python 3.14
#   minimum  .venv-minimum  the oldest Home Assistant we support (hacs.json), Python 3.13
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/_python.sh
source "$ROOT/scripts/_python.sh"

# lane_settings LANE: set LANE_PYTHON (minimum version), LANE_VENV, LANE_REQUIREMENTS and
# LANE_CONSTRAINTS. The Home Assistant release is the one pinned in LANE_CONSTRAINTS.
lane_settings() {
    case "$1" in
    current)
        LANE_PYTHON=3.14.2
        LANE_VENV="$ROOT/.venv"
        LANE_REQUIREMENTS="$ROOT/requirements_test.txt"
        LANE_CONSTRAINTS="$ROOT/constraints.txt"
        ;;
    minimum)
        LANE_PYTHON=3.13.0
        LANE_VENV="$ROOT/.venv-minimum"
        LANE_REQUIREMENTS="$ROOT/requirements_test_minimum.txt"
        LANE_CONSTRAINTS="$ROOT/constraints_minimum.txt"
        ;;
    *)
        echo "unknown lane: $1" >&2
        return 1
        ;;
    esac
}

# lane_ha_version LANE: the Home Assistant release a lane pins.
lane_ha_version() {
    lane_settings "$1"
    sed -n 's/^homeassistant==//p' "$LANE_CONSTRAINTS"
}

# ha_package_constraints VENV VERSION: print the path of Home Assistant VERSION's own
# package_constraints.txt (read from its wheel, cached in the venv).
ha_package_constraints() {
    local venv="$1" version="$2"
    local out="$venv/.ha-package-constraints-$version.txt"
    if [ ! -s "$out" ]; then
        local tmp
        tmp="$(mktemp -d)"
        "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
            --only-binary=:all: -d "$tmp" "homeassistant==$version" >&2
        "$venv/bin/python" - "$tmp" "$out" <<'EOF'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("homeassistant-*.whl"))
with zipfile.ZipFile(wheel) as archive:
    text = archive.read("homeassistant/package_constraints.txt").decode()
pathlib.Path(sys.argv[2]).write_text(text)
EOF
        rm -rf "$tmp"
    fi
    echo "$out"
}

# ensure_lane LANE [EXTRA_REQUIREMENTS]: create or reuse the lane's venv; sets VENV.
ensure_lane() {
    local lane="$1" extra="${2:-}"
    lane_settings "$lane"
    VENV="$LANE_VENV"
    if ! _python_ok "$VENV/bin/python" "$LANE_PYTHON"; then
        rm -rf "$VENV"
        local py
        if ! py="$(find_python "$LANE_PYTHON")"; then
            echo "error: the $lane lane needs Python >= $LANE_PYTHON of its series." >&2
            echo "Install it with pyenv ('pyenv install $(echo "$LANE_PYTHON" | cut -d. -f1,2)')," \
                "uv, or your distribution, and run this again." >&2
            return 1
        fi
        echo ">> creating $VENV ($lane lane) with $py"
        "$py" -m venv --without-pip "$VENV"
        # Debian's venv looks for pip's wheel in /usr/share/python-wheels; bootstrap it
        # from the interpreter's own ensurepip or Debian wheel, wherever it is.
        if ! "$VENV/bin/python" -m ensurepip --upgrade >/dev/null 2>&1; then
            local wheel
            wheel="$(find "$(dirname "$(dirname "$py")")/share/python-wheels" \
                -name 'pip-*.whl' 2>/dev/null | head -n 1)"
            [ -n "$wheel" ] || { echo "error: no pip for $py" >&2; return 1; }
            "$VENV/bin/python" "$wheel/pip" install --quiet --disable-pip-version-check \
                "$wheel" >/dev/null
        fi
    fi
    # Reinstall only when a requirements or constraints file changed since the last one.
    local stamp="$VENV/.requirements.sha256" want version ha_constraints
    local files=("$ROOT"/requirements*.txt "$LANE_CONSTRAINTS")
    want="$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)${extra:+-$extra}"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        version="$(lane_ha_version "$lane")"
        echo ">> installing the $lane lane (Home Assistant $version) into $VENV"
        ha_constraints="$(ha_package_constraints "$VENV" "$version")"
        local requirements=(-r "$LANE_REQUIREMENTS")
        [ -z "$extra" ] || requirements+=(-r "$extra")
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            "${requirements[@]}" -c "$ha_constraints" -c "$LANE_CONSTRAINTS"
        echo "$want" >"$stamp"
    fi
}

# ensure_venv: the current lane (what the demo and a single test run use).
ensure_venv() {
    ensure_lane current "${1:-}"
}
