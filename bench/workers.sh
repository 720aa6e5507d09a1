#!/usr/bin/env bash
# Throughput through remote workers: a `flux start server` with workers.embedded = false and 1, 2 and 4
# `flux start worker` processes, measured with ../shared/bench/async_burst.py (N async runs submitted at once,
# polled until all have completed): hello_world, and a 100-task map (examples/documents/large_map.yaml with
# input 100). Then flux-core 0.87.5's server + one worker on the same machine, in the same run, for comparison.
# First, for each worker count, the drain (bench/drain.py): --drain-n runs queued while no worker runs, then the
# time the workers take to empty the queue, which async_burst's Python client (about 800 submissions/s on a full
# core) cannot show.
#
#   bash bench/workers.sh                                   # SQLite in a temporary directory
#   bash bench/workers.sh --database-url postgresql://…     # another store (when this build supports it)
#   bash bench/workers.sh --workers "1 2" -n 500 --map-n 50 --skip-flux-core
#   bash bench/workers.sh --skip-build                      # use the release binary already built
#   bash bench/workers.sh --client-concurrency 8            # async_burst's submit and poll concurrency (4)
#
# Needs a release build (`bash bench/build-release.sh`, done unless --skip-build) and Python 3 with
# httpx (installed into .build/flux-http-venv). flux-core comes from bench/setup-flux-core.sh. The load average is
# printed with each figure: other load on the machine moves them all, so compare figures of one run only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATABASE_URL=""
WORKERS="1 2 4"
N=1000
MAP_N=50
DRAIN_N=2000
CORE_DRAIN_N=200
CONCURRENCY=64
# async_burst.py's client (httpx) spends time per request in proportion to its open connections: with 64 it
# managed about 200 submissions/s on a full core, with 4 about 800. Both sides get the same 4.
CLIENT_CONCURRENCY=4
FLUX_CORE=1
BUILD=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --database-url) DATABASE_URL="$2"; shift 2 ;;
        --workers) WORKERS="$2"; shift 2 ;;
        -n) N="$2"; shift 2 ;;
        --drain-n) DRAIN_N="$2"; shift 2 ;;
        --map-n) MAP_N="$2"; shift 2 ;;
        --concurrency) CONCURRENCY="$2"; shift 2 ;;
        --client-concurrency) CLIENT_CONCURRENCY="$2"; shift 2 ;;
        --skip-flux-core) FLUX_CORE=0; shift ;;
        --skip-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "workers.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
BENCH="$ROOT/../shared/bench"; [[ -d "$BENCH" ]] || BENCH=/work/shared/bench
if [[ $BUILD == 1 ]]; then
    bash bench/build-release.sh flux
fi
FLUX="$ROOT/.build-release/release/flux"
[[ -x "$FLUX" ]] || { echo "no release build at $FLUX" >&2; exit 1; }
VENV="$ROOT/.build/flux-http-venv"
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import httpx" 2>/dev/null || "$VENV/bin/pip" install --quiet --disable-pip-version-check httpx
PY="$VENV/bin/python"
TOKEN=bench-token
PIDS=()
WORK="$(mktemp -d)"
cleanup() { for p in "${PIDS[@]:-}"; do [[ -n "$p" ]] && kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_healthy() { for _ in $(seq 600); do curl -fs "$1/health" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "server did not start" >&2; exit 1; }

echo "date: $(date -Is)  commit: $(git rev-parse --short HEAD)  nproc: $(nproc)  load: $(load)"
echo "store: ${DATABASE_URL:-sqlite in a temporary directory}; worker concurrency $CONCURRENCY; hello_world n=$N, map(100) n=$MAP_N"

# One configuration: a fresh server and store, k workers, then both workloads.
run_flux() {  # k
    local k=$1 dir port url
    dir="$WORK/flux-$k"; mkdir -p "$dir"
    port=$(free_port); url="http://127.0.0.1:$port"
    local db="${DATABASE_URL:-sqlite:///$dir/flux.db}"
    # One client queues thousands: security.max_executions_per_client (1,000 by default) is raised for it.
    (cd "$dir" && FLUX_DATABASE_URL="$db" FLUX_WORKERS__EMBEDDED=false FLUX_WORKERS__BOOTSTRAP_TOKEN=$TOKEN FLUX_LOG_LEVEL=warning FLUX_SECURITY__MAX_EXECUTIONS_PER_CLIENT=1000000 \
        exec "$FLUX" start server --host 127.0.0.1 --port "$port" 2>server.log) &
    PIDS+=($!); local server=$!
    wait_healthy "$url"
    curl -fs -X POST -H "Content-Type: application/yaml" --data-binary @examples/documents/hello_world.yaml "$url/workflows" >/dev/null
    curl -fs -X POST -H "Content-Type: application/yaml" --data-binary @examples/documents/large_map.yaml "$url/workflows" >/dev/null
    # The queue drained: DRAIN_N runs queued while no worker runs, then the k workers start and empty it.
    local l; l=$(load)
    local queued; queued=$(python3 bench/drain.py submit --base-url "$url" -n "$DRAIN_N")
    local workers=()
    for i in $(seq "$k"); do
        (cd "$dir" && FLUX_WORKERS__BOOTSTRAP_TOKEN=$TOKEN FLUX_LOG_LEVEL=warning \
            exec "$FLUX" start worker "bench-w$i" --server-url "$url" --concurrency "$CONCURRENCY" 2>"worker$i.log") &
        PIDS+=($!); workers+=($!)
    done
    local baseline; baseline=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["baseline"])' "$queued")
    local drained; drained=$(python3 bench/drain.py wait --base-url "$url" -n "$DRAIN_N" --baseline "$baseline")
    echo "flux      workers=$k hello_world drain load=$l $queued $drained"
    for _ in $(seq 200); do
        [[ $(curl -fs "$url/workers" | python3 -c 'import json,sys; print(sum(w["connected"] for w in json.load(sys.stdin)["workers"]))') == "$k" ]] && break
        sleep 0.05
    done
    l=$(load)
    local hello; hello=$("$PY" "$BENCH/async_burst.py" --base-url "$url" --submit-route '/workflows/{workflow}/run/async' \
        --status-route '/workflows/{workflow}/status/{execution_id}' --workflow hello_world --body '"World"' -n "$N" \
        --submit-concurrency "$CLIENT_CONCURRENCY" --poll-concurrency "$CLIENT_CONCURRENCY" --expect-output 'Hello, World' | tail -1)
    echo "flux      workers=$k hello_world load=$l $hello"
    l=$(load)
    local map; map=$("$PY" "$BENCH/async_burst.py" --base-url "$url" --submit-route '/workflows/{workflow}/run/async' \
        --status-route '/workflows/{workflow}/status/{execution_id}' --workflow large_map --body '100' -n "$MAP_N" \
        --submit-concurrency "$CLIENT_CONCURRENCY" --poll-concurrency "$CLIENT_CONCURRENCY" --expect-output '328350' | tail -1)
    echo "flux      workers=$k map100      load=$l $map"
    for p in "${workers[@]}" "$server"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${workers[@]}" "$server"; do wait "$p" 2>/dev/null || true; done
}

for k in $WORKERS; do run_flux "$k"; done

if [[ $FLUX_CORE == 1 ]]; then
    bash bench/setup-flux-core.sh >/dev/null
    CORE="$ROOT/.bench/venv-flux-core/bin"
    dir="$WORK/flux-core"; mkdir -p "$dir/.flux"
    port=$(free_port); url="http://127.0.0.1:$port"
    cp bench/hello.py "$dir/hello.py"
    (cd "$dir" && FLUX_SECURITY__AUTH__ALLOW_ANONYMOUS=true FLUX_WORKERS__BOOTSTRAP_TOKEN=$TOKEN \
        exec "$CORE/flux" start server --host 127.0.0.1 --port "$port" >server.log 2>&1) &
    PIDS+=($!); core_server=$!
    wait_healthy "$url"
    (cd "$dir" && FLUX_SECURITY__AUTH__ALLOW_ANONYMOUS=true "$CORE/flux" workflow register hello.py --server-url "$url" >/dev/null)
    # The same drain: CORE_DRAIN_N runs queued with no worker, then its one worker empties the queue (its status route
    # is polled: it has no per-state counts).
    l=$(load)
    queued=$(python3 bench/drain.py submit --base-url "$url" --route '/workflows/default/{workflow}/run/async' -n "$CORE_DRAIN_N" \
        --ids-out "$dir/ids.json")
    (cd "$dir" && FLUX_SECURITY__AUTH__ALLOW_ANONYMOUS=true FLUX_WORKERS__BOOTSTRAP_TOKEN=$TOKEN \
        exec "$CORE/flux" start worker bench-w1 --server-url "$url" >worker.log 2>&1) &
    PIDS+=($!); core_worker=$!
    drained=$(python3 bench/drain.py wait --base-url "$url" -n "$CORE_DRAIN_N" --ids "$dir/ids.json" \
        --status-route '/workflows/default/{workflow}/status/{execution_id}' --timeout 600) || drained='{"error": "drain failed"}'
    echo "flux-core workers=1 hello_world drain load=$l $queued $drained"
    sleep 3
    l=$(load)
    core=$("$PY" "$BENCH/async_burst.py" --base-url "$url" --namespace default --workflow hello_world --body '"World"' -n 200 \
        --submit-concurrency "$CLIENT_CONCURRENCY" --poll-concurrency "$CLIENT_CONCURRENCY" \
        --expect-output 'Hello, World' --max-wait 300 | tail -1) || true
    echo "flux-core workers=1 hello_world load=$l $core"
    kill -TERM "$core_worker" "$core_server" 2>/dev/null || true
    wait "$core_worker" "$core_server" 2>/dev/null || true
fi
