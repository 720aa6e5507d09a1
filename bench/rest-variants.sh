#!/usr/bin/env bash
# rest_load.py at concurrency 8 against `flux start server` run with different environments, interleaved round by
# round, and (with --ceiling) against bench/instant-server.py in each round: an A/B of server settings in one run.
#
#   nice -n -5 bash bench/rest-variants.sh [--rounds 3] [--duration 10] [--ceiling] VAR=VALUE ["VAR=VALUE VAR2=VALUE"]…
#   nice -n -5 bash bench/rest-variants.sh --ceiling FLUX_EVENT_LOOPS=1 FLUX_EVENT_LOOPS=2
#
# Each argument is one variant: environment assignments for the server (use X=1 for "as it is"). Prints one line per
# variant and round: req/s, p50, p99. Uses the release build (bash bench/build-release.sh) and the client venv that
# bench/compare-doors.sh makes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$ROOT/../shared/bench"; [[ -d "$SHARED" ]] || SHARED=/work/shared/bench
PY="$ROOT/.bench/venv-client/bin/python"
FLUX="${FLUX:-$ROOT/.build-release/release/flux}"
ROUNDS=3; DURATION=10; CEILING=0; VARIANTS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --duration) DURATION="$2"; shift 2 ;;
        --ceiling) CEILING=1; shift ;;
        *) VARIANTS+=("$1"); shift ;;
    esac
done
[[ ${#VARIANTS[@]} -gt 0 ]] || { echo "rest-variants: name at least one variant, e.g. X=1" >&2; exit 2; }
[[ -x "$PY" ]] || { echo "rest-variants: run bench/compare-doors.sh once first (it makes $PY)" >&2; exit 2; }
[[ -x "$FLUX" ]] || { echo "rest-variants: $FLUX is missing; run bash bench/build-release.sh" >&2; exit 2; }

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_answering() { for _ in $(seq 3000); do curl -s -o /dev/null "$1" && return 0; sleep 0.01; done; echo "rest-variants: $1 never answered" >&2; return 1; }
load() {  # port label
    "$PY" "$SHARED/rest_load.py" --base-url "http://127.0.0.1:$1" --route '/workflows/{workflow}/run/sync' \
        --workflow hello_world --body '"World"' --expect 'Hello, World' --sequential 10 --concurrency 8 \
        --duration "$DURATION" 2>&1 | tail -1 \
        | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print("%-40s %8s req/s  p50 %s ms  p99 %s ms  errors %s" % (sys.argv[1], r["req_per_s"], r["p50_ms"], r["p99_ms"], r["n_err"]))' "$2"
}
PID=""
trap '[[ -n "$PID" ]] && kill "$PID" 2>/dev/null; true' EXIT
echo "date: $(date -Is)  commit: $(git -C "$ROOT" rev-parse --short HEAD)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    for variant in "${VARIANTS[@]}"; do
        dir="$(mktemp -d)"; port=$(free_port)
        # shellcheck disable=SC2086
        (cd "$dir" && exec env $variant "$FLUX" start server --host 127.0.0.1 --port "$port" 2>server.log) &
        PID=$!
        wait_answering "http://127.0.0.1:$port/health"
        curl -fs -X POST --data-binary @"$ROOT/examples/documents/hello_world.yaml" "http://127.0.0.1:$port/workflows" >/dev/null
        load "$port" "round $round [$variant]"
        kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; rm -rf "$dir"
    done
    if [[ $CEILING == 1 ]]; then
        port=$(free_port)
        python3 "$ROOT/bench/instant-server.py" --port "$port" & PID=$!
        wait_answering "http://127.0.0.1:$port/health"
        load "$port" "round $round [instant server: the ceiling]"
        kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
    fi
done
