#!/usr/bin/env bash
# Server CPU per MCP call: `flux start mcp --transport streamable-http` on a fresh store with hello_world, 50 warm-up
# calls, then N `execute_workflow_sync` calls through ../shared/bench/mcp_latency.py (the official Python client);
# prints the server's user + system CPU per call (from /proc/PID/stat, 10 ms ticks) and the client's p50. Unlike
# latency, CPU per call barely moves with other load on the machine, so two binaries can be compared on a busy one.
#
#   bash bench/mcp-server-cpu.sh                               # .build-release/release/flux, 1,000 calls
#   FLUX=/path/to/other/flux N=2000 bash bench/mcp-server-cpu.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FLUX="${FLUX:-$ROOT/.build-release/release/flux}"
N="${N:-1000}"
SHARED="$ROOT/../shared/bench"; [[ -d "$SHARED" ]] || SHARED=/work/shared/bench
PY="$ROOT/.bench/venv-client/bin/python"
[[ -x "$PY" ]] || { echo "mcp-server-cpu: run bench/compare-doors.sh once to create $PY" >&2; exit 1; }
DIR="$(mktemp -d)"; cd "$DIR"
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$FLUX" workflow register "$ROOT/examples/documents/hello_world.yaml" >/dev/null 2>&1
FLUX_LOG_LEVEL=warning "$FLUX" start mcp --transport streamable-http --host 127.0.0.1 --port "$PORT" 2>mcp.log &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 1 1000); do curl -s -o /dev/null "http://127.0.0.1:$PORT/mcp" && break; sleep 0.005; done
ARGS='{"workflow_name": "hello_world", "input_data": "World"}'
"$PY" "$SHARED/mcp_latency.py" http --url "http://127.0.0.1:$PORT/mcp" -n 50 --args "$ARGS" >/dev/null
ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
before=$(ticks)
p50=$("$PY" "$SHARED/mcp_latency.py" http --url "http://127.0.0.1:$PORT/mcp" -n "$N" --expect 'Hello, World' --args "$ARGS" \
    | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["p50_ms"])')
after=$(ticks)
echo "server CPU per call: $(( (after - before) * 10000 / N )) µs over $N calls; client p50 $p50 ms; load $(cut -d' ' -f1 /proc/loadavg)"
