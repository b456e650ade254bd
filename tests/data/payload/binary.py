"""Binary payloads made by the real libraries, sent over Python `websockets` on 127.0.0.1 to an
echo server: MessagePack (`msgpack`), CBOR (`cbor2`, with a datetime tag), Protobuf (`protobuf`'s
well-known Struct and Timestamp messages, and a `chat.Message` of chat.proto, compiled by
capture.sh with grpc_tools.protoc) and gzip-compressed JSON (`gzip`). The client sends each as
a binary message and waits for its echo."""

import asyncio
import datetime
import gzip
import json
import sys

import cbor2
import msgpack
import websockets
from google.protobuf import struct_pb2, timestamp_pb2

import chat_pb2  # generated from chat.proto by capture.sh

READING = {"sensor": "t1", "temperature": 21.5, "tags": ["lab", "north"], "ok": True}


def payloads():
    s = struct_pb2.Struct()
    s.update(READING)
    ts = timestamp_pb2.Timestamp(seconds=1795864648, nanos=5000)
    when = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)
    return [
        msgpack.packb(READING),
        cbor2.dumps({**READING, "at": when}),
        s.SerializeToString(),
        ts.SerializeToString(),
        chat_pb2.Message(
            **{"from": chat_pb2.User(name="ann", karma=-3)},
            text="hello from protobuf",
            kind=chat_pb2.IMAGE,
            reactions=[1, 300, -2],
            at=ts,
            score=0.5,
            meta={"room": "lobby"},
        ).SerializeToString(),
        gzip.compress(json.dumps(READING).encode(), mtime=0),
    ]


async def echo(ws):
    async for m in ws:
        await ws.send(m)


async def main(port):
    async with websockets.serve(echo, "127.0.0.1", port, compression=None):
        async with websockets.connect(f"ws://127.0.0.1:{port}", compression=None) as ws:
            for p in payloads():
                await ws.send(p)
                assert await ws.recv() == p


asyncio.run(asyncio.wait_for(main(int(sys.argv[1])), 10))
