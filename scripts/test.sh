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
swift build --manifest-cache local --build-tests
swift test --manifest-cache local --skip-build --no-parallel 2>&1 | tee .build/test-output.txt
