#!/usr/bin/env bash
# Find (or, on Debian-family machines, provide) the Python interpreter a test lane needs.
#
#   find_python 3.14.2   prints the path of a Python >= 3.14.2 of the 3.14 series
#
# Order: `python3.X` on PATH, a pyenv-installed 3.X, a 3.X that uv already manages, then
# a private copy of Debian's own python3.X package (see `debian_python`), then uv.
# Messages go to stderr; only the interpreter's path goes to stdout.
set -euo pipefail

# _python_ok PY MIN: whether PY runs and is of MIN's series, at least MIN.
_python_ok() {
    local py="$1" min="$2"
    [ -n "$py" ] && [ -x "$py" ] || return 1
    "$py" - "$min" <<'EOF' >/dev/null 2>&1
import sys
want = tuple(int(part) for part in sys.argv[1].split("."))
have = sys.version_info[:3]
sys.exit(0 if have[:2] == want[:2] and have >= want else 1)
EOF
}

# debian_python SERIES: a private copy of Debian's python$SERIES (from its development
# suite, which is the suite that carries it) in a cache folder, for Debian-family machines
# whose own release does not ship it. The packages are fetched with apt-get through a
# separate apt configuration (the system's sources and installed packages are untouched),
# unpacked with dpkg -x, and the interpreter is pointed at the copy's own C library and
# loader with patchelf, since that suite's libraries need a newer C library than the
# system's. Nothing is installed system-wide except patchelf (apt-get, as root).
debian_python() {
    local series="$1"
    local cache="${SUNSHARE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sunshare}"
    local prefix="$cache/python$series-debian"
    local python="$prefix/root/usr/bin/python$series"
    if [ -x "$python" ] && "$python" -c 'import ssl, sqlite3, venv' >/dev/null 2>&1; then
        echo "$python"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 || return 1
    [ -r /etc/apt/sources.list.d/debian.sources ] || return 1
    [ "$(dpkg --print-architecture)" = amd64 ] || [ "$(dpkg --print-architecture)" = arm64 ] || return 1
    if ! command -v patchelf >/dev/null 2>&1; then
        [ "$(id -u)" = 0 ] || { echo "patchelf is needed (apt-get install patchelf)" >&2; return 1; }
        echo ">> installing patchelf (Debian package)" >&2
        apt-get install -y -qq patchelf >/dev/null 2>&1 ||
            { apt-get update -qq && apt-get install -y -qq patchelf >/dev/null; } || return 1
    fi
    echo ">> no python$series on this machine: unpacking Debian's python$series packages" \
        "(development suite) into $prefix" >&2
    rm -rf "$prefix"
    mkdir -p "$prefix"/apt/{lists/partial,archives/partial,cache,sources,preferences.d} \
        "$prefix/debs" "$prefix/root"
    # The same mirror as the system's Debian sources, development suite.
    local uri arch
    arch="$(dpkg --print-architecture)"
    uri="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
    [ -n "$uri" ] || return 1
    printf 'Types: deb\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: %s\n' \
        "$uri" /usr/share/keyrings/debian-archive-keyring.gpg >"$prefix/apt/sources/dev.sources"
    cat >"$prefix/apt/apt.conf" <<EOF
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$prefix/apt/sources";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$prefix/apt/preferences.d";
Dir::State::Lists "$prefix/apt/lists";
Dir::State::status "/dev/null";
Dir::Cache "$prefix/apt/cache";
Dir::Cache::Archives "$prefix/apt/archives";
APT::Architecture "$arch";
APT::Sandbox::User "root";
EOF
    (
        export APT_CONFIG="$prefix/apt/apt.conf"
        apt-get update -qq >/dev/null
        # Every package the interpreter and venv need, down to the C library (no virtual
        # packages); libstdc++ for compiled wheels.
        apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
            --no-breaks --no-replaces --no-enhances "python$series" "python$series-venv" |
            grep -v '^ ' | grep -v '<' | sort -u >"$prefix/packages.txt"
        echo libstdc++6 >>"$prefix/packages.txt"
        cd "$prefix/debs"
        # shellcheck disable=SC2046
        apt-get download -qq $(cat "$prefix/packages.txt") >/dev/null 2>&1
        for deb in ./*.deb; do dpkg -x "$deb" "$prefix/root"; done
    ) || return 1
    local libdir loader
    libdir="$(dirname "$(find "$prefix/root/usr/lib" -name 'libc.so.6' | head -n 1)")"
    loader="$(find "$libdir" -maxdepth 1 -name 'ld-linux*.so.*' | head -n 1)"
    patchelf --set-interpreter "$loader" --force-rpath --set-rpath "$libdir" "$python"
    "$python" -c 'import ssl, sqlite3, venv' || return 1
    rm -rf "$prefix/debs" "$prefix/apt/archives"
    echo "$python"
}

# find_python MIN: print an interpreter of MIN's series, at least MIN.
find_python() {
    local min="$1" series candidate
    series="$(echo "$min" | cut -d. -f1,2)"
    # 1. python3.X on PATH (a pyenv shim may exist without the version being active).
    candidate="$(command -v "python$series" 2>/dev/null || true)"
    if _python_ok "$candidate" "$min"; then
        echo "$candidate"
        return 0
    fi
    # 2. a pyenv-installed 3.X that is not the active version.
    if command -v pyenv >/dev/null 2>&1; then
        for candidate in "$(pyenv root)"/versions/"$series"*/bin/"python$series"; do
            if _python_ok "$candidate" "$min"; then
                echo "$candidate"
                return 0
            fi
        done
    fi
    # 3. a 3.X that uv already manages (never downloads one).
    if command -v uv >/dev/null 2>&1; then
        candidate="$(uv python find --no-python-downloads ">=$min,<$series.999" 2>/dev/null || true)"
        if _python_ok "$candidate" "$min"; then
            echo "$candidate"
            return 0
        fi
    fi
    # 4. Debian's own package, unpacked privately (Python 3.13 and 3.14 on Debian 12).
    if candidate="$(debian_python "$series")" && _python_ok "$candidate" "$min"; then
        echo "$candidate"
        return 0
    fi
    # 5. uv may download a standalone build where its download host is reachable.
    if command -v uv >/dev/null 2>&1 && uv python install "$series" >&2 2>/dev/null; then
        candidate="$(uv python find ">=$min,<$series.999" 2>/dev/null || true)"
        if _python_ok "$candidate" "$min"; then
            echo "$candidate"
            return 0
        fi
    fi
    return 1
}
