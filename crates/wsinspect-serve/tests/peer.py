"""A real WebSocket peer (Python `websockets`) for the relay tests, which records every byte
its socket sends and receives, so the test can check that the relay changed nothing.

    python3 peer.py server COMPRESSION   # echo server on 127.0.0.1, any free port; prints
                                         # {"ready": PORT}, then one JSON line per connection
                                         # when it ends: {"role": "server", "sent": HEX, "recv": HEX}
    python3 peer.py client URL COMPRESSION
                                         # sends the messages below, expects each echoed, closes,
                                         # prints {"role": "client", "sent", "recv", "messages"}

COMPRESSION is `deflate` (permessage-deflate offered and accepted) or `none`. Loopback only;
the server runs until it is killed, the client ends by itself (10 s at most).
"""

import asyncio
import json
import os
import sys

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve


class Tap:
    """A transport that remembers what is written through it."""

    def __init__(self, transport, sink):
        self._transport = transport
        self._sink = sink

    def write(self, data):
        self._sink.extend(data)
        self._transport.write(data)

    def writelines(self, lines):
        for data in lines:
            self.write(data)

    def __getattr__(self, name):
        return getattr(self._transport, name)


def tapped(base):
    class Tapped(base):
        def connection_made(self, transport):
            self.sent_bytes = bytearray()
            self.recv_bytes = bytearray()
            super().connection_made(Tap(transport, self.sent_bytes))

        def data_received(self, data):
            self.recv_bytes.extend(data)
            super().data_received(data)

        def connection_lost(self, exc):
            super().connection_lost(exc)
            if base is ServerConnection:
                record = {"role": "server", "sent": self.sent_bytes.hex(), "recv": self.recv_bytes.hex()}
                print(json.dumps(record), flush=True)

    return Tapped


def messages():
    rnd = os.urandom(20000)
    return [
        "hello",
        bytes(range(256)),
        "compressible " * 2000,
        rnd,
        "é ✓ \U0001F600",
        ["frag", "mented ", "message"],
    ]


def compression(arg):
    return None if arg == "none" else "deflate"


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def run_server(arg):
    async with serve(echo, "127.0.0.1", 0, compression=compression(arg),
                     create_connection=tapped(ServerConnection), max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"ready": port}), flush=True)
        await asyncio.Future()


async def run_client(url, arg):
    sent = []
    async with connect(url, compression=compression(arg), create_connection=tapped(ClientConnection),
                       max_size=None, open_timeout=5, close_timeout=5) as ws:
        for m in messages():
            await ws.send(m)
            whole = "".join(m) if isinstance(m, list) else m
            echoed = await ws.recv()
            assert echoed == whole, "the echo differs"
            data = whole.encode() if isinstance(whole, str) else whole
            sent.append({"text": isinstance(whole, str), "hex": data.hex()})
        conn = ws
    await conn.wait_closed()
    print(json.dumps({"role": "client", "sent": conn.sent_bytes.hex(), "recv": conn.recv_bytes.hex(),
                      "messages": sent}), flush=True)


def main():
    if sys.argv[1] == "server":
        asyncio.run(run_server(sys.argv[2]))
    else:
        asyncio.run(asyncio.wait_for(run_client(sys.argv[2], sys.argv[3]), 10))


if __name__ == "__main__":
    main()
