// Issue 16: what the page got wrong about the user's own input (each test failed before its fix).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, openPage, screenshot } from './harness.mjs';

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function pickExample(page, id) {
  await page.selectOption('[data-role="examples"]', id);
  await page.waitForSelector('.app[data-busy="false"]', { timeout: 60_000 });
}
async function typeInput(page, text) {
  await page.fill('[data-role="input"]', text);
  await page.waitForSelector('.app[data-busy="false"]', { timeout: 60_000 });
}
const value = (page, role) => page.$eval(`[data-role="${role}"]`, (e) => e.value);

test('pasting your own bytes after an example drops the example\'s sender, extensions and limit', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // The user's own choice before any example is what comes back.
  await page.fill('[data-role="extensions"]', 'permessage-deflate');
  await pickExample(page, 'rfc6455-unmasked-hello');
  assert.equal(await value(page, 'direction'), 'server');
  assert.equal(await value(page, 'extensions'), '');
  await typeInput(page, '81 85 37 fa 21 3d 7f 9f 4d 51 58');
  await page.waitForSelector('[data-field="mask_key"]');
  assert.equal(await value(page, 'direction'), 'unknown');
  assert.equal(await value(page, 'extensions'), 'permessage-deflate');
  assert.equal(await page.$('[data-role="finding"][data-code="masked-server-frame"]'), null);
  // An example's own inflate limit goes back to the default too.
  await pickExample(page, 'finding-inflate-limit');
  assert.equal(await value(page, 'max-inflated'), '65536');
  await typeInput(page, '81 05 48 65 6c 6c 6f');
  assert.equal(await value(page, 'max-inflated'), String(64 << 20));
  assert.equal(await value(page, 'examples'), '');
  await screenshot(page, 'issue16-own-input-after-example');
  assert.deepEqual(errors, []);
});

test('text typed into the box does not warn about line endings the textarea rewrote', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const status = (id) => page.$eval(`[data-role="check"][data-id="${id}"]`, (e) => e.dataset.status);
  const count = (s) => page.$$eval(`[data-role="check"][data-status="${s}"]`, (es) => es.length);
  await pickExample(page, 'handshake-rfc6455');
  await page.waitForSelector('[data-role="handshake"]');
  await page.click('[data-role="checks-passed-toggle"]'); // unfold the passes (they stay unfolded)
  assert.equal(await status('req-line-endings'), 'pass');
  const passed = await count('pass');
  // Type a space and delete it: the textarea has already turned every CRLF into LF.
  const text = await page.inputValue('[data-role="input"]');
  await typeInput(page, text + ' ');
  await typeInput(page, text);
  await page.click('[data-role="tab-handshake"]');
  await page.waitForSelector('[data-role="check"][data-id="req-line-endings"]');
  assert.equal(await status('req-line-endings'), 'unknown');
  assert.equal(await status('res-line-endings'), 'unknown');
  assert.match(await page.$eval('[data-role="check"][data-id="req-line-endings"]', (e) => e.textContent),
    /cannot be known from text typed into a page: a textarea turns CRLF into LF/);
  assert.equal(await count('warn'), 0);
  assert.equal(await count('pass'), passed - 2);
  await screenshot(page, 'issue16-typed-handshake');
  // Hex is the bytes themselves: a bare LF there is still a warning.
  const hex = Buffer.from('GET /chat HTTP/1.1\nHost: a\n\n').toString('hex');
  await typeInput(page, hex);
  await page.waitForSelector('[data-role="check"][data-id="req-line-endings"][data-status="warn"]');
  // The tutorial's bare-LF lesson (example: tutorial 003) keeps its warning.
  await pickExample(page, 'handshake-misspelled-guid');
  await page.click('[data-role="tab-handshake"]');
  await page.waitForSelector('[data-role="check"][data-id="res-line-endings"][data-status="warn"]');
  assert.deepEqual(errors, []);
});

test('the checklist shows failures first, folds the passes, and the tab counts the failures', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await pickExample(page, 'handshake-misspelled-guid');
  await page.click('[data-role="tab-handshake"]');
  await page.waitForSelector('[data-role="check"]');
  assert.match(await page.$eval('[data-role="tab-handshake"]', (e) => e.textContent), /^Handshake \(1 failed\)$/);
  const shown = () => page.$$eval('[data-role="check"]', (es) => es.map((e) => e.dataset.status));
  const first = await shown();
  assert.equal(first[0], 'fail');
  assert.ok(!first.includes('pass'), `${first}`);
  assert.deepEqual(first, [...first].sort((a, b) => ['fail', 'warn', 'unknown'].indexOf(a) - ['fail', 'warn', 'unknown'].indexOf(b)));
  const toggle = '[data-role="checks-passed-toggle"]';
  const passes = Number((await page.$eval(toggle, (e) => e.textContent)).match(/^(\d+) passed - show$/)[1]);
  assert.ok(passes > 20, `${passes}`);
  await page.click(toggle);
  await page.waitForSelector('[data-role="check"][data-status="pass"]');
  assert.equal((await shown()).filter((s) => s === 'pass').length, passes);
  assert.match(await page.$eval(toggle, (e) => e.textContent), /passed - hide$/);
  await screenshot(page, 'issue16-checklist');
  // A passing handshake: no count on the tab.
  await pickExample(page, 'handshake-rfc6455');
  assert.equal(await page.$eval('[data-role="tab-handshake"]', (e) => e.textContent), 'Handshake');
  assert.deepEqual(errors, []);
});

test('an error keeps the last good decode (marked stale), marks the box invalid and speaks plainly', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const box = '[data-role="input"]';
  await typeInput(page, '81 85 37 fa 21 3d 7f 9f 4d 51 58');
  await page.waitForSelector('[data-field="mask_key"]');
  assert.equal(await page.$('[data-role="stale"]'), null);
  // One bad character: the error shows, and the decode it replaced stays, marked stale.
  await typeInput(page, '81 85 37 fa 21 3d 7f 9f 4d 51 5g');
  await page.waitForSelector('[data-role="error"]');
  assert.match(await page.$eval('[data-role="error"]', (e) => e.textContent), /line 1, column 32/);
  assert.ok(await page.$('[data-field="mask_key"]'), 'the last good decode is still shown');
  assert.ok(await page.$('[data-role="stale"]'));
  assert.equal(await page.$eval(box, (e) => e.getAttribute('aria-invalid')), 'true');
  const describedBy = await page.$eval(box, (e) => e.getAttribute('aria-describedby'));
  assert.equal(await page.$eval(`#${describedBy}`, (e) => e.dataset.role), 'error');
  await screenshot(page, 'issue16-stale-decode');
  // Base64 errors are sentences with the place, not the library's words.
  await typeInput(page, 'gYU3+iE9f59NUVh');
  const b64 = await page.$eval('[data-role="error"]', (e) => e.textContent);
  assert.match(b64, /line 1, column 15/);
  assert.doesNotMatch(b64, /Invalid|offset|symbol/);
  // Words are not frame bytes: the error points to the composer.
  await typeInput(page, 'hello world');
  assert.match(await page.$eval('[data-role="error"]', (e) => e.textContent), /Composer tab/);
  // Fixed input: no error, nothing stale, the box valid again.
  await typeInput(page, '81 05 48 65 6c 6c 6f');
  await page.waitForSelector('[data-role="error"]', { state: 'detached' });
  assert.equal(await page.$('[data-role="stale"]'), null);
  assert.notEqual(await page.$eval(box, (e) => e.getAttribute('aria-invalid')), 'true');
  assert.deepEqual(errors, []);
});
