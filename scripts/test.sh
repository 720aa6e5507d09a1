#!/usr/bin/env bash
# Runs every test: set up, build, then the whole suite (Swift Testing and XCTest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
swift build --build-tests
swift test --skip-build --parallel 2>&1 | tee .build/test-output.txt
