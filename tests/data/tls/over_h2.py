# WebSocket over HTTP/2 (RFC 8441) for capture.sh: a Hypercorn (PyPI) ASGI server over TLS with
# ALPN h2 (it advertises SETTINGS_ENABLE_CONNECT_PROTOCOL), and headless Chromium (SSLKEYLOGFILE
# set by the caller) loading https://localhost:PORT/ over HTTP/2, whose page opens
# wss://localhost:PORT/h2 -- carried as an extended CONNECT stream inside the same HTTP/2
# connection -- sends the "h2" messages of messages.json after each echo, and closes (1000).
# When the server has seen the close, Chromium (its whole process group) and the server stop.
import asyncio, json, os, signal, sys, tempfile
from hypercorn.asyncio import serve
from hypercorn.config import Config

port, chromium = int(sys.argv[1]), sys.argv[2]
conn = next(c for c in json.load(open("messages.json")) if c["name"] == "chromium-h2")
PAGE = """<!doctype html><title>wsinspect TLS fixture</title><script>
const msgs = %s.map((m) => ('text' in m ? m.text
  : new Uint8Array(m.hex.match(/../g).map((h) => parseInt(h, 16)))));
const ws = new WebSocket('wss://localhost:%d/h2');
ws.binaryType = 'arraybuffer';
let got = 0;
ws.onopen = () => ws.send(msgs[0]);
ws.onmessage = () => { got += 1; if (got === msgs.length) ws.close(1000, 'done'); else ws.send(msgs[got]); };
</script>""" % (json.dumps(conn["messages"]), port)
done = asyncio.Event()


async def app(scope, receive, send):
    if scope["type"] == "http":
        await receive()
        status, body = (200, PAGE.encode()) if scope["path"] == "/" else (404, b"")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/html"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            m = await receive()
            if m["type"] == "websocket.disconnect":
                done.set()
                return
            await send({"type": "websocket.send", "bytes": m.get("bytes"), "text": m.get("text")})
    elif scope["type"] == "lifespan":
        while True:
            m = await receive()
            await send({"type": m["type"] + ".complete"})
            if m["type"] == "lifespan.shutdown":
                return


async def main():
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile, config.keyfile = "cert.pem", "key.pem"
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    await asyncio.sleep(1)
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
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
            os.killpg(browser.pid, signal.SIGTERM)
            await browser.wait()
            await asyncio.sleep(0.5)
            stop.set()
            await server

asyncio.run(main())
