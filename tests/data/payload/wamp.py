"""WAMP v2 with autobahn|python (a real WAMP client) against a small WAMP router written here on
Python `websockets` (a broker and a dealer for one session; no router installs quickly from
PyPI or apt: crossbar is large). Two sessions on 127.0.0.1, one per serializer: wamp.2.json
and wamp.2.msgpack. Each: HELLO/WELCOME, SUBSCRIBE, PUBLISH (acknowledged, not excluding the
publisher) and its EVENT, REGISTER, CALL/INVOCATION/YIELD/RESULT, GOODBYE. Stops by itself."""

import asyncio
import json
import sys

import msgpack
import websockets
from autobahn.asyncio.wamp import ApplicationSession
from autobahn.asyncio.websocket import WampWebSocketClientFactory
from autobahn.wamp.serializer import JsonSerializer, MsgPackSerializer
from autobahn.wamp.types import ComponentConfig, PublishOptions

CODECS = {
    "wamp.2.json": (lambda b: json.loads(b), lambda m: json.dumps(m)),
    "wamp.2.msgpack": (lambda b: msgpack.unpackb(b), lambda m: msgpack.packb(m)),
}


async def router(ws):
    load, dump = CODECS[ws.subprotocol]
    subs, regs, calls, ids = {}, {}, {}, iter(range(1000, 10**6))
    async for raw in ws:
        m = load(raw)
        code = m[0]
        if code == 1:  # HELLO
            out = [[2, next(ids), {"roles": {"broker": {}, "dealer": {}}}]]
        elif code == 32:  # SUBSCRIBE
            sub = next(ids)
            subs[m[3]] = sub
            out = [[33, m[1], sub]]
        elif code == 16:  # PUBLISH
            pub = next(ids)
            out = [[17, m[1], pub]] if m[2].get("acknowledge") else []
            if m[3] in subs:
                out.append([36, subs[m[3]], pub, {}, *m[4:]])
        elif code == 64:  # REGISTER
            reg = next(ids)
            regs[m[3]] = reg
            out = [[65, m[1], reg]]
        elif code == 48:  # CALL
            inv = next(ids)
            calls[inv] = m[1]
            out = [[68, inv, regs[m[3]], {}, *m[4:]]]
        elif code == 70:  # YIELD
            out = [[50, calls.pop(m[1]), {}, *m[3:]]]
        elif code == 6:  # GOODBYE
            out = [[6, {}, "wamp.close.goodbye_and_out"]]
        else:
            out = []
        for o in out:
            await ws.send(dump(o))


class Client(ApplicationSession):
    async def onJoin(self, details):
        got = asyncio.get_running_loop().create_future()
        await self.subscribe(lambda *a, **k: got.set_result(a), "com.example.prices")
        await self.publish("com.example.prices", "ABC", 101.5, options=PublishOptions(acknowledge=True, exclude_me=False))
        print("event", await got)
        await self.register(lambda a, b: a + b, "com.example.add")
        print("call", await self.call("com.example.add", 2, 3))
        self.leave()

    def onDisconnect(self):
        self.config.extra["done"].set_result(None)


async def session(port, serializer):
    done = asyncio.get_running_loop().create_future()
    factory = WampWebSocketClientFactory(
        lambda: Client(ComponentConfig("realm1", extra={"done": done})),
        url=f"ws://127.0.0.1:{port}/ws",
        serializers=[serializer],
    )
    transport, _ = await asyncio.get_running_loop().create_connection(factory, "127.0.0.1", port)
    await done
    transport.close()


async def main(port):
    async with websockets.serve(router, "127.0.0.1", port, subprotocols=list(CODECS), compression=None):
        await session(port, JsonSerializer())
        await session(port, MsgPackSerializer())


asyncio.run(asyncio.wait_for(main(int(sys.argv[1])), 10))
