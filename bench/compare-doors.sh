#!/usr/bin/env bash
# The doors side by side, in one run: flux-core 0.87.5 (its server + one worker + its MCP server, started as
# ../shared/bench/README.md says) and ours (`flux start server`, `flux start mcp`), measured with the same
# client scripts from ../shared/bench:
#   - start to first healthy /health: the median of fresh starts (bench/start-time.py: 3 for flux-core, 5 for ours)
#   - REST POST run/sync on hello_world: sequential p50/p99, closed loop at concurrency 8 (rest_load.py), and wrk -c8
#   - rest_load.py against bench/instant-server.py, which answers at once with our response bytes: the client's ceiling
#   - MCP execute_workflow_sync over streamable HTTP (mcp_latency.py, the official Python client): p50/p99
#   - MCP over stdio: spawn to the answer of initialize (mcp_latency.py stdio)
#   - RSS of every process after the load
# Prints a summary with the ratios; raw outputs go to .bench/results/<time>-doors/.
#
#   bench/compare-doors.sh                 # builds the release `flux`, then measures both sides
#   bench/compare-doors.sh --skip-build    # use .build-release/release/flux as it is
#   DURATION=10 SEQUENTIAL=100 MCP_CALLS=100 bench/compare-doors.sh
#
# The original's sync calls take about 350 ms, so its closed-loop phase gets few samples; the figures on a
# 2-core machine shared with builds move by ±30%: compare the two sides of one run only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD=1
[[ "${1:-}" == "--skip-build" ]] && BUILD=0
DURATION="${DURATION:-15}"
SEQUENTIAL="${SEQUENTIAL:-100}"
MCP_CALLS="${MCP_CALLS:-100}"
SHARED="$ROOT/../shared/bench"
[[ -d "$SHARED" ]] || SHARED=/work/shared/bench
OUT="$ROOT/.bench/results/$(date +%Y%m%d-%H%M%S)-doors"
mkdir -p "$OUT"

bench/setup-flux-core.sh >/dev/null
# One client for both sides, in a venv of its own: httpx and the newest official MCP SDK (flux-core's venv pins
# mcp 1.x, whose client adds about 7 ms to every call).
CLIENT="$ROOT/.bench/venv-client"
[[ -x "$CLIENT/bin/python" ]] || python3 -m venv "$CLIENT"
"$CLIENT/bin/python" -c "import httpx, mcp" 2>/dev/null \
    || "$CLIENT/bin/python" -m pip install --quiet --disable-pip-version-check httpx "mcp>=1.20,<3"
PY="$CLIENT/bin/python"
ORIG="$ROOT/.bench/venv-flux-core/bin/flux"
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null

if [[ $BUILD == 1 ]]; then
    bash bench/build-release.sh flux
fi
FLUX="${FLUX:-$ROOT/.build-release/release/flux}"
[[ -x "$FLUX" ]] || { echo "compare-doors: $FLUX is missing; run without --skip-build" >&2; exit 1; }

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss_mb() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }
wait_healthy() {  # url timeout_s
    local deadline=$(( $(date +%s) + $2 ))
    until curl -fs "$1" >/dev/null 2>&1; do
        (( $(date +%s) < deadline )) || { echo "compare-doors: $1 never answered" >&2; return 1; }
        sleep 0.005
    done
}
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

{
    echo "date: $(date -Is)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "nproc: $(nproc)   load: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"

# ---------------------------------------------------------------- the original
echo "== flux-core 0.87.5: server + worker + MCP (streamable HTTP)"
ODIR="$(mktemp -d)"; mkdir -p "$ODIR/.flux"; cp "$SHARED/hello.py" "$ODIR/"
OPORT=$(free_port); OMCP=$(free_port)
(
    cd "$ODIR"
    export FLUX_SECURITY__AUTH__ALLOW_ANONYMOUS=true FLUX_WORKERS__BOOTSTRAP_TOKEN=bench-token
    "$PY" "$ROOT/bench/start-time.py" --repeat 3 -- "$ORIG" start server --host 127.0.0.1 --port '{port}' >"$OUT/orig-health.json"
    "$ORIG" start server --host 127.0.0.1 --port "$OPORT" >server.log 2>&1 &
    echo $! >server.pid
    wait_healthy "http://127.0.0.1:$OPORT/health" 60
    "$ORIG" start worker bench-w1 --server-url "http://127.0.0.1:$OPORT" >worker.log 2>&1 &
    echo $! >worker.pid
    sleep 3
    "$ORIG" workflow register hello.py --server-url "http://127.0.0.1:$OPORT" >register.log 2>&1
    "$ORIG" start mcp --transport streamable-http --host 127.0.0.1 --port "$OMCP" --server-url "http://127.0.0.1:$OPORT" >mcp.log 2>&1 &
    echo $! >mcp.pid
)
PIDS+=("$(cat "$ODIR/server.pid")" "$(cat "$ODIR/worker.pid")" "$(cat "$ODIR/mcp.pid")")
sleep 3
echo "start to healthy (fresh starts, ms): $(cat "$OUT/orig-health.json")"
"$PY" "$SHARED/rest_load.py" --base-url "http://127.0.0.1:$OPORT" --route '/workflows/{namespace}/{workflow}/run/sync' \
    --workflow hello_world --body '"World"' --expect 'Hello, World' --sequential "$SEQUENTIAL" --concurrency 8 \
    --duration "$DURATION" --json "$OUT/orig-rest.json" | tee "$OUT/orig-rest.txt"
wrk -t2 -c8 -d"${DURATION}s" --timeout 30s --latency -s "$SHARED/post.lua" \
    "http://127.0.0.1:$OPORT/workflows/default/hello_world/run/sync" | tee "$OUT/orig-wrk.txt" | grep -E "Requests/sec|50%|99%|Non-2xx"
"$PY" "$SHARED/mcp_latency.py" http --url "http://127.0.0.1:$OMCP/mcp" -n "$MCP_CALLS" --expect 'Hello, World' \
    --args '{"workflow_name": "hello_world", "input_data": "World", "workflow_namespace": "default"}' \
    --json "$OUT/orig-mcp.json" >/dev/null || echo '{"p50_ms": null, "error": "mcp_latency failed"}' >"$OUT/orig-mcp.json"
(cd "$ODIR" && FLUX_SERVER_URL="http://127.0.0.1:$OPORT" "$PY" "$SHARED/mcp_latency.py" stdio --repeat 3 --timeout 30 \
    --cmd "$ORIG start mcp --transport stdio --server-url http://127.0.0.1:$OPORT" --json "$OUT/orig-stdio.json" >/dev/null) || true
echo "server $(rss_mb "$(cat "$ODIR/server.pid")") MB, worker $(rss_mb "$(cat "$ODIR/worker.pid")") MB, mcp $(rss_mb "$(cat "$ODIR/mcp.pid")") MB" \
    | tee "$OUT/orig-rss.txt"
cleanup; PIDS=()

# ---------------------------------------------------------------- ours
echo "== Flux for Swift: flux start server (REST) and flux start mcp (streamable HTTP, stdio)"
SDIR="$(mktemp -d)"
SPORT=$(free_port); SMCP=$(free_port)
cd "$SDIR"
"$PY" "$ROOT/bench/start-time.py" --repeat 5 -- "$FLUX" start server --host 127.0.0.1 --port '{port}' >"$OUT/ours-health.json"
echo "start to healthy (fresh starts, ms): $(cat "$OUT/ours-health.json")"
"$FLUX" start server --host 127.0.0.1 --port "$SPORT" 2>server.log &
SPID=$!; PIDS+=("$SPID")
wait_healthy "http://127.0.0.1:$SPORT/health" 60
curl -fs -X POST -H "Content-Type: application/yaml" --data-binary @"$ROOT/examples/documents/hello_world.yaml" "http://127.0.0.1:$SPORT/workflows" >/dev/null
"$PY" "$SHARED/rest_load.py" --base-url "http://127.0.0.1:$SPORT" --route '/workflows/{workflow}/run/sync' \
    --workflow hello_world --body '"World"' --expect 'Hello, World' --sequential "$SEQUENTIAL" --concurrency 8 \
    --duration "$DURATION" --json "$OUT/ours-rest.json" | tee "$OUT/ours-rest.txt"
wrk -t2 -c8 -d"${DURATION}s" --timeout 30s --latency -s "$SHARED/post.lua" \
    "http://127.0.0.1:$SPORT/workflows/hello_world/run/sync" | tee "$OUT/ours-wrk.txt" | grep -E "Requests/sec|50%|99%|Non-2xx"
SERVER_RSS=$(rss_mb "$SPID")
# What the resident memory is made of: pages of mapped files (code of the binary and the libraries) and heap.
SERVER_RSS_SPLIT=$(awk '/RssFile/ {f=int($2/1024)} /RssAnon/ {a=int($2/1024)} END {printf "%d MB mapped files + %d MB heap", f, a}' "/proc/$SPID/status")
# Graceful shutdown: SIGTERM with an open SSE stream and a sync request both waiting on running executions.
printf 'flux: 1\nname: slow\nsteps:\n  - id: wait\n    builtin: sleep\n    with: { seconds: 5 }\noutput: done\n' >slow.yaml
curl -fs -X POST -H "Content-Type: application/yaml" --data-binary @slow.yaml "http://127.0.0.1:$SPORT/workflows" >/dev/null
curl -sN -X POST "http://127.0.0.1:$SPORT/workflows/slow/run/stream" >stream.out 2>&1 &
curl -s -X POST "http://127.0.0.1:$SPORT/workflows/slow/run/sync" >sync.out 2>&1 &
sleep 1
t0=$(date +%s%N)
kill -TERM "$SPID"; wait "$SPID" 2>/dev/null || true
echo "SIGTERM to exit with an open stream and a waiting sync request: $(( ($(date +%s%N) - t0) / 1000000 )) ms" | tee "$OUT/ours-shutdown.txt"
# The MCP server runs on the same store (the server has stopped: one writer at a time is the embedded default).
"$FLUX" start mcp --transport streamable-http --host 127.0.0.1 --port "$SMCP" 2>mcp.log &
MPID=$!; PIDS+=("$MPID")
for _ in $(seq 1 2000); do curl -s -o /dev/null "http://127.0.0.1:$SMCP/mcp" && break; sleep 0.005; done
"$PY" "$SHARED/mcp_latency.py" http --url "http://127.0.0.1:$SMCP/mcp" -n "$MCP_CALLS" --expect 'Hello, World' \
    --args '{"workflow_name": "hello_world", "input_data": "World"}' --json "$OUT/ours-mcp.json" >/dev/null
MCP_RSS=$(rss_mb "$MPID")
kill -TERM "$MPID"; wait "$MPID" 2>/dev/null || true
"$PY" "$SHARED/mcp_latency.py" stdio --repeat 5 --timeout 30 --cmd "$FLUX start mcp --transport stdio" \
    --json "$OUT/ours-stdio.json" >/dev/null
echo "server $SERVER_RSS MB ($SERVER_RSS_SPLIT), mcp $MCP_RSS MB" | tee "$OUT/ours-rss.txt"
cd "$ROOT"

# ---------------------------------------------------------------- the client's own ceiling
# rest_load.py against a server that answers at once with our exact response bytes (bench/instant-server.py): the
# most any server can show through this client on this machine, so the c=8 ratio above reads against it.
echo "== rest_load.py against bench/instant-server.py (the client's ceiling)"
IPORT=$(free_port)
python3 "$ROOT/bench/instant-server.py" --port "$IPORT" &
IPID=$!; PIDS+=("$IPID")
wait_healthy "http://127.0.0.1:$IPORT/health" 10  # it answers any request, /health included
"$PY" "$SHARED/rest_load.py" --base-url "http://127.0.0.1:$IPORT" --route '/workflows/{workflow}/run/sync' \
    --workflow hello_world --body '"World"' --expect 'Hello, World' --sequential 10 --concurrency 8 \
    --duration "$DURATION" --json "$OUT/ceiling-rest.json" | tail -1
kill "$IPID" 2>/dev/null || true

# ---------------------------------------------------------------- summary
"$PY" - "$OUT" <<'EOF' | tee "$OUT/summary.txt"
import json, re, statistics, sys, pathlib
out = pathlib.Path(sys.argv[1])
def j(name):
    try: return json.loads((out / name).read_text())
    except Exception: return {}
def health(side): return j(f"{side}-health.json").get("median_ms")
def wrk(side):
    text = (out / f"{side}-wrk.txt").read_text()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", text)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
    def ms(m): return None if not m else float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    return (float(rps.group(1)) if rps else None), ms(p50), ms(p99)
def rest(side):
    phases = j(f"{side}-rest.json").get("phases", [])
    seq = next((p for p in phases if p["phase"].startswith("sequential")), {})
    loop = next((p for p in phases if p["phase"].startswith("closed-loop")), {})
    return seq, loop
def stdio(side):
    runs = j(f"{side}-stdio.json").get("runs", [])
    ok = [r["spawn_to_initialize_ms"] for r in runs if r.get("ok")]
    if ok: return f"{statistics.median(ok):.1f} ms (median of {len(ok)})"
    if runs: return f"no answer: exit {runs[0].get('exit_code')} after {runs[0].get('spawn_to_exit_ms', runs[0].get('timeout_s'))} ms"
    return "?"
def ratio(a, b, higher_better=False):
    if not a or not b: return "?"
    return f"{(b / a if higher_better else a / b):.0f}×"
o_mcp, s_mcp = j("orig-mcp.json"), j("ours-mcp.json")
(o_seq, o_loop), (s_seq, s_loop) = rest("orig"), rest("ours")
o_wrk, s_wrk = wrk("orig"), wrk("ours")
ceiling = next((p for p in j("ceiling-rest.json").get("phases", []) if p["phase"].startswith("closed-loop")), {})
rows = [
    ("start to first healthy /health, median of fresh starts (ms)", health("orig"), health("ours"), ratio(health("orig"), health("ours"))),
    ("REST run/sync sequential p50 (ms)", o_seq.get("p50_ms"), s_seq.get("p50_ms"), ratio(o_seq.get("p50_ms"), s_seq.get("p50_ms"))),
    ("REST run/sync sequential p99 (ms)", o_seq.get("p99_ms"), s_seq.get("p99_ms"), ratio(o_seq.get("p99_ms"), s_seq.get("p99_ms"))),
    ("REST c=8 req/s (rest_load.py)", o_loop.get("req_per_s"), s_loop.get("req_per_s"), ratio(o_loop.get("req_per_s"), s_loop.get("req_per_s"), True)),
    ("REST c=8 p50 / p99 (ms, rest_load.py)", f'{o_loop.get("p50_ms")} / {o_loop.get("p99_ms")}', f'{s_loop.get("p50_ms")} / {s_loop.get("p99_ms")}', ""),
    ("rest_load.py c=8 against a server that costs nothing (its ceiling, req/s)", "—", ceiling.get("req_per_s"),
     f'ours {s_loop.get("req_per_s", 0) / ceiling["req_per_s"]:.0%} of it; 200× of flux-core needs {200 * o_loop.get("req_per_s", 0):.0f}'
     if ceiling.get("req_per_s") else ""),
    ("REST c=8 req/s (wrk)", o_wrk[0], s_wrk[0], ratio(o_wrk[0], s_wrk[0], True)),
    ("REST c=8 p50 / p99 (ms, wrk)", f"{o_wrk[1]} / {o_wrk[2]}", f"{s_wrk[1]} / {s_wrk[2]}", ""),
    ("MCP execute_workflow_sync p50 (ms)", o_mcp.get("p50_ms"), s_mcp.get("p50_ms"), ratio(o_mcp.get("p50_ms"), s_mcp.get("p50_ms"))),
    ("MCP execute_workflow_sync p99 (ms)", o_mcp.get("p99_ms"), s_mcp.get("p99_ms"), ratio(o_mcp.get("p99_ms"), s_mcp.get("p99_ms"))),
    ("MCP stdio spawn to initialize", stdio("orig"), stdio("ours"), ""),
    ("SIGTERM to exit, stream and sync open", "—", (out / "ours-shutdown.txt").read_text().split(": ")[-1].strip(), ""),
    ("RSS after load (MB)", (out / "orig-rss.txt").read_text().strip(), (out / "ours-rss.txt").read_text().strip(), ""),
]
print(f"| figure | flux-core 0.87.5 | Flux for Swift | ratio |")
print(f"|---|---|---|---|")
for name, a, b, r in rows:
    print(f"| {name} | {a} | {b} | {r} |")
EOF
echo "raw outputs: $OUT"
