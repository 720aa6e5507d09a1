#!/usr/bin/env python3
"""Crash-loop harness: proves that executions survive SIGKILL at random moments.

It registers a 10-step workflow document whose every step is an `exec` of `sh` that appends one line
`<tag> <step> <attempt> <pid>` to a ledger file outside the store, then prints `<tag>-<step>`. It starts
executions, kills the serving process group with SIGKILL at a random moment, reads what the store had
recorded at that instant, restarts (the restart recovers: `flux start mcp` / `flux start server` recover at
start, `flux recover` recovers and waits; server+workers: see below), and repeats until the number of kills is
reached; then it lets everything finish and checks:

  1. every execution it started (and any other the store holds) is COMPLETED with the right output;
  2. none is lost: every execution id a door acknowledged is in the store;
  3. a step whose TASK_COMPLETED was recorded at a kill never appears in the ledger after that kill;
  4. a step appears twice in the ledger only if a kill fell between the two lines while the step was in
     flight (written to the ledger, completion not recorded): at-least-once, never more.

Modes (--mode): `embedded` (`flux start mcp` over stdio, alternating with `flux recover`), `server`
(`flux start server`, REST), and `server+workers`:

server+workers. One `flux start server` with `workers.embedded = false` (it runs nothing itself), a bootstrap token,
and short leases (--lease-timeout 3 s, --heartbeat-interval 0.5 s, so that takeovers happen within a round or two),
on a fixed port; --workers N (2) `flux start worker wI --server-url …` processes, each in its own process group and
directory (a worker opens no store: the server is the only process that opens the SQLite file). Executions are
started with `POST /workflows/crash_loop/run/async` on the server; the step's `exec` runs on the worker, so the
ledger's pid column is the worker's pid. Each round restarts whatever is dead (the server first, on the same port;
a restarted worker is a new incarnation of the same name), submits a batch, waits a random moment and kills, at
random (--p-server 0.4, --p-worker 0.4, else everything), the server, one worker, or all of them, with the same
discipline (SIGSTOP every victim, SIGKILL them, their groups and their step programs, reap, wait until gone).
Recovery: a killed worker's executions are offered to another worker once its lease lapses; a killed server
recovers at start and the surviving workers reconnect and keep (or, if their lease lapsed, lose) what they hold;
after "everything", the new workers take over once the dead incarnations' leases lapse.

What makes the checks sound while survivors keep running:
  - check 3: after a kill the harness reads the ledger's length (`start`), then the store's TASK_COMPLETED, then
    the ledger's length again (`check`), and flags a recorded step's line only at or after `check`. A line there
    was written after the store was read, hence after that completion was recorded: a genuine re-run, whichever
    process wrote it. (When only a worker is killed, the server and the other worker keep recording; reading the
    store before taking `check` is what keeps their new completions from being mistaken for re-runs.)
  - check 4: a worker kill explains a second line only if the first was written by that worker (pid column) before
    the kill and the second after it. A server kill (or everything) explains a second line if the first was written
    before the kill's window closed and the second after the kill, where the window closes once the restarted
    server has been up for lease_timeout + 2 heartbeats: a worker keeps running steps while the server is down,
    cannot record them, and gives an execution up (or sees its lease taken over after the restart) within that
    time. A re-run outside every such window, or a recorded step run again, is a violation.

Prints a JSON summary on stdout; exit 0 when there are no violations, 1 otherwise, 2 on a harness error.
Usage:
  scripts/crash-loop.py --flux .build/release/flux --mode server --kills 500 --seed 1
  scripts/crash-loop.py --flux .build/release/flux --mode server+workers --workers 2 --kills 500 --seed 1
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

STEPS = [f"s{i:02d}" for i in range(1, 11)]

# $1 tag, $2 step, $3 ledger. The attempt is 1 + the lines already in the ledger for this step of this execution
# (a step never runs in two processes at once, so the count and the append do not race). $PPID is the flux process
# that runs the step: the serving process, or in server+workers the worker.
STEP_SCRIPT = (
    'n=$(grep -c "^$1 $2 " "$3"); '
    'printf "%s %s %s %s\\n" "$1" "$2" "$((n + 1))" "$PPID" >> "$3"; '
    'printf "%s-%s" "$1" "$2"'
)


def document() -> str:
    lines = [
        "flux: 1",
        "name: crash_loop",
        "description: Ten exec steps, each appending (tag, step, attempt, pid) to a ledger outside the store",
        "input:",
        "  type: object",
        "  properties: { tag: { type: string }, ledger: { type: string } }",
        "  required: [tag, ledger]",
        "steps:",
    ]
    for step in STEPS:
        lines += [
            f"  - id: {step}",
            "    exec:",
            "      command: sh",
            f"      args: [\"-c\", {json.dumps(STEP_SCRIPT)}, \"step\", \"${{{{ input.tag }}}}\", \"{step}\", \"${{{{ input.ledger }}}}\"]",
        ]
    lines.append("output:")
    for step in STEPS:
        lines.append(f"  - \"${{{{ steps.{step}.output.stdout }}}}\"")
    return "\n".join(lines) + "\n"


def expected_output(tag: str) -> list:
    return [f"{tag}-{step}" for step in STEPS]


class HarnessError(Exception):
    pass


class Store:
    """Reads the SQLite file directly (read-only): the ground truth at the instant of a kill."""

    def __init__(self, path: str):
        self.path = path

    def connect(self):
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        db.execute("PRAGMA query_only = 1")
        return db

    def snapshot(self):
        """{execution_id: (tag, state, output)} and the set of (tag, step) whose TASK_COMPLETED is recorded."""
        db = self.connect()
        try:
            executions = {}
            for eid, state, input_text, output_text in db.execute(
                    "SELECT id, state, input, output FROM executions WHERE workflow_name = 'crash_loop'"):
                tag = json.loads(input_text).get("tag") if input_text else None
                executions[eid] = (tag, state, json.loads(output_text) if output_text else None)
            completed = set()
            tags = {eid: v[0] for eid, v in executions.items()}
            for eid, name in db.execute(
                    "SELECT execution_id, name FROM execution_events WHERE type = 'TASK_COMPLETED'"):
                if eid in tags and name in STEPS:
                    completed.add((tags[eid], name))
            return executions, completed
        finally:
            db.close()

    def integrity(self) -> str:
        db = self.connect()
        try:
            return db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            db.close()


class Ledger:
    """The ledger file, read incrementally: [(offset, tag, step, attempt, pid)] in file order."""

    def __init__(self, path: str):
        self.path = path
        open(path, "a").close()
        self.parsed = []
        self.read_to = 0

    def size(self) -> int:
        return os.path.getsize(self.path)

    def lines(self):
        with open(self.path, "rb") as f:
            f.seek(self.read_to)
            data = f.read()
        offset = self.read_to
        for raw in data.split(b"\n")[:-1]:
            parts = raw.decode().split()
            if len(parts) != 4:
                raise HarnessError(f"ledger line at byte {offset} is malformed: {raw!r}")
            self.parsed.append((offset, parts[0], parts[1], int(parts[2]), int(parts[3])))
            offset += len(raw) + 1
        self.read_to = offset
        return self.parsed


def process_table():
    """{pid: (parent pid, state)} of every process (Linux /proc)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1:
            table[int(entry)] = (int(fields[1]), fields[0])
    return table


def descendants(pid: int):
    table = process_table()
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, (ppid, _) in table.items() if ppid == parent]
        found += children
        frontier += children
    return found


def any_alive(pids) -> bool:
    table = process_table()
    return any(p in table and table[p][1] != b"Z" for p in pids)


def kill_together(processes):
    """SIGKILL the processes and every program they started (their step programs run in process groups of their
    own, so a group kill alone would leave them writing to the ledger after the kill). SIGSTOP every one of them
    first, so that the lists of descendants cannot change while they are taken and none of them runs code in
    between; then SIGKILL, reap, and wait until none is alive. Answers the pids killed (the processes and their
    descendants)."""
    pids = [process.popen.pid for process in processes]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            pass
    victims = [child for pid in pids for child in descendants(pid)]
    for target in [*pids, *victims]:
        try:
            os.kill(target, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # Reap them: an unreaped (zombie) owner still looks alive to the next process's recovery.
    for process in processes:
        process.popen.wait()
    # SIGKILL is delivered asynchronously: a step on the other core may still be finishing a write. Only once
    # none of them is alive is the ledger's length the length at the kill.
    deadline = time.time() + 10
    while any_alive([*pids, *victims]) and time.time() < deadline:
        time.sleep(0.001)
    for process in processes:
        process.log.close()
    return set(pids) | set(victims)


class Process:
    """One flux process in its own process group (so SIGKILL also takes the step it is running)."""

    def __init__(self, args, cwd, env, log_path, stdin=False):
        self.log = open(log_path, "ab")
        self.log.write(f"\n=== {' '.join(args)} at {time.time():.3f}\n".encode())
        self.log.flush()
        self.popen = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdin else subprocess.DEVNULL, stderr=self.log, start_new_session=True)

    def kill(self):
        """SIGKILL the process and every program it started (see kill_together)."""
        return kill_together([self])

    def alive(self) -> bool:
        return self.popen.poll() is None


class MCPStdio:
    """A minimal JSON-RPC client over the process's stdin/stdout."""

    def __init__(self, process: Process):
        self.process = process
        self.next_id = 1
        self.buffer = b""

    def request(self, method, params, timeout=30.0):
        rid = self.next_id
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}
        self.process.popen.stdin.write((json.dumps(message) + "\n").encode())
        self.process.popen.stdin.flush()
        deadline = time.time() + timeout
        fd = self.process.popen.stdout.fileno()
        import select
        while time.time() < deadline:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                try:
                    answer = json.loads(line)
                except ValueError:
                    continue
                if answer.get("id") == rid:
                    return answer
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise HarnessError(f"flux start mcp closed its output while answering {method}")
                self.buffer += chunk
        raise HarnessError(f"no answer to {method} within {timeout} s")

    def notify(self, method):
        self.process.popen.stdin.write((json.dumps({"jsonrpc": "2.0", "method": method}) + "\n").encode())
        self.process.popen.stdin.flush()


class Harness:
    def __init__(self, options):
        self.o = options
        self.rng = random.Random(options.seed)
        self.dir = options.work_dir or tempfile.mkdtemp(prefix="flux-crash-loop-")
        os.makedirs(self.dir, exist_ok=True)
        self.flux = os.path.abspath(options.flux)
        self.db_path = os.path.join(self.dir, ".flux", "flux.db")
        self.ledger = Ledger(os.path.join(self.dir, "ledger.txt"))
        self.log_path = os.path.join(self.dir, "flux-stderr.log")
        self.store = Store(self.db_path)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FLUX_")}
        self.env["FLUX_SECURITY__EXEC_ALLOWLIST"] = '["sh"]'
        self.env["FLUX_STORE__SYNCHRONOUS"] = options.synchronous
        self.env["FLUX_LOG_LEVEL"] = "info"
        self.acknowledged = {}   # execution id -> tag
        self.tags = 0
        # One dict per kill: target ("process" in the single-process modes; "server", "worker" or "all"), start (the
        # ledger's length once every victim was gone), check (its length after the store was read), end (where the
        # kill's consequences may still show: see the module docstring), pids (a worker kill: the pids killed, the
        # only ones whose lines it can explain; None: any), in_flight (steps written, not recorded complete).
        self.kills = []
        self.completed_at = {}   # (tag, step) -> index of the first kill at which its TASK_COMPLETED was recorded
        self.written = {}        # (tag, step) -> pids that wrote it to the ledger, as far as read
        self.seen_lines = 0
        self.current = None      # the flux process running now (single-process modes)
        self.server = None       # server+workers: the server process, or None while it is dead
        self.workers = {}        # server+workers: worker name -> its process, or None while it is dead
        self.port = None
        self.exits = []          # server+workers: processes that exited without being killed
        self.restarts = {"flux start mcp": 0, "flux recover": 0, "flux start server": 0, "flux start worker": 0}
        self.started = time.time()
        if options.mode == "server+workers":
            self.server_log = os.path.join(self.dir, "server-stderr.log")
            self.worker_dir = os.path.join(self.dir, "workers")   # not the store's directory: a worker opens no store
            os.makedirs(self.worker_dir, exist_ok=True)
            self.env["FLUX_WORKERS__BOOTSTRAP_TOKEN"] = "crash-loop-" + "".join(self.rng.choice("0123456789abcdef") for _ in range(32))
            self.env["FLUX_WORKERS__HEARTBEAT_INTERVAL"] = str(options.heartbeat_interval)
            self.env["FLUX_WORKERS__LEASE_TIMEOUT"] = str(options.lease_timeout)
            self.server_env = dict(self.env, FLUX_WORKERS__EMBEDDED="false")
            self.workers = {f"w{i + 1}": None for i in range(options.workers)}
            # A settle time after a server restart: by then every lease the outage let lapse was renewed by a
            # heartbeat or taken over, and every worker that gave up an execution during the outage has stopped.
            self.settle = options.lease_timeout + 2 * options.heartbeat_interval

    # ---- helpers

    def flux_run(self, *args, timeout=120):
        done = subprocess.run([self.flux, *args], cwd=self.dir, env=self.env, capture_output=True, timeout=timeout)
        if done.returncode != 0:
            raise HarnessError(f"flux {' '.join(args)} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
        return done.stdout.decode()

    def new_inputs(self, count):
        inputs = []
        for _ in range(count):
            self.tags += 1
            inputs.append({"tag": f"t{self.tags:05d}", "ledger": self.ledger.path})
        return inputs

    def unfinished(self):
        executions, _ = self.store.snapshot()
        return [eid for eid, (_, state, _) in executions.items() if state != "COMPLETED"]

    def sample(self):
        """Closes the window of every server or whole-cluster kill whose settle time has passed."""
        now, offset = time.time(), self.ledger.size()
        for kill in self.kills:
            if kill["end"] is None and kill.get("settle_at") is not None and now >= kill["settle_at"]:
                kill["end"] = offset

    # ---- one process of each kind

    def start_mcp(self, submit):
        process = self.current = Process([self.flux, "start", "mcp", "--transport", "stdio"], self.dir, self.env, self.log_path, stdin=True)
        self.restarts["flux start mcp"] += 1
        client = MCPStdio(process)
        answer = client.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                               "clientInfo": {"name": "crash-loop", "version": "1"}})
        if "result" not in answer:
            raise HarnessError(f"initialize failed: {answer}")
        client.notify("notifications/initialized")
        for data in submit:
            answer = client.request("tools/call", {"name": "execute_workflow_async",
                                                   "arguments": {"workflow_name": "crash_loop", "input_data": data}})
            content = (answer.get("result") or {}).get("structuredContent") or {}
            eid = content.get("execution_id")
            if not eid:
                raise HarnessError(f"execute_workflow_async gave no execution id: {answer}")
            self.acknowledged[eid] = data["tag"]
        return process

    def start_recover(self):
        self.restarts["flux recover"] += 1
        process = self.current = Process([self.flux, "recover"], self.dir, self.env, self.log_path)
        return process

    def start_server(self, submit):
        process = self.current = Process([self.flux, "start", "server", "--host", "127.0.0.1", "--port", "0"], self.dir, self.env, self.log_path)
        self.restarts["flux start server"] += 1
        port = self.wait_for_port(process, self.log_path)
        self.submit_rest(port, submit)
        return process

    def submit_rest(self, port, submit):
        for data in submit:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/workflows/crash_loop/run/async", data=json.dumps(data).encode(),
                headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=30) as response:
                body = json.loads(response.read())
            eid = body.get("execution_id")
            if response.status != 202 or not eid:
                raise HarnessError(f"POST run/async answered {response.status}: {body}")
            self.acknowledged[eid] = data["tag"]

    def wait_for_port(self, process, log_path, timeout=60):
        deadline = time.time() + timeout
        pattern = re.compile(rb"listening on http://[^:\s]+:(\d+)")
        while time.time() < deadline:
            with open(log_path, "rb") as f:
                f.seek(max(0, os.path.getsize(log_path) - 65536))
                tail = f.read()
            marker = tail.rfind(b"=== ")
            found = pattern.findall(tail[marker:] if marker >= 0 else tail)
            if found:
                return int(found[-1])
            if not process.alive():
                raise HarnessError(f"flux start server exited with {process.popen.returncode} before listening; see {log_path}")
            time.sleep(0.02)
        raise HarnessError("flux start server did not log its address in time")

    def start(self, submit, recover):
        if self.o.mode == "server":
            return self.start_server(submit)
        return self.start_recover() if recover else self.start_mcp(submit)

    # ---- server+workers: one server that runs nothing itself, N workers, each its own process group

    def ensure_server(self):
        """Starts the server if it is dead, on the port the workers know; answers True if it had to."""
        if self.server is not None:
            return False
        if self.port is None:
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
            probe.close()
        for attempt in range(50):
            process = Process([self.flux, "start", "server", "--host", "127.0.0.1", "--port", str(self.port)],
                              self.dir, self.server_env, self.server_log)
            self.restarts["flux start server"] += 1
            try:
                self.wait_for_port(process, self.server_log)
                break
            except HarnessError:
                # The killed server's port can take a moment to be free again (or another program took it).
                kill_together([process])
                with open(self.server_log, "rb") as f:
                    f.seek(max(0, os.path.getsize(self.server_log) - 4096))
                    tail = f.read().lower()
                if attempt == 49 or b"address" not in tail:
                    raise
                time.sleep(0.2)
        self.server = process
        ready = time.time()
        for kill in self.kills:
            if kill["target"] in ("server", "all") and kill.get("settle_at") is None:
                kill["settle_at"] = ready + self.settle
        return True

    def ensure_workers(self):
        for name, process in self.workers.items():
            if process is None:
                self.workers[name] = Process(
                    [self.flux, "start", "worker", name, "--server-url", f"http://127.0.0.1:{self.port}",
                     "--concurrency", str(self.o.worker_concurrency)],
                    self.worker_dir, self.env, os.path.join(self.dir, f"worker-{name}-stderr.log"))
                self.restarts["flux start worker"] += 1

    def kill_cluster(self, target):
        """Kills the server, one worker (at random), or everything, and answers the pids killed."""
        if target == "server":
            victims, self.server = [self.server], None
        elif target == "worker":
            name = self.rng.choice(sorted(self.workers))
            victims, self.workers[name] = [self.workers[name]], None
        else:
            victims = [self.server, *self.workers.values()]
            self.server, self.workers = None, {name: None for name in self.workers}
        return kill_together(victims)

    def notice_exits(self):
        """A server or worker that exited without being killed is a finding (each is reported as a violation);
        it is restarted like a killed one."""
        if self.server is not None and not self.server.alive():
            self.exits.append(f"flux start server exited by itself with status {self.server.popen.returncode} (see server-stderr.log)")
            self.server.log.close()
            self.server = None
        for name, process in self.workers.items():
            if process is not None and not process.alive():
                self.exits.append(f"worker {name} exited by itself with status {process.popen.returncode} (see worker-{name}-stderr.log)")
                process.log.close()
                self.workers[name] = None

    def all_processes(self):
        return [p for p in [self.current, self.server, *self.workers.values()] if p is not None]

    # ---- the loop

    def record_kill(self, target, pids=None):
        """After the victims are gone: the ledger's length, then what the store has recorded complete, then the
        ledger's length again. Reading the store before the second length is what makes the check of a recorded
        step sound while survivors (other workers, the server) keep running: a line after `check` was written after
        the store was read, so after every completion that read saw."""
        start = self.ledger.size()
        _, completed = self.store.snapshot()
        check = self.ledger.size()
        index = len(self.kills)
        for key in completed:
            self.completed_at.setdefault(key, index)
        lines = self.ledger.lines()
        for _, tag, step, _, pid in lines[self.seen_lines:]:
            self.written.setdefault((tag, step), set()).add(pid)
        self.seen_lines = len(lines)
        in_flight = sum(1 for key, writers in self.written.items()
                        if key not in completed and (pids is None or writers & pids))
        self.kills.append({"target": target, "start": start, "check": check, "pids": pids, "in_flight": in_flight,
                           "end": start if target in ("process", "worker") else None})

    def run(self):
        try:
            return self.loop()
        finally:
            # Whatever happens to the harness, leave no flux process behind.
            alive = [p for p in self.all_processes() if p.alive()]
            if alive:
                kill_together(alive)

    def loop(self):
        with open(os.path.join(self.dir, "crash_loop.yaml"), "w") as f:
            f.write(document())
        self.flux_run("workflow", "register", "crash_loop.yaml")
        if self.o.mode == "server+workers":
            return self.loop_workers()
        while len(self.kills) < self.o.kills:
            backlog = len(self.unfinished())
            # Embedded mode: one restart in five is `flux recover`, which submits nothing.
            recover = self.o.mode == "embedded" and self.rng.random() < 0.2
            wanted = backlog < self.o.max_backlog and self.tags < self.o.max_executions and not recover
            submit = self.new_inputs(self.o.batch) if wanted else []
            process = self.current = self.start(submit, recover)
            time.sleep(self.rng.uniform(self.o.min_delay, self.o.max_delay))
            process.kill()
            self.record_kill("process")
            if self.o.verbose:
                print(f"kill {len(self.kills)}: {len(self.acknowledged)} started, backlog {backlog}, "
                      f"{self.kills[-1]['in_flight']} step(s) in flight", file=sys.stderr)
        # Let everything finish in one last process, not killed.
        process = self.current = self.start_server([]) if self.o.mode == "server" else self.start_mcp([])
        deadline = time.time() + self.o.finish_timeout
        while self.unfinished() and time.time() < deadline:
            time.sleep(0.2)
        process.kill()
        return self.verify()

    def loop_workers(self):
        targets = ["server", "worker", "all"]
        weights = [self.o.p_server, self.o.p_worker, 1 - self.o.p_server - self.o.p_worker]
        while len(self.kills) < self.o.kills:
            self.sample()
            self.notice_exits()
            self.ensure_server()
            self.ensure_workers()
            backlog = len(self.unfinished())
            if backlog < self.o.max_backlog and self.tags < self.o.max_executions:
                self.submit_rest(self.port, self.new_inputs(self.o.batch))
            time.sleep(self.rng.uniform(self.o.min_delay, self.o.max_delay))
            self.sample()
            target = self.rng.choices(targets, weights)[0]
            pids = self.kill_cluster(target)
            self.record_kill(target, pids if target == "worker" else None)
            if self.o.verbose:
                print(f"kill {len(self.kills)} ({target}): {len(self.acknowledged)} started, backlog {backlog}, "
                      f"{self.kills[-1]['in_flight']} step(s) in flight", file=sys.stderr)
        # Let everything finish: the server and every worker, not killed.
        self.ensure_server()
        self.ensure_workers()
        deadline = time.time() + self.o.finish_timeout
        while self.unfinished() and time.time() < deadline:
            self.sample()
            time.sleep(0.2)
        self.sample()
        self.notice_exits()
        kill_together(self.all_processes())
        self.server, self.workers = None, {name: None for name in self.workers}
        return self.verify()

    # ---- the checks

    def explains(self, k, kill, previous, following, first_completed):
        """Whether kill k explains a step's second line `following` after `previous`: the step was not recorded
        complete at the kill, and the kill could have interrupted the run that wrote `previous`."""
        if first_completed is not None and k >= first_completed:
            return False
        if kill["pids"] is not None and previous[2] not in kill["pids"]:
            return False
        # A kill of one process (the single-process modes, one worker) is an instant: end == start. A kill of the
        # server lasts until its settle time after the restart (a run written before then may still lose its lease).
        end = kill["end"] if kill["end"] is not None else self.ledger.size()
        return previous[0] < end and following[0] >= kill["start"]

    def claims(self):
        """WORKFLOW_CLAIMED events per crash_loop execution (server+workers: who ran what)."""
        db = self.store.connect()
        try:
            return dict(db.execute(
                "SELECT e.execution_id, COUNT(*) FROM execution_events e JOIN executions x ON x.id = e.execution_id "
                "WHERE x.workflow_name = 'crash_loop' AND e.type = 'WORKFLOW_CLAIMED' GROUP BY e.execution_id").fetchall())
        finally:
            db.close()

    def verify(self):
        violations = list(self.exits)
        executions, _ = self.store.snapshot()
        integrity = self.store.integrity()
        if integrity != "ok":
            violations.append(f"integrity_check: {integrity}")
        for eid, tag in self.acknowledged.items():
            if eid not in executions:
                violations.append(f"lost: execution {eid} ({tag}) was acknowledged but is not in the store")
        for eid, (tag, state, output) in executions.items():
            if state != "COMPLETED":
                violations.append(f"execution {eid} ({tag}) ended {state}, not COMPLETED")
            elif output != expected_output(tag):
                violations.append(f"execution {eid} ({tag}) has output {output!r}, expected {expected_output(tag)!r}")
        lines = self.ledger.lines()
        by_step = {}
        for offset, tag, step, attempt, pid in lines:
            by_step.setdefault((tag, step), []).append((offset, attempt, pid))
        for (tag, step), entries in by_step.items():
            for i, (offset, attempt, pid) in enumerate(entries):
                if attempt != i + 1:
                    violations.append(f"{tag} {step}: line {i + 1} says attempt {attempt}")
            first_completed = self.completed_at.get((tag, step))
            for previous, following in zip(entries, entries[1:]):
                if not any(self.explains(k, kill, previous, following, first_completed) for k, kill in enumerate(self.kills)):
                    violations.append(f"{tag} {step}: ran again (attempt {following[1]}, pid {following[2]}) with no kill "
                                      f"that explains it since attempt {previous[1]} (pid {previous[2]}) while the step was in flight")
            if first_completed is not None:
                boundary = self.kills[first_completed]["check"]
                for offset, attempt, pid in entries:
                    if offset >= boundary:
                        violations.append(f"{tag} {step}: completion was recorded at kill {first_completed + 1} but it ran "
                                          f"again (attempt {attempt}, pid {pid})")
        for eid, (tag, state, _) in executions.items():
            for step in STEPS:
                if state == "COMPLETED" and (tag, step) not in by_step:
                    violations.append(f"execution {eid} ({tag}) completed but step {step} never ran")
        duplicates = sum(len(v) - 1 for v in by_step.values())
        summary = {
            "mode": self.o.mode,
            "synchronous": self.o.synchronous,
            "seed": self.o.seed,
            "kills": len(self.kills),
            "kills_with_a_step_in_flight": sum(1 for k in self.kills if k["in_flight"] > 0),
            "restarts": {k: v for k, v in self.restarts.items() if v},
            "executions_acknowledged": len(self.acknowledged),
            "executions_in_store": len(executions),
            "executions_completed": sum(1 for v in executions.values() if v[1] == "COMPLETED"),
            "ledger_lines": len(lines),
            "steps_run_twice": duplicates,
            "integrity_check": integrity,
            "violations": len(violations),
            "first_violations": violations[:20],
            "seconds": round(time.time() - self.started, 1),
            "work_dir": self.dir,
        }
        if self.o.mode == "server+workers":
            claims = self.claims()
            summary["workers"] = len(self.workers)
            summary["lease_timeout"] = self.o.lease_timeout
            summary["heartbeat_interval"] = self.o.heartbeat_interval
            summary["kills_by_target"] = {t: sum(1 for k in self.kills if k["target"] == t) for t in ("server", "worker", "all")}
            summary["claims"] = sum(claims.values())
            summary["executions_claimed_more_than_once"] = sum(1 for n in claims.values() if n > 1)
            summary["worker_pids_in_ledger"] = len({pid for _, _, _, _, pid in lines})
        return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flux", required=True, help="the flux executable")
    parser.add_argument("--mode", choices=["embedded", "server", "server+workers"], required=True)
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--batch", type=int, default=6, help="executions started per restart")
    parser.add_argument("--max-backlog", type=int, default=40, help="start no more while this many are unfinished")
    parser.add_argument("--max-executions", type=int, default=1_000_000)
    parser.add_argument("--min-delay", type=float, default=0.05, help="least time from start to kill, in seconds")
    parser.add_argument("--max-delay", type=float, default=0.8)
    parser.add_argument("--finish-timeout", type=float, default=300)
    parser.add_argument("--workers", type=int, default=2, help="server+workers: how many `flux start worker` processes")
    parser.add_argument("--worker-concurrency", type=int, default=8, help="server+workers: executions one worker runs at once")
    parser.add_argument("--lease-timeout", type=float, default=3.0, help="server+workers: workers.lease_timeout, in seconds")
    parser.add_argument("--heartbeat-interval", type=float, default=0.5, help="server+workers: workers.heartbeat_interval")
    parser.add_argument("--p-server", type=float, default=0.4, help="server+workers: chance that a kill takes the server")
    parser.add_argument("--p-worker", type=float, default=0.4, help="server+workers: chance that it takes one worker (else everything)")
    parser.add_argument("--synchronous", choices=["normal", "full"], default="normal")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work-dir")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--cleanup", action="store_true", help="remove the work directory when there is no violation")
    options = parser.parse_args()
    try:
        summary = Harness(options).run()
    except (HarnessError, OSError, subprocess.SubprocessError, sqlite3.Error) as error:
        print(json.dumps({"error": str(error)}), flush=True)
        return 2
    ok = summary["violations"] == 0 and summary["executions_acknowledged"] > 0
    if ok and options.cleanup:
        shutil.rmtree(summary["work_dir"], ignore_errors=True)
    print(json.dumps(summary, indent=2), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
