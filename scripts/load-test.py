#!/usr/bin/env python3
"""Load test (documented in docs/reliability.md; not run in CI): many concurrent MCP sessions queue many async
executions in one `flux start mcp --transport streamable-http` process.

It opens --sessions MCP sessions at once (each: initialize, notifications/initialized), then every session calls
execute_workflow_async --per-session times concurrently, so sessions x per-session executions are queued (the
engine runs executor.max_concurrent_executions at a time). It waits until the store says every execution is
COMPLETED with the right output, sampling the server's resident memory (VmRSS) all along, and does it --waves
times on the same process: memory is flat once the queue drains if the RSS after each later wave's drain stays
within --tolerance of the first wave's. Prints a JSON summary; exit 0 when everything completed and memory was flat.

  python3 scripts/load-test.py --flux .build/release/flux            # 200 sessions x 50 = 10,000 executions, 2 waves
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

DOCUMENT = """flux: 1
name: load_hello
input: { type: object, properties: { n: { type: integer } }, required: [n] }
steps:
  - id: greet
    set: "Hello, ${{ input.n }}"
  - id: shout
    set: "${{ upper(steps.greet.output) }}"
output: "${{ steps.shout.output }}"
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Session:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.sid = None
        self.next = 1

    def post(self, message):
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                   "Host": f"127.0.0.1:{self.port}"}
        if self.sid:
            headers["Mcp-Session-Id"] = self.sid
        self.conn.request("POST", "/mcp", json.dumps(message).encode(), headers)
        response = self.conn.getresponse()
        data = response.read()
        if self.sid is None:
            self.sid = response.getheader("Mcp-Session-Id")
        if response.status not in (200, 202):
            raise RuntimeError(f"{response.status}: {data[:300]!r}")
        if not data.strip():
            return None
        if "text/event-stream" in (response.getheader("Content-Type") or ""):
            for line in data.decode().splitlines():
                if line.startswith("data:"):
                    return json.loads(line[5:])
            return None
        return json.loads(data)

    def request(self, method, params):
        self.next += 1
        return self.post({"jsonrpc": "2.0", "id": self.next, "method": method, "params": params})

    def open(self):
        answer = self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                             "clientInfo": {"name": "load", "version": "1"}})
        if not answer or "result" not in answer:
            raise RuntimeError(f"initialize: {answer}")
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def start(self, n):
        answer = self.request("tools/call", {"name": "execute_workflow_async",
                                             "arguments": {"workflow_name": "load_hello", "input_data": {"n": n}}})
        content = (answer or {}).get("result", {}).get("structuredContent") or {}
        if not content.get("execution_id"):
            raise RuntimeError(f"execute_workflow_async: {answer}")
        return content["execution_id"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flux", required=True)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--per-session", type=int, default=50)
    parser.add_argument("--waves", type=int, default=2)
    parser.add_argument("--tolerance", type=float, default=0.15, help="allowed RSS growth between drained waves")
    parser.add_argument("--timeout", type=float, default=1800)
    o = parser.parse_args()
    work = tempfile.mkdtemp(prefix="flux-load-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUX_")}
    env["FLUX_LOG_LEVEL"] = "warning"
    with open(os.path.join(work, "load.yaml"), "w") as f:
        f.write(DOCUMENT)
    subprocess.run([os.path.abspath(o.flux), "workflow", "register", "load.yaml"], cwd=work, env=env, check=True, capture_output=True)
    log = open(os.path.join(work, "stderr.log"), "wb")
    server = subprocess.Popen([os.path.abspath(o.flux), "start", "mcp", "--transport", "streamable-http", "--host", "127.0.0.1",
                               "--port", "0"], cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    samples = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                samples.append((time.time(), rss_kib(server.pid)))
            except OSError:
                return
            time.sleep(0.5)

    try:
        port = None
        for _ in range(600):
            m = re.search(rb"listening on http://[^:\s]+:(\d+)", open(os.path.join(work, "stderr.log"), "rb").read())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.05)
        if port is None:
            raise RuntimeError("the MCP server did not start")
        threading.Thread(target=sample, daemon=True).start()
        db = os.path.join(work, ".flux", "flux.db")
        sessions = [Session(port) for _ in range(o.sessions)]
        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(o.sessions) as pool:
            list(pool.map(lambda s: s.open(), sessions))
        opened = time.time() - started
        waves = []
        total = o.sessions * o.per_session
        for wave in range(o.waves):
            t0 = time.time()

            def drive(index):
                session = sessions[index]
                return [session.start(wave * total + index * o.per_session + k) for k in range(o.per_session)]

            with concurrent.futures.ThreadPoolExecutor(o.sessions) as pool:
                ids = [eid for chunk in pool.map(drive, range(o.sessions)) for eid in chunk]
            queued = time.time() - t0
            peak_queue = 0
            while time.time() - t0 < o.timeout:
                con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
                states = dict(con.execute("SELECT state, COUNT(*) FROM executions GROUP BY state").fetchall())
                con.close()
                waiting = sum(v for k, v in states.items() if k != "COMPLETED")
                peak_queue = max(peak_queue, waiting)
                if waiting == 0 and states.get("COMPLETED", 0) >= (wave + 1) * total:
                    break
                time.sleep(0.5)
            drained = time.time() - t0
            time.sleep(5)  # let the process settle before reading its memory
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
            wrong = 0
            for eid, output, inp in con.execute("SELECT id, output, input FROM executions WHERE state = 'COMPLETED'"):
                n = json.loads(inp)["n"]
                if json.loads(output) != f"HELLO, {n}":
                    wrong += 1
            completed = con.execute("SELECT COUNT(*) FROM executions WHERE state = 'COMPLETED'").fetchone()[0]
            con.close()
            waves.append({"executions": len(ids), "seconds_to_queue": round(queued, 1), "seconds_to_drain": round(drained, 1),
                          "executions_per_second": round(len(ids) / drained, 1), "peak_unfinished": peak_queue,
                          "completed_in_store": completed, "wrong_outputs": wrong,
                          "rss_mib_after_drain": round(rss_kib(server.pid) / 1024, 1),
                          "rss_mib_peak_during": round(max(r for t, r in samples if t >= t0) / 1024, 1)})
        alive = server.poll() is None
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    first = waves[0]["rss_mib_after_drain"] if waves else 0
    flat = all(w["rss_mib_after_drain"] <= first * (1 + o.tolerance) for w in waves[1:])
    complete = all(w["completed_in_store"] >= (i + 1) * total and w["wrong_outputs"] == 0 for i, w in enumerate(waves))
    summary = {"sessions": o.sessions, "executions_per_wave": total, "seconds_to_open_sessions": round(opened, 1),
               "waves": waves, "memory_flat": flat, "all_completed": complete, "server_alive": alive, "work_dir": work}
    print(json.dumps(summary, indent=2))
    return 0 if flat and complete and alive else 1


if __name__ == "__main__":
    sys.exit(main())
