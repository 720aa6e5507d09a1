#!/usr/bin/env python3
"""A tiny HTTP server for the CLI tests: prints its port, then serves fixed answers on loopback.

GET  /items        -> {"items": [...]}           GET /ok -> {"ok": true}
GET  /fail         -> 500                         GET /auth -> 200 if "Authorization: Bearer <token>" else 401
POST /publish      -> 201 {"received": <body>}    GET /hits -> {"hits": {path: count}}
"""
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = sys.argv[1] if len(sys.argv) > 1 else ""
hits = {}
lock = threading.Lock()

ITEMS = {"items": [
    {"id": "o1", "customer": "ada", "quantity": 2, "unit_price": 10.0},
    {"id": "o2", "customer": "bob", "quantity": 1, "unit_price": 5.5},
]}

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def count(self):
        with lock:
            hits[self.path] = hits.get(self.path, 0) + 1

    def do_GET(self):
        self.count()
        if self.path == "/items":
            self.send_json(200, ITEMS)
        elif self.path == "/ok":
            self.send_json(200, {"ok": True})
        elif self.path == "/fail":
            self.send_json(500, {"error": "always fails"})
        elif self.path == "/auth":
            ok = self.headers.get("Authorization") == "Bearer " + TOKEN
            self.send_json(200 if ok else 401, {"authorized": ok})
        elif self.path == "/hits":
            with lock:
                self.send_json(200, {"hits": dict(hits)})
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self):
        self.count()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        ok = self.headers.get("Authorization") == "Bearer " + TOKEN
        self.send_json(201 if ok else 401, {"received": json.loads(body) if body else None})

def exit_when_the_test_is_gone():
    # The test holds our standard input open; EOF means it released the fixture or died (even by SIGKILL).
    sys.stdin.buffer.read()
    os._exit(0)

threading.Thread(target=exit_when_the_test_is_gone, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
