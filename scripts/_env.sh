# Shared set-up for scripts/run and scripts/test: find a Python >= 3.12, create .venv, install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

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

if [ ! -x .venv/bin/python ]; then
    PY=$(find_python)
    echo "creating .venv with $("$PY" --version)"
    "$PY" -m venv .venv
fi
# Compile caches stay outside the repository.
export PYTENSOR_FLAGS="${PYTENSOR_FLAGS:-base_compiledir=${XDG_CACHE_HOME:-$HOME/.cache}/ai-timelines-forecast/pytensor}"
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-timelines-forecast/numba}"
