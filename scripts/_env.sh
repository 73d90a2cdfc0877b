# Shared set-up for scripts/run, scripts/test, scripts/lock, .ci/run and the Dockerfile: find a
# Python >= 3.12, create .venv, keep compile caches outside the repository; and the functions
# ensure_system_packages (Debian packages, installed with apt-get when root) and
# install_python_deps (the project, editable, with every dependency pinned by requirements.lock).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/ai-timelines-forecast"

find_python() {
    local cand
    for cand in "${PYTHON:-}" python3 python3.13 python3.12 python; do
        [ -n "$cand" ] || continue
        command -v "$cand" >/dev/null 2>&1 || continue
        if "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
            echo "$cand"
            return 0
        fi
    done
    echo "error: Python 3.12 or newer is required; put it on PATH or set PYTHON=/path/to/python3.12" >&2
    return 1
}

# Debian packages. PDF reports (WeasyPrint) need Pango and a font; the tests also need Chromium
# (browser tests, driven by Playwright at /usr/bin/chromium), poppler-utils (pdftoppm, report
# tests) and wrk (load benchmark).
RUN_SYSTEM_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
TEST_SYSTEM_PACKAGES=(chromium poppler-utils fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 wrk)

# Whether a Debian package is installed; without dpkg (not Debian), whether what it brings is there.
system_package_present() {
    if command -v dpkg-query >/dev/null 2>&1; then
        dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'
        return
    fi
    case "$1" in
        chromium) command -v chromium >/dev/null 2>&1 ;;
        poppler-utils) command -v pdftoppm >/dev/null 2>&1 ;;
        wrk) command -v wrk >/dev/null 2>&1 ;;
        fonts-dejavu-core) fc-list 2>/dev/null | grep -q 'DejaVuSans' ;;
        libpango-1.0-0) ldconfig -p 2>/dev/null | grep -q 'libpango-1\.0\.so\.0' ;;
        libpangoft2-1.0-0) ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1\.0\.so\.0' ;;
        *) return 1 ;;
    esac
}

# ensure_system_packages PKG...: nothing to do when all are installed (no apt-get run). Otherwise
# root with apt-get installs the missing ones; anyone else stops with the one command to run.
# FORECAST_SKIP_SYSTEM_PACKAGES=1 skips the check (a machine that has them under other names).
ensure_system_packages() {
    [ "${FORECAST_SKIP_SYSTEM_PACKAGES:-0}" = 1 ] && return 0
    local pkg missing=()
    for pkg in "$@"; do
        system_package_present "$pkg" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: missing system packages (Debian names): ${missing[*]}; install them with your" \
            "package manager, or set FORECAST_SKIP_SYSTEM_PACKAGES=1 to skip this check" >&2
        exit 1
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "error: missing system packages: ${missing[*]}; run:" \
            "sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
    echo "installing system packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# install_python_deps TARGET: pip install -e TARGET ("." or ".[dev]") with requirements.lock as
# constraints, so each dependency is the locked version. Skipped when the interpreter,
# pyproject.toml, the lock and the top-level packages are those of the last install (the key is
# kept in .venv/.install-stamp; delete it to force a reinstall).
install_key() {
    {
        echo "$1"
        .venv/bin/python -VV
        cat pyproject.toml requirements.lock
        ls -d ./*/__init__.py 2>/dev/null || true
    } | cksum
}
install_python_deps() {
    local target="$1" stamp=.venv/.install-stamp key
    key="$(install_key "$target")"
    if [ -x .venv/bin/forecast ] && [ -f "$stamp" ] && grep -qxF "$key" "$stamp"; then
        return 0
    fi
    rm -f "$stamp"
    .venv/bin/pip install --quiet --disable-pip-version-check -c requirements.lock -e "$target"
    # The dev install includes the plain one.
    if [ "$target" = ".[dev]" ]; then
        install_key . >"$stamp"
    fi
    echo "$key" >>"$stamp"
}

if [ ! -x .venv/bin/python ]; then
    PY=$(find_python)
    echo "creating .venv with $("$PY" --version)"
    "$PY" -m venv .venv
fi
# Compile caches stay outside the repository.
export PYTENSOR_FLAGS="${PYTENSOR_FLAGS:-base_compiledir=$CACHE_ROOT/pytensor}"
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$CACHE_ROOT/numba}"
