#!/usr/bin/env python3
"""Drives the real `flux start mcp` with the official Python MCP SDK (mcp 1.x or 2.x) over one transport and
prints one line of JSON: {"transport", "ok", "checks": {name: bool}, "failures": [..], "protocol_version"}.

    mcp_client.py --flux .build/debug/flux --examples examples/documents --workdir DIR --transport stdio|streamable-http|sse

For the HTTP transports it starts the server itself on a free port (--port 0) and reads the port from the
line `flux mcp listening on http://HOST:PORT/...` on the server's standard error.
"""
import argparse
import asyncio
import inspect
import json
import os
import re
import subprocess
import sys
import time
import traceback
from contextlib import asynccontextmanager

from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters, stdio_client

try:
    from mcp.client.streamable_http import streamable_http_client as _streamable
except ImportError:  # mcp < 1.24
    from mcp.client.streamable_http import streamablehttp_client as _streamable

try:
    from mcp.shared.exceptions import McpError
except ImportError:  # pragma: no cover
    McpError = Exception

# How long to wait for what must happen (the server listening, an answer, a state), in seconds. Not a claim about
# speed: it only bounds a wait so that a broken server fails the run instead of hanging it, and is generous enough
# for a machine busy with parallel tests and a build beside them. The Swift side (PythonInteropTests) waits longer.
GENEROUS = 300


def attr(obj, *names, default=None):
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def is_error(result):
    return bool(attr(result, "is_error", "isError", default=False))


def structured(result):
    return attr(result, "structured_content", "structuredContent")


def text_of(result):
    return "".join(getattr(c, "text", "") for c in result.content)


class Verdict:
    def __init__(self, transport):
        self.transport = transport
        self.checks = {}
        self.failures = []
        self.protocol_version = None

    def check(self, name, condition, detail=""):
        self.checks[name] = bool(condition)
        if not condition:
            self.failures.append(f"{name}: {detail}")
        return bool(condition)

    def as_json(self):
        return json.dumps({
            "transport": self.transport, "ok": not self.failures and bool(self.checks),
            "checks": self.checks, "failures": self.failures, "protocol_version": self.protocol_version,
        })


@asynccontextmanager
async def http_server(args, transport):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUX_")}
    process = subprocess.Popen(
        [args.flux, "start", "mcp", "--transport", transport, "--host", "127.0.0.1", "--port", "0"],
        cwd=args.workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = None
    deadline = time.time() + GENEROUS
    lines = []
    while time.time() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            url = match.group(1)
            break
    if url is None:
        process.kill()
        raise RuntimeError("the server did not say where it listens: " + "".join(lines))
    # Keep draining stderr so that the server never blocks on a full pipe.
    loop = asyncio.get_running_loop()
    loop.run_in_executor(None, lambda: [None for _ in process.stderr])
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


@asynccontextmanager
async def streamable_streams(url):
    """The streamable-HTTP client with generous HTTP timeouts (the SDK's are 30 s), for mcp 1.x and 2.x."""
    parameters = inspect.signature(_streamable).parameters
    if "http_client" in parameters:
        from mcp.shared import _httpx_utils
        httpx_module = getattr(_httpx_utils, "httpx2", None) or getattr(_httpx_utils, "httpx")
        client = _httpx_utils.create_mcp_http_client(timeout=httpx_module.Timeout(GENEROUS, read=3 * GENEROUS))
        async with client:
            async with _streamable(url, http_client=client) as streams:
                yield streams
    else:
        async with _streamable(url, timeout=GENEROUS, sse_read_timeout=3 * GENEROUS) as streams:
            yield streams


def sse_options():
    """Generous HTTP timeouts for the SSE client (the SDK's default for a request is 5 s)."""
    parameters = inspect.signature(sse_client).parameters
    return {name: value for name, value in (("timeout", GENEROUS), ("sse_read_timeout", 3 * GENEROUS)) if name in parameters}


@asynccontextmanager
async def connect(args):
    if args.transport == "stdio":
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLUX_")}
        params = StdioServerParameters(command=args.flux, args=["start", "mcp", "--transport", "stdio"], cwd=args.workdir, env=env)
        with open(os.path.join(args.workdir, "server-stderr.txt"), "w") as errlog:
            async with stdio_client(params, errlog=errlog) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    yield session
    elif args.transport == "streamable-http":
        async with http_server(args, "streamable-http") as url:
            async with streamable_streams(url) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    yield session
    else:
        async with http_server(args, "sse") as url:
            async with sse_client(url, **sse_options()) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    yield session


async def call(session, name, arguments=None, progress=None):
    return await session.call_tool(name, arguments or {}, progress_callback=progress)


async def wait_for_state(session, workflow, execution_id, wanted):
    """Polls the execution until it is in `wanted` (at most GENEROUS seconds); answers the last state seen."""
    deadline = time.time() + GENEROUS
    state = None
    while time.time() < deadline:
        status = structured(await call(session, "get_execution_status", {"workflow_name": workflow, "execution_id": execution_id}))
        state = status["state"]
        if state == wanted:
            break
        await asyncio.sleep(0.05)
    return state


async def scenario(session, args, v):
    init = await session.initialize()
    v.protocol_version = attr(init, "protocol_version", "protocolVersion")
    server_info = attr(init, "server_info", "serverInfo")
    v.check("initialize", server_info is not None and server_info.name == "flux", f"server info {server_info}")

    tools = (await session.list_tools()).tools
    names = {t.name for t in tools}
    expected = {"list_workflows", "get_workflow_details", "upload_workflow", "execute_workflow_sync", "execute_workflow_async",
                "get_execution_status", "cancel_execution", "resume_workflow_sync", "resume_workflow_async", "list_executions",
                "get_execution_events", "delete_workflow", "list_workers", "health_check"}
    v.check("list_tools", expected <= names, f"missing {sorted(expected - names)}")
    v.check("tools_have_schemas", all(attr(t, "output_schema", "outputSchema") and attr(t, "input_schema", "inputSchema") for t in tools))

    for doc in ["hello_world.yaml", "pause.yaml", "cancellation.yaml"]:
        with open(os.path.join(args.examples, doc)) as f:
            result = await call(session, "upload_workflow", {"file_content": f.read(), "source_name": doc})
        v.check(f"upload_{doc}", not is_error(result) and structured(result)["success"], text_of(result))

    listed = structured(await call(session, "list_workflows"))
    v.check("list_workflows", {"hello_world", "pause", "cancellation"} <= {w["name"] for w in listed["workflows"]}, str(listed))

    details = structured(await call(session, "get_workflow_details", {"workflow_name": "hello_world"}))
    v.check("get_workflow_details", details["workflow"]["steps"] == ["greet"], str(details))

    # Sync run with progress notifications.
    progress = []

    async def on_progress(value, total, message=None):
        progress.append((value, total, message))

    result = await call(session, "execute_workflow_sync", {"workflow_name": "hello_world", "input_data": "World"}, on_progress)
    summary = structured(result)
    v.check("execute_sync", not is_error(result) and summary["state"] == "COMPLETED" and summary["output"] == "Hello, World", text_of(result))
    v.check("text_mirrors_structured", json.loads(text_of(result)) == summary, text_of(result)[:200])
    v.check("progress_notifications", len(progress) >= 1, f"progress {progress}")
    # Progress only grows, never passes a total (none is given), and names the step (issue #16, point 8).
    values = [p[0] for p in progress]
    v.check("progress_consistent", values == sorted(values) and all(p[1] is None or p[0] <= p[1] for p in progress)
            and all(p[2] and "greet" in p[2] for p in progress), f"progress {progress}")

    # input_data as a string holding JSON, and as a JSON value.
    result = await call(session, "execute_workflow_sync", {"workflow_name": "hello_world", "input_data": '"Ada"'})
    v.check("input_json_string", structured(result)["output"] == "Hello, Ada", text_of(result))

    # Async run, then poll.
    result = await call(session, "execute_workflow_async", {"workflow_name": "hello_world", "input_data": "Async"})
    execution_id = structured(result)["execution_id"]
    state = await wait_for_state(session, "hello_world", execution_id, "COMPLETED")
    v.check("execute_async_then_poll", state == "COMPLETED", f"last state {state}")
    detailed = structured(await call(session, "get_execution_status",
                                     {"workflow_name": "hello_world", "execution_id": execution_id, "detailed": True}))
    v.check("status_detailed_events", any(e["type"] == "WORKFLOW_COMPLETED" for e in detailed.get("events", [])), str(detailed)[:300])

    # Pause, then resume with input.
    result = await call(session, "execute_workflow_sync", {"workflow_name": "pause"})
    paused = structured(result)
    v.check("pause", paused["state"] == "PAUSED" and paused.get("pause", {}).get("name") == "wait_for_approval", text_of(result))
    result = await call(session, "resume_workflow_sync",
                        {"workflow_name": "pause", "execution_id": paused["execution_id"], "input_data": "yes"})
    v.check("resume", structured(result)["state"] == "COMPLETED" and structured(result)["output"] == "Approved with: yes", text_of(result))
    result = await call(session, "resume_workflow_sync",
                        {"workflow_name": "pause", "execution_id": paused["execution_id"], "input_data": "again"})
    v.check("resume_not_paused_is_error", is_error(result) and "PAUSED" in text_of(result), text_of(result))

    # Two branches of a parallel pause at once: each is listed and resumed by its pause_id (issue #16, point 1).
    two = ("flux: 1\nname: two_reviews\nsteps:\n  - id: both\n    parallel:\n"
           "      - id: legal\n        pause: legal_review\n      - id: finance\n        pause: finance_review\n"
           "output: \"${{ steps.legal.output }}+${{ steps.finance.output }}\"\n")
    result = await call(session, "upload_workflow", {"file_content": two, "source_name": "two.yaml"})
    v.check("upload_two_pauses", not is_error(result), text_of(result))
    waiting = structured(await call(session, "execute_workflow_sync", {"workflow_name": "two_reviews"}))
    names = [p["name"] for p in waiting.get("pauses", [])]
    v.check("two_pauses_listed", waiting["state"] == "PAUSED" and sorted(names) == ["finance_review", "legal_review"], str(waiting))
    result = await call(session, "resume_workflow_sync",
                        {"workflow_name": "two_reviews", "execution_id": waiting["execution_id"], "input_data": "x"})
    v.check("resume_without_pause_id_is_error", is_error(result) and "waits at 2 pauses" in text_of(result), text_of(result))
    by_name = {p["name"]: p["id"] for p in waiting.get("pauses", [])}
    if len(by_name) == 2:
        first = structured(await call(session, "resume_workflow_sync", {
            "workflow_name": "two_reviews", "execution_id": waiting["execution_id"], "input_data": "F",
            "pause_id": by_name["finance_review"]}))
        v.check("resume_one_pause", first["state"] == "PAUSED" and [p["name"] for p in first.get("pauses", [])] == ["legal_review"], str(first))
        done = structured(await call(session, "resume_workflow_sync", {
            "workflow_name": "two_reviews", "execution_id": waiting["execution_id"], "input_data": "L",
            "pause_id": by_name["legal_review"]}))
        v.check("resume_other_pause", done["state"] == "COMPLETED" and done["output"] == "L+F", str(done))

    # Async resume.
    paused2 = structured(await call(session, "execute_workflow_sync", {"workflow_name": "pause"}))
    result = await call(session, "resume_workflow_async",
                        {"workflow_name": "pause", "execution_id": paused2["execution_id"], "input_data": {"ok": True}})
    v.check("resume_async", not is_error(result) and structured(result)["state"] in ("RESUMING", "RUNNING", "COMPLETED"), text_of(result))

    # Cancel a long sleep.
    started = structured(await call(session, "execute_workflow_async", {"workflow_name": "cancellation"}))
    await wait_for_state(session, "cancellation", started["execution_id"], "RUNNING")
    result = await call(session, "cancel_execution",
                        {"workflow_name": "cancellation", "execution_id": started["execution_id"], "mode": "sync"})
    v.check("cancel_sync", not is_error(result) and structured(result)["status"] == "CANCELLED", text_of(result))
    result = await call(session, "cancel_execution", {"workflow_name": "cancellation", "execution_id": started["execution_id"]})
    v.check("cancel_finished_is_error", is_error(result), text_of(result))

    # Error cases: tool results with isError, and a JSON-RPC error for an unknown tool.
    result = await call(session, "execute_workflow_sync", {"workflow_name": "no_such_workflow"})
    v.check("unknown_workflow_is_error", is_error(result) and "no_such_workflow" in text_of(result), text_of(result))
    result = await call(session, "upload_workflow", {"file_content": "flux: 1\nname: Bad Name\nsteps: 3\n"})
    v.check("invalid_document_is_error", is_error(result) and "upload.yaml:2:7" in text_of(result), text_of(result))
    result = await call(session, "execute_workflow_sync", {"workflow_name": "hello_world", "input_data": 42})
    v.check("invalid_input_is_error", is_error(result) and "input schema" in text_of(result), text_of(result))
    result = await call(session, "get_execution_status", {"workflow_name": "hello_world", "execution_id": "nope"})
    v.check("unknown_execution_is_error", is_error(result), text_of(result))
    try:
        await call(session, "no_such_tool")
        v.check("unknown_tool_protocol_error", False, "no error raised")
    except McpError as error:
        v.check("unknown_tool_protocol_error", "no_such_tool" in str(error), str(error))

    # The extra tools.
    listed = structured(await call(session, "list_executions", {"workflow_name": "hello_world", "limit": 2}))
    v.check("list_executions", listed["count"] == 2 and listed["next_cursor"], str(listed)[:300])
    events = structured(await call(session, "get_execution_events", {"execution_id": execution_id}))
    v.check("get_execution_events", events["count"] >= 2 and events["events"][0]["sequence"] == 1, str(events)[:300])
    workers = structured(await call(session, "list_workers"))
    v.check("list_workers", workers["count"] == 1 and "executions_running" in workers["workers"][0], str(workers))
    health = structured(await call(session, "health_check"))
    v.check("health_check", health["status"] == "healthy", str(health))

    # Resources and the prompt.
    resources = (await session.list_resources()).resources
    uris = {str(r.uri) for r in resources}
    v.check("list_resources", {"flux://docs/workflow-format.md", "flux://docs/workflow.schema.json",
                               "flux://examples/hello_world.yaml", "flux://workflows/hello_world"} <= uris, str(sorted(uris))[:300])
    contents = (await session.read_resource("flux://docs/workflow-format.md")).contents
    v.check("read_format_doc", "Workflow document format" in contents[0].text, contents[0].text[:80])
    contents = (await session.read_resource(f"flux://executions/{execution_id}")).contents
    v.check("read_execution_resource", json.loads(contents[0].text)["state"] == "COMPLETED", contents[0].text[:200])
    templates = (await session.list_resource_templates())
    template_list = attr(templates, "resource_templates", "resourceTemplates", default=[])
    v.check("resource_templates", any(attr(t, "uri_template", "uriTemplate") == "flux://executions/{execution_id}" for t in template_list))
    prompt = await session.get_prompt("author_workflow", {"goal": "greet a user and wait for approval"})
    v.check("author_workflow_prompt", "greet a user" in prompt.messages[0].content.text, str(prompt)[:200])

    result = await call(session, "delete_workflow", {"workflow_name": "cancellation"})
    v.check("delete_workflow", structured(result)["deleted_versions"] >= 1, text_of(result))
    listed = structured(await call(session, "list_workflows"))
    v.check("deleted_gone", "cancellation" not in {w["name"] for w in listed["workflows"]}, str(listed)[:200])


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flux", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--transport", required=True, choices=["stdio", "streamable-http", "sse"])
    args = parser.parse_args()
    v = Verdict(args.transport)
    try:
        async with connect(args) as session:
            await asyncio.wait_for(scenario(session, args, v), timeout=2 * GENEROUS)
    except BaseException as error:  # report every failure in the verdict
        if isinstance(error, BaseExceptionGroup):
            detail = "; ".join(repr(e) for e in error.exceptions)
        else:
            detail = repr(error)
        v.check("no_exception", False, detail + "\n" + traceback.format_exc()[-1500:])
    print(v.as_json())
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
