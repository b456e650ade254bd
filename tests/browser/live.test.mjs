// The live view (issue 12): `wsinspect serve --proxy` relays a real echo server (Python
// `websockets`, tests/../peer.py); one Chromium tab shows /live while ANOTHER tab, a real
// Chromium WebSocket client, sends messages through the relay; the /live tab lists the
// connection and shows its frames (text, direction, the bit grid of a selected frame). Then the
// page's own client sends a message through the relay and sees the echo, and its frames show
// in the list too. With --allow-inject, a message injected as the server reaches the client
// tab and is marked injected. Loopback only; every process started is stopped; bounded in time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { launch } from './harness.mjs';
import { shot } from './capture-helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = process.env.WSINSPECT_DIST ?? path.join(ROOT, 'dist');
const TARGET = process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target');
const PEER = path.join(ROOT, 'crates/wsinspect-serve/tests/peer.py');
const started = [];

/** Start a process; resolve with it and the first stdout line `match` accepts (20 s at most). */
function startUntil(cmd, args, match) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  const lines = readline.createInterface({ input: child.stdout });
  const seen = [];
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${cmd}: no ready line in 20 s: ${seen.join(' | ')}`)), 20_000);
    child.on('exit', (code) => fail(new Error(`${cmd} exited (${code}): ${seen.join(' | ')}`)));
    lines.on('line', (l) => {
      seen.push(l);
      const m = match(l, seen);
      if (m) { clearTimeout(timer); ok({ child, ...m }); }
    });
  });
}

let browser, page, pageUrl, feedUrl, relay;

before(async () => {
  // The CLI, built by cargo if it is not yet (a warm target makes this quick).
  execFileSync('cargo', ['build', '--quiet', '-p', 'wsinspect-cli'], { cwd: ROOT, stdio: 'inherit', timeout: 900_000 });
  const upstream = await startUntil('python3', [PEER, 'server', 'none'], (l) => {
    try { const p = JSON.parse(l).ready; return p ? { port: p } : null; } catch { return null; }
  });
  const bin = path.join(TARGET, 'debug', 'wsinspect');
  const serve = await startUntil(bin, ['serve', '--port', '0', '--dist', DIST, '--allow-inject',
    '--proxy', `127.0.0.1:0=ws://127.0.0.1:${upstream.port}`], (l, seen) => {
    if (!l.includes('Ctrl-C')) return null;
    const page = seen.join('\n').match(/on http:\/\/(127\.0\.0\.1:\d+)\//)[1];
    const relay = seen.join('\n').match(/relay (127\.0\.0\.1:\d+) ->/)[1];
    return { page, relay };
  });
  pageUrl = `http://${serve.page}/`;
  feedUrl = `http://${serve.page}/live`;
  relay = serve.relay;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  // SIGINT lets `wsinspect serve` finish cleanly; the Python peer just ends on SIGTERM.
  for (const c of started) c.kill(c.spawnargs[0] === 'python3' ? 'SIGTERM' : 'SIGINT');
  await Promise.all(started.map((c) => c.exitCode !== null ? null
    : new Promise((ok) => { const t = setTimeout(() => { c.kill('SIGKILL'); ok(); }, 5000); c.on('exit', () => { clearTimeout(t); ok(); }); })));
});

/** The /live page, with page errors collected. */
async function openLive() {
  const p = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await p.goto(feedUrl);
  await p.waitForSelector('[data-role="feed-status"][data-state="open"]', { timeout: 30_000 });
  return { p, errors };
}

const rowTexts = (p) => p.$$eval('[data-role="frame-row"]', (rs) => rs.map((r) => ({
  conn: r.dataset.conn, dir: r.dataset.direction, op: r.dataset.opcode, injected: r.dataset.injected,
  text: r.querySelector('[data-role="frame-preview"]').textContent,
})));

test('frames sent by a Chromium client in another tab appear live, with the bit grid', { timeout: 120_000 }, async () => {
  const { p, errors } = await openLive();
  page = p;
  await p.waitForSelector('[data-role="live-relays"]:has-text("127.0.0.1")');
  // Another tab (the inspector's own page, whose CSP lets it reach the relays): a real
  // browser client through the relay.
  const client = await browser.newPage();
  await client.goto(pageUrl);
  const echoes = await client.evaluate(async (url) => {
    const ws = new WebSocket(url);
    window.ws = ws;
    window.got = [];
    ws.onmessage = (e) => window.got.push(e.data);
    await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = () => fail(new Error('no connection')); });
    for (const m of ['live one', 'live two', 'ünïcode three']) ws.send(m);
    const t0 = Date.now();
    while (window.got.length < 3 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    return window.got;
  }, `ws://${relay}/`);
  assert.deepEqual(echoes, ['live one', 'live two', 'ünïcode three']);
  // The /live tab: the connection (open), three frames each way, in order.
  await p.waitForFunction(() => document.querySelectorAll('[data-role="frame-row"]').length >= 6, null, { timeout: 15_000 });
  const rows = await rowTexts(p);
  const sent = rows.filter((r) => r.dir === 'client').map((r) => r.text);
  const back = rows.filter((r) => r.dir === 'server').map((r) => r.text);
  assert.deepEqual(sent, ['live one', 'live two', 'ünïcode three']);
  assert.deepEqual(back, ['live one', 'live two', 'ünïcode three']);
  assert.ok(rows.every((r) => r.op === '1' && r.injected === 'false'));
  const conn = await p.$eval('[data-role="live-conn"]', (r) => ({ id: r.dataset.conn, open: r.dataset.open }));
  assert.equal(conn.open, 'true');
  // Select the client's second frame: the usual detail, bit grid and all (masked: MASK = 1).
  await p.locator('[data-role="frame-row"][data-direction="client"]').nth(1).click();
  await p.waitForSelector('[data-role="live-detail"] [data-role="frame-detail"]');
  const grid = await p.$$eval('[data-role="live-detail"] [data-field]', (els) =>
    Object.fromEntries(els.map((e) => [e.dataset.field, e.dataset.value])));
  assert.equal(grid.opcode, '1', JSON.stringify(grid));
  assert.equal(grid.mask, '1', JSON.stringify(grid));
  assert.equal(grid.fin, '1', JSON.stringify(grid));
  assert.match(await p.textContent('[data-role="live-detail"]'), /live two/);
  await shot(p, 'live-frames');
  // The keyboard moves the selection (the list is a listbox): up to the first frame.
  const second = await p.getAttribute('[data-role="live-detail"]', 'data-seq');
  await p.focus('[data-role="timeline"]');
  await p.keyboard.press('ArrowUp');
  await p.waitForFunction((s) => document.querySelector('[data-role="live-detail"]')?.dataset.seq !== s, second);
  assert.match(await p.textContent('[data-role="live-detail"]'), /live one/);
  await p.check('[data-role="live-autoscroll"]');
  // Injection (--allow-inject): a text message as the server reaches the client tab.
  await p.fill('[data-role="inject-payload"]', 'from wsinspect');
  await p.selectOption('[data-role="inject-direction"]', 'server');
  await p.click('[data-role="inject-send"]');
  const injected = await client.evaluate(async () => {
    const t0 = Date.now();
    while (!window.got.includes('from wsinspect') && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    return window.got;
  });
  assert.ok(injected.includes('from wsinspect'), JSON.stringify(injected));
  await p.waitForSelector('[data-role="frame-row"][data-injected="true"]', { timeout: 10_000 });
  const inj = (await rowTexts(p)).filter((r) => r.injected === 'true');
  assert.deepEqual(inj.map((r) => [r.dir, r.text]), [['server', 'from wsinspect']]);
  // The client closes; the connection is listed closed.
  await client.evaluate(() => window.ws.close(1000, 'bye'));
  await p.waitForSelector(`[data-role="live-conn"][data-conn="${conn.id}"][data-open="false"]`, { timeout: 10_000 });
  await client.close();
  assert.deepEqual(errors, []);
});

test("the page's own client sends through the relay and sees the echo", { timeout: 60_000 }, async () => {
  const p = page;
  const before = (await rowTexts(p)).length;
  assert.equal(await p.inputValue('[data-role="client-url"]'), `ws://${relay}/`);
  await p.click('[data-role="client-connect"]');
  await p.waitForSelector('[data-role="client-status"][data-state="open"]', { timeout: 10_000 });
  await p.fill('[data-role="client-text"]', 'from the page');
  await p.click('[data-role="client-send-text"]');
  await p.waitForSelector('[data-role="client-log"] li[data-kind="received text"]:has-text("from the page")', { timeout: 10_000 });
  await p.fill('[data-role="client-hex"]', '00 ff 10');
  await p.click('[data-role="client-send-binary"]');
  await p.waitForSelector('[data-role="client-log"] li[data-kind="received binary"]:has-text("00ff10")', { timeout: 10_000 });
  await p.fill('[data-role="client-close-code"]', '4001');
  await p.fill('[data-role="client-close-reason"]', 'page done');
  await p.click('[data-role="client-close"]');
  await p.waitForSelector('[data-role="client-status"][data-state="closed"]', { timeout: 10_000 });
  // Its frames in the list, via the relay: the text both ways, the binary, the close.
  await p.waitForFunction((n) => document.querySelectorAll('[data-role="frame-row"]').length >= n + 6, before, { timeout: 10_000 });
  const rows = (await rowTexts(p)).slice(before);
  assert.deepEqual(rows.filter((r) => r.op === '1').map((r) => [r.dir, r.text]),
    [['client', 'from the page'], ['server', 'from the page']]);
  assert.equal(rows.filter((r) => r.op === '2').length, 2);
  const close = rows.find((r) => r.op === '8' && r.dir === 'client');
  assert.equal(close.text, '4001 "page done"');
  assert.match(await p.textContent('[data-role="client-ping-note"]'), /cannot send ping/);
  // Pause holds the list; clear empties it.
  await p.click('[data-role="live-pause"]');
  await shot(p, 'live-client');
  await p.click('[data-role="live-pause"]');
  await p.click('[data-role="live-clear"]');
  await p.waitForFunction(() => document.querySelectorAll('[data-role="frame-row"]').length === 0, null, { timeout: 5000 });
  await p.close();
});
