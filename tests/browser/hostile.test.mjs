// Issue 14: hostile payloads stay inert and visible. The page is served under a strict
// Content-Security-Policy (harness.strictCsp: no inline script but Trunk's own, by hash); a
// payload that ran script would set a global, and one that tried would raise a
// securitypolicyviolation: either fails the test. Markup shows as text, invisible and
// direction-changing characters as visible markers, and a 10 MB line is capped, not frozen on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serveDist, strictCsp, launch, screenshot, SCREENSHOTS } from './harness.mjs';

let server, browser;
before(async () => {
  server = await serveDist({ csp: await strictCsp() });
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); });

/** An unmasked text frame from the server carrying `text`, as hex. */
function frameHex(text) {
  const body = Buffer.from(text, 'utf8');
  let head;
  if (body.length < 126) head = Buffer.from([0x81, body.length]);
  else if (body.length < 65536) head = Buffer.from([0x81, 126, body.length >> 8, body.length & 255]);
  else {
    head = Buffer.alloc(10);
    head[0] = 0x81; head[1] = 127;
    head.writeBigUInt64BE(BigInt(body.length), 2);
  }
  return Buffer.concat([head, body]).toString('hex');
}

/** A fresh page that records CSP violations and watches for the globals payloads would set. */
async function open() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation',
      (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(server.url);
  await page.waitForSelector('[data-role="input"]', { timeout: 30_000 });
  return { page, errors };
}

async function paste(page, hex) {
  await page.fill('[data-role="input"]', hex);
  await page.waitForSelector('.app[data-busy="false"]', { timeout: 120_000 });
}

const PAYLOADS = [
  // [name, payload, what the payload view must contain]
  ['img', '<img src=x onerror="window.__pwned=1">', '<img src=x onerror="window.__pwned=1">'],
  ['script', '<script>window.__pwned=2</script>', '<script>window.__pwned=2</script>'],
  ['svg', '<svg onload="window.__pwned=3"><a href="javascript:window.__pwned=4">x</a></svg>', '<svg onload='],
  ['bidi', 'user\u202Egnp.exe\u202C', 'user⟨U+202E⟩gnp.exe⟨U+202C⟩'],
  ['zero-width', 'pay\u200Bpal\u200D.com', 'pay⟨U+200B⟩pal⟨U+200D⟩.com'],
  ['nul', 'a\u0000b', 'a␀b'],
  ['terminal', '\u001b[31mred\u001b[0m\u0007', '␛[31mred␛[0m␇'],
];

test('markup, bidi overrides, zero-width characters, NULs and terminal escapes are shown, not run', async () => {
  const { page, errors } = await open();
  for (const [name, payload, shown] of PAYLOADS) {
    await paste(page, frameHex(payload));
    await page.waitForSelector('[data-role="payload-text"]');
    const text = await page.$eval('[data-role="payload-text"]', (e) => e.textContent);
    assert.ok(text.includes(shown), `${name}: ${JSON.stringify(text)}`);
    // Nothing the payload names became an element.
    assert.equal(await page.$('img[src="x"], svg[onload], a[href^="javascript:"]'), null, name);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, name);
    if (name === 'bidi') await screenshot(page, 'hostile-bidi');
  }
  // The share link carries the input in its fragment, on this page's own origin.
  const link = await page.$eval('[data-role="share-link"]', (e) => e.value);
  assert.ok(link.startsWith(server.url), link);
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(errors, []);
});

test('a 1 MB line (WSINSPECT_LONG_LINE bytes) is capped in the view, with what was left out said', async () => {
  const { page, errors } = await open();
  const length = Number(process.env.WSINSPECT_LONG_LINE ?? 1 << 20);
  const started = Date.now();
  // Built in the page (a 20 MB string is slow to send through the driver), then given to the
  // box as a paste would: one input event.
  await page.evaluate((n) => {
    const head = '817f' + n.toString(16).padStart(16, '0');
    const box = document.querySelector('[data-role="input"]');
    box.value = head + '41'.repeat(n);
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }, length);
  await page.waitForSelector('.app[data-busy="false"]', { timeout: 180_000 });
  await page.waitForSelector('[data-role="payload-truncated"]', { timeout: 60_000 });
  const more = Number(await page.$eval('[data-role="payload-truncated"]', (e) => e.dataset.more));
  const shown = await page.$eval('[data-role="payload-text"]', (e) => e.textContent.length);
  assert.ok(more > 0 && shown + more >= length && shown < 1 << 20, `${shown} + ${more}`);
  console.log(`${length}-byte line: decoded and shown in ${Date.now() - started} ms, ${shown} characters shown`);
  // The visible part only: a full-page shot of a page holding 2 MB of hex in its box can take
  // longer than the driver allows on a loaded machine.
  await page.screenshot({ path: path.join(SCREENSHOTS, 'hostile-long-line.png') });
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(errors, []);
});
