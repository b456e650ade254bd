import asyncio, sys
from websockets.asyncio.client import connect
async def main():
    async with connect(f"ws://127.0.0.1:{sys.argv[1]}/echo", subprotocols=["chat", "superchat"], origin="http://127.0.0.1") as ws:
        await ws.send("Hello from websockets")
        print(await ws.recv())
asyncio.run(main())
