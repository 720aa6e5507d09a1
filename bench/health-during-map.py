#!/usr/bin/env python3
"""health-during-map.py - how long GET /health waits while the server runs one large map.

Starts `flux start server` (release build by default) in a temporary directory, registers
examples/documents/large_map.yaml, starts one run of it over --items items (async), and calls /health back to back
until the run completes. Prints every wait above --threshold-ms and the longest one.

  python3 bench/health-during-map.py [--items 100000] [--env FLUX_EVENT_LOOPS=2] [--flux PATH]
"""
import argparse, json, os, pathlib, socket, subprocess, tempfile, time, urllib.request

root = pathlib.Path(__file__).resolve().parent.parent
ap = argparse.ArgumentParser()
ap.add_argument("--flux", default=str(root / ".build-release/release/flux"))
ap.add_argument("--items", type=int, default=100000)
ap.add_argument("--threshold-ms", type=float, default=20.0)
ap.add_argument("--env", action="append", default=[], help="VAR=VALUE for the server, repeatable")
args = ap.parse_args()

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
env = {k: v for k, v in os.environ.items() if not k.startswith("FLUX_")}
env.update(dict(e.split("=", 1) for e in args.env))
base = f"http://127.0.0.1:{port}"
with tempfile.TemporaryDirectory() as directory:
    server = subprocess.Popen([args.flux, "start", "server", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=directory, env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(3000):
            try:
                urllib.request.urlopen(base + "/health").read()
                break
            except OSError:
                time.sleep(0.01)
        document = (root / "examples/documents/large_map.yaml").read_bytes()
        urllib.request.urlopen(urllib.request.Request(base + "/workflows", data=document,
                                                      headers={"content-type": "application/yaml"})).read()
        start = time.perf_counter()
        reply = urllib.request.urlopen(urllib.request.Request(
            base + "/workflows/large_map/run/async", data=str(args.items).encode(),
            headers={"content-type": "application/json"})).read()
        execution = json.loads(reply)["execution_id"]
        waits, calls, state = [], 0, "RUNNING"
        while state not in ("COMPLETED", "FAILED", "CANCELLED"):
            t = time.perf_counter()
            urllib.request.urlopen(base + "/health").read()
            waits.append((t - start, time.perf_counter() - t))
            calls += 1
            if calls % 20 == 0:
                state = json.loads(urllib.request.urlopen(f"{base}/executions/{execution}").read())["state"]
        took = time.perf_counter() - start
        long = [(round(at, 3), round(w * 1000, 1)) for at, w in waits if w * 1000 > args.threshold_ms]
        print(json.dumps({"items": args.items, "env": args.env, "run_s": round(took, 3), "health_calls": calls,
                          "longest_wait_ms": round(max(w for _, w in waits) * 1000, 1),
                          f"waits_over_{args.threshold_ms:g}_ms (at s, ms)": long}))
    finally:
        server.terminate()
        server.wait()
