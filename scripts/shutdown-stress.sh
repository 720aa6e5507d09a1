#!/usr/bin/env bash
# Shutdown stress: start → load → SIGTERM, many times over, for every long-running `flux` command, several processes
# at once, on a busy machine. Every process must exit within --limit seconds (12) of its SIGTERM.
#
#   bash scripts/shutdown-stress.sh                          # 200 cycles of each command, 4 at once
#   bash scripts/shutdown-stress.sh --short                  # CI form: 10 cycles of each, 4 at once, with --burn
#   bash scripts/shutdown-stress.sh --cycles 50 --parallel 6 --burn --commands server,mcp-stdio
#   bash scripts/shutdown-stress.sh --binary .build/release/flux
#
# Commands (--commands, comma-separated; default all):
#   server      flux start server --host 127.0.0.1 --port 0        load: register two documents, run hello_world
#               (sync), start a 10-minute durable sleep (async), hold its event stream and an idle keep-alive open
#   mcp-http    flux start mcp --transport streamable-http --port 0  load: initialize, notifications/initialized,
#               tools/call health_check, then hold the session's GET /mcp stream open
#   mcp-sse     flux start mcp --transport sse --port 0            load: GET /sse, initialize and tools/call
#               health_check through /messages, answers read from the stream, which stays open
#   mcp-stdio   flux start mcp --transport stdio                   load: initialize, notifications/initialized,
#               tools/list, tools/call health_check; standard input stays open (SIGTERM, not end of input)
#   worker      flux start worker wN --server-url … --bootstrap-token …   against one shared `flux start server`
#               (FLUX_WORKERS__BOOTSTRAP_TOKEN, FLUX_WORKERS__EMBEDDED=false) in its own directory; load: the worker
#               registers and connects, and hello_world runs (sync) on the server's workers. The shared server is
#               itself SIGTERMed at the end, with its workers' streams, and reported as `server(workers)`.
#
# Each cycle runs in a fresh temporary directory (the store is its .flux/), waits up to --ready-timeout seconds
# (120) for the process's start-up line, applies the load, sends SIGTERM to the process and measures the time until
# it has exited. A process still alive --limit seconds after SIGTERM is a HANG: its thread stacks are printed
# (gdb `thread apply all bt`, plus /proc/PID/task/*/{comm,wchan,stack}), then it is killed with SIGKILL.
# A process that exited before it was ready, or never became ready, also fails its cycle.
#
# --burn runs one CPU burner (`yes >/dev/null`) per core for the whole run; without it, keep the machine busy
# another way (a parallel `swift build`, say). Everything runs on 127.0.0.1 only. Every process the script starts
# is in a process group of its own and is killed on exit (also on Ctrl-C or SIGTERM), and the temporary directory is
# removed (--keep keeps it and prints where).
#
# Output (stdout): one block per command: cycles, exit statuses, the exit-time distribution after SIGTERM (min, p50,
# p90, p99, max in ms), hangs, start-up failures and load errors; exits with status 70 (the graceful-shutdown
# backstop) with the first such `flux: graceful shutdown did not finish` line; then
# `shutdown-stress: N passed, M failed`. Exit status 0 only when every process exited within the limit (a non-zero
# exit status after SIGTERM is reported, not failed); 1 otherwise; 2 on a usage or set-up error.
#
# gdb: installed with apt-get when missing and running as root (skip with SHUTDOWN_STRESS_NO_INSTALL=1).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v gdb >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && [ -z "${SHUTDOWN_STRESS_NO_INSTALL:-}" ]; then
  echo "shutdown-stress: installing gdb (for the thread stacks of a hung process)" >&2
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdb >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdb >/dev/null 2>&1; }; } ||
    echo "shutdown-stress: could not install gdb; hung processes get /proc stacks only" >&2
fi

# The harness is Python (standard library only). It traps SIGINT, SIGTERM and SIGHUP and kills what it started.
exec python3 - "$@" <<'PY'
import argparse
import collections
import http.client
import json
import math
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ALL_COMMANDS = ["server", "mcp-http", "mcp-sse", "mcp-stdio", "worker"]
HOST = "127.0.0.1"
TOKEN = "shutdown-stress-bootstrap-token"
READY = {
    "server": re.compile(r"flux REST API listening on http://127\.0\.0\.1:(\d+)"),
    "mcp-http": re.compile(r"flux mcp listening on http://127\.0\.0\.1:(\d+)/mcp"),
    "mcp-sse": re.compile(r"flux mcp listening on http://127\.0\.0\.1:(\d+)/sse"),
    "worker": re.compile(r"connected to http://127\.0\.0\.1:\d+"),
}
BACKSTOP = "flux: graceful shutdown did not finish"
LONG_SLEEP_DOC = """flux: 1
name: stress_sleep
description: A durable sleep that is still running when the server gets SIGTERM
steps:
  - id: wait
    builtin: sleep
    with: { seconds: 600 }
output: done
"""
MCP_VERSION = "2025-06-18"


def parse_args():
    p = argparse.ArgumentParser(prog="scripts/shutdown-stress.sh",
                                description="start -> load -> SIGTERM cycles of the long-running flux commands")
    p.add_argument("--cycles", type=int, help="cycles per command (default 200; 10 with --short)")
    p.add_argument("--parallel", type=int, help="processes in flight at once (default 4)")
    p.add_argument("--burn", action="store_true", help="run a CPU burner on every core for the whole run")
    p.add_argument("--commands", default=",".join(ALL_COMMANDS), help="comma-separated: " + ",".join(ALL_COMMANDS))
    p.add_argument("--binary", default=os.environ.get("FLUX", ".build/debug/flux"),
                   help="the flux binary (default .build/debug/flux, or $FLUX)")
    p.add_argument("--short", action="store_true", help="CI form: 10 cycles per command, parallel 4, --burn")
    p.add_argument("--limit", type=float, default=12.0, help="seconds a process may take to exit after SIGTERM (12)")
    p.add_argument("--ready-timeout", type=float, default=120.0, help="seconds to wait for a process to be ready (120)")
    p.add_argument("--max-stacks", type=int, default=10, help="hangs whose gdb stacks are printed in full (10)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, stores)")
    a = p.parse_args()
    if a.short:
        a.burn = True
        a.cycles = 10 if a.cycles is None else a.cycles
    a.cycles = 200 if a.cycles is None else a.cycles
    a.parallel = 4 if a.parallel is None else a.parallel
    a.commands = [c.strip() for c in a.commands.split(",") if c.strip()]
    bad = [c for c in a.commands if c not in ALL_COMMANDS]
    if bad or not a.commands:
        p.error(f"unknown command(s) {bad}; choose from {','.join(ALL_COMMANDS)}")
    if a.cycles < 1 or a.parallel < 1 or a.limit <= 0:
        p.error("--cycles and --parallel must be 1 or more, --limit above 0")
    a.binary = os.path.abspath(a.binary)
    if not (os.path.isfile(a.binary) and os.access(a.binary, os.X_OK)):
        p.error(f"no executable flux binary at {a.binary} (build it: swift build --product flux)")
    return a


ARGS = parse_args()
ROOT = tempfile.mkdtemp(prefix="flux-shutdown-stress-")
LOCK = threading.Lock()
LIVE = {}          # pid -> Popen: every process started and not yet reaped
BURNERS = []
STOP = threading.Event()
OUT_LOCK = threading.Lock()


def say(*parts):
    with OUT_LOCK:
        print(*parts, flush=True)


def note(*parts):
    with OUT_LOCK:
        print("shutdown-stress:", *parts, file=sys.stderr, flush=True)


class Interrupted(Exception):
    pass


def on_signal(signum, _frame):
    STOP.set()
    raise Interrupted(signal.Signals(signum).name)


for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, on_signal)


def base_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUX_")}
    env["FLUX_LOG_LEVEL"] = "info"
    return env


def spawn(argv, cwd, env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL):
    errf = open(os.path.join(cwd, "stderr.log"), "wb")
    try:
        with LOCK:  # registered before cleanup() can look, or not started at all
            if STOP.is_set():
                raise RuntimeError("stopping")
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=stdin, stdout=stdout, stderr=errf,
                                    start_new_session=True)
            LIVE[proc.pid] = proc
    finally:
        errf.close()
    return proc


def reap(proc):
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    with LOCK:
        LIVE.pop(proc.pid, None)
    for f in (proc.stdin, proc.stdout):
        try:
            if f:
                f.close()
        except OSError:
            pass


def kill_group(proc):
    for target in (lambda: os.killpg(proc.pid, signal.SIGKILL), lambda: os.kill(proc.pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_ready(proc, cwd, pattern, deadline):
    """Polls the process's stderr for its start-up line. Returns (match, None) or (None, reason)."""
    path = os.path.join(cwd, "stderr.log")
    while True:
        m = pattern.search(read_text(path))
        if m:
            return m, None
        if proc.poll() is not None:
            return None, f"exited with {status_name(proc.returncode)} before it was ready"
        if time.monotonic() > deadline:
            return None, f"not ready within {ARGS.ready_timeout:g} s"
        if STOP.is_set():
            return None, "interrupted"
        time.sleep(0.05)


def status_name(code):
    if code is None:
        return "running"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return str(code)


# ---------------------------------------------------------------- load

class HeldOpen:
    """Connections (and their responses) kept open across the SIGTERM, closed after the process is gone."""
    def __init__(self):
        self.items = []

    def add(self, *objs):
        self.items.extend(objs)

    def close(self):
        for o in self.items:
            try:
                o.close()
            except Exception:
                pass
        self.items = []


def conn(port, timeout=60):
    return http.client.HTTPConnection(HOST, port, timeout=timeout)


def request(c, method, path, body=None, headers=None, expect=(200,)):
    data = body.encode() if isinstance(body, str) else body
    c.request(method, path, body=data, headers=headers or {})
    r = c.getresponse()
    payload = r.read()
    if r.status not in expect:
        raise RuntimeError(f"{method} {path}: HTTP {r.status}: {payload[:200]!r}")
    return r, payload


def sse_events(resp, deadline):
    """Yields (event, data) from a text/event-stream response."""
    event, data = None, []
    while time.monotonic() < deadline:
        line = resp.readline()
        if not line:
            return
        line = line.decode("utf-8", "replace").rstrip("\r\n")
        if line == "":
            if data:
                yield event or "message", "\n".join(data)
            event, data = None, []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))


def answer_from_stream(resp, want_id, deadline):
    for _event, data in sse_events(resp, deadline):
        try:
            msg = json.loads(data)
        except ValueError:
            continue
        if isinstance(msg, dict) and msg.get("id") == want_id:
            return msg
    raise RuntimeError(f"no answer to request {want_id} on the stream")


def check_rpc(msg, what):
    if "error" in msg:
        raise RuntimeError(f"{what}: JSON-RPC error {msg['error']}")
    result = msg.get("result")
    if isinstance(result, dict) and result.get("isError"):
        raise RuntimeError(f"{what}: tool error {json.dumps(result)[:200]}")
    return result


def initialize(rid):
    return {"jsonrpc": "2.0", "id": rid, "method": "initialize",
            "params": {"protocolVersion": MCP_VERSION, "capabilities": {},
                       "clientInfo": {"name": "shutdown-stress", "version": "1"}}}


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def health_call(rid):
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": "health_check", "arguments": {}}}


HELLO = open("examples/documents/hello_world.yaml").read()


def load_server(port, held):
    c = conn(port)
    held.add(c)  # an idle keep-alive connection at SIGTERM
    request(c, "POST", "/workflows?filename=hello_world.yaml", HELLO, {"Content-Type": "application/x-yaml"}, (200, 201))
    request(c, "POST", "/workflows?filename=stress_sleep.yaml", LONG_SLEEP_DOC, {"Content-Type": "application/x-yaml"},
            (200, 201))
    _, body = request(c, "POST", "/workflows/hello_world/run/sync", '"World"', {"Content-Type": "application/json"})
    run = json.loads(body)
    if run.get("state") != "COMPLETED" or run.get("output") != "Hello, World":
        raise RuntimeError(f"hello_world: {json.dumps(run)[:200]}")
    _, body = request(c, "POST", "/workflows/stress_sleep/run/async", "", {"Content-Type": "application/json"},
                      (200, 202))
    eid = json.loads(body)["execution_id"]
    request(c, "GET", "/health")
    s = conn(port)
    s.request("GET", f"/executions/{eid}/stream", headers={"Accept": "text/event-stream"})
    r = s.getresponse()
    if r.status != 200:
        raise RuntimeError(f"GET /executions/{eid}/stream: HTTP {r.status}")
    r.readline()  # the stream is open and has started
    held.add(r, s)


def load_mcp_http(port, held):
    deadline = time.monotonic() + 60
    base = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}

    def post(msg, session=None, version=None):
        # A connection per request: a request's answer comes on an SSE stream of its own, which is not read to its end.
        c = conn(port)
        held.add(c)
        h = dict(base)
        if session:
            h["Mcp-Session-Id"] = session
        if version:
            h["MCP-Protocol-Version"] = version
        c.request("POST", "/mcp", body=json.dumps(msg).encode(), headers=h)
        r = c.getresponse()
        if r.status not in (200, 202):
            raise RuntimeError(f"POST /mcp {msg.get('method')}: HTTP {r.status}: {r.read()[:200]!r}")
        if "id" not in msg or r.status == 202:
            r.read()  # this connection stays open, idle, across the SIGTERM
            return r, None
        if (r.getheader("Content-Type") or "").startswith("text/event-stream"):
            answer = answer_from_stream(r, msg["id"], deadline)
        else:
            answer = json.loads(r.read())
        r.close()
        c.close()
        return r, answer

    r, answer = post(initialize(1))
    session = r.getheader("Mcp-Session-Id")
    if not session:
        raise RuntimeError("initialize: no Mcp-Session-Id")
    version = check_rpc(answer, "initialize").get("protocolVersion", MCP_VERSION)
    post(INITIALIZED, session, version)
    check_rpc(post(health_call(2), session, version)[1], "health_check")
    g = conn(port)
    g.request("GET", "/mcp", headers={"Accept": "text/event-stream", "Mcp-Session-Id": session,
                                      "MCP-Protocol-Version": version})
    gr = g.getresponse()
    if gr.status != 200:
        raise RuntimeError(f"GET /mcp: HTTP {gr.status}")
    held.add(gr, g)


def load_mcp_sse(port, held):
    deadline = time.monotonic() + 60
    g = conn(port)
    g.request("GET", "/sse", headers={"Accept": "text/event-stream"})
    gr = g.getresponse()
    held.add(gr, g)
    if gr.status != 200:
        raise RuntimeError(f"GET /sse: HTTP {gr.status}")
    events = sse_events(gr, deadline)
    endpoint = None
    for event, data in events:
        if event == "endpoint":
            endpoint = data.strip()
            break
    if not endpoint:
        raise RuntimeError("GET /sse: no endpoint event")
    c = conn(port)
    held.add(c)

    def post(msg):
        request(c, "POST", endpoint, json.dumps(msg), {"Content-Type": "application/json"}, (200, 202))

    def answer(rid):
        for _event, data in events:
            try:
                msg = json.loads(data)
            except ValueError:
                continue
            if isinstance(msg, dict) and msg.get("id") == rid:
                return msg
        raise RuntimeError(f"no answer to request {rid} on /sse")

    post(initialize(1))
    check_rpc(answer(1), "initialize")
    post(INITIALIZED)
    post(health_call(2))
    check_rpc(answer(2), "health_check")


class LineReader:
    def __init__(self, f):
        self.fd = f.fileno()
        self.buf = b""

    def readline(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or STOP.is_set():
                raise RuntimeError("no answer on standard output in time")
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    raise RuntimeError("standard output closed")
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def answer(self, rid, deadline):
        while True:
            line = self.readline(deadline)
            try:
                msg = json.loads(line)
            except ValueError:
                raise RuntimeError(f"not JSON on standard output: {line[:200]!r}")
            if isinstance(msg, dict) and msg.get("id") == rid:
                return msg


def stdio_send(proc, msg):
    proc.stdin.write((json.dumps(msg) + "\n").encode())
    proc.stdin.flush()


# ---------------------------------------------------------------- one cycle

class Result:
    def __init__(self, command, cycle):
        self.command, self.cycle = command, cycle
        self.ready_ms = None
        self.exit_ms = None
        self.status = None        # exit status name, or "killed (hang)" / "-"
        self.failure = None       # why the cycle failed, or None
        self.load_error = None
        self.hang = False
        self.backstop_line = None
        self.stderr_tail = ""


def proc_stacks(pid):
    out = []
    task_dir = f"/proc/{pid}/task"
    try:
        tids = sorted(os.listdir(task_dir), key=int)
    except OSError:
        return "  (no /proc entry)"
    for tid in tids:
        comm = read_text(f"{task_dir}/{tid}/comm").strip()
        wchan = read_text(f"{task_dir}/{tid}/wchan").strip()
        stat = read_text(f"{task_dir}/{tid}/stat")
        state = stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else "?"
        out.append(f"  thread {tid} {comm!r} state {state} wchan {wchan or '-'}")
        kstack = read_text(f"{task_dir}/{tid}/stack").strip()
        for line in kstack.splitlines()[:12]:
            out.append("      " + line)
    return "\n".join(out)


HANG_COUNT = [0]


def report_hang(r, proc, cwd):
    with LOCK:
        HANG_COUNT[0] += 1
        n = HANG_COUNT[0]
    parts = [f"=== HANG #{n}: {r.command} cycle {r.cycle}, pid {proc.pid}, alive {ARGS.limit:g} s after SIGTERM ==="]
    parts.append("--- /proc threads ---")
    parts.append(proc_stacks(proc.pid))
    if n <= ARGS.max_stacks and shutil.which("gdb"):
        try:
            g = subprocess.run(
                ["gdb", "-p", str(proc.pid), "-batch", "-nx", "-ex", "set pagination off",
                 "-ex", "set print frame-arguments none", "-ex", "thread apply all bt"],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=180)
            text = g.stdout.decode("utf-8", "replace")
            lines = [l for l in text.splitlines() if l.startswith(("Thread ", "#")) or l.strip() == ""]
            parts.append("--- gdb: thread apply all bt ---")
            parts.append("\n".join(lines).strip() or g.stderr.decode("utf-8", "replace")[-2000:])
        except subprocess.TimeoutExpired:
            parts.append("--- gdb timed out after 180 s ---")
    elif n > ARGS.max_stacks:
        parts.append(f"(gdb stacks printed for the first {ARGS.max_stacks} hangs only: --max-stacks)")
    else:
        parts.append("(gdb not installed: /proc stacks only)")
    parts.append("--- stderr (last 20 lines) ---")
    parts.append("\n".join(read_text(os.path.join(cwd, "stderr.log")).splitlines()[-20:]))
    parts.append(f"=== end of HANG #{n} ===")
    say("\n".join(parts))


def terminate_and_measure(r, proc, cwd):
    """SIGTERM the process and time its exit; a process alive after --limit is a hang (stacks, then SIGKILL)."""
    pidfd = None
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        pass
    t0 = time.monotonic()
    try:
        os.kill(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    exited = False
    if pidfd is not None:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        while True:
            left = ARGS.limit - (time.monotonic() - t0)
            if left <= 0:
                break
            if poller.poll(max(1, int(left * 1000))):
                exited = True
                break
        os.close(pidfd)
        elapsed = time.monotonic() - t0
    else:
        try:
            proc.wait(timeout=ARGS.limit)
            exited = True
        except subprocess.TimeoutExpired:
            pass
        elapsed = time.monotonic() - t0
    if exited:
        proc.wait()
        r.exit_ms = elapsed * 1000
        r.status = status_name(proc.returncode)
    else:
        r.hang = True
        r.failure = f"alive {ARGS.limit:g} s after SIGTERM"
        report_hang(r, proc, cwd)
        kill_group(proc)
        r.status = "killed (hang)"
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything the process left in its group
    except (ProcessLookupError, PermissionError):
        pass
    reap(proc)
    err = read_text(os.path.join(cwd, "stderr.log"))
    for line in err.splitlines():
        if line.startswith(BACKSTOP):
            r.backstop_line = line
            break
    r.stderr_tail = "\n".join(err.splitlines()[-8:])


SHARED = {}  # the worker's server: {"proc", "port", "cwd"}


def run_cycle(command, cycle):
    r = Result(command, cycle)
    cwd = os.path.join(ROOT, f"{command}-{cycle:04d}")
    os.makedirs(cwd)
    env = base_env()
    flux = ARGS.binary
    stdin = stdout = subprocess.DEVNULL
    if command == "server":
        argv = [flux, "start", "server", "--host", HOST, "--port", "0"]
    elif command == "mcp-http":
        argv = [flux, "start", "mcp", "--transport", "streamable-http", "--host", HOST, "--port", "0"]
    elif command == "mcp-sse":
        argv = [flux, "start", "mcp", "--transport", "sse", "--host", HOST, "--port", "0"]
    elif command == "mcp-stdio":
        argv = [flux, "start", "mcp", "--transport", "stdio"]
        stdin = stdout = subprocess.PIPE
    else:
        server = SHARED.get("proc")
        if server is None or server.poll() is not None:
            r.failure = "the shared server for workers is not running"
            r.status = "-"
            return r
        argv = [flux, "start", "worker", f"w{cycle}", "--server-url", f"http://{HOST}:{SHARED['port']}",
                "--bootstrap-token", TOKEN]
    t_start = time.monotonic()
    proc = spawn(argv, cwd, env, stdin=stdin, stdout=stdout)
    held = HeldOpen()
    try:
        deadline = t_start + ARGS.ready_timeout
        port = None
        reader = None
        if command == "mcp-stdio":
            reader = LineReader(proc.stdout)
            try:
                stdio_send(proc, initialize(1))
                check_rpc(reader.answer(1, deadline), "initialize")
            except (RuntimeError, OSError) as e:
                why = f"exited with {status_name(proc.returncode)} before it was ready" if proc.poll() is not None \
                    else f"no initialize answer within {ARGS.ready_timeout:g} s ({e})"
                r.failure = why
        else:
            m, why = wait_ready(proc, cwd, READY[command], deadline)
            if m is None:
                r.failure = why
            elif command != "worker":
                port = int(m.group(1))
        if r.failure is None:
            r.ready_ms = (time.monotonic() - t_start) * 1000
            try:
                if command == "server":
                    load_server(port, held)
                elif command == "mcp-http":
                    load_mcp_http(port, held)
                elif command == "mcp-sse":
                    load_mcp_sse(port, held)
                elif command == "mcp-stdio":
                    d = time.monotonic() + 60
                    stdio_send(proc, INITIALIZED)
                    stdio_send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
                    tools = check_rpc(reader.answer(2, d), "tools/list").get("tools", [])
                    if not any(t.get("name") == "health_check" for t in tools):
                        raise RuntimeError("tools/list has no health_check")
                    stdio_send(proc, health_call(3))
                    check_rpc(reader.answer(3, d), "health_check")
                else:
                    c = conn(SHARED["port"])
                    held.add(c)
                    _, body = request(c, "POST", "/workflows/hello_world/run/sync", '"World"',
                                      {"Content-Type": "application/json"})
                    run = json.loads(body)
                    if run.get("state") != "COMPLETED":
                        raise RuntimeError(f"hello_world on the workers: {json.dumps(run)[:200]}")
            except Exception as e:  # the load is reported; the pass criterion is the exit
                r.load_error = f"{type(e).__name__}: {e}"
        if proc.poll() is not None:
            # Gone before the SIGTERM: nothing to measure.
            r.failure = r.failure or f"exited with {status_name(proc.returncode)} before the SIGTERM"
            r.status = status_name(proc.returncode)
            r.stderr_tail = "\n".join(read_text(os.path.join(cwd, "stderr.log")).splitlines()[-8:])
            reap(proc)
            return r
        terminate_and_measure(r, proc, cwd)
        return r
    finally:
        held.close()
        if proc.poll() is None:
            kill_group(proc)
        reap(proc)
        if not ARGS.keep:
            shutil.rmtree(cwd, ignore_errors=True)


def start_shared_server():
    cwd = os.path.join(ROOT, "worker-server")
    os.makedirs(cwd)
    env = base_env()
    env["FLUX_WORKERS__BOOTSTRAP_TOKEN"] = TOKEN
    env["FLUX_WORKERS__EMBEDDED"] = "false"
    proc = spawn([ARGS.binary, "start", "server", "--host", HOST, "--port", "0"], cwd, env)
    m, why = wait_ready(proc, cwd, READY["server"], time.monotonic() + ARGS.ready_timeout)
    if m is None:
        tail = "\n".join(read_text(os.path.join(cwd, "stderr.log")).splitlines()[-20:])
        raise SystemExit(f"shutdown-stress: the server for the workers {why}\n{tail}")
    port = int(m.group(1))
    c = conn(port)
    request(c, "POST", "/workflows?filename=hello_world.yaml", HELLO, {"Content-Type": "application/x-yaml"}, (200, 201))
    c.close()
    SHARED.update(proc=proc, port=port, cwd=cwd)


def stop_shared_server():
    proc = SHARED.get("proc")
    r = Result("server(workers)", 0)
    if proc is None:
        return None
    if proc.poll() is not None:
        r.failure = f"the shared server had exited with {status_name(proc.returncode)} during the run"
        r.status = status_name(proc.returncode)
        r.stderr_tail = "\n".join(read_text(os.path.join(SHARED["cwd"], "stderr.log")).splitlines()[-8:])
        reap(proc)
        return r
    r.ready_ms = None
    terminate_and_measure(r, proc, SHARED["cwd"])
    return r


# ---------------------------------------------------------------- report

def pct(sorted_values, p):
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))  # nearest rank
    return sorted_values[k]


def ms(v):
    return "-" if v is None else f"{v:.0f}"


def report(command, results):
    results = sorted(results, key=lambda r: r.cycle)
    exits = sorted(r.exit_ms for r in results if r.exit_ms is not None)
    readies = sorted(r.ready_ms for r in results if r.ready_ms is not None)
    statuses = collections.Counter(r.status for r in results)
    hangs = sum(r.hang for r in results)
    starts = [r for r in results if r.failure and not r.hang]
    loads = [r for r in results if r.load_error]
    lines = [f"{command}: {len(results)} cycles, {hangs} hang(s), {len(starts)} start-up failure(s), "
             f"{len(loads)} load error(s)"]
    lines.append("  exit statuses after SIGTERM: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    lines.append("  exit time after SIGTERM (ms): " + (
        f"min {ms(exits[0])}, p50 {ms(pct(exits, 50))}, p90 {ms(pct(exits, 90))}, p99 {ms(pct(exits, 99))}, "
        f"max {ms(exits[-1])}  (n={len(exits)})" if exits else "none measured"))
    if readies:
        lines.append(f"  start-up until ready (ms): p50 {ms(pct(readies, 50))}, max {ms(readies[-1])}")
    if starts:
        lines.append(f"  first start-up failure (cycle {starts[0].cycle}): {starts[0].failure}")
        lines.extend("    | " + l for l in starts[0].stderr_tail.splitlines())
    if loads:
        lines.append(f"  first load error (cycle {loads[0].cycle}): {loads[0].load_error}")
    odd = [r for r in results if r.status not in ("0", None, "killed (hang)", "-") and not r.hang]
    if odd:
        lines.append(f"  first non-zero exit ({odd[0].status}, cycle {odd[0].cycle}), stderr tail:")
        lines.extend("    | " + l for l in odd[0].stderr_tail.splitlines())
    say("\n".join(lines))


def start_burners():
    n = os.cpu_count() or 1
    for _ in range(n):
        BURNERS.append(subprocess.Popen(["yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True))
    return n


def cleanup():
    for b in BURNERS:
        try:
            b.kill()
            b.wait(timeout=5)
        except Exception:
            pass
    with LOCK:
        procs = list(LIVE.values())
    for p in procs:
        kill_group(p)
    for p in procs:
        try:
            p.wait(timeout=10)
        except Exception:
            pass
    if ARGS.keep:
        note(f"kept {ROOT}")
    else:
        shutil.rmtree(ROOT, ignore_errors=True)


def main():
    say(f"shutdown-stress: {ARGS.binary}; commands {','.join(ARGS.commands)}; {ARGS.cycles} cycles each; "
        f"{ARGS.parallel} in flight; limit {ARGS.limit:g} s; ready timeout {ARGS.ready_timeout:g} s; "
        f"burner {'on ' + str(os.cpu_count()) + ' core(s)' if ARGS.burn else 'off'}; "
        f"gdb {'yes' if shutil.which('gdb') else 'no'}; {os.cpu_count()} core(s)")
    if ARGS.burn:
        start_burners()
    if "worker" in ARGS.commands:
        start_shared_server()
    jobs = [(c, i) for i in range(1, ARGS.cycles + 1) for c in ARGS.commands]  # interleaved: mixed commands in flight
    jobs.reverse()
    results = collections.defaultdict(list)
    done = [0]
    t0 = time.monotonic()

    def runner():
        while not STOP.is_set():
            with LOCK:
                if not jobs:
                    return
                command, cycle = jobs.pop()
            try:
                r = run_cycle(command, cycle)
            except Exception as e:
                r = Result(command, cycle)
                r.failure, r.status = f"harness error: {type(e).__name__}: {e}", "-"
            with LOCK:
                results[command].append(r)
                done[0] += 1
                n = done[0]
            if r.failure:
                note(f"{command} cycle {cycle}: FAILED: {r.failure}")
            if n % 25 == 0:
                note(f"{n} cycles done in {time.monotonic() - t0:.0f} s")

    threads = [threading.Thread(target=runner, daemon=True) for _ in range(ARGS.parallel)]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.5)
    if "worker" in ARGS.commands:
        r = stop_shared_server()
        if r:
            results["server(workers)"].append(r)
    say(f"--- results ({time.monotonic() - t0:.0f} s) ---")
    order = [c for c in ARGS.commands] + (["server(workers)"] if "server(workers)" in results else [])
    for command in order:
        report(command, results[command])
    everything = [r for c in order for r in sorted(results[c], key=lambda r: r.cycle)]
    backstop = [r for r in everything if r.status == "70"]
    say(f"exits with status 70 (the graceful-shutdown backstop): {len(backstop)}")
    first_line = next((r for r in everything if r.backstop_line), None)
    if first_line:
        say(f"  first '{BACKSTOP}' line ({first_line.command} cycle {first_line.cycle}): {first_line.backstop_line}")
    failed = sum(1 for r in everything if r.failure)
    passed = len(everything) - failed
    say(f"shutdown-stress: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


status = 2
try:
    status = main()
except Interrupted as e:
    note(f"interrupted ({e}); cleaning up")
    status = 130
except SystemExit as e:
    if isinstance(e.code, str):
        print(e.code, file=sys.stderr)
        status = 2
    else:
        status = e.code or 0
finally:
    STOP.set()
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    cleanup()
sys.exit(status)
PY
