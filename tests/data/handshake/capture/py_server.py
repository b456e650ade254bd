import asyncio, sys
from websockets.asyncio.server import serve
async def echo(ws):
    async for m in ws:
        await ws.send(m)
async def main():
    async with serve(echo, "127.0.0.1", int(sys.argv[1]), subprotocols=["chat"]) as s:
        await asyncio.sleep(float(sys.argv[2]))
asyncio.run(main())
