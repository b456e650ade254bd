# Real peers on loopback for cases.sh: the cases Wireshark's dissector gets wrong or that a
# capture must show, each its own connection, in order; everything stops by itself.
#   1. websockets client and server, permessage-deflate with context takeover: every message
#      sent as fragments (websockets ends a fragmented message with an EMPTY final fragment),
#      so each is a fragmented compressed message; a ping between the fragments.
#   2. the same with no context takeover and 9-bit windows both ways (client_max_window_bits=9,
#      server_max_window_bits=9: small windows).
#   3. no compression: fragmented messages with empty final fragments and pings interleaved.
#   4. a refused upgrade: GET /refuse with Upgrade, answered 403 with a body.
#   5. a real headless Chromium client (chromium-client.mjs, playwright-core) with its default
#      permessage-deflate offer; the server echoes each message as fragments.
# What each side sent, message by message, is written to cases.json (the tests compare with it).
import asyncio, json, os, sys
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory, ServerPerMessageDeflateFactory)
from websockets.http11 import Response
from websockets.datastructures import Headers

port = int(sys.argv[1])
MESSAGES = json.load(open("messages.json"))
sent = []  # {"connection", "direction", "message" (its index in messages.json), "fragments"}

def payload(m):
    return bytes.fromhex(m["hex"]) if "hex" in m else m["text"]

def pieces(m, n=3):
    """A message in n pieces (of its characters, or its bytes)."""
    step = max(1, -(-len(m) // n))
    return [m[i:i + step] for i in range(0, len(m), step)] or [m[:0]]

def record(connection, direction, m, fragments):
    index = [payload(x) for x in MESSAGES].index(m)
    sent.append({"connection": connection, "direction": direction, "message": index,
                 "fragments": fragments})

async def echo(ws):
    connection = int(ws.request.path.rsplit("/", 1)[1])
    async for m in ws:
        parts = pieces(m)
        await ws.send(parts)
        record(connection, "server", m, len(parts) + 1)

def refuse(connection, request):
    if request.path == "/refuse":
        return Response(403, "Forbidden", Headers({"Content-Type": "text/plain"}),
                        b"no WebSockets here\n")

pings = 0

async def fragments_with_pings(ws, parts):
    global pings
    for p in parts:
        yield p
        pings += 1
        await ws.ping(f"between fragments {pings}".encode())

async def client(connection, extensions):
    async with connect(f"ws://127.0.0.1:{port}/echo/{connection}", extensions=extensions or None,
                       compression=None, max_size=None) as ws:
        for m in MESSAGES:
            m = payload(m)
            parts = pieces(m)
            await ws.send(fragments_with_pings(ws, parts))
            record(connection, "client", m, len(parts) + 1)
            assert await ws.recv() == m

async def main():
    deflate = [ServerPerMessageDeflateFactory()]
    async with serve(echo, "127.0.0.1", port, max_size=None, process_request=refuse,
                     extensions=deflate, compression=None):
        await client(1, [ClientPerMessageDeflateFactory(client_max_window_bits=True)])
        await asyncio.sleep(0.2)
        await client(2, [ClientPerMessageDeflateFactory(
            server_no_context_takeover=True, client_no_context_takeover=True,
            server_max_window_bits=9, client_max_window_bits=9)])
        await asyncio.sleep(0.2)
        await client(3, [])
        await asyncio.sleep(0.2)
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"GET /refuse HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n")
        await r.read()
        w.close()
        await asyncio.sleep(0.2)
        if os.environ.get("CHROMIUM_CLIENT"):
            node = await asyncio.create_subprocess_exec(
                "node", "chromium-client.mjs", str(port), "5")
            assert await node.wait() == 0, "the Chromium client failed"
            for m in MESSAGES:
                record(5, "client", payload(m), 1)
            await asyncio.sleep(0.3)
    with open("cases.json", "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(s) for s in sent) + "\n]\n")

asyncio.run(asyncio.wait_for(main(), 60))
