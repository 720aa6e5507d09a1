#!/usr/bin/env bash
# Runs every test: set up, build, then the whole suite (Swift Testing and XCTest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
# The MCP interop tests (Tests/FluxMCPTests) drive `flux start mcp` with the official Python MCP SDK from this venv.
if ! .build/mcp-venv/bin/python -c "import mcp" >/dev/null 2>&1; then
  mkdir -p .build
  python3 -m venv --clear .build/mcp-venv
  .build/mcp-venv/bin/pip install --quiet --disable-pip-version-check "mcp>=1.20,<3"
fi
# The store tests run against SQLite and a real PostgreSQL server: start (or reuse) the local test server.
FLUX_TEST_POSTGRES_URL="$(bash scripts/postgres.sh)"
export FLUX_TEST_POSTGRES_URL
# In CI nothing should outlive the run; locally the server stays up for the next run.
if [ "${CI:-}" = "true" ]; then trap 'bash scripts/postgres.sh stop' EXIT; fi
swift build --manifest-cache local --build-tests
# Every long-running command ends within 12 s of SIGTERM, with the machine busy (the short form: 10 cycles each).
bash scripts/shutdown-stress.sh --short
swift test --manifest-cache local --skip-build --no-parallel 2>&1 | tee .build/test-output.txt
