# Real peers on loopback for capture.sh: a Python `websockets` echo server, a raw TCP sink, and
# clients that open one connection each, in order, then everything stops by itself.
#   1. websockets client, permessage-deflate (the default offer)
#   2. websockets client, no compression, writing its bytes 500 at a time (one send() each), so
#      the 4000-byte binary message spans 8 segments (loopback would otherwise carry it in one)
#   3. a plain HTTP GET without Upgrade (an "other" flow: the server refuses it)
#   4. bytes that start like a TLS ClientHello (16 03 01 ...) to the raw sink
#   5. a Node `ws` client (client.js) over IPv6 (::1), permessage-deflate on every message
import asyncio, json, sys
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

port = int(sys.argv[1])
MESSAGES = json.load(open("messages.json"))

def decode(m):
    return bytes.fromhex(m["hex"]) if "hex" in m else m["text"]

def chunked(ws):
    write = ws.transport.write
    def write_chunks(data):
        for i in range(0, len(data), 500):
            write(data[i:i + 500])
    ws.transport.write = write_chunks

async def echo(ws):
    async for m in ws:
        await ws.send(m)

async def sink(reader, writer):
    await reader.read(4096)
    writer.close()

async def client(compression):
    async with connect(f"ws://127.0.0.1:{port}/echo", compression=compression, max_size=None) as ws:
        if compression is None:
            chunked(ws)
        for m in MESSAGES:
            await ws.send(decode(m))
            assert await ws.recv() == decode(m)
    # leaving the block sends Close (1000) and waits for the server's

async def main():
    async with serve(echo, ["127.0.0.1", "::1"], port, max_size=None):
        raw = await asyncio.start_server(sink, "127.0.0.1", port + 1)
        await client("deflate")
        await asyncio.sleep(0.2)
        await client(None)
        await asyncio.sleep(0.2)
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        await r.read()
        w.close()
        await asyncio.sleep(0.2)
        r, w = await asyncio.open_connection("127.0.0.1", port + 1)
        w.write(bytes.fromhex("160301002a010000260303") + bytes(32) + b"\x00\x00\x02\x13\x01\x01\x00")
        await w.drain()
        await r.read()
        w.close()
        await asyncio.sleep(0.2)
        node = await asyncio.create_subprocess_exec("node", "client.js", str(port))
        assert await node.wait() == 0, "the node client failed"
        await asyncio.sleep(0.3)
        raw.close()

asyncio.run(asyncio.wait_for(main(), 20))
