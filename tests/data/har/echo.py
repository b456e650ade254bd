"""A WebSocket echo server on 127.0.0.1 for record.mjs: prints its port, echoes every message,
refuses the path /refuse with 403, and stops when its standard input closes (record.mjs closes
it, or ends)."""

import asyncio
import http
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        await ws.send(message)


def refuse(connection, request):
    if request.path == "/refuse":
        return connection.respond(http.HTTPStatus.FORBIDDEN, "refused\n")
    return None


async def main():
    async with serve(echo, "127.0.0.1", 0, process_request=refuse) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        loop = asyncio.get_running_loop()
        # Standard input closing is the signal to stop.
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
