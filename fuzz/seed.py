#!/usr/bin/env python3
"""Write the seed corpora (fuzz/corpus/<target>/) from the project's test fixtures: real traffic
and the RFC examples, each prefixed with the target's knob bytes (see each target's header).
Run from anywhere: python3 fuzz/seed.py"""
import glob, os, struct

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def put(target, data, name):
    d = f"{root}/fuzz/corpus/{target}"
    os.makedirs(d, exist_ok=True)
    open(f"{d}/{name}", "wb").write(data)


def rd(p):
    return open(f"{root}/tests/data/{p}", "rb").read()


# notation: one knob byte (format, direction, deflate), then the pasted input.
for p in ["rfc6455-5.7-masked-hello.bin", "rfc7692-7.2.3.2-dump.txt", "handshake/rfc6455.txt",
          "handshake/tutorial-003.txt", "deflate/far-reference.hex", "deflate/takeover-pair.hex",
          "follow/echo.follow.txt"]:
    put("notation", b"\x00" + rd(p), os.path.basename(p))
put("notation", b"\x10" + rd("deflate/takeover-pair.hex"), "takeover-deflate")
# handshake: which prefix, then the text.
for p in sorted(glob.glob(f"{root}/tests/data/handshake/*.txt")) + [f"{root}/tests/data/handshake/draft76.bin"]:
    put("handshake", b"\x00" + open(p, "rb").read(), os.path.basename(p))
# session: flags (1 = handshake), the client's length, a 3-byte chunking seed, both directions.
for pre in ["real/ctx", "real/nct", "handshake/real-node-client_py-server",
            "handshake/real-py-client_node-server"]:
    c, s = rd(pre + ".client.bin"), rd(pre + ".server.bin")
    put("session", bytes([1]) + struct.pack(">H", len(c)) + bytes([3]) + b"\x07\x40\x91" + c + s,
        os.path.basename(pre))
put("session", bytes([0, 0, 11, 0]) + rd("rfc6455-5.7-masked-hello.bin"), "hello-no-handshake")
# capture: the chunk size (byte + 1), then the file.
for p in ["pcap/echo.pcap", "pcap/echo.pcapng", "pcap/fragmented.pcap", "pcap/lost-segment.pcapng",
          "tls/chromium-embedded.pcapng", "tls/h2.pcapng"]:
    put("capture", b"\x63" + rd(p), os.path.basename(p))
# har: the file.
for p in sorted(glob.glob(f"{root}/tests/data/har/*.har")):
    put("har", open(p, "rb").read(), os.path.basename(p))
# payload: knobs (0: auto, subprotocol from the capture), then messages, each a kind byte
# (0 text, 1 binary) and its payload, separated by 0xfe. The messages come from the real
# captures of tests/data/payload, read by wsinspect itself.
import json, subprocess
SUBS = [None, "mqtt", "v12.stomp", "wamp.2.json", "wamp.2.msgpack", "wamp.2.cbor",
        "graphql-transport-ws", "actioncable-v1-json"]
for p in sorted(glob.glob(f"{root}/tests/data/payload/*.pcapng")):
    out = subprocess.run(["cargo", "run", "-q", "-p", "wsinspect-cli", "--", "pcap", "--json",
                          "--payload", "none", p], cwd=root, capture_output=True, check=True)
    for c in json.loads(out.stdout)["connections"]:
        sub = (c.get("upgrade") or {}).get("subprotocol")
        knobs = (SUBS.index(sub) << 5) if sub in SUBS else 0
        parts = [bytes([0 if m["opcode"] == 1 else 1]) + bytes.fromhex(m["payload"])
                 for m in c["messages"][:40]]
        put("payload", bytes([knobs]) + b"\xfe".join(parts),
            f"{os.path.basename(p)}-{c['id']}")
# relay_head: the limit byte (x64 bytes), a chunking seed, then what a client sends first: the
# real clients' request heads (with the frames that followed them), and the RFC's.
for i, p in enumerate(["handshake/real-node-client_py-server.client.bin",
                       "handshake/real-py-client_node-server.client.bin", "handshake/rfc6455.txt",
                       "handshake/tutorial-003.txt", "handshake/draft76.bin"]):
    put("relay_head", bytes([255, 7 * i + 1]) + rd(p)[:4096], os.path.basename(p))
put("relay_head", bytes([1, 3]) + rd("handshake/rfc6455.txt")[:4096], "over-limit")
# boundary: the mode (0 frames, 1 after a request head, 2 after a response head), a chunking
# seed, then one direction's bytes: the real peers' streams and the RFC's frames.
put("boundary", bytes([0, 5]) + rd("rfc6455-5.7-masked-hello.bin"), "rfc-hello")
for i, (p, mode) in enumerate([("handshake/real-node-client_py-server.client.bin", 1),
                               ("handshake/real-node-client_py-server.server.bin", 2),
                               ("handshake/real-py-client_node-server.client.bin", 1),
                               ("handshake/real-py-client_node-server.server.bin", 2)]):
    put("boundary", bytes([mode, 11 * i + 3]) + rd(p)[:8192], os.path.basename(p))
