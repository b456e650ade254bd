"""WebSocket servers on 127.0.0.1 that each make exactly one mistake (and a correct echo server
made with the `websockets` library, the backend behind nginx). Usage: mistakes.py MODE PORT.
Each connection gets its own thread; the process runs until it is killed (capture.sh stops it).

Modes (the mistake):
  echo                 none (websockets library, no keepalive pings: nginx's idle timeout shows)
  http-after-upgrade   a correct 101, then an HTTP response written onto the upgraded socket
  rsv1-unnegotiated    a correct 101 with no extension, then a compressed (RSV1) text frame
  rsv1-on-ping         a correct 101, then a ping frame with RSV1 set
  subprotocol          a 101 without Sec-WebSocket-Protocol although the client offered some
  accept               the tutorial's Accept: the GUID misspelt (258EAF5-..., one digit dropped)
  bare-lf              a correct 101 whose lines end in LF only
  ping-unanswered      never answers a ping
  no-close-frame       echoes one message, then closes TCP without a close frame
  close-not-answered   never answers the client's close frame (closes TCP 5 s later)
"""

import asyncio
import base64
import hashlib
import socket
import sys
import threading
import time
import zlib

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TUTORIAL_GUID = "258EAF5-E914-47DA-95CA-C5AB0DC85B11"


def accept(key, guid=GUID):
    return base64.b64encode(hashlib.sha1((key + guid).encode()).digest()).decode()


def read_head(conn):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        buf += chunk
    head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    headers = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(conn):
    """(opcode, payload) of the next client frame, or None at EOF."""
    head = recv_exact(conn, 2)
    if head is None:
        return None
    opcode, n = head[0] & 15, head[1] & 127
    if n == 126:
        n = int.from_bytes(recv_exact(conn, 2), "big")
    elif n == 127:
        n = int.from_bytes(recv_exact(conn, 8), "big")
    key = recv_exact(conn, 4) if head[1] & 128 else b"\0\0\0\0"
    data = recv_exact(conn, n) if n else b""
    if key is None or data is None:
        return None
    return opcode, bytes(b ^ key[i % 4] for i, b in enumerate(data))


def frame(b0, payload=b""):
    assert len(payload) < 126
    return bytes([b0, len(payload)]) + payload


def response(headers, guid=GUID, eol="\r\n", protocol=True):
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Accept: " + accept(headers.get("sec-websocket-key", ""), guid),
    ]
    offered = headers.get("sec-websocket-protocol")
    if offered and protocol:
        lines.append("Sec-WebSocket-Protocol: " + offered.split(",")[0].strip())
    return (eol.join(lines) + eol + eol).encode()


def serve(conn, answer_ping=True, answer_close=True, echoes=None):
    """Echo text and binary frames, answer pings and the close (unless told not to)."""
    while True:
        f = read_frame(conn)
        if f is None:
            return
        opcode, data = f
        if opcode in (1, 2):
            conn.sendall(frame(0x80 | opcode, data))
            if echoes is not None:
                echoes -= 1
                if echoes == 0:
                    return
        elif opcode == 9 and answer_ping:
            conn.sendall(frame(0x8A, data))
        elif opcode == 8:
            if answer_close:
                conn.sendall(frame(0x88, data[:2]))
                return
            time.sleep(5)
            return


def handle(mode, conn):
    with conn:
        headers = read_head(conn)
        if headers is None:
            return
        if mode == "accept":
            conn.sendall(response(headers, guid=TUTORIAL_GUID))
        elif mode == "bare-lf":
            conn.sendall(response(headers, eol="\n"))
        elif mode == "subprotocol":
            conn.sendall(response(headers, protocol=False))
        else:
            conn.sendall(response(headers))
        if mode == "http-after-upgrade":
            body = b"Upgraded. Hello!\n"
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
        elif mode == "rsv1-unnegotiated":
            c = zlib.compressobj(wbits=-15)
            data = c.compress(b"hello, compressed") + c.flush(zlib.Z_SYNC_FLUSH)
            conn.sendall(frame(0xC1, data[:-4]))
        elif mode == "rsv1-on-ping":
            conn.sendall(frame(0xC9, b"rsv1"))
        serve(
            conn,
            answer_ping=mode != "ping-unanswered",
            answer_close=mode != "close-not-answered",
            echoes=1 if mode == "no-close-frame" else None,
        )


async def echo(port):
    from websockets.asyncio.server import serve as ws_serve

    async def handler(ws):
        async for message in ws:
            await ws.send(message)

    async with ws_serve(handler, "127.0.0.1", port, ping_interval=None):
        await asyncio.Future()


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "echo":
        asyncio.run(echo(port))
        return
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen()
    while True:
        conn, _ = s.accept()
        threading.Thread(target=handle, args=(mode, conn), daemon=True).start()


if __name__ == "__main__":
    main()
