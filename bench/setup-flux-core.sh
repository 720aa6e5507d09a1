#!/usr/bin/env bash
# Creates .bench/venv-flux-core (Python 3.12) with the original flux-core 0.87.5, for side-by-side benchmarks.
# Idempotent: an existing venv that already has flux-core 0.87.5 is left as it is.
#
#   bench/setup-flux-core.sh            # from the repository root (or anywhere: paths are relative to the repo)
#   FLUX_CORE_PYTHON=/path/to/python3.12 bench/setup-flux-core.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.bench/venv-flux-core"
VERSION="0.87.5"

find_python() {
    if [[ -n "${FLUX_CORE_PYTHON:-}" ]]; then echo "$FLUX_CORE_PYTHON"; return; fi
    local candidates=("$HOME/.pyenv/versions/3.12.1/bin/python3")
    if command -v pyenv >/dev/null 2>&1; then
        local v
        v="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9](\.|$)' | sort -V | head -1 || true)"
        [[ -n "$v" ]] && candidates+=("$(pyenv root)/versions/$v/bin/python3")
    fi
    candidates+=("$(command -v python3.12 || true)" "$(command -v python3.13 || true)")
    for p in "${candidates[@]}"; do
        [[ -n "$p" && -x "$p" ]] || continue
        if "$p" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then echo "$p"; return; fi
    done
    echo "setup-flux-core: no Python 3.12+ found (set FLUX_CORE_PYTHON)" >&2
    exit 1
}

if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('flux-core') == '$VERSION' else 1)" 2>/dev/null; then
    echo "flux-core $VERSION already installed in $VENV"
    exit 0
fi

PYTHON="$(find_python)"
echo "creating $VENV with $PYTHON ($("$PYTHON" --version 2>&1))"
mkdir -p "$(dirname "$VENV")"
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "flux-core==$VERSION" mcp
"$VENV/bin/python" -c "import importlib.metadata as m; print('flux-core', m.version('flux-core'), 'installed in $VENV')"
