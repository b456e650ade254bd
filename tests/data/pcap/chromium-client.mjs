// A real Chromium as the WebSocket client, for cases.py: headless Chromium (playwright-core
// driving the system's or xtask's chromium) opens ws://127.0.0.1:PORT/echo/ID from a blank page,
// sends each message of messages.json (text as strings, binary as ArrayBuffers), waits for each
// echo, then closes with 1000. Exits non-zero on any failure or after 30 s.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

// require() (unlike import) finds playwright-core through NODE_PATH.
const { chromium } = createRequire(import.meta.url)('playwright-core');

const [port, id] = process.argv.slice(2);
const messages = JSON.parse(readFileSync('messages.json', 'utf8'));
const timer = setTimeout(() => { console.error('timed out'); process.exit(1); }, 30000);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  const result = await page.evaluate(async ({ url, messages }) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const next = () => new Promise((ok, fail) => {
      ws.onmessage = (e) => ok(e.data);
      ws.onclose = (e) => fail(new Error('closed ' + e.code));
    });
    await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
    for (const m of messages) {
      const data = m.hex !== undefined
        ? new Uint8Array(m.hex.match(/../g)?.map((h) => parseInt(h, 16)) ?? []).buffer
        : m.text;
      const echoed = next();
      ws.send(data);
      const got = await echoed;
      const same = typeof data === 'string' ? got === data
        : new Uint8Array(got).join() === new Uint8Array(data).join();
      if (!same) return 'echo differs';
    }
    const closed = new Promise((ok) => { ws.onclose = (e) => ok(e.code); });
    ws.close(1000, 'done');
    return 'closed ' + await closed;
  }, { url: `ws://127.0.0.1:${port}/echo/${id}`, messages });
  if (result !== 'closed 1000') throw new Error(result);
} finally {
  await browser.close();
  clearTimeout(timer);
}
