#!/usr/bin/env python3
"""instant-server.py - an HTTP/1.1 server that answers every request at once with the bytes `flux start server`
sends for POST /workflows/hello_world/run/sync (same status line, headers and body), doing no work at all.

It measures the client, not a server: what ../shared/bench/rest_load.py manages against a server that costs
nothing is the most any server can show with that client on this machine (docs/performance.md, session 5).

  python3 bench/instant-server.py --port 18401 [--delay-ms 1]
  python3 ../shared/bench/rest_load.py --base-url http://127.0.0.1:18401 --route '/workflows/{workflow}/run/sync' \
      --workflow hello_world --body '"World"' --expect 'Hello, World' --sequential 10 --concurrency 8 --duration 15

--delay-ms answers each request after that many milliseconds (asyncio.sleep), as a server with that latency would.
"""
import argparse
import asyncio
import email.utils

BODY = (b'{"created_at":"2026-11-27T03:18:00.992Z","execution_id":"01a21b028a1f72574882c55b8d2e60f8","input":"World",'
        b'"output":"Hello, World","state":"COMPLETED","updated_at":"2026-11-27T03:18:00.992Z",'
        b'"workflow_name":"hello_world","workflow_version":1}')


def response() -> bytes:
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(BODY)}\r\n"
            f"Date: {email.utils.formatdate(usegmt=True)}\r\nServer: flux\r\n\r\n")
    return head.encode() + BODY


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    buffer = b""
    while True:
        data = await reader.read(65536)
        if not data:
            break
        buffer += data
        while (end := buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(buffer) < end + 4 + length:
                break
            buffer = buffer[end + 4 + length:]
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(response())
    writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    server = await asyncio.start_server(lambda r, w: handle(r, w, args.delay_ms / 1000), "127.0.0.1", args.port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
