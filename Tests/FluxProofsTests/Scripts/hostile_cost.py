#!/usr/bin/env python3
"""What hostile input costs: time, memory and disk, not only the status it gets.

Two real `flux start server` processes, each on a store of its own: one with the defaults (a 10 MiB body limit and
every default limit), one with a small body limit (64 KiB) and small execution limits. Each hostile case (large and
deep bodies, hostile documents: secret transforms, recursion, amplification, catastrophic regular expressions, `exec`
argument tricks, deny-list bypass forms) runs against one of them while this script

- asks `GET /health` every 5 ms on a connection of its own and keeps every latency,
- reads the server's resident memory (VmRSS in /proc) every 20 ms,
- sums the store's files (flux.db, -wal, -shm) before and after.

A case passes when its outcome is the expected one (a status, an execution state, a message) and its costs are
within the bounds stated below: /health p99 under 100 ms while it runs, the server's peak memory under MEMORY_BOUND,
and the store's growth under the case's own bound. Prints a JSON summary with every case's figures; exit 0 when every
case passed.

  python3 Tests/FluxProofsTests/Scripts/hostile_cost.py --flux .build/debug/flux [--only amplifier]
"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HEALTH_P99_BOUND_MS = 100.0
MEMORY_BOUND_MIB = 1024
MIB = 1 << 20
SMALL_BODY = 65536
GENEROUS = 600  # seconds: bounds a wait so a broken build fails instead of hanging; not a claim about speed

SECRET = "cost-secret-0123456789abcdef"


def doc(name, body):
    return f"flux: 1\nname: {name}\n{body}"


CHAIN = [doc(f"level{i}", f"steps:\n  - id: next\n    call: level{i + 1}\n    with: \"${{{{ input }}}}\"\n") for i in range(11)] + \
    [doc("level11", "steps:\n  - id: done\n    set: 1\n")]

DOCUMENTS = {
    "echo": doc("echo", "steps:\n  - id: size\n    set: \"${{ length(input) }}\"\n"),
    "each": doc("each", "steps:\n  - id: items\n    map:\n      over: \"${{ input }}\"\n      step:\n        set: \"${{ item }}\"\n"),
    # Every item of a map over range(input) copies a text of about 7 × input bytes: the recorded bytes grow with the
    # square of a number in the input.
    "amplifier": doc("amplifier", "input: { type: integer }\nsteps:\n  - id: text\n    set: \"${{ json(range(input)) }}\"\n"
                     "  - id: copies\n    map:\n      over: \"${{ range(input) }}\"\n      step:\n        set: \"${{ steps.text.output }}\"\n"
                     "output: \"${{ length(steps.copies.output) }}\"\n"),
    "redos": doc("redos", "input:\n  type: object\n  properties: { name: { type: string, pattern: \"^(a+)+$\" } }\nsteps:\n"
                 "  - id: hello\n    set: \"${{ input.name }}\"\n"),
    "fetch": doc("fetch", "steps:\n  - id: get\n    http: { url: \"${{ input }}\", timeout: 120s }\n"),
    "leaf": doc("leaf", "steps:\n  - id: one\n    set: 1\n"),
    "fan": doc("fan", "steps:\n  - id: each\n    map:\n      over: \"${{ range(input) }}\"\n      step:\n        call: leaf\n"
               "        with: \"${{ item }}\"\n"),
}

SECRET_TRANSFORM = doc("spell", "secrets: [API_KEY]\nsteps:\n  - id: spaced\n    set: \"${{ join(split(secrets.API_KEY, ''), ' ') }}\"\n")
SELF_CALL = doc("loop", "steps:\n  - id: again\n    call: loop\n    with: \"${{ input }}\"\n")
GIT_ALIAS = doc("git_alias", "steps:\n  - id: trick\n    exec:\n      command: git\n      args: [\"-c\", \"alias.x=!id\", \"x\"]\n")
LD_PRELOAD = doc("preload", "steps:\n  - id: trick\n    exec:\n      command: git\n      args: [\"status\"]\n      env: { LD_PRELOAD: /tmp/evil.so }\n")


class Failure(Exception):
    pass


class Server:
    """A `flux start server` on a store of its own, with what the probes need."""

    def __init__(self, flux, label, env):
        self.label = label
        self.dir = tempfile.mkdtemp(prefix=f"flux-cost-{label}-")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FLUX_")}
        self.env.update(env)
        self.flux = flux
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([flux, "start", "server", "--host", "127.0.0.1", "--port", "0"], cwd=self.dir,
                                     env=self.env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + GENEROUS
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise Failure(f"{label} server exited: {open(self.log_path).read()[-2000:]}")
            time.sleep(0.05)
        raise Failure(f"{label} server did not listen within {GENEROUS} s")

    def request(self, method, path, body=b"", headers=None, timeout=GENEROUS):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def post_json(self, path, value):
        body = value if isinstance(value, bytes) else json.dumps(value).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json"})

    def register(self, text):
        return self.request("POST", "/workflows", text.encode(), {"Content-Type": "application/yaml"})

    def store_bytes(self):
        total = 0
        for name in ("flux.db", "flux.db-wal", "flux.db-shm"):
            try:
                total += os.path.getsize(os.path.join(self.dir, ".flux", name))
            except OSError:
                pass
        return total

    def rss_bytes(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024
        except (OSError, AttributeError):
            return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Probe:
    """While a case runs: /health latencies on a connection of its own, and the server's peak memory."""

    def __init__(self, server):
        self.server = server
        self.latencies = []
        self.failures = 0
        self.peak_rss = server.rss_bytes()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.health, daemon=True), threading.Thread(target=self.memory, daemon=True)]

    def health(self):
        conn = None
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=GENEROUS)
                conn.request("GET", "/health")
                ok = conn.getresponse()
                ok.read()
                if ok.status != 200:
                    self.failures += 1
            except (OSError, http.client.HTTPException):
                self.failures += 1
                conn = None
            self.latencies.append(time.perf_counter() - started)
            self.stopping.wait(0.005)

    def memory(self):
        while not self.stopping.is_set():
            self.peak_rss = max(self.peak_rss, self.server.rss_bytes())
            self.stopping.wait(0.02)

    def __enter__(self):
        for t in self.threads:
            t.start()
        # At least a few answers before the case, so each case has a baseline in its figures.
        while len(self.latencies) < 3:
            time.sleep(0.005)
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join()

    def p99_ms(self):
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else float("inf")


class Listener:
    """A TCP listener on loopback that counts connections: the target of deny-list bypass forms."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET6 if socket.has_ipv6 else socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            self.sock.bind(("::", 0))
        except OSError:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nreached")
            conn.close()


def state_of(status, data):
    try:
        return json.loads(data).get("state")
    except ValueError:
        return None


def message_of(data):
    try:
        value = json.loads(data)
    except ValueError:
        return data[:300].decode("utf-8", "replace")
    error = value.get("error")
    if isinstance(error, dict):
        return error.get("message", "")
    output = value.get("output")
    return json.dumps(output) if output is not None else ""


class Corpus:
    def __init__(self, o):
        self.o = o
        self.results = []
        self.listener = Listener()

    # ---- the cases: each returns None when the outcome is right, else what was wrong

    def cases(self):
        d, s = "default", "small"
        big_object = lambda n: json.dumps({f"k{i}": i for i in range(n)}).encode()
        return [
            # name, server, store growth bound (bytes), body
            ("100,000-key object as a run's input", d, 32 * MIB,
             lambda srv: self.expect_state(srv.post_json("/workflows/echo/run/sync", big_object(100_000)), "COMPLETED")),
            ("200,000-key object as a run's input", d, 48 * MIB,
             lambda srv: self.expect_state(srv.post_json("/workflows/echo/run/sync", big_object(200_000)), "COMPLETED")),
            ("1,000,000-item array fed to a map", d, 32 * MIB,
             lambda srv: self.expect_failed(srv.post_json("/workflows/each/run/sync", list(range(1_000_000))), "executor.max_map_items")),
            ("body one byte over the default limit", d, MIB,
             lambda srv: self.expect_status(srv.post_json("/workflows/echo/run/sync", b"[" + b"1," * (5 * MIB) + b"1]"), 413)),
            ("JSON nested 100,000 deep", d, MIB,
             lambda srv: self.expect_status(srv.post_json("/workflows/echo/run/sync", b"[" * 100_000 + b"]" * 100_000), 400)),
            ("document of 40,000 steps at the default limit", d, 16 * MIB, self.many_steps),
            ("secret transform uploaded by a client", d, MIB,
             lambda srv: self.expect_status(srv.register(SECRET_TRANSFORM), 403)),
            ("workflow that calls itself", d, MIB, lambda srv: self.expect_status(srv.register(SELF_CALL), 400, "form a cycle")),
            ("chain of calls past the default depth", d, 4 * MIB,
             lambda srv: self.expect_failed(srv.post_json("/workflows/level0/run/sync", 1), "executor.max_call_depth")),
            # Up to 64 MiB recorded, held by the WAL and then by the database too: at most twice, plus pages.
            ("quadratic amplifier at the default recorded-bytes limit", d, 160 * MIB,
             lambda srv: self.expect_failed(srv.post_json("/workflows/amplifier/run/sync", 3200), "executor.max_recorded_bytes")),
            ("catastrophic pattern, eight requests at once", d, MIB, self.redos),
            ("deny-list bypass forms", s, MIB, self.bypass),
            ("git alias trick past an allow-list of 'git status'", s, MIB, self.git_alias),
            ("LD_PRELOAD in a step's environment", s, MIB,
             lambda srv: self.expect_status(srv.register(LD_PRELOAD), 400, "LD_PRELOAD")),
            ("fan-out past the descendant limit", s, 16 * MIB,
             lambda srv: self.expect_failed(srv.post_json("/workflows/fan/run/sync", 500), "executor.max_descendants")),
            ("body over the small limit", s, MIB,
             lambda srv: self.expect_status(srv.post_json("/workflows/echo/run/sync", big_object(10_000)), 413)),
            ("document over the small limit", s, MIB,
             lambda srv: self.expect_status(srv.register(doc("huge", "description: " + "x" * (2 * SMALL_BODY) + "\nsteps:\n  - id: a\n    set: 1\n")), 413)),
        ]

    def expect_status(self, answer, status, contains=""):
        got, data = answer
        if got != status:
            return f"status {got}, expected {status}: {data[:300]!r}"
        if contains and contains not in message_of(data):
            return f"the message does not say {contains!r}: {message_of(data)[:300]}"
        return None

    def expect_state(self, answer, state):
        status, data = answer
        return None if state_of(status, data) == state else f"status {status}, expected {state}: {data[:300]!r}"

    def expect_failed(self, answer, says):
        status, data = answer
        if state_of(status, data) != "FAILED":
            return f"status {status}, expected FAILED: {data[:300]!r}"
        return None if says in message_of(data) else f"the failure does not say {says!r}: {message_of(data)[:300]}"

    def many_steps(self, srv):
        steps = "".join(f"  - id: s{i}\n    set: {i}\n" for i in range(40_000))
        text = doc("many_steps", "steps:\n" + steps)
        if len(text) > 10 * MIB:
            return f"the document has {len(text)} bytes, over the default limit"
        status, data = srv.register(text)
        return None if status in (200, 400) and (status == 200 or message_of(data)) else f"status {status}: {data[:300]!r}"

    def redos(self, srv):
        answers = [None] * 8

        def one(i):
            answers[i] = srv.post_json("/workflows/redos/run/sync", {"name": "a" * 25 + "!"})
        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wrong = [a for a in answers if a[0] != 400 or "matching" not in message_of(a[1])]
        return f"{len(wrong)} of 8 not refused as not matching the pattern: {wrong[:1]!r}" if wrong else None

    def git_alias(self, srv):
        status, data = srv.register(GIT_ALIAS)
        if status != 200:
            return f"registering answered {status}: {data[:300]!r}"
        answer = srv.post_json("/workflows/git_alias/run/sync", None)
        if b"uid=" in answer[1]:
            return "the alias ran: " + message_of(answer[1])[:300]
        return self.expect_failed(answer, "only with the arguments its entries begin with")

    def bypass(self, srv):
        port = self.listener.port
        forms = [f"http://0.0.0.0:{port}/", f"http://0:{port}/", f"http://[::]:{port}/", f"http://127.1:{port}/",
                 f"http://2130706433:{port}/", f"http://[::ffff:127.0.0.1]:{port}/", f"http://localhost.:{port}/"]
        before = self.listener.connections
        wrong = []
        for url in forms:
            status, data = srv.post_json("/workflows/fetch/run/sync", url)
            if state_of(status, data) != "FAILED":
                wrong.append(f"{url}: {status} {data[:200]!r}")
        reached = self.listener.connections - before
        if reached:
            wrong.append(f"the listener was reached {reached} times")
        return "; ".join(wrong) or None

    # ---- the run

    def setup(self):
        flux = self.o.flux
        self.servers = {
            "default": Server(flux, "default", {}),
            "small": Server(flux, "small", {
                "FLUX_SECURITY__MAX_BODY_BYTES": str(SMALL_BODY),
                "FLUX_SECURITY__EXEC_ALLOWLIST": '["git status"]',
                "FLUX_SECURITY__HTTP_DENY_HOSTS": '["127.0.0.0/8", "::1", "localhost"]',
                "FLUX_EXECUTOR__MAX_DESCENDANTS": "200",
            }),
        }
        for srv in self.servers.values():
            for text in list(DOCUMENTS.values()) + CHAIN:
                status, data = srv.register(text)
                if status != 200:
                    raise Failure(f"registering on the {srv.label} server answered {status}: {data[:300]!r}")

    def run(self):
        self.setup()
        try:
            for name, where, store_bound, body in self.cases():
                if self.o.only and self.o.only not in name:
                    continue
                srv = self.servers[where]
                before = srv.store_bytes()
                started = time.perf_counter()
                with Probe(srv) as probe:
                    try:
                        problem = body(srv)
                    except (OSError, http.client.HTTPException) as error:
                        problem = f"the request failed: {error!r}"
                elapsed = time.perf_counter() - started
                grown = srv.store_bytes() - before
                p99 = probe.p99_ms()
                problems = [problem] if problem else []
                if p99 >= HEALTH_P99_BOUND_MS:
                    problems.append(f"/health p99 {p99:.1f} ms, over {HEALTH_P99_BOUND_MS:.0f} ms")
                if probe.failures:
                    problems.append(f"/health failed {probe.failures} times")
                if probe.peak_rss > MEMORY_BOUND_MIB * MIB:
                    problems.append(f"peak memory {probe.peak_rss / MIB:.0f} MiB, over {MEMORY_BOUND_MIB} MiB")
                if grown > store_bound:
                    problems.append(f"the store grew by {grown / MIB:.1f} MiB, over {store_bound / MIB:.0f} MiB")
                if srv.proc.poll() is not None:
                    problems.append(f"the {where} server exited with {srv.proc.returncode}")
                self.results.append({
                    "case": name, "server": where, "passed": not problems, "problems": problems,
                    "seconds": round(elapsed, 2), "health_samples": len(probe.latencies), "health_p99_ms": round(p99, 1),
                    "health_max_ms": round(max(probe.latencies) * 1000, 1), "peak_rss_mib": round(probe.peak_rss / MIB, 1),
                    "store_growth_mib": round(grown / MIB, 2), "store_bound_mib": round(store_bound / MIB, 1),
                })
                if self.o.verbose:
                    print(json.dumps(self.results[-1]), file=sys.stderr, flush=True)
        finally:
            for srv in self.servers.values():
                srv.stop()
        crashed = []
        for srv in self.servers.values():
            with open(srv.log_path, "rb") as f:
                log = f.read()
            if b"Fatal error" in log or b"Stack dump" in log:
                crashed.append(srv.log_path)
        failed = [r for r in self.results if not r["passed"]]
        ok = not failed and not crashed and len(self.results) > 0
        if ok and not self.o.keep:
            for srv in self.servers.values():
                shutil.rmtree(srv.dir, ignore_errors=True)
        return ok, {
            "cases": len(self.results), "failed": len(failed), "crash_logs": crashed,
            "bounds": {"health_p99_ms": HEALTH_P99_BOUND_MS, "peak_rss_mib": MEMORY_BOUND_MIB},
            "results": self.results,
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flux", required=True)
    parser.add_argument("--only", help="run only the cases whose name contains this")
    parser.add_argument("--keep", action="store_true", help="keep the stores even when every case passed")
    parser.add_argument("--verbose", action="store_true", help="print each case's figures on stderr as it ends")
    o = parser.parse_args()
    o.flux = os.path.abspath(o.flux)
    try:
        ok, summary = Corpus(o).run()
    except Failure as error:
        print(json.dumps({"error": str(error)}))
        return 2
    print(json.dumps(summary, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
