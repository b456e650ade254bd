// Issue 17 in capture mode: a failing capture from tests/data/diagnose opened on the page shows
// each connection's diagnosis badge, the Diagnosis panel first (above the timeline) with the
// ids `wsinspect pcap --json` gives, evidence that selects its frame, opens the handshake or
// selects the proxy's other hop, and each peer's conformance; a healthy capture shows none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliPcapJson as cli, loaded, shot } from './capture-helpers.mjs';
import { serveDist, launch, openPage } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.join(ROOT, 'tests/data');

const axe = createRequire(import.meta.url)('axe-core');

/** axe-core's serious and critical violations inside `selector`, as "rule: targets" lines. */
async function violations(page, selector) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axe.source });
  return page.evaluate(async (sel) => {
    const r = await window.axe.run(sel, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, selector);
}

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function open(file) {
  const { page, errors } = await openPage(browser, server.url);
  await page.setInputFiles('[data-role="open-file"]', file);
  await loaded(page);
  return { page, errors };
}

/** The ids of the selected connection's Diagnosis panel, in order. */
async function panelIds(page) {
  return page.$$eval('[data-role="capture-diagnosis"] [data-role="diagnosis"]', (ds) => ds.map((d) => d.dataset.id));
}

test('a ping with RSV1: the CLI\'s diagnosis first, its evidence selects the ping, the server fails reserved-bits', async () => {
  const file = path.join(DATA, 'diagnose/rsv1-on-ping.pcapng');
  const want = cli(file).connections;
  const { page, errors } = await open(file);
  // Every connection's badge carries the CLI's ids.
  for (const c of want) {
    const ids = c.diagnoses.map((d) => d.id);
    assert.deepEqual(ids, ['rsv1-on-control-frame']);
    const badge = `[data-role="connection-row"][data-id="${c.id}"] [data-role="diagnosis-badge"]`;
    assert.equal(await page.getAttribute(badge, 'data-ids'), ids.join(' '));
  }
  await page.waitForSelector('[data-role="capture-diagnosis"] [data-role="diagnosis"]');
  const conn = await page.getAttribute('[data-role="capture-diagnosis"]', 'data-conn');
  const mine = want.find((c) => String(c.id) === conn);
  assert.deepEqual(await panelIds(page), mine.diagnoses.map((d) => d.id));
  // First: the panel comes before the timeline.
  const first = await page.evaluate(() => {
    const p = document.querySelector('[data-role="capture-diagnosis"]');
    const t = document.querySelector('[data-role="timeline"]');
    return Boolean(p.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  assert.ok(first, 'the diagnosis is above the timeline');
  // The evidence selects the frame: the server's ping with RSV1, shown in the detail.
  const ev = '[data-role="capture-diagnosis"] [data-role="evidence"][data-frame]';
  const row = await page.getAttribute(ev, 'data-frame');
  await page.click('[data-role="tab-handshake"]');
  await page.click(ev);
  assert.equal(await page.getAttribute('[data-role="tab-frames"]', 'aria-selected'), 'true');
  await page.waitForSelector(`[data-role="capture-detail"][data-row="${row}"]`);
  assert.equal(await page.getAttribute(`[data-role="frame-row"][data-index="${row}"]`, 'aria-selected'), 'true');
  assert.equal(await page.getAttribute(`[data-role="frame-row"][data-index="${row}"]`, 'data-opcode'), '9');
  assert.equal(await page.getAttribute('[data-role="capture-detail"]', 'data-direction'), 'server');
  // Conformance: the CLI's verdicts per class and peer, the server failing reserved-bits.
  assert.equal(await page.getAttribute('[data-role="conformance"]', 'data-failed'), 'true');
  for (const peer of ['client', 'server']) {
    for (const [cls, v] of Object.entries(mine.conformance[peer])) {
      const cell = `[data-role="verdict"][data-peer="${peer}"][data-class="${cls}"]`;
      assert.equal(await page.getAttribute(cell, 'data-verdict'), v.verdict, `${peer} ${cls}`);
    }
  }
  assert.equal(mine.conformance.server['reserved-bits'].verdict, 'fail');
  await shot(page, 'capdiag-rsv1-on-ping');
  assert.deepEqual(await violations(page, '[data-role="capture-diagnosis"]'), []);
  assert.deepEqual(await violations(page, '.conn-list'), []);
  assert.deepEqual(errors, []);
});

test('a refusal behind nginx: proxy-dropped-upgrade names the other hop, a header evidence opens the handshake', async () => {
  const file = path.join(DATA, 'diagnose/proxy-dropped-upgrade.pcapng');
  const want = cli(file).connections;
  const { page, errors } = await open(file);
  await page.waitForSelector('[data-role="capture-diagnosis"] [data-role="diagnosis"]');
  const conn = await page.getAttribute('[data-role="capture-diagnosis"]', 'data-conn');
  const mine = want.find((c) => String(c.id) === conn);
  const ids = mine.diagnoses.map((d) => d.id);
  assert.deepEqual(ids.slice(0, 2), ['proxy-dropped-upgrade', 'upgrade-refused']);
  assert.deepEqual(await panelIds(page), ids);
  // The proxy's request to the backend is linked: the same other connection as the CLI's.
  const hop = mine.diagnoses[0].evidence.find((e) => e.connection !== undefined);
  assert.ok(hop, JSON.stringify(mine.diagnoses[0]));
  // It is an HTTP flow (not in the list of WebSocket connections): named, not a link.
  const hopText = await page.$$eval('[data-role="diagnosis"][data-id="proxy-dropped-upgrade"] [data-role="evidence"]',
    (es) => es.map((e) => e.textContent).filter((t) => t.includes("the proxy's request to the backend")));
  assert.equal(hopText.length, 1);
  assert.match(hopText[0], new RegExp(`connection ${hop.connection}, the proxy's request to the backend: \`GET / HTTP/1\.0\``));
  // The refusal body's text is shown, not only its length.
  assert.match(await page.textContent('[data-role="diagnosis"][data-id="upgrade-refused"]'),
    /of HTTP body: "Failed to open a WebSocket connection: unsupported HTTP version: HTTP\/1\.0\."/);
  await shot(page, 'capdiag-proxy-dropped-upgrade');
  // With no frame to select, the Frame tab says why and where to look.
  assert.equal(await page.textContent('[data-role="no-frames"]'),
    `Connection ${conn} has no frames: its upgrade was refused 505. The Handshake tab shows its handshake.`);
  // A header evidence opens the Handshake tab, with the refused handshake (no frame to select).
  await page.click('[data-role="diagnosis"][data-id="upgrade-refused"] [data-role="evidence"][data-handshake="true"]');
  assert.equal(await page.getAttribute('[data-role="tab-handshake"]', 'aria-selected'), 'true');
  await page.waitForSelector('[data-role="handshake"]');
  assert.match(await page.textContent('[data-role="handshake"]'), /505/);
  assert.deepEqual(errors, []);
});

test('a healthy capture shows no diagnosis, and the conformance passes what was exercised', async () => {
  const file = path.join(DATA, 'pcap/echo.pcapng');
  const { page, errors } = await open(file);
  await page.waitForSelector('[data-role="capture-diagnosis"] [data-role="no-diagnosis"]');
  assert.equal(await page.$$eval('[data-role="diagnosis-badge"]', (b) => b.length), 0);
  assert.equal(await page.$$eval('[data-role="diagnosis"]', (d) => d.length), 0);
  assert.equal(await page.getAttribute('[data-role="conformance"]', 'data-failed'), 'false');
  assert.equal(await page.$$eval('[data-role="verdict"][data-verdict="fail"]', (v) => v.length), 0);
  assert.ok(await page.$$eval('[data-role="verdict"][data-verdict="pass"]', (v) => v.length) > 0);
  await page.click('[data-role="conformance"] summary');
  await shot(page, 'capdiag-healthy');
  assert.deepEqual(await violations(page, '[data-role="capture-diagnosis"]'), []);
  assert.deepEqual(errors, []);
});

test('a HAR: the refused entry carries the CLI\'s diagnosis, the healthy one none', async () => {
  const file = path.join(DATA, 'har/mitmproxy.har');
  const want = cli(file).connections;
  const { page, errors } = await open(file);
  for (const c of want) {
    const row = `[data-role="connection-row"][data-id="${c.id}"]`;
    const ids = c.diagnoses.map((d) => d.id);
    const badge = await page.$(`${row} [data-role="diagnosis-badge"]`);
    assert.equal(badge ? await badge.getAttribute('data-ids') : '', ids.join(' '), `connection ${c.id}`);
  }
  const refused = want.find((c) => c.diagnoses.length > 0);
  assert.equal(refused.diagnoses[0].id, 'upgrade-refused');
  await page.click(`[data-role="connection-row"][data-id="${refused.id}"]`);
  await page.waitForSelector(`[data-role="capture-diagnosis"][data-conn="${refused.id}"] [data-role="diagnosis"]`);
  assert.deepEqual(await panelIds(page), ['upgrade-refused']);
  assert.match(await page.textContent('[data-role="capture-diagnosis"]'), /403 Forbidden/);
  assert.deepEqual(errors, []);
});
