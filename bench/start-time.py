#!/usr/bin/env python3
"""start-time.py - spawn to the first 200 of GET /health, over several fresh starts.

  python3 bench/start-time.py --repeat 5 [--env K=V ...] -- CMD ... {port} ...

Each start runs CMD (with {port} replaced by a free loopback port) in a new empty directory, polls
http://127.0.0.1:{port}/health every 2 ms from this process (no client program to spawn per poll), and stops
the server with SIGTERM. Prints one JSON line: every start's milliseconds and their median. The first start
after a build reads the binary from disk; the median is what a start costs with the binary in the page cache.
"""
import argparse, json, os, signal, socket, statistics, subprocess, tempfile, time, urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--repeat", type=int, default=5)
parser.add_argument("--timeout", type=float, default=60)
parser.add_argument("--env", action="append", default=[])
parser.add_argument("command", nargs=argparse.REMAINDER)
a = parser.parse_args()
command = a.command[1:] if a.command and a.command[0] == "--" else a.command
env = dict(os.environ, **dict(kv.split("=", 1) for kv in a.env))
times = []
for _ in range(a.repeat):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    directory = tempfile.mkdtemp(prefix="flux-start-")
    os.makedirs(os.path.join(directory, ".flux"), exist_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen([c.replace("{port}", str(port)) for c in command], cwd=directory, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as answer:
                if answer.status == 200:
                    break
        except Exception:
            pass
        if process.poll() is not None or time.perf_counter() - started > a.timeout:
            raise SystemExit(f"start-time: {command[0]} never answered /health (exit {process.poll()})")
        time.sleep(0.002)
    times.append(round((time.perf_counter() - started) * 1000, 1))
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
print(json.dumps({"starts_ms": times, "median_ms": statistics.median(times)}))
