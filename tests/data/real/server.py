# Python `websockets` echo server: echoes every message; the large one as a fragmented message.
import asyncio, sys
from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
port, no_takeover = int(sys.argv[1]), sys.argv[2] == "nct"
async def echo(ws):
    async for m in ws:
        if len(m) > 1000:
            n = len(m) // 3
            await ws.send([m[:n], m[n:2 * n], m[2 * n:]])
        else:
            await ws.send(m)
async def main():
    ext = [ServerPerMessageDeflateFactory(server_no_context_takeover=no_takeover, client_no_context_takeover=no_takeover)]
    async with serve(echo, "127.0.0.1", port, extensions=ext, max_size=None):
        await asyncio.sleep(8)
asyncio.run(main())
