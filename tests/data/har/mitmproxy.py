"""Record mitmproxy.har: mitmproxy's own HAR (mitmdump's `hardump` option) of a real session
through it, on 127.0.0.1. mitmdump runs as a reverse proxy in front of echo.py (Python
`websockets`); a Python `websockets` client connects through it with permessage-deflate
(mitmproxy passes the offer on), sends `hello`, the bytes `00 01 02 fe ff` and
`héllo wörld 😀`, each after the echo of the one before, and closes with 1000; then a client
asks for /refuse, which the server refuses with 403. Every process this script starts is
stopped by it.

    python3 mitmproxy.py MITMDUMP   (e.g. /tmp/mitm/bin/mitmdump from `pip install mitmproxy`)
"""
import asyncio, socket, subprocess, sys, time

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

MESSAGES = ["hello", bytes([0, 1, 2, 0xFE, 0xFF]), "héllo wörld 😀"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def session(port):
    async with connect(f"ws://127.0.0.1:{port}/echo") as ws:
        for m in MESSAGES:
            await ws.send(m)
            assert await ws.recv() == m
    try:
        async with connect(f"ws://127.0.0.1:{port}/refuse"):
            raise AssertionError("the refusal was accepted")
    except InvalidStatus as e:
        assert e.response.status_code == 403


def main():
    mitmdump = sys.argv[1]
    server = subprocess.Popen([sys.executable, "echo.py"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    proxy = None
    try:
        upstream = int(server.stdout.readline())
        port = free_port()
        proxy = subprocess.Popen([mitmdump, "-q", "--listen-host", "127.0.0.1",
                                  "--listen-port", str(port),
                                  "--mode", f"reverse:http://127.0.0.1:{upstream}",
                                  "--set", "hardump=mitmproxy.har"])
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        asyncio.run(asyncio.wait_for(session(port), 20))
    finally:
        if proxy:
            proxy.terminate()  # mitmdump writes the HAR as it stops
            proxy.wait(20)
        server.stdin.close()
        server.wait(10)


main()
