#!/usr/bin/env python3
"""Hostile input corpus: thousands of malformed and hostile inputs against the real binaries.

Cases come from three places: hand-written lists below (path-like names, hostile expressions, broken HTTP
framing, tokens, metadata URLs...), the 183 malformed documents of Tests/FluxDocumentsTests/Fixtures/malformed,
and families generated from a seed (the same seed gives the same cases: truncations, random bytes, mutations of
the example documents). They go to a real `flux start server` (REST), a real
`flux start mcp --transport streamable-http` and a real `flux start mcp` over stdio, all on one store.

Every case must get a clear error: an HTTP status in the expected set with a JSON error that has a message
(REST: {"error": {"code", "message"}}; MCP: a JSON-RPC error or a tool result with isError), never a 5xx, never
the value of a secret. Afterwards every process must still run and answer, and the store must be intact:
PRAGMA integrity_check is "ok" and the numbers of executions and events are what they were before the refused
cases (the few cases that legitimately run something, in phase 1, are counted before that).

Prints a JSON summary; exit 0 when every case passed. `--list` prints the case count per family and exits.
  python3 Tests/FluxProofsTests/Scripts/hostile.py --flux .build/debug/flux [--seed 7]
"""
import argparse
import base64
import http.client
import json
import os
import random
import re
import select
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
MALFORMED = os.path.join(ROOT, "Tests", "FluxDocumentsTests", "Fixtures", "malformed")
EXAMPLES = os.path.join(ROOT, "examples", "documents")

MAX_BODY = 65536
AUTH = "hostile-auth-token-0123456789"
ADMIN = "hostile-admin-token-9876543210"
MCP_TOKEN = "hostile-mcp-token-abcdef"
KEY = "hostile encryption key of some length"

GUARDED = """flux: 1
name: guarded
input:
  type: object
  properties: { name: { type: string, maxLength: 50 } }
  required: [name]
  additionalProperties: false
steps:
  - id: greet
    set: "Hello, ${{ input.name }}"
"""

EVAL = """flux: 1
name: eval
steps:
  - id: parsed
    set: "${{ fromjson(input.text) }}"
    if: "${{ input.text != null }}"
  - id: counted
    set: "${{ length(range(input.n)) }}"
    if: "${{ input.n != null }}"
  - id: product
    set: "${{ input.a * input.b }}"
    if: "${{ input.a != null }}"
  - id: indexed
    set: "${{ input.items[input.i] }}"
    if: "${{ input.items != null }}"
  - id: number
    set: "${{ tonumber(input.number) }}"
    if: "${{ input.number != null }}"
  - id: repeated
    set: "${{ join(split(input.text2, ''), input.sep) }}"
    if: "${{ input.text2 != null }}"
output: "ok"
"""

ECHO = """flux: 1
name: echo
steps:
  - id: same
    set: "${{ input }}"
"""

LEAK = """flux: 1
name: leak
secrets: [API_KEY]
steps:
  - id: direct
    set: "${{ secrets.API_KEY }}"
  - id: spelled
    set: "key=${{ secrets.API_KEY }} and ${{ input }}"
output: { direct: "${{ steps.direct.output }}", spelled: "${{ steps.spelled.output }}" }
"""

# The step's timeout only bounds a request that was not refused (a bug): a refusal comes first, however slow the
# machine (a name's resolution included).
FETCH = """flux: 1
name: fetch
steps:
  - id: get
    http: { url: "${{ input }}", timeout: 120s }
"""

EXEC = """flux: 1
name: run_program
steps:
  - id: read
    exec: { command: cat, args: ["/etc/passwd"] }
"""


class Failure(Exception):
    pass


# How long to wait for what must happen (a server listening, an answer, a command's end), in seconds. Not a claim
# about speed: it only bounds a wait so that a broken build fails instead of hanging, and is generous enough for a
# machine busy with parallel tests and a build beside them.
GENEROUS = 300


# ---------------------------------------------------------------- processes

class Proc:
    def __init__(self, args, cwd, env, stdin=False):
        self.log_path = os.path.join(cwd, f"stderr-{args[2] if len(args) > 2 else 'x'}-{time.time_ns()}.log")
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE if stdin else subprocess.DEVNULL, stderr=self.log)

    def wait_port(self, pattern):
        deadline = time.time() + GENEROUS
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                m = re.search(pattern, f.read())
            if m:
                return int(m.group(1))
            if self.p.poll() is not None:
                raise Failure(f"{self.p.args} exited {self.p.returncode} before listening: {open(self.log_path).read()[-2000:]}")
            time.sleep(0.05)
        raise Failure(f"{self.p.args} did not listen within {GENEROUS} s: {open(self.log_path).read()[-2000:]}")

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.alive():
            self.p.terminate()
            try:
                self.p.wait(60)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


class HTTP:
    """Keep-alive HTTP/1.1 client that reconnects when the server closes."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def request(self, method, path, body=b"", headers=None, timeout=GENEROUS):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
            except (http.client.HTTPException, ConnectionError, socket.timeout, OSError):
                if self.conn:
                    self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise Failure("unreachable")


# ---------------------------------------------------------------- expectations

def rest_clear_error(status, headers, data, allowed):
    if status not in allowed:
        return f"status {status}, expected {sorted(allowed)}: {data[:300]!r}"
    if status >= 400:
        try:
            body = json.loads(data)
            message = body["error"]["message"]
            code = body["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return f"status {status} without a JSON error body: {data[:300]!r}"
        if not isinstance(message, str) or len(message.strip()) < 5 or not isinstance(code, str):
            return f"status {status} with an unclear error: {data[:300]!r}"
    return None


def rpc_messages(headers, data):
    """The JSON-RPC messages of an MCP HTTP answer (JSON or an SSE stream)."""
    kind = headers.get("content-type", "")
    if "text/event-stream" in kind:
        out = []
        for line in data.decode(errors="replace").splitlines():
            if line.startswith("data:"):
                try:
                    out.append(json.loads(line[5:].strip()))
                except ValueError:
                    pass
        return out
    if not data.strip():
        return []
    try:
        parsed = json.loads(data)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) else [parsed]


def rpc_clear(message, want):
    """want: 'error' (a JSON-RPC error), 'tool_error' (result.isError), 'error_or_tool_error', 'result'."""
    if not isinstance(message, dict):
        return f"not a JSON-RPC object: {message!r}"[:300]
    error = message.get("error")
    result = message.get("result")
    if error is not None:
        if want in ("error", "error_or_tool_error", "any") and isinstance(error.get("message"), str) and error["message"].strip():
            return None
        return f"JSON-RPC error {error!r} where {want} was expected"[:400]
    if isinstance(result, dict) and result.get("isError"):
        texts = [c.get("text", "") for c in result.get("content", []) if isinstance(c, dict)]
        if want in ("tool_error", "error_or_tool_error", "any") and any(t.strip() for t in texts):
            return None
        return f"tool error {result!r} where {want} was expected"[:400]
    if result is not None and want in ("result", "any"):
        return None
    return f"answer {message!r} where {want} was expected"[:400]


# ---------------------------------------------------------------- generated families

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def word(self, n=None):
        n = n or self.r.randint(1, 12)
        return "".join(self.r.choice("abcdefghijklmnopqrstuvwxyz_0123456789") for _ in range(n))

    def junk(self, n):
        return bytes(self.r.randint(0, 255) for _ in range(n))


def deep(depth, open_="[", close="]", inner="1"):
    return open_ * depth + inner + close * depth


def json_bodies(g):
    """Run inputs for the guarded workflow that must all be refused with 400 (or 413)."""
    cases = []
    valid = json.dumps({"name": "Ada"})
    for i in range(40):
        cut = g.r.randint(1, len(valid) - 1)
        cases.append(("truncated json", valid[:cut].encode()))
    for i in range(40):
        cases.append(("garbage", g.junk(g.r.randint(1, 300))))
    for i in range(30):
        cases.append(("invalid utf-8", b'{"name": "' + bytes([g.r.choice([0x80, 0xC0, 0xFF, 0xFE, 0xED])]) + g.junk(3) + b'"}'))
    for depth in [513, 600, 1000, 5000, 20000, 30000]:
        cases.append(("deep arrays", deep(depth).encode()))
        cases.append(("deep objects", ('{"a":' * depth + "1" + "}" * depth).encode()))
        cases.append(("deep in name", ('{"name":' + deep(depth) + "}").encode()))
    for text in ["1e400", "-1e400", "1e999999999", "123456789012345678901234567890", "-0", "1e-400", "0.0000000000000000000000001",
                 "NaN", "Infinity", "-Infinity", "0x10", "01", "1.", ".5", "+1", "1e", "--1"]:
        cases.append(("number", text.encode()))
        cases.append(("number in name", b'{"name": ' + text.encode() + b"}"))
    for text in ['"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\u00"', '"\\x41"', '"tab\there"', '"nl\nhere"']:
        cases.append(("string escapes", b'{"name": ' + text.encode() + b"}"))
    for i in range(30):
        n = g.r.choice([51, 200, 5000, 60000])
        cases.append(("name too long", json.dumps({"name": "x" * n}).encode()))
    for i in range(20):
        cases.append(("extra keys", json.dumps({"name": "a", **{g.word(): g.word() for _ in range(g.r.randint(1, 500))}}).encode()))
    for value in ["null", "true", "[]", "{}", '"Ada"', "42", '{"name": null}', '{"name": 5}', '{"name": ["a"]}', '{"name": {"$ref": "#"}}',
                  '{"Name": "a"}', '{"name": "a", "name": 3}', '{"__proto__": {"name": "x"}}']:
        cases.append(("wrong shape", value.encode()))
    return cases


def documents_generated(g):
    """Documents with hostile expressions, names and structure: every one must be refused (400)."""
    docs = []

    def wf(step_value, name="hostile_doc", extra=""):
        return f"flux: 1\nname: {name}\n{extra}steps:\n  - id: a\n    set: {json.dumps(step_value)}\n"

    for depth in [65, 70, 100, 500, 2000, 10000, 50000]:
        docs.append(("expression nesting (parens)", wf("${{ " + "(" * depth + "1" + ")" * depth + " }}")))
        docs.append(("expression nesting (arrays)", wf("${{ " + deep(depth) + " }}")))
        docs.append(("expression nesting (not)", wf("${{ " + "not " * depth + "true }}")))
        docs.append(("expression nesting (unary minus)", wf("${{ " + "-" * depth + "1 }}")))
        docs.append(("expression nesting (calls)", wf("${{ " + "length(" * depth + "'a'" + ")" * depth + " }}")))
    for digits in [400, 5000]:
        docs.append(("huge integer literal", wf("${{ " + "9" * digits + " }}")))
        docs.append(("huge integer in arithmetic", wf("${{ 1 + " + "9" * digits + " }}")))
    for text in ["1e400", "1e99999", "-1e400", "1.7976931348623159e308"]:
        docs.append(("huge float literal", wf("${{ " + text + " }}")))
    for n in [4097, 10000, 100000]:
        docs.append(("expression too long", wf("${{ " + "1 + " * (n // 4) + "1 }}")))
        docs.append(("identifier too long", wf("${{ input." + "a" * n + " }}")))
    for text in ["${{", "${{ }}", "${{ 1 +", "${{ (1 }}", "${{ 'unterminated }}", "${{ input..a }}", "${{ input[ }}", "${{ } }}",
                 "${{ 1 2 }}", "${{ input.a = 1 }}", "${{ now() }}", "${{ env.HOME }}", "${{ file('/etc/passwd') }}",
                 "${{ readfile('/etc/passwd') }}", "${{ env('HOME') }}", "${{ secrets.API_KEY }}", "${{ secrets['API_KEY'] }}",
                 "${{ secrets }}", "${{ steps }}", "${{ process.env }}", "${{ import('os') }}", "${{ __import__('os') }}",
                 "${{ input.constructor.constructor('return process')() }}", "${{ $ENV }}", "${{ `id` }}", "${{ ${{ 1 }} }}",
                 "${{ '\\u{0}' }}", "${{ 'a' \\ 'b' }}", "${{ 1 ++ 2 }}", "${{ input | shell }}", "${{ system('id') }}",
                 "${{ secrets.NOT_DECLARED }}", "${{ secrets[input.name] }}", "${{ config.security.encryption_key }}",
                 "${{ flux.security }}", "${{ ENV.FLUX_SECURITY__ENCRYPTION_KEY }}", "${{ environ['HOME'] }}"]:
        docs.append(("bad expression", wf(text)))
    for i in range(60):
        # Random token soup inside an expression.
        tokens = [g.r.choice(["(", ")", "[", "]", "{", "}", "+", "-", "*", "/", "%", "==", "!", "&&", "||", ".", ",", ":",
                              "'", '"', "input", "steps", "1e999", "not", "and", "9" * 25, "length(", "$", "#", "@", "`"])
                  for _ in range(g.r.randint(3, 30))]
        docs.append(("expression token soup", wf("${{ " + " ".join(tokens) + " ) }}")))
    for name in ["../../etc/passwd", "..", "a/b", "a\\b", "a b", "UPPER", "-dash", "1digit", "nul\u0000name", "../x",
                 "%2e%2e%2f", "name\u202eevil", "ünïcode", "a.b", "", "a" * 100 + "-"]:
        docs.append(("bad workflow name", wf("x", name=json.dumps(name))))
    for secret_list in ["[../../x]", "['a/b']", "['A B']", "['x' ]\nsecrets: [y]", "[1]", "[API_KEY, API_KEY]", "'API_KEY'", "{a: 1}"]:
        docs.append(("bad secrets list", wf("x", extra=f"secrets: {secret_list}\n")))
    for i in range(25):
        ids = g.r.choice(["../a", "a/b", "A", "1a", "a-b", "a" * 101, "a\u0000", "ä", "", "a b"])
        docs.append(("bad step id", f"flux: 1\nname: bad_ids\nsteps:\n  - id: {json.dumps(ids)}\n    set: 1\n"))
    # Control characters and invalid UTF-8 inside an otherwise valid document.
    base = wf("${{ input }}")
    for i in range(40):
        at = g.r.randint(0, len(base))
        bad = g.r.choice([b"\x00", b"\x01", b"\x7f", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\x1b[31m", b"\xfe\xff"])
        docs.append(("control or invalid byte", base.encode()[:at] + bad + base.encode()[at:]))
    # YAML bombs and structure.
    for n in [8, 10, 12]:
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for k in range(1, n):
            lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]")
        docs.append(("alias bomb", "\n".join(lines) + f"\nflux: 1\nname: bomb\nsteps:\n  - id: a\n    set: *a{n - 1}\n"))
    for depth in [101, 200, 1000, 5000]:
        docs.append(("value nesting", wf(json.loads(deep(min(depth, 900), "[", "]", "1")) if depth <= 900 else "x")
                     if depth <= 900 else f"flux: 1\nname: n\nsteps:\n  - id: a\n    set: {deep(depth)}\n"))
        docs.append(("yaml block nesting", "flux: 1\nname: n\nsteps:\n  - id: a\n    set:\n" +
                     "".join("  " * (k + 3) + "k:\n" for k in range(depth)) + "  " * (depth + 3) + "1\n"))
    for size in [MAX_BODY + 1, MAX_BODY * 4]:
        docs.append(("document too large", wf("x" * size)))
    return docs


def mutated_documents(g, count):
    """Valid example documents with random damage: each must be registered or refused clearly (never a 5xx)."""
    sources = []
    for name in sorted(os.listdir(EXAMPLES)):
        if name.endswith((".yaml", ".json")):
            with open(os.path.join(EXAMPLES, name), "rb") as f:
                sources.append(f.read())
    out = []
    for i in range(count):
        doc = bytearray(g.r.choice(sources))
        for _ in range(g.r.randint(1, 4)):
            op = g.r.randint(0, 4)
            at = g.r.randint(0, max(0, len(doc) - 1))
            if op == 0 and doc:
                del doc[at:at + g.r.randint(1, 20)]
            elif op == 1:
                doc[at:at] = g.r.choice([b"${{", b"}}", b":", b"- ", b"\n  ", b"[", b"{", b"&a", b"*a", b"!!binary ", b"\t", b"'", b'"'])
            elif op == 2:
                doc[at:at] = g.junk(g.r.randint(1, 8))
            elif op == 3 and doc:
                doc[at] = g.r.randint(0, 255)
            else:
                doc[at:at] = doc[at:at + g.r.randint(1, 200)]
        out.append(("mutated document", bytes(doc)))
    return out


def multipart(parts, boundary="XyZ-boundary"):
    body = b""
    for headers, content in parts:
        body += b"--" + boundary.encode() + b"\r\n" + headers + b"\r\n\r\n" + content + b"\r\n"
    return body + b"--" + boundary.encode() + b"--\r\n"


def file_part(content, name="file", filename="doc.yaml"):
    return (f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\nContent-Type: application/x-yaml'.encode(), content)


def multipart_cases(g):
    good = GUARDED.encode()
    cases = []
    b = "XyZ-boundary"
    for i in range(15):
        cases.append(("no boundary", "multipart/form-data", multipart([file_part(good)], b), {400}))
        cases.append(("wrong boundary", f"multipart/form-data; boundary=other{i}", multipart([file_part(good)], b), {400}))
    for i in range(20):
        body = multipart([file_part(good)], b)
        cut = g.r.randint(1, len(body) - 1)
        cases.append(("truncated multipart", f"multipart/form-data; boundary={b}", body[:cut], {400}))
    for field in ["doc", "files", "FILE", "", "file[]", "fil\u00e9"]:
        cases.append(("no file field", f"multipart/form-data; boundary={b}", multipart([file_part(good, name=field)], b), {400}))
    for i in range(15):
        cases.append(("invalid utf-8 file", f"multipart/form-data; boundary={b}",
                      multipart([file_part(b"flux: 1\nname: x\n" + g.junk(20) + b"\xff\xfe")], b), {400}))
    for filename in ["../../etc/passwd", "/etc/passwd", "..\\..\\windows\\win.ini", "a\u0000b", "%2e%2e/%2e%2e/x", "x" * 5000,
                     "file\r\nX-Injected: 1", "con.yaml", "~/.ssh/id_rsa", "\u202egnp.yaml"]:
        cases.append(("path-like filename with a broken document", f"multipart/form-data; boundary={b}",
                      multipart([file_part(b"flux: 1\nname: ok\nsteps: nope\n", filename=filename)], b), {400}))
    for i in range(10):
        cases.append(("garbage between parts", f"multipart/form-data; boundary={b}",
                      b"--" + b.encode() + b"\r\n" + g.junk(g.r.randint(5, 300)) + b"\r\n--" + b.encode() + b"--\r\n", {400}))
    cases.append(("header without colon", f"multipart/form-data; boundary={b}",
                  b"--" + b.encode() + b"\r\nnot a header\r\n\r\nx\r\n--" + b.encode() + b"--\r\n", {400}))
    cases.append(("huge part header", f"multipart/form-data; boundary={b}",
                  b"--" + b.encode() + b"\r\nX-Big: " + b"a" * 60000 + b"\r\n\r\nx\r\n--" + b.encode() + b"--\r\n", {400}))
    cases.append(("boundary 500 chars", "multipart/form-data; boundary=" + "b" * 500, multipart([file_part(good)], "b" * 500), {400, 200}))
    cases.append(("oversized multipart", f"multipart/form-data; boundary={b}", multipart([file_part(b"#" * (MAX_BODY + 10))], b), {413}))
    cases.append(("empty multipart", f"multipart/form-data; boundary={b}", b"", {400}))
    cases.append(("only closing boundary", f"multipart/form-data; boundary={b}", b"--" + b.encode() + b"--\r\n", {400}))
    cases.append(("nested multipart", f"multipart/form-data; boundary={b}",
                  multipart([(b'Content-Disposition: form-data; name="file"\r\nContent-Type: multipart/mixed; boundary=inner',
                              multipart([file_part(b"x")], "inner"))], b), {400}))
    return cases


PATH_NAMES = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..", ".", "%00", "a%00b", "%2e%2e",
              "....//....//etc", "%c0%ae%c0%ae%c0%af", "..%5c..%5cwindows", "%ff%fe", "x" * 5000, "CON", "a%0d%0aX-Injected:%201",
              "%25%32%65", "~root", "%7e", "$(id)", "%60id%60", "%3Cscript%3E", "'%20OR%201=1--", "%E2%80%AE", "null", "undefined",
              "..;/", "%2F", "%2f%2f", "a/../b", "%u002e%u002e"]


def path_cases(g):
    cases = []
    for name in PATH_NAMES:
        cases += [
            ("GET", f"/workflows/{name}", "auth", {404, 400}),
            ("DELETE", f"/workflows/{name}", "auth", {404, 400}),
            ("POST", f"/workflows/{name}/run/sync", "auth", {404, 400}),
            ("POST", f"/workflows/{name}/run/async", "auth", {404, 400}),
            ("POST", f"/workflows/guarded/resume/{name}/sync", "auth", {404, 400}),
            ("GET", f"/workflows/guarded/status/{name}", "auth", {404, 400}),
            ("POST", f"/workflows/guarded/cancel/{name}", "auth", {404, 400}),
            ("GET", f"/executions/{name}", "auth", {404, 400}),
            ("GET", f"/executions/{name}/events", "auth", {404, 400}),
            ("GET", f"/executions/{name}/stream", "auth", {404, 400}),
            ("GET", f"/admin/secrets/{name}", "admin", {404, 400}),
            ("DELETE", f"/admin/secrets/{name}", "admin", {404, 400}),
            ("GET", f"/{name}", "auth", {404, 400}),
            ("GET", f"/workflows?filename={name}", "auth", {200}),
        ]
    return cases


def query_cases():
    out = []
    for value in ["-1", "0", "1001", "99999999999999999999999", "abc", "1.5", "%00", "1e3", "--1", "0x10"]:
        out.append(("GET", f"/executions?limit={value}", {400}))
        out.append(("GET", f"/workflows/guarded?version={value}", {400, 404}))
        out.append(("GET", f"/executions/x/events?after={value}", {400, 404}))
    for value in ["maybe", "2", "%00", "tru", "yes%00"]:
        out.append(("GET", f"/executions/x?detailed={value}", {400, 404}))
    for value in ["bogus", "%00", "running;drop", "COMPLETED%27", "x" * 3000]:
        out.append(("GET", f"/executions?state={value}", {400}))
    for value in ["garbage", "MTp4Ong", "%00", "x" * 3000, "1:0:../../etc", base64.urlsafe_b64encode(b"1:zz:id").decode()]:
        out.append(("GET", f"/executions?cursor={value}", {400}))
    for mode in ["later", "SYNC", "%00", "../sync", "sync%20"]:
        out.append(("POST", f"/workflows/guarded/run/{mode}", {400, 404}))
    return out


def auth_cases():
    """Every route but /health, /ready, /openapi.json and /docs, without or with a wrong token: 401 / 403, nothing done
    and nothing read."""
    routes = [("GET", "/workflows", b""), ("GET", "/workflows/guarded", b""), ("GET", "/executions", b""), ("GET", "/metrics", b""),
              ("GET", "/workers", b""),
              ("POST", "/workflows", GUARDED.encode()), ("DELETE", "/workflows/guarded", b""),
              ("POST", "/workflows/guarded/run/sync", b'{"name": "x"}'), ("POST", "/workflows/guarded/run/async", b'{"name": "x"}'),
              ("POST", "/workflows/guarded/run/stream", b'{"name": "x"}'), ("POST", "/workflows/guarded/resume/x/sync", b"null"),
              ("POST", "/workflows/guarded/cancel/x", b""), ("GET", "/workflows/guarded/cancel/x", b"")]
    admin = [("GET", "/admin/secrets", b""), ("GET", "/admin/secrets/API_KEY", b""), ("POST", "/admin/secrets", b'{"name":"X","value":"y"}'),
             ("DELETE", "/admin/secrets/API_KEY", b"")]
    headers = [({}, {401}), ({"Authorization": "Bearer wrong"}, {403}), ({"Authorization": "Bearer " + AUTH[:-1]}, {403}),
               ({"Authorization": "Bearer " + AUTH + "x"}, {403}), ({"Authorization": "Basic " + base64.b64encode(AUTH.encode()).decode()}, {401}),
               ({"Authorization": AUTH}, {401}), ({"Authorization": "Bearer"}, {401}), ({"Authorization": "Bearer " + "a" * 8000}, {403}),
               ({"Authorization": "Bearer " + ADMIN}, {403}), ({"Authorization": "Bearer \u00e9" .encode().decode("latin-1")}, {403})]
    cases = []
    for method, path, body in routes:
        for h, allowed in headers:
            if h.get("Authorization") == "Bearer " + ADMIN:
                continue
            cases.append((method, path, body, h, allowed))
    for method, path, body in admin:
        for h, allowed in headers:
            if h.get("Authorization") == "Bearer " + ADMIN:
                continue
            cases.append((method, path, body, h, allowed))
        cases.append((method, path, body, {"Authorization": "Bearer " + AUTH}, {403}))
    return cases


def raw_http_cases(g):
    """Broken HTTP framing over a raw socket: the server answers 4xx or closes; it never dies."""
    out = [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /health HTTP/1.1\r\nno colon here\r\n\r\n",
           b"POST /workflows/guarded/run/sync HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
           b"POST /workflows/guarded/run/sync HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
           b"POST /workflows/guarded/run/sync HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n0\r\n\r\n",
           b"POST /workflows/guarded/run/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
           b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
           b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
           b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64), b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 5000 + b"\r\n",
           b"POST /workflows/guarded/run/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n{}",
           b"\x00\x00\x00\x00\r\n\r\n", b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
           b"CONNECT /workflows HTTP/1.1\r\nHost: x\r\n\r\n", b"FOO /workflows HTTP/1.1\r\nHost: x\r\n\r\n",
           b"CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: 169.254.169.254:80\r\n\r\n"]
    for i in range(15):
        out.append(g.junk(g.r.randint(10, 2000)) + b"\r\n\r\n")
    return out


def jsonrpc_cases(g):
    """MCP JSON-RPC messages (inside an initialized session): (label, body bytes, want)."""
    cases = []
    n = [1000]

    def req(method, params=None, rid=None):
        n[0] += 1
        message = {"jsonrpc": "2.0", "id": rid if rid is not None else n[0], "method": method}
        if params is not None:
            message["params"] = params
        return json.dumps(message).encode()

    def tool(name, arguments):
        return req("tools/call", {"name": name, "arguments": arguments})

    for i in range(25):
        cases.append(("garbage", b"x" + g.word(g.r.randint(1, 100)).encode(), "error"))
        full = req("tools/list")
        cases.append(("truncated", full[:g.r.randint(1, len(full) - 1)], "error"))
        cases.append(("unknown method", req("nope/" + g.word()), "error"))
        cases.append(("unknown tool", tool("no_such_tool_" + g.word(), {}), "error_or_tool_error"))
        cases.append(("invalid utf-8", b'{"jsonrpc":"2.0","id":' + str(5000 + i).encode() + b',"method":"ping","x":"' + bytes([0xFF]) + g.junk(3).replace(b'"', b"a").replace(b"\\", b"b") + b'"}', "error"))
    for value in [b"42", b'"hello"', b"true", b"null", b"3.5", b"[]", b"[1,2,3]"]:
        cases.append(("not an object", value, "error"))
    for depth in [100, 600, 5000, 50000]:
        cases.append(("deep nesting", b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_workflows","arguments":{"a":'
                      + deep(depth).encode() + b"}}}", "error"))
    for text in [b"1e400", b"123456789012345678901234567890", b"-1e999", b"NaN"]:
        cases.append(("huge number id", b'{"jsonrpc":"2.0","id":' + text + b',"method":"ping"}', "error"))
        cases.append(("huge number argument", tool("get_execution_status", {"workflow_name": "guarded", "execution_id": "x"})
                      .replace(b'"x"', text), "error_or_tool_error"))
    cases.append(("jsonrpc 1.0", json.dumps({"jsonrpc": "1.0", "id": 9, "method": "ping"}).encode(), "error"))
    cases.append(("no jsonrpc", json.dumps({"id": 9, "method": "ping"}).encode(), "error"))
    for bad in ["1.5", "true", "{}", "[]"]:
        cases.append(("bad id type", ('{"jsonrpc":"2.0","id":' + bad + ',"method":"ping"}').encode(), "error"))
    for bad in ["42", "null", "[]", "{}", '""']:
        cases.append(("bad method", ('{"jsonrpc":"2.0","id":11,"method":' + bad + "}").encode(), "error"))
    for params in ["[1,2]", '"x"', "7"]:
        cases.append(("params not an object", ('{"jsonrpc":"2.0","id":12,"method":"tools/list","params":' + params + "}").encode(), "error"))
    cases.append(("tool name not a string", req("tools/call", {"name": 5}), "error"))
    cases.append(("arguments not an object", req("tools/call", {"name": "list_workflows", "arguments": "all"}), "error"))
    cases.append(("second initialize", req("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                                          "clientInfo": {"name": "again", "version": "1"}}), "error"))
    for name in PATH_NAMES + ["../../../../etc/shadow", "/etc/passwd", "\u0000", "a\u0000b", "W" * 10000]:
        cases.append(("path-like workflow name", tool("get_workflow_details", {"workflow_name": name}), "error_or_tool_error"))
        cases.append(("path-like execution id", tool("get_execution_status", {"workflow_name": "guarded", "execution_id": name}), "error_or_tool_error"))
        cases.append(("path-like run", tool("execute_workflow_async", {"workflow_name": name, "input_data": {"name": "x"}}), "error_or_tool_error"))
        cases.append(("path-like resource", req("resources/read", {"uri": "flux://docs/" + name}), "error"))
        cases.append(("path-like resource (file)", req("resources/read", {"uri": "file:///" + name}), "error"))
    # (A valid input that merely names a secret, {"name": "${{ secrets.API_KEY }}"}, runs in phase 1: it is data, not evaluated.)
    for data in ["${{ secrets.API_KEY }}", {"name": "x", "secrets": {"API_KEY": "?"}},
                 {"$ref": "#/secrets"}, "\u0000", {"name": "x" * 51}, [1] * 10, {"name": 5}]:
        cases.append(("bad input to guarded", tool("execute_workflow_async", {"workflow_name": "guarded", "input_data": data}),
                      "error_or_tool_error"))
        cases.append(("bad input to guarded (sync)", tool("execute_workflow_sync", {"workflow_name": "guarded", "input_data": data}),
                      "error_or_tool_error"))
    for args in [{"workflow_name": 5, "execution_id": ["x"]}, {"workflow_name": "guarded"}, {}, {"execution_id": None},
                 {"workflow_name": "guarded", "execution_id": "x", "detailed": "maybe"}]:
        cases.append(("argument types", tool("get_execution_status", args), "error_or_tool_error"))
    cases.append(("cancel with a bad mode", tool("cancel_execution", {"workflow_name": "guarded", "execution_id": "x", "mode": "later"}),
                  "error_or_tool_error"))
    cases.append(("unknown argument", tool("list_workflows", {"surprise": True}), "error_or_tool_error"))
    for value in [-1, 0, 100000, "x", 1e300]:
        cases.append(("list limit", tool("list_executions", {"limit": value}), "error_or_tool_error"))
    for name in ["API_KEY", "../API_KEY", "secrets", "*"]:
        cases.append(("reach a secret through a prompt", req("prompts/get", {"name": name}), "error"))
    return cases


def mcp_fixtures():
    """The malformed documents an MCP client can send: a tool argument is a JSON string, so the fixtures that are
    not UTF-8 cannot be expressed (REST sends them raw), and upload_workflow has no file name, so a JSON text is read
    as YAML, in which json_trailing_comma.json is a valid flow mapping."""
    out = []
    for name in sorted(os.listdir(MALFORMED)):
        with open(os.path.join(MALFORMED, name), "rb") as f:
            data = f.read()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if name != "json_trailing_comma.json":
            out.append(name)
    return out


# ---------------------------------------------------------------- the run

class Run:
    def __init__(self, o):
        self.o = o
        self.g = Gen(o.seed)
        self.dir = tempfile.mkdtemp(prefix="flux-hostile-")
        self.secret = "s3cr3t-" + "".join(random.Random(o.seed).choice("0123456789abcdef") for _ in range(24))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FLUX_")}
        self.env.update({
            "FLUX_SECURITY__ENCRYPTION_KEY": KEY, "FLUX_SECURITY__AUTH_TOKEN": AUTH, "FLUX_SECURITY__ADMIN_TOKEN": ADMIN,
            "FLUX_SECURITY__MAX_BODY_BYTES": str(MAX_BODY), "FLUX_MCP__AUTH_TOKEN": MCP_TOKEN, "FLUX_LOG_LEVEL": "debug",
            # The local CLI registers `leak`, which requests a secret: only a trusted operator may.
            "FLUX_SECURITY__TRUSTED_LOCAL_OPERATOR": "true",
        })
        self.results = {}   # family -> [passed, failed]
        self.failures = []
        self.timings = {}
        self.db = os.path.join(self.dir, ".flux", "flux.db")

    def record(self, surface, family, problem, detail=""):
        key = f"{surface}: {family}"
        entry = self.results.setdefault(key, [0, 0])
        if problem is None:
            entry[0] += 1
        else:
            entry[1] += 1
            if len(self.failures) < 60:
                self.failures.append(f"{key}: {problem} {detail}"[:600])

    def leaked(self, data):
        return self.secret.encode() in data

    def flux(self, *args, stdin=None, timeout=GENEROUS):
        return subprocess.run([self.o.flux, *args], cwd=self.dir, env=self.env, input=stdin, capture_output=True, timeout=timeout)

    def counts(self):
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=GENEROUS)
        try:
            return (db.execute("SELECT COUNT(*) FROM executions").fetchone()[0],
                    db.execute("SELECT COUNT(*) FROM execution_events").fetchone()[0])
        finally:
            db.close()

    def integrity(self):
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=GENEROUS)
        try:
            return db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            db.close()

    # ---- set-up

    def setup(self):
        for name, text in [("guarded.yaml", GUARDED), ("eval.yaml", EVAL), ("echo.yaml", ECHO), ("leak.yaml", LEAK),
                           ("fetch.yaml", FETCH), ("run_program.yaml", EXEC)]:
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
            done = self.flux("workflow", "register", name)
            if done.returncode != 0:
                raise Failure(f"registering {name} failed: {done.stderr.decode()}")
        done = self.flux("secrets", "set", "API_KEY", self.secret)
        if done.returncode != 0:
            raise Failure(f"flux secrets set failed: {done.stderr.decode()}")
        self.rest = Proc([self.o.flux, "start", "server", "--host", "127.0.0.1", "--port", "0"], self.dir, self.env)
        self.mcp = Proc([self.o.flux, "start", "mcp", "--transport", "streamable-http", "--host", "127.0.0.1", "--port", "0"],
                        self.dir, self.env)
        self.stdio = Proc([self.o.flux, "start", "mcp", "--transport", "stdio"], self.dir, self.env, stdin=True)
        self.rest_port = self.rest.wait_port(rb"listening on http://[^:\s]+:(\d+)")
        self.mcp_port = self.mcp.wait_port(rb"flux mcp listening on http://[^:\s]+:(\d+)")
        self.http = HTTP(self.rest_port)
        self.mcp_http = HTTP(self.mcp_port)
        self.session = self.mcp_session()

    def auth(self, kind):
        if kind == "auth":
            return {"Authorization": "Bearer " + AUTH}
        if kind == "admin":
            return {"Authorization": "Bearer " + ADMIN}
        return {}

    def mcp_headers(self, session=True):
        h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
             "Authorization": "Bearer " + MCP_TOKEN, "Host": f"127.0.0.1:{self.mcp_port}"}
        if session:
            h["Mcp-Session-Id"] = self.session
        return h

    def mcp_session(self):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}}).encode()
        status, headers, data = self.mcp_http.request("POST", "/mcp", body, self.mcp_headers(session=False))
        sid = headers.get("mcp-session-id")
        if status != 200 or not sid:
            raise Failure(f"MCP initialize failed: {status} {data[:300]!r}")
        self.session = sid
        self.mcp_http.request("POST", "/mcp", b'{"jsonrpc":"2.0","method":"notifications/initialized"}', self.mcp_headers())
        return sid

    # ---- phase 1: inputs that legitimately run (and fail or finish) an execution

    def run_sync(self, workflow, value):
        return self.http.request("POST", f"/workflows/{workflow}/run/sync", json.dumps(value).encode(),
                                 {"Content-Type": "application/json", **self.auth("auth")}, timeout=GENEROUS)

    def phase_one(self):
        g = self.g
        inputs = []
        for depth in [100, 513, 600, 5000, 20000]:
            inputs.append(("fromjson nesting", {"text": deep(depth)}))
        for text in ["1e400", "123456789012345678901234567890", "\"\\ud800\"", "{", "", "nul\u0000", "[1,", "tru", "\"" + "a" * 30000 + "\""]:
            inputs.append(("fromjson hostile text", {"text": text}))
        for n in [100001, 10 ** 9, 10 ** 18, 2 ** 63 - 1, -(2 ** 63), 1e300, "1e9", None]:
            inputs.append(("range too large", {"n": n}))
        for a, b in [(2 ** 62, 4), (-(2 ** 63), -1), (2 ** 63 - 1, 2 ** 63 - 1), (1e308, 1e308), ("a", 2), ([1], 3), ({}, {})]:
            inputs.append(("arithmetic overflow and types", {"a": a, "b": b}))
        for items, i in [([], 0), ([1], 5), ([1], -5), ([1], 2 ** 63 - 1), ([1], 1.5), ("abc", 10), (None, 0), ({"a": 1}, "a")]:
            inputs.append(("index out of range", {"items": items, "i": i}))
        for number in ["1e999", "-1e999", "nan", "inf", "0x10", "9" * 400, "", " ", "\u0661\u0662"]:
            inputs.append(("tonumber hostile", {"number": number}))
        for k in range(10):
            inputs.append(("string growth", {"text2": "ab" * g.r.randint(100, 2000), "sep": "x" * g.r.randint(100, 2000)}))
        for label, value in inputs:
            status, headers, data = self.run_sync("eval", value)
            problem = None
            if status != 200:
                problem = rest_clear_error(status, headers, data, {400})
            else:
                body = json.loads(data)
                if body.get("state") not in ("COMPLETED", "FAILED"):
                    problem = f"state {body.get('state')}"
                elif body["state"] == "FAILED":
                    message = (body.get("output") or {}).get("message", "")
                    if not isinstance(message, str) or len(message) < 5:
                        problem = f"FAILED without a clear message: {body.get('output')!r}"[:300]
            if problem is None and self.leaked(data):
                problem = "the secret's value is in the answer"
            self.record("REST run", f"runtime expression: {label}", problem)
        # Inputs that try to reach secrets.
        for value in ["${{ secrets.API_KEY }}", {"x": "${{ secrets.API_KEY }}"}, "$${{ secrets.API_KEY }}", "[secret:API_KEY]",
                      "${{ secrets['API_KEY'] }}", "{{ secrets.API_KEY }}", "${ secrets.API_KEY }"]:
            for workflow in ["echo", "leak"]:
                status, headers, data = self.run_sync(workflow, value)
                problem = None if status == 200 else f"status {status}: {data[:200]!r}"
                if problem is None:
                    body = json.loads(data)
                    if body.get("state") != "COMPLETED":
                        problem = f"state {body.get('state')}: {body.get('output')}"
                    elif workflow == "echo" and body.get("output") != value:
                        problem = f"the input was evaluated: {body.get('output')!r}"
                if problem is None and self.leaked(data):
                    problem = "the secret's value is in the answer"
                self.record("REST run", "input that tries to reach a secret", problem)
                # The detailed status (every event) must not carry it either.
                if status == 200:
                    eid = json.loads(data)["execution_id"]
                    s2, h2, d2 = self.http.request("GET", f"/workflows/{workflow}/status/{eid}?detailed=true", headers=self.auth("auth"))
                    self.record("REST status", "detailed status of a run that used a secret",
                                "the secret's value is in the events" if self.leaked(d2) else (None if s2 == 200 else f"status {s2}"))
        # http steps to link-local and metadata addresses, exec without an allowlist.
        for url in ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/", "http://metadata.google.internal/",
                    "http://2852039166/", "http://0xa9.0xfe.0xa9.0xfe/", "http://[::ffff:169.254.169.254]/",
                    "http://100.100.100.200/", "http://[fe80::1]/", "file:///etc/passwd", "gopher://127.0.0.1:25/", "ftp://x/",
                    "http://metadata/", "http://example.com@169.254.169.254/"]:
            status, headers, data = self.run_sync("fetch", url)
            problem = None
            if status != 200:
                problem = f"status {status}: {data[:200]!r}"
            else:
                body = json.loads(data)
                message = json.dumps(body.get("output"))
                if body.get("state") != "FAILED" or not re.search(r"refused|absolute http:// or https:// URL", message):
                    problem = f"{url} was not refused: {body.get('state')} {message[:300]}"
            self.record("REST run", "http step to a metadata or link-local address", problem)
        status, headers, data = self.run_sync("run_program", None)
        body = json.loads(data) if status == 200 else {}
        self.record("REST run", "exec step without an allowlist",
                    None if body.get("state") == "FAILED" and "exec is disabled" in json.dumps(body.get("output")) else f"{status} {data[:300]!r}")

    # ---- phase 2: everything that must be refused without side effects

    def rest_case(self, family, method, path, body, headers, allowed):
        try:
            status, h, data = self.http.request(method, path, body, headers)
        except Exception as error:  # noqa: BLE001 - any transport failure is a finding
            self.record("REST", family, f"no answer: {error!r}", path[:100])
            return
        problem = rest_clear_error(status, h, data, allowed)
        if problem is None and self.leaked(data):
            problem = "the secret's value is in the answer"
        self.record("REST", family, problem, f"{method} {path[:120]}")

    def phase_two_rest(self):
        g = self.g
        json_headers = {"Content-Type": "application/json", **self.auth("auth")}
        yaml_headers = {"Content-Type": "application/yaml", **self.auth("auth")}
        for family, body in json_bodies(g):
            self.rest_case(f"run body: {family}", "POST", "/workflows/guarded/run/sync", body, json_headers, {400, 413})
        for size in [MAX_BODY + 1, MAX_BODY * 2, MAX_BODY * 16]:
            for workflow in ["guarded", "echo"]:
                self.rest_case("oversized run body", "POST", f"/workflows/{workflow}/run/async", b'"' + b"a" * size + b'"', json_headers, {413})
            self.rest_case("oversized document", "POST", "/workflows", b"#" * size, yaml_headers, {413})
            self.rest_case("oversized secret", "POST", "/admin/secrets", json.dumps({"name": "BIG", "value": "v" * size}).encode(),
                           {"Content-Type": "application/json", **self.auth("admin")}, {413})
        fixtures = sorted(os.listdir(MALFORMED))
        for name in fixtures:
            with open(os.path.join(MALFORMED, name), "rb") as f:
                text = f.read()
            self.rest_case("malformed document (raw body)", "POST", f"/workflows?filename={urllib.parse.quote(name)}", text,
                           yaml_headers, {400})
            self.rest_case("malformed document (multipart)", "POST", "/workflows", multipart([file_part(text, filename=name)]),
                           {"Content-Type": "multipart/form-data; boundary=XyZ-boundary", **self.auth("auth")}, {400})
        for family, text in documents_generated(g):
            data = text if isinstance(text, bytes) else text.encode()
            self.rest_case(f"document: {family}", "POST", "/workflows", data, yaml_headers, {400, 413})
        for family, data in mutated_documents(g, self.o.mutations):
            # 403: a damaged document that still requests secrets, sent without the admin token.
            self.rest_case(f"document: {family} (registered or refused)", "POST", "/workflows", data, yaml_headers, {200, 400, 403})
        for family, content_type, body, allowed in multipart_cases(g):
            self.rest_case(f"multipart: {family}", "POST", "/workflows", body, {"Content-Type": content_type, **self.auth("auth")}, allowed)
        for method, path, kind, allowed in path_cases(g):
            body = b'{"name": "x"}' if method == "POST" else b""
            self.rest_case("path-like name", method, path, body, {"Content-Type": "application/json", **self.auth(kind)}, allowed)
        for method, path, allowed in query_cases():
            self.rest_case("query parameter", method, path, b"", self.auth("auth"), allowed)
        for method, path, body, headers, allowed in auth_cases():
            self.rest_case("authentication", method, path, body, {"Content-Type": "application/json", **headers}, allowed)
        for method in ["PUT", "PATCH", "TRACE"]:
            self.rest_case("unknown method", method, "/workflows", b"", self.auth("auth"), {404, 405})
        for body in raw_http_cases(g):
            self.raw_case(body)

    def raw_case(self, body):
        problem = None
        try:
            with socket.create_connection(("127.0.0.1", self.rest_port), timeout=10) as s:
                s.sendall(body)
                s.shutdown(socket.SHUT_WR)
                answer = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            m = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
            if m and int(m.group(1)) >= 500:
                problem = f"answered {m.group(1).decode()}"
            if m and int(m.group(1)) < 400 and not body.startswith(b"GET /health"):
                problem = f"accepted broken framing with {m.group(1).decode()}"
        except (ConnectionError, socket.timeout, OSError):
            problem = None  # closing the connection is a fine answer to broken framing
        if not self.rest.alive():
            problem = "the server died"
        self.record("HTTP framing", "broken request", problem, repr(body[:60]))

    def mcp_case(self, family, body, want, headers=None, allowed_status=None):
        try:
            status, h, data = self.mcp_http.request("POST", "/mcp", body, headers or self.mcp_headers())
        except Exception as error:  # noqa: BLE001
            self.record("MCP HTTP", family, f"no answer: {error!r}")
            return
        problem = None
        if allowed_status is not None:
            if status not in allowed_status:
                problem = f"status {status}, expected {sorted(allowed_status)}: {data[:200]!r}"
            else:
                messages = rpc_messages(h, data) or []
                if not messages or rpc_clear(messages[-1], "error"):
                    problem = f"status {status} without a JSON-RPC error: {data[:200]!r}"
        elif status >= 500:
            problem = f"status {status}: {data[:200]!r}"
        else:
            messages = rpc_messages(h, data)
            if not messages:
                problem = f"status {status} and no JSON-RPC answer: {data[:200]!r}"
            else:
                problem = rpc_clear(messages[-1], want)
        if problem is None and self.leaked(data):
            problem = "the secret's value is in the answer"
        self.record("MCP HTTP", family, problem)

    def phase_two_mcp(self):
        for label, body, want in jsonrpc_cases(self.g):
            self.mcp_case(label, body, want)
        for name in mcp_fixtures():
            with open(os.path.join(MALFORMED, name), "rb") as f:
                text = f.read().decode("utf-8")
            body = json.dumps({"jsonrpc": "2.0", "id": 77, "method": "tools/call",
                               "params": {"name": "upload_workflow", "arguments": {"file_content": text}}}).encode()
            self.mcp_case("malformed document (upload_workflow)", body, "tool_error")
        for family, text in documents_generated(self.g)[:150]:
            data = text if isinstance(text, str) else text.decode("latin-1")
            body = json.dumps({"jsonrpc": "2.0", "id": 78, "method": "tools/call",
                               "params": {"name": "upload_workflow", "arguments": {"file_content": data}}}).encode()
            self.mcp_case(f"document: {family} (upload_workflow)", body, "error_or_tool_error" if len(body) < MAX_BODY else "any")
        ping = b'{"jsonrpc":"2.0","id":5,"method":"ping"}'
        base = self.mcp_headers()
        access = []
        for origin in ["http://evil.example", "https://attacker.test", "null", "http://localhost.evil.example", "file://", "http://127.0.0.1.nip.io"]:
            access.append(("foreign Origin", {**base, "Origin": origin}, {403}))
        for auth in [None, "Bearer wrong", "Bearer " + MCP_TOKEN[:-1], "bearer" + MCP_TOKEN, "Basic " + MCP_TOKEN, "Bearer " + AUTH]:
            h = {k: v for k, v in base.items() if k != "Authorization"}
            if auth:
                h["Authorization"] = auth
            access.append(("missing or wrong token", h, {401}))
        for host in ["evil.example", "169.254.169.254", "localhost.evil.example:80"]:
            access.append(("foreign Host", {**base, "Host": host}, {421}))
        for accept in ["text/html", "application/json", "*/x"]:
            access.append(("Accept", {**base, "Accept": accept}, {406}))
        for kind in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]:
            access.append(("Content-Type", {**base, "Content-Type": kind}, {415}))
        for sid in ["nope", "../../etc/passwd", "0" * 5000, "%00"]:
            access.append(("unknown session", {**base, "Mcp-Session-Id": sid}, {404, 400}))
        for version in ["1999-01-01", "latest", "%00"]:
            access.append(("protocol version", {**base, "MCP-Protocol-Version": version}, {400}))
        for family, headers, allowed in access:
            self.mcp_case(f"access: {family}", ping, "error", headers=headers, allowed_status=allowed)
        # A message is limited to max(security.max_body_bytes, 1 MiB); a document inside it to max_body_bytes.
        big = b'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"upload_workflow","arguments":{"file_content":"' + b"a" * (1 << 20) + b'"}}}'
        self.mcp_case("oversized message", big, "error", allowed_status={413})
        doc = b'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"upload_workflow","arguments":{"file_content":"' + b"a" * (MAX_BODY + 100) + b'"}}}'
        self.mcp_case("oversized document", doc, "tool_error")

    def phase_two_stdio(self):
        """The same documents and path-like names over stdio (one process, answered in order)."""
        p = self.stdio.p
        messages = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}}]
        expected = {}
        rid = 100
        for name in mcp_fixtures():
            with open(os.path.join(MALFORMED, name), "rb") as f:
                text = f.read().decode("utf-8")
            rid += 1
            messages.append({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                             "params": {"name": "upload_workflow", "arguments": {"file_content": text}}})
            expected[rid] = ("malformed document (upload_workflow)", "tool_error")
        for name in PATH_NAMES:
            rid += 1
            messages.append({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                             "params": {"name": "get_execution_status", "arguments": {"workflow_name": "guarded", "execution_id": name}}})
            expected[rid] = ("path-like execution id", "error_or_tool_error")
            rid += 1
            messages.append({"jsonrpc": "2.0", "id": rid, "method": "resources/read", "params": {"uri": "flux://docs/" + name}})
            expected[rid] = ("path-like resource", "error")
        payload = b"".join(json.dumps(m).encode() + b"\n" for m in messages)
        payload = payload.replace(b'"id": 1, "method": "initialize"', b'"id": 1, "method": "initialize"', 1)
        lines = payload.split(b"\n")
        p.stdin.write(lines[0] + b"\n")
        p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        p.stdin.write(b"\n".join(lines[1:]))
        p.stdin.flush()
        answers = {}
        buffer = b""
        deadline = time.time() + GENEROUS
        fd = p.stdout.fileno()
        while len(answers) < len(expected) and time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                try:
                    m = json.loads(line)
                except ValueError:
                    continue
                if isinstance(m, dict) and m.get("id") in expected:
                    answers[m["id"]] = (m, line)
        for rid, (family, want) in expected.items():
            if rid not in answers:
                self.record("MCP stdio", family, "no answer")
                continue
            m, line = answers[rid]
            problem = rpc_clear(m, want)
            if problem is None and self.leaked(line):
                problem = "the secret's value is in the answer"
            self.record("MCP stdio", family, problem)

    def cli_cases(self):
        """Path-like names through the command line: a clear message and exit code 2, no traceback, no file read."""
        for name in ["../../etc/passwd", "/etc/passwd", "..", "a/../../b", "x" * 5000, "-rf", "$(id)", "`id`", "%00", "\u202e"]:
            for args in [("workflow", "show", name), ("workflow", "status", "guarded", name), ("secrets", "get", name),
                         ("workflow", "delete", name)]:
                done = self.flux(*args)
                err = done.stderr.decode(errors="replace")
                problem = None
                if done.returncode not in (1, 2) or len(err.strip()) < 5:
                    problem = f"exit {done.returncode}, stderr {err[:200]!r}"
                elif "root:" in done.stdout.decode(errors="replace") + err or self.secret in err + done.stdout.decode(errors="replace"):
                    problem = "a file or a secret leaked"
                elif "Fatal error" in err or "Stack dump" in err:
                    problem = "crashed"
                self.record("CLI", f"path-like name ({args[0]} {args[1]})", problem)
        for path in ["../../../../etc/shadow", "/dev/zero", "/proc/self/environ", os.path.join(MALFORMED, "invalid_utf8.yaml"), "/nonexistent/x.yaml"]:
            done = self.flux("workflow", "register", path)
            err = done.stderr.decode(errors="replace")
            problem = None if done.returncode in (1, 2) and len(err.strip()) >= 5 and KEY not in err else f"exit {done.returncode}: {err[:200]!r}"
            self.record("CLI", "register a path that is not a document", problem)

    def run(self):
        started = time.time()
        self.setup()
        try:
            self.timed("phase 1 (runs)", self.phase_one)
            before = self.counts()
            self.timed("REST", self.phase_two_rest)
            self.timed("MCP HTTP", self.phase_two_mcp)
            self.timed("MCP stdio", self.phase_two_stdio)
            self.timed("CLI", self.cli_cases)
            after_counts = self.counts()
            # Still alive, still answering.
            alive = {"rest": self.rest.alive(), "mcp_http": self.mcp.alive(), "mcp_stdio": self.stdio.alive()}
            status, _, _ = self.http.request("GET", "/health")
            alive["rest_health"] = status == 200
            status, _, data = self.run_sync("guarded", {"name": "after"})
            alive["rest_runs"] = status == 200 and json.loads(data).get("output") == "Hello, after"
            status, h, data = self.mcp_http.request("POST", "/mcp", b'{"jsonrpc":"2.0","id":"after","method":"ping"}', self.mcp_headers())
            alive["mcp_http_answers"] = status == 200
            integrity = self.integrity()
        finally:
            for p in (self.rest, self.mcp, self.stdio):
                p.stop()
        crashed = []
        for p in (self.rest, self.mcp, self.stdio):
            with open(p.log_path, "rb") as f:
                log = f.read()
            if b"Fatal error" in log or b"Stack dump" in log:
                crashed.append(p.log_path)
            if self.secret.encode() in log:
                self.record("logs", "secret in a debug log", "the secret's value is in " + p.log_path)
        total = sum(a + b for a, b in self.results.values())
        failed = sum(b for _, b in self.results.values())
        store_ok = integrity == "ok" and before == after_counts
        ok = failed == 0 and all(alive.values()) and store_ok and not crashed and total >= 2000
        return ok, {
            "cases": total, "failed": failed, "seed": self.o.seed,
            "surfaces": self.surfaces(), "families": len(self.results),
            "processes": alive, "crash_logs": crashed,
            "integrity_check": integrity, "counts_before": before, "counts_after": after_counts,
            "first_failures": self.failures[:40], "seconds": round(time.time() - started, 1), "timings": self.timings, "work_dir": self.dir,
        }

    def timed(self, name, body):
        started = time.time()
        body()
        self.timings[name] = round(time.time() - started, 1)

    def surfaces(self):
        out = {}
        for key, (passed, failed) in self.results.items():
            surface = key.split(": ", 1)[0]
            out[surface] = out.get(surface, 0) + passed + failed
        return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flux", required=True)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--mutations", type=int, default=300, help="randomly damaged example documents")
    parser.add_argument("--families", action="store_true", help="print the cases per family as well")
    parser.add_argument("--keep", action="store_true", help="keep the work directory even when every case passed")
    o = parser.parse_args()
    o.flux = os.path.abspath(o.flux)
    run = Run(o)
    try:
        ok, summary = run.run()
    except Failure as error:
        print(json.dumps({"error": str(error)}))
        return 2
    if o.families:
        summary["per_family"] = {k: {"passed": a, "failed": b} for k, (a, b) in sorted(run.results.items())}
    if ok and not o.keep:
        shutil.rmtree(run.dir, ignore_errors=True)
        summary["work_dir"] = None
    print(json.dumps(summary, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
