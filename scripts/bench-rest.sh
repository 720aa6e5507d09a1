#!/usr/bin/env bash
# Measures the REST server: start to first healthy /health, run/sync on hello_world (sequential and at
# concurrency 8, with ../shared/bench/rest_load.py and wrk), and the server's RSS after the load.
# Usage: bash scripts/bench-rest.sh [PORT]   (needs a release build: swift build -c release --product flux)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
port=${1:-18087}
flux=$root/.build/release/flux
bench=$root/../shared/bench
[ -d "$bench" ] || bench=/work/shared/bench
[ -x "$flux" ] || { echo "build first: swift build -c release --product flux" >&2; exit 1; }
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
venv=$root/.build/flux-http-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import httpx" 2>/dev/null || "$venv/bin/pip" install --quiet --disable-pip-version-check httpx
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir"
start=$(date +%s%N)
"$flux" start server --host 127.0.0.1 --port "$port" 2>server.log &
pid=$!
until curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; do sleep 0.005; done
echo "start to healthy: $(( ($(date +%s%N) - start) / 1000000 )) ms"
curl -fs -X POST -H "Content-Type: application/yaml" --data-binary @"$root/examples/documents/hello_world.yaml" "http://127.0.0.1:$port/workflows" >/dev/null
"$venv/bin/python" "$bench/rest_load.py" --base-url "http://127.0.0.1:$port" --route '/workflows/{workflow}/run/sync' \
  --workflow hello_world --body '"World"' --expect 'Hello, World' --sequential 200 --concurrency 8 --duration 20
wrk -t2 -c8 -d20s --timeout 30s --latency -s "$bench/post.lua" "http://127.0.0.1:$port/workflows/hello_world/run/sync" \
  | grep -E "Requests/sec|50%|90%|99%|Non-2xx|requests in"
echo "server RSS after load: $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MB"
echo "executions: $(curl -fs "http://127.0.0.1:$port/metrics" | grep 'flux_executions{state="completed"}')"
kill -TERM "$pid"; wait "$pid" || true
