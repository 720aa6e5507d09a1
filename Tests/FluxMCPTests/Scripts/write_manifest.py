#!/usr/bin/env python3
"""Writes mcp-manifest.json from what `flux start mcp` lists (tools and prompts). InProcessTests fails when the
manifest and the server differ: run `python3 Tests/FluxMCPTests/Scripts/write_manifest.py` after `swift build`."""
import json
import pathlib
import subprocess
import tempfile

root = pathlib.Path(__file__).resolve().parents[3]
flux = root / ".build/debug/flux"
requests = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "manifest", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {"jsonrpc": "2.0", "id": 3, "method": "prompts/list"},
]
with tempfile.TemporaryDirectory() as directory:
    process = subprocess.Popen([str(flux), "start", "mcp", "--transport", "stdio"], cwd=directory,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    answers = {}
    for request in requests:
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        if "id" in request:
            while request["id"] not in answers:
                message = json.loads(process.stdout.readline())
                if "id" in message:
                    answers[message["id"]] = message["result"]
    process.stdin.close()
    process.wait(timeout=10)

info = answers[1]["serverInfo"]
stdio = ["start", "mcp", "--transport", "stdio"]
manifest = {
    "name": info["name"],
    "version": info["version"],
    "title": "Flux workflows",
    "description": "Durable workflow engine: register YAML/JSON workflow documents, run them (sync or async), pause for "
                   "input, resume, cancel and inspect executions that survive restarts.",
    "command": "flux",
    "args": stdio,
    "transports": {
        "stdio": {"command": "flux", "args": stdio},
        "streamable-http": {"command": "flux", "args": ["start", "mcp", "--transport", "streamable-http"], "url": "http://127.0.0.1:8080/mcp"},
        "sse": {"command": "flux", "args": ["start", "mcp", "--transport", "sse"], "url": "http://127.0.0.1:8080/sse"},
    },
    "configuration": {
        "file": "flux.toml [flux.mcp]",
        "environment": ["FLUX_HOME", "FLUX_MCP__TRANSPORT", "FLUX_MCP__HOST", "FLUX_MCP__PORT", "FLUX_MCP__AUTH_TOKEN",
                        "FLUX_MCP__WORKFLOW_TOOLS", "FLUX_MCP__ALLOWED_ORIGINS", "FLUX_MCP__SESSION_IDLE_TIMEOUT",
                        "FLUX_MCP__MAX_STORED_EVENTS"],
    },
    "tools": [{"name": t["name"], "description": t["description"]} for t in answers[2]["tools"]],
    "prompts": [{"name": p["name"], "description": p["description"]} for p in answers[3]["prompts"]],
    "resources": ["flux://docs/workflow-format.md", "flux://docs/workflow.schema.json", "flux://examples/{file}",
                  "flux://workflows/{workflow_name}", "flux://executions/{execution_id}"],
}
(root / "mcp-manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"wrote mcp-manifest.json with {len(manifest['tools'])} tools")
