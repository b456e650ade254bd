// wss in capture files (issue 15, the page): a TLS capture and its key log given through the
// inputs (and by a drop, the key log told by its content), read in the Web Worker; the wss
// connections and their per-direction frame/message counts equal the CLI's `pcap --keylog
// --json`; a sent message's text is found by the search; without the key log the TLS flows are
// listed as TLS, not as WebSocket connections, and the page says a key log is needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { cliCounts, cliPcapJson, pageCounts, loaded, shot } from './capture-helpers.mjs';
import { serveDist, launch, openPage } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TLS = path.join(ROOT, 'tests/data/tls');
const CAPTURE = path.join(TLS, 'capture.pcapng');
const KEYLOG = path.join(TLS, 'keylog.txt');

const axe = createRequire(import.meta.url)('axe-core');

/** axe-core's serious and critical violations in what this issue added (the key log input and
 *  status, the TLS badges, the TLS flows): the rest of the capture view is a11y.test.mjs's. */
async function seriousViolations(page) {
  await page.addScriptTag({ content: axe.source });
  return page.evaluate(async () => {
    const mine = ['label:has([data-role="open-keylog"])', '[data-role="keylog-status"]', '[data-role="tls"]', '.tls-flows']
      .filter((sel) => document.querySelector(sel)).map((sel) => [sel]);
    const r = await window.axe.run({ include: mine }, { resultTypes: ['violations'] });
    return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

/** The real CLI's `pcap --json` on a file, with a key log (built by cargo if it is not yet). */
function cli(file, keylog) {
  return cliPcapJson(file, ...(keylog ? ['--keylog', keylog] : []));
}

/** Drop files on the page as a user would (`[path, name]` pairs, together in one drop); their
 *  names say nothing of what they are. */
async function dropAll(page, files) {
  const items = await Promise.all(files.map(async ([file, name]) => ({ bytes: [...await fs.readFile(file)], name })));
  await page.evaluate((items) => {
    const dt = new DataTransfer();
    for (const { bytes, name } of items) dt.items.add(new File([new Uint8Array(bytes)], name));
    const target = document.querySelector('.layout');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, items);
}

/** Drop a file on the page as a user would; its name says nothing of what it is. */
async function drop(page, file, name) {
  const bytes = [...await fs.readFile(file)];
  await page.evaluate(({ bytes, name }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], name));
    const target = document.querySelector('.layout');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { bytes, name });
}

async function checkAgainstCli(page) {
  const doc = cli(CAPTURE, KEYLOG);
  const want = cliCounts(doc);
  assert.equal(want.length, 7);
  // The list fills as the re-read goes: wait for all of them.
  await page.waitForSelector(`[data-role="connection-row"]:nth-child(${want.length})`);
  await loaded(page);
  assert.deepEqual(await pageCounts(page), want);
  const badges = await page.$$eval('[data-role="connection-row"] [data-role="tls"]', (bs) => bs.map((b) => ({
    decrypted: b.dataset.decrypted, version: b.dataset.version, sni: b.dataset.sni,
  })));
  assert.deepEqual(badges, doc.connections.map((c) => ({
    decrypted: 'true', version: c.tls.version, sni: c.tls.sni,
  })));
  // The connection without secrets (and the two that never upgraded) are TLS flows.
  const flows = await page.$$eval('[data-role="tls-flow"]', (fs) => fs.map((f) => Number(f.dataset.id)));
  assert.deepEqual(flows.sort((a, b) => a - b), doc.other_flows.filter((f) => f.tls).map((f) => f.id).sort((a, b) => a - b));
  return doc;
}

test('a TLS capture and its key log through the inputs: the CLI\'s wss connections, and the search finds a sent text', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // The capture first: the page then says a key log is needed, and lists no connection.
  await page.setInputFiles('[data-role="open-file"]', CAPTURE);
  await loaded(page);
  assert.equal(await page.$$eval('[data-role="connection-row"]', (r) => r.length), 0);
  await page.waitForSelector('[data-role="keylog-needed"]');
  // The key log after it: the capture is read again with the secrets.
  await page.setInputFiles('[data-role="open-keylog"]', KEYLOG);
  await page.waitForSelector('[data-role="keylog-status"]');
  assert.match(await page.textContent('[data-role="keylog-status"]'), /keylog\.txt: \d+ secret/);
  await checkAgainstCli(page);
  // A message the Python client sent over TLS 1.3 with permessage-deflate (connection 1).
  const messages = JSON.parse(await fs.readFile(path.join(TLS, 'messages.json'), 'utf8'));
  const text = messages.find((m) => m.name === 'py13-aes256').messages.find((m) => m.text).text;
  await page.click('[data-role="connection-row"][data-id="1"]');
  await page.waitForSelector('[data-role="timeline"] [data-role="frame-row"]');
  await page.fill('[data-role="search"]', text);
  await page.waitForSelector('[data-role="search-count"][data-matches="2"]');
  const hits = await page.$$eval('[data-role="timeline"] [data-role="frame-row"]', (rs) => rs.map((r) => r.dataset.direction));
  assert.deepEqual(hits.sort(), ['client', 'server']);
  await shot(page, 'tls-connections', '.conn-list');
  await shot(page, 'tls-page');
  assert.deepEqual(await seriousViolations(page), []);
  assert.deepEqual(errors, []);
});

test('a dropped key log is told by its content (before the capture), and the dropped capture is decrypted', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // Named like a capture: only its content says it is a key log.
  await drop(page, KEYLOG, 'dropped.pcapng');
  await page.waitForSelector('[data-role="keylog-status"]');
  assert.match(await page.textContent('[data-role="keylog-status"]'), /dropped\.pcapng: \d+ secret/);
  assert.equal(await page.$('[data-role="capture"]'), null, 'the key log is not opened as a capture');
  await drop(page, CAPTURE, 'capture.bin');
  await loaded(page);
  await checkAgainstCli(page);
  // Connection 8's client logged no secrets: the page says the key log given is not for it.
  assert.match(await page.textContent('[data-role="keylog-needed"]'), /not for these/);
  assert.deepEqual(errors, []);
});

test('without the key log the TLS flows are listed as TLS, not as WebSocket connections', async () => {
  const doc = cli(CAPTURE);
  assert.equal(doc.connections.length, 0);
  const { page, errors } = await openPage(browser, server.url);
  await page.setInputFiles('[data-role="open-file"]', CAPTURE);
  await loaded(page);
  assert.equal(await page.$$eval('[data-role="connection-row"]', (r) => r.length), 0);
  const tlsFlows = doc.other_flows.filter((f) => f.tls);
  assert.equal(await page.getAttribute('[data-role="tls-flows"]', 'data-count'), String(tlsFlows.length));
  const needs = await page.$$eval('[data-role="tls-flow"][data-needs-keylog="true"]', (fs) => fs.length);
  assert.equal(needs, tlsFlows.filter((f) => f.tls.problems.some((p) => p.kind === 'no_secrets')).length);
  assert.match(await page.textContent('[data-role="keylog-needed"]'), /key log/);
  const sni = await page.$$eval('[data-role="tls-flow"] [data-role="tls"]', (bs) => bs.map((b) => b.dataset.sni));
  assert.deepEqual(sni, tlsFlows.map((f) => f.tls.sni));
  // A file that is not a key log, chosen as one, is said so (and the capture stays as it was).
  await page.setInputFiles('[data-role="open-keylog"]', { name: 'bad.txt', mimeType: 'text/plain', buffer: Buffer.from('CLIENT_RANDOM 00 11\n') });
  await page.waitForSelector('[data-role="keylog-status"].error');
  assert.match(await page.textContent('[data-role="keylog-status"]'), /bad\.txt is not a usable key log: .*line 1/);
  await shot(page, 'tls-no-keylog');
  assert.deepEqual(await seriousViolations(page), []);
  assert.deepEqual(errors, []);
});

test('a real browser\'s capture and its SSLKEYLOGFILE dropped together: every frame of its wss connection', async () => {
  const capture = path.join(TLS, 'chromium.pcapng');
  const keylog = path.join(TLS, 'chromium-keylog.txt');
  const doc = cli(capture, keylog);
  const want = cliCounts(doc);
  assert.ok(want.length >= 1 && want.every((c) => c.cf > 0 && c.sf > 0), JSON.stringify(want));
  const { page, errors } = await openPage(browser, server.url);
  // The key log second, and named like a capture: it is told by its content, the capture read
  // with it (whichever of the two the page finishes looking at first).
  await dropAll(page, [[capture, 'a'], [keylog, 'b.pcapng']]);
  await page.waitForSelector('[data-role="keylog-status"]');
  await page.waitForSelector(`[data-role="connection-row"]:nth-child(${want.length})`);
  await loaded(page);
  assert.deepEqual(await pageCounts(page), want);
  // The "chromium" messages of messages.json, found in the decrypted (inflated) frames.
  const messages = JSON.parse(await fs.readFile(path.join(TLS, 'messages.json'), 'utf8'));
  const text = messages.find((m) => m.name === 'chromium').messages.find((m) => m.text).text;
  await page.fill('[data-role="search"]', text);
  await page.waitForSelector('[data-role="search-count"][data-matches="2"]');
  await shot(page, 'tls-chromium');
  assert.deepEqual(errors, []);
});
