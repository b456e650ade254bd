// Issue 17's page part: the Diagnosis panel for pasted input, and "paste the error your client
// printed".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { serveDist, launch, openPage, screenshot } from './harness.mjs';

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('the tutorial handshake with the misspelled GUID shows accept-mismatch first, its evidence a click from the handshake', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const text = await fs.readFile(new URL('../data/handshake/tutorial-003.txt', import.meta.url), 'utf8');
  await page.fill('[data-role="input"]', text);
  await page.waitForSelector('.app[data-busy="false"]', { timeout: 60_000 });
  const d = await page.waitForSelector('[data-role="diagnosis"][data-id="accept-mismatch"]');
  assert.match(await d.textContent(), /258EAFA5-E914-47DA-95CA-C5AB0DC85B11/);
  // First: the panel comes before the tabs and their views in the page's order.
  const first = await page.evaluate(() => {
    const p = document.querySelector('[data-role="diagnosis"]');
    const tabs = document.querySelector('[role="tablist"]');
    return Boolean(p.compareDocumentPosition(tabs) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  assert.ok(first, 'the diagnosis is above the tabs');
  await page.click('[data-role="tab-frames"]');
  await page.click('[data-role="diagnosis"][data-id="accept-mismatch"] [data-role="evidence"]');
  assert.equal(await page.getAttribute('[data-role="tab-handshake"]', 'aria-selected'), 'true');
  await page.waitForSelector('[data-role="handshake"]');
  await screenshot(page, 'diagnose-accept-mismatch');
  assert.deepEqual(errors, []);
});

test('HTTP text after the upgrade is diagnosed, and its evidence selects the frame it starts', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // A text frame "hi", then "HTTP/1.1 200" where the next frame's header should be.
  await page.fill('[data-role="input"]', '81 02 68 69 48 54 54 50 2f 31 2e 31 20 32 30 30');
  await page.waitForSelector('.app[data-busy="false"]', { timeout: 60_000 });
  const ev = '[data-role="diagnosis"][data-id="http-after-upgrade"] [data-role="evidence"][data-frame="1"]';
  await page.waitForSelector(ev);
  assert.equal(await page.getAttribute('[data-role="frame-row"][data-index="0"]', 'aria-selected'), 'true');
  await page.click('[data-role="tab-handshake"]');
  await page.click(ev);
  assert.equal(await page.getAttribute('[data-role="tab-frames"]', 'aria-selected'), 'true');
  assert.equal(await page.getAttribute('[data-role="frame-row"][data-index="1"]', 'aria-selected'), 'true');
  await page.waitForSelector('[data-role="frame-detail"][data-index="1"]');
  assert.deepEqual(errors, []);
});

test('typing a client\'s error into the explain box lists its likely causes', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.fill('[data-role="explain-input"]', 'Invalid frame header');
  const r = await page.waitForSelector('[data-role="explain-result"] [data-id="http-after-upgrade"]');
  assert.match(await r.textContent(), /What to change:/);
  // No diagnosis panel without input: only the box.
  assert.equal(await page.$('[data-role="diagnosis"]'), null);
  await page.fill('[data-role="explain-input"]', 'qqq zzz');
  await page.waitForSelector('[data-role="explain-result"]:not(:has(li))');
  assert.deepEqual(errors, []);
});
