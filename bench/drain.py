#!/usr/bin/env python3
"""drain.py - how fast workers empty a queue, independent of how fast a client can submit.

  python3 bench/drain.py submit --base-url URL --workflow hello_world --body '"World"' -n 2000
  (start the workers)
  python3 bench/drain.py wait --base-url URL -n 2000 --baseline B [--timeout 300]    # B: "baseline" of submit

`submit` queues N async runs over 8 keep-alive connections (http.client in threads: the server is not the limit)
while no worker is connected, and prints the time it took. `wait` runs right after the workers are started: it
polls the server's /metrics every 20 ms until flux_executions{state="completed"} has grown by N (failed or
cancelled executions end it with an error), and prints N / seconds, workers' start-up included. async_burst.py
measures submission and execution together, and on a 2-core machine its Python client is the limit (about 200
submissions/s, a full core); this measures the server and its workers alone.
"""
import argparse, concurrent.futures, http.client, json, re, sys, threading, time, urllib.parse

def metrics(base):
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    def state(name):
        m = re.search(r'^flux_executions\{state="%s"\} ([0-9.e+]+)$' % name, text, re.M)
        return int(float(m.group(1))) if m else 0
    return state("completed"), state("failed") + state("cancelled")

def calls(a, method, paths, body=None):
    """Sends the requests over 8 keep-alive connections; answers their JSON bodies (raises on a non-2xx)."""
    u = urllib.parse.urlsplit(a.base_url)
    local = threading.local()
    def one(path):
        if not hasattr(local, "c"):
            local.c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        local.c.request(method, path, body=body, headers={"Content-Type": "application/json"})
        r = local.c.getresponse()
        data = r.read()
        if not 200 <= r.status < 300:
            raise SystemExit(f"drain: {method} {path} answered {r.status}: {data[:200]!r}")
        return json.loads(data)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, paths))

def submit(a):
    path = a.route.replace("{workflow}", a.workflow)
    baseline = 0 if a.ids_out else metrics(a.base_url)[0]
    started = time.perf_counter()
    answers = calls(a, "POST", [path] * a.n, a.body.encode())
    took = time.perf_counter() - started
    if a.ids_out:
        with open(a.ids_out, "w") as f:
            json.dump([x["execution_id"] for x in answers], f)
    print(json.dumps({"phase": "submit", "n": a.n, "seconds": round(took, 3), "per_s": round(a.n / took, 1), "baseline": baseline}))

def statuses(a, ids):
    """(completed, failed or cancelled) of the executions `ids`, read one by one (a server without /metrics)."""
    answers = calls(a, "GET", [a.status_route.replace("{workflow}", a.workflow).replace("{execution_id}", i) for i in ids])
    states = [x.get("state") or x.get("status") for x in answers]
    return sum(s == "COMPLETED" for s in states), sum(s in ("FAILED", "CANCELLED") for s in states)

def wait(a):
    started = time.perf_counter()
    base_completed = a.baseline
    ids = json.load(open(a.ids)) if a.ids else None
    while True:
        completed, bad = statuses(a, ids) if ids else metrics(a.base_url)
        if bad:
            raise SystemExit(f"drain: {bad} executions failed or were cancelled")
        if completed - base_completed >= a.n:
            break
        if time.perf_counter() - started > a.timeout:
            raise SystemExit(f"drain: only {completed - base_completed} of {a.n} completed in {a.timeout} s")
        time.sleep(0.02)
    took = time.perf_counter() - started
    print(json.dumps({"phase": "drain", "n": a.n, "seconds": round(took, 3), "executions_per_s": round(a.n / took, 1)}))

parser = argparse.ArgumentParser()
parser.add_argument("phase", choices=["submit", "wait"])
parser.add_argument("--base-url", required=True)
parser.add_argument("--workflow", default="hello_world")
parser.add_argument("--body", default='"World"')
parser.add_argument("-n", type=int, default=2000)
parser.add_argument("--baseline", type=int, default=0, help="completed executions before the submission (submit prints it)")
parser.add_argument("--timeout", type=float, default=300)
parser.add_argument("--route", default="/workflows/{workflow}/run/async", help="submit: the async run route")
parser.add_argument("--ids-out", help="submit: write the execution ids here (for a server without /metrics)")
parser.add_argument("--ids", help="wait: poll these executions' status instead of /metrics")
parser.add_argument("--status-route", default="/workflows/{workflow}/status/{execution_id}")
a = parser.parse_args()
submit(a) if a.phase == "submit" else wait(a)
