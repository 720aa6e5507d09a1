#!/usr/bin/env bash
# The full crash-loop run (docs/reliability.md): builds flux in release mode, then runs scripts/crash-loop.py for
# each mode with at least 500 SIGKILLs, and prints one JSON summary per mode. Exit status 0 means zero violations.
#
#   bash scripts/crash-loop.sh                      # embedded, server and server+workers, 500 kills each
#   KILLS=20 MODES=server bash scripts/crash-loop.sh
#   KILLS=500 MODES=server+workers WORKERS=3 bash scripts/crash-loop.sh
#   FLUX=.build/debug/flux bash scripts/crash-loop.sh   # skip the release build
#
# Environment: KILLS (500), MODES ("embedded server server+workers"), SEED (1), SYNCHRONOUS (normal|full),
# WORKERS (2, for server+workers), FLUX (a built binary; `flux start worker` is the same binary).
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS="${KILLS:-500}"
MODES="${MODES:-embedded server server+workers}"
WORKERS="${WORKERS:-2}"
SEED="${SEED:-1}"
SYNCHRONOUS="${SYNCHRONOUS:-normal}"
if [[ -z "${FLUX:-}" ]]; then
  swift build -c release --product flux >&2
  FLUX=".build/release/flux"
fi
status=0
for mode in $MODES; do
  echo "crash loop: mode $mode, $KILLS kills, seed $SEED, synchronous=$SYNCHRONOUS, $FLUX" >&2
  python3 scripts/crash-loop.py --flux "$FLUX" --mode "$mode" --kills "$KILLS" --seed "$SEED" \
    --synchronous "$SYNCHRONOUS" --workers "$WORKERS" --verbose || status=1
done
exit $status
