#!/usr/bin/env bash
# Where `flux start server` spends its CPU under rest_load.py at concurrency 8: per thread, the CPU time (utime +
# stime from /proc/PID/task/TID/stat) and the voluntary and involuntary context switches (from .../status) per
# request, read before and after the load.
#
#   nice -n -5 bash bench/server-threads.sh [VAR=VALUE …]     # e.g. FLUX_EVENT_LOOPS=2; X=1 for "as it is"
#
# Uses the release build (bash bench/build-release.sh) and the client venv that bench/compare-doors.sh makes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$ROOT/../shared/bench"; [[ -d "$SHARED" ]] || SHARED=/work/shared/bench
PY="$ROOT/.bench/venv-client/bin/python"
FLUX="${FLUX:-$ROOT/.build-release/release/flux}"
DURATION="${DURATION:-8}"
[[ -x "$PY" ]] || { echo "server-threads: run bench/compare-doors.sh once first (it makes $PY)" >&2; exit 2; }
[[ -x "$FLUX" ]] || { echo "server-threads: $FLUX is missing; run bash bench/build-release.sh" >&2; exit 2; }

snapshot() {  # pid -> "tid name cpu_ticks voluntary involuntary" per thread
    for t in /proc/"$1"/task/*; do
        echo "$(basename "$t") $(tr ' ' _ <"$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12+$13}') \
$(awk '/^voluntary_ctxt/ {v=$2} /nonvoluntary_ctxt/ {n=$2} END {print v, n}' "$t/status")"
    done | sort
}
dir="$(mktemp -d)"
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2068
(cd "$dir" && exec env ${@:-X=1} "$FLUX" start server --host 127.0.0.1 --port "$port" 2>server.log) &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
until curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; do sleep 0.01; done
curl -fs -X POST --data-binary @"$ROOT/examples/documents/hello_world.yaml" "http://127.0.0.1:$port/workflows" >/dev/null
snapshot "$pid" >"$dir/before"
result=$("$PY" "$SHARED/rest_load.py" --base-url "http://127.0.0.1:$port" --route '/workflows/{workflow}/run/sync' \
    --workflow hello_world --body '"World"' --expect 'Hello, World' --sequential 10 --concurrency 8 \
    --duration "$DURATION" 2>&1 | tail -1)
snapshot "$pid" >"$dir/after"
n=$(echo "$result" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["n_ok"])')
echo "settings: ${*:-as it is}   requests: $n   $(echo "$result" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["req_per_s"])') req/s"
ticks=$(getconf CLK_TCK)
join "$dir/before" "$dir/after" | awk -v n="$n" -v hz="$ticks" '
    { cpu = ($7 - $3) * 1e6 / hz / n; vol = ($8 - $4) / n; inv = ($9 - $5) / n
      printf "%-8s %-18s CPU %6.1f µs/request   switches %5.2f voluntary, %5.2f involuntary per request\n", $1, $2, cpu, vol, inv
      tc += cpu; tv += vol + inv }
    END { printf "total: CPU %.0f µs/request, %.2f context switches/request\n", tc, tv }'
