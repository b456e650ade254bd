# Real TLS peers on loopback for capture.sh: a Python `websockets` echo server with an ssl
# context (cert.pem/key.pem, ALPN http/1.1), and the clients of messages.json, one connection
# each, in order: Python `websockets` clients writing their secrets with
# SSLContext.keylog_filename (TLS 1.2 forced with maximum_version and one cipher), and Node `ws`
# clients (client.js) run with `node --tls-keylog`, and `openssl s_client -keylogfile` clients
# that refuse the certificate. Everything stops by itself.
#
# KeyUpdate: neither Python's ssl module nor Node can send a TLS 1.3 KeyUpdate on demand, so
# py13-keyupdate calls OpenSSL's SSL_key_update through ctypes on the SSL* of Python's
# `_ssl._SSLSocket` (CPython's PySSLSocket: the object header, a weak reference to the socket,
# then `SSL *ssl`); SSL_version() on that pointer must say TLS 1.3 before it is used.
import asyncio, ctypes, json, ssl, sys
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

port, keydir = int(sys.argv[1]), sys.argv[2]
CONNECTIONS = [c for c in json.load(open("messages.json")) if c["client"] != "chromium"]
OPENSSL = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
}


def decode(m):
    return bytes.fromhex(m["hex"]) if "hex" in m else m["text"]


async def echo(ws):
    async for m in ws:
        await ws.send(m)


def server_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain("cert.pem", "key.pem")
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def client_context(c):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations("cert.pem")
    ctx.set_alpn_protocols(["http/1.1"])
    if c["version"] == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(OPENSSL[c["suite"]])
    if c["keylog"]:
        ctx.keylog_filename = f"{keydir}/{c['name']}.log"
    return ctx


def key_update(ws):
    libssl = ctypes.CDLL("libssl.so.3")
    libssl.SSL_version.argtypes = [ctypes.c_void_p]
    libssl.SSL_key_update.argtypes = [ctypes.c_void_p, ctypes.c_int]
    sslobj = ws.transport.get_extra_info("ssl_object")._sslobj
    # Past the reference count, the type and the socket reference.
    ptr = ctypes.c_void_p.from_address(id(sslobj) + 3 * ctypes.sizeof(ctypes.c_void_p)).value
    assert libssl.SSL_version(ptr) == 0x0304, "not the SSL* of a TLS 1.3 connection"
    assert libssl.SSL_key_update(ptr, 1) == 1  # SSL_KEY_UPDATE_REQUESTED


async def python_client(c):
    url = f"wss://127.0.0.1:{port}/{c['name']}"
    compression = "deflate" if c["deflate"] else None
    async with connect(url, ssl=client_context(c), server_hostname="localhost",
                       compression=compression, max_size=None) as ws:
        for i, m in enumerate(c["messages"]):
            if c.get("key_update_before") == i:
                key_update(ws)
            await ws.send(decode(m))
            assert await ws.recv() == decode(m)


async def openssl_client(c):
    version = "-tls1_3" if c["version"] == "1.3" else "-tls1_2"
    s_client = await asyncio.create_subprocess_exec(
        "openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
        "-verify_return_error", version, "-keylogfile", f"{keydir}/{c['name']}.log",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    assert await asyncio.wait_for(s_client.wait(), 5) != 0, "s_client trusted the certificate"


async def node_client(c):
    node = await asyncio.create_subprocess_exec(
        "node", f"--tls-keylog={keydir}/{c['name']}.log", "client.js", str(port), c["name"])
    assert await node.wait() == 0, f"the node client {c['name']} failed"


async def main():
    async with serve(echo, "127.0.0.1", port, ssl=server_context(), max_size=None):
        for c in CONNECTIONS:
            client = {"node": node_client, "openssl": openssl_client}.get(c["client"], python_client)
            await client(c)
            await asyncio.sleep(0.2)

asyncio.run(asyncio.wait_for(main(), 30))
