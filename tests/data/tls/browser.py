# A real browser for capture.sh: headless Chromium (SSLKEYLOGFILE set by the caller) opens
# https://localhost:PORT/ (the certificate's errors ignored, localhost mapped to 127.0.0.1);
# the page, served by this Python `websockets` server, opens wss://localhost:PORT/chromium,
# sends each message of messages.json's "chromium" connection after the echo of the one before
# (Chromium offers permessage-deflate, the server accepts it), then closes (1000). When the
# server has seen that close, Chromium is stopped. Everything stops by itself.
import asyncio, json, os, signal, ssl, sys, tempfile
from http import HTTPStatus
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

port, chromium = int(sys.argv[1]), sys.argv[2]
conn = next(c for c in json.load(open("messages.json")) if c["name"] == "chromium")
PAGE = """<!doctype html><title>wsinspect TLS fixture</title><script>
const msgs = %s.map((m) => ('text' in m ? m.text
  : new Uint8Array(m.hex.match(/../g).map((h) => parseInt(h, 16)))));
const ws = new WebSocket('wss://localhost:%d/chromium');
ws.binaryType = 'arraybuffer';
let got = 0;
ws.onopen = () => ws.send(msgs[0]);
ws.onmessage = () => { got += 1; if (got === msgs.length) ws.close(1000, 'done'); else ws.send(msgs[got]); };
</script>""" % (json.dumps(conn["messages"]), port)
done = asyncio.Event()


def page(connection, request):
    if request.path == "/":
        body = PAGE.encode()
        headers = Headers([("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
        return Response(200, "OK", headers, body)
    if request.path != "/chromium":
        return connection.respond(HTTPStatus.NOT_FOUND, "")


async def echo(ws):
    async for m in ws:
        await ws.send(m)
    done.set()


async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain("cert.pem", "key.pem")
    ctx.set_alpn_protocols(["http/1.1"])
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        async with serve(echo, "127.0.0.1", port, ssl=ctx, process_request=page, max_size=None):
            browser = await asyncio.create_subprocess_exec(
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
                "--ignore-certificate-errors", "--host-resolver-rules=MAP localhost 127.0.0.1",
                "--remote-debugging-port=0", f"https://localhost:{port}/",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True)
            try:
                await asyncio.wait_for(done.wait(), 20)
                await asyncio.sleep(0.5)
            finally:
                # Chromium and every helper process it started (its own process group).
                os.killpg(browser.pid, signal.SIGTERM)
                await browser.wait()
                await asyncio.sleep(0.5)

asyncio.run(main())
