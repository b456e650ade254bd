"""A Python `websockets` client that prints what the library reports, one line each:
client.py URL [--protocol P] [--ping SECONDS] [--close] [--hold SECONDS]."""

import argparse
import asyncio

from websockets.asyncio.client import connect


async def main():
    a = argparse.ArgumentParser()
    a.add_argument("url")
    a.add_argument("--protocol")
    a.add_argument("--ping", type=float)
    a.add_argument("--close", action="store_true")
    a.add_argument("--hold", type=float, default=3)
    args = a.parse_args()
    try:
        async with connect(
            args.url,
            subprotocols=[args.protocol] if args.protocol else None,
            ping_interval=args.ping,
            ping_timeout=args.ping,
            close_timeout=3,
            open_timeout=5,
        ) as ws:
            print("open")
            await ws.send("hello")
            print("message:", await asyncio.wait_for(ws.recv(), args.hold))
            if args.close:
                await ws.close()
                await ws.recv()
            await asyncio.wait_for(ws.recv(), args.hold)
    except asyncio.TimeoutError:
        print("no error within", args.hold, "s")
    except Exception as e:  # print what the library says, whatever it is
        print(f"{type(e).__name__}: {e}")


asyncio.run(main())
