#!/usr/bin/env bash
# The main job on the embedded default: set up, build, then run an example workflow document on the
# SQLite store under .flux/ and print its result.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
swift build --product flux >&2
.build/debug/flux run examples/documents/hello_world.yaml "${1:-World}"
