// Records echo.har: headless Chromium (Playwright drives it) opens a WebSocket to echo.py on
// 127.0.0.1, sends text, binary and non-ASCII text, gets each echoed, and closes with 1000;
// then opens a second one, which the server refuses with 403.
// The handshake and the frames come from the Chrome DevTools Protocol's Network events
// (webSocketWillSendHandshakeRequest, webSocketHandshakeResponseReceived, webSocketFrameSent,
// webSocketFrameReceived), written out as a HAR entry in the format Chrome's DevTools export
// uses (_webSocketMessages: type, time, opcode, data). The same session is also recorded by
// Playwright's own recordHar into echo.playwright.har (which has _webSocketMessages too, with
// times in milliseconds). Every process started here is stopped.
//
//   node record.mjs > echo.har   (needs tests/browser's node_modules and Python websockets)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../browser/package.json'));
const { chromium } = require('playwright-core');

const server = spawn('python3', [path.join(here, 'echo.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  server.stdout.once('data', (d) => resolve(Number(String(d).trim())));
  server.once('exit', (code) => reject(new Error(`echo.py exited (${code})`)));
});

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
try {
  const context = await browser.newContext({
    recordHar: { path: path.join(here, 'echo.playwright.har') },
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const sockets = new Map();
  const get = (id) => {
    if (!sockets.has(id)) sockets.set(id, { frames: [] });
    return sockets.get(id);
  };
  cdp.on('Network.webSocketCreated', (e) => { get(e.requestId).url = e.url; });
  cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => {
    const s = get(e.requestId);
    s.request = e.request;
    s.timestamp = e.timestamp;
    s.wallTime = e.wallTime;
  });
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => { get(e.requestId).response = e.response; });
  const frame = (type) => (e) => get(e.requestId).frames.push({ type, timestamp: e.timestamp, ...e.response });
  cdp.on('Network.webSocketFrameSent', frame('send'));
  cdp.on('Network.webSocketFrameReceived', frame('receive'));
  const closed = new Promise((resolve) => cdp.on('Network.webSocketClosed', resolve));

  await page.evaluate(async (url) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const next = () => new Promise((resolve) => { ws.onmessage = resolve; });
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    for (const m of ['hello', new Uint8Array([0, 1, 2, 254, 255]), 'héllo wörld 😀']) {
      const echoed = next();
      ws.send(m);
      await echoed;
    }
    const done = new Promise((resolve) => { ws.onclose = resolve; });
    ws.close(1000, 'done');
    await done;
    // A second socket, which the server refuses (403): its handshake is recorded, no messages.
    const refused = new WebSocket(url.replace('/echo', '/refuse'));
    await new Promise((resolve) => { refused.onclose = resolve; });
  }, `ws://127.0.0.1:${port}/echo`);
  await closed;
  // Let the refused socket's events arrive.
  await page.waitForTimeout(200);

  const list = (headers) => Object.entries(headers || {}).flatMap(([name, v]) =>
    String(v).split('\n').map((value) => ({ name, value })));
  const entries = [...sockets.values()].map((s) => {
    // DevTools' pseudo wall time: the handshake's wall time plus the monotonic time since it.
    const wall = (t) => s.wallTime + (t - s.timestamp);
    return {
      startedDateTime: new Date(s.wallTime * 1000).toISOString(),
      time: 0,
      request: {
        method: 'GET', url: s.url, httpVersion: 'HTTP/1.1', headers: list(s.request.headers),
        queryString: [], cookies: [], headersSize: -1, bodySize: 0,
      },
      response: {
        status: s.response?.status ?? 0, statusText: s.response?.statusText ?? '', httpVersion: 'HTTP/1.1',
        headers: list(s.response?.headers), cookies: [], content: { size: 0, mimeType: 'x-unknown' },
        redirectURL: '', headersSize: -1, bodySize: 0,
      },
      cache: {},
      timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 0, receive: 0 },
      _resourceType: 'websocket',
      _webSocketMessages: s.frames.map((f) => ({
        type: f.type, time: wall(f.timestamp), opcode: f.opcode, data: f.payloadData,
      })),
    };
  });
  const har = {
    log: {
      version: '1.2',
      creator: { name: 'wsinspect tests/data/har/record.mjs (Chromium CDP)', version: browser.version() },
      pages: [],
      entries,
    },
  };
  process.stdout.write(JSON.stringify(har, null, 2) + '\n');
  await context.close(); // writes echo.playwright.har
} finally {
  await browser.close();
  server.stdin.end();
  await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)));
}
