// The inspector page's behaviour (issue 5): examples, hover linking, unmasking, the Accept math,
// the composer round trip, share links, escaping, large inputs, keyboard, and screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { serveDist, launch, openPage, screenshot, fieldValues } from './harness.mjs';

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const $text = (page, sel) => page.$eval(sel, (e) => e.textContent);
async function pickExample(page, id) {
  await page.selectOption('[data-role="examples"]', id);
  await page.waitForSelector('.app[data-busy="false"]', { timeout: 60_000 });
}
async function waitDetail(page, index = 0) {
  await page.waitForSelector(`[data-role="frame-detail"][data-index="${index}"]`);
}

test('every example decodes without an error, and frame examples draw the header', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const ids = await page.$$eval('[data-role="examples"] option', (os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(ids.length >= 35, `${ids.length} examples`);
  for (const id of ids) {
    await pickExample(page, id);
    await page.waitForSelector('[data-role="summary"]');
    assert.equal(await page.$('[data-role="error"]'), null, id);
    if (id.startsWith('finding-')) {
      const code = id.slice('finding-'.length);
      if (code !== 'length-msb-set') {
        // The first frame with a finding shows it with its RFC section.
        const rows = await page.$$('[data-role="frame-row"] .badge');
        assert.ok(rows.length > 0, id);
        const idx = await page.$eval('[data-role="frame-row"]:has(.badge)', (r) => r.dataset.index);
        await page.click(`[data-role="frame-row"][data-index="${idx}"]`);
        await page.waitForSelector(`[data-role="finding"][data-code="${code}"]`);
        assert.match(await $text(page, `[data-role="finding"][data-code="${code}"]`), /RFC \d+/);
      } else {
        assert.match(await $text(page, '[data-role="summary"]'), /incomplete frame/);
      }
    }
  }
  await pickExample(page, 'rfc6455-masked-hello');
  await waitDetail(page);
  assert.deepEqual(await fieldValues(page), {
    fin: '1', rsv1: '0', rsv2: '0', rsv3: '0', opcode: '1', mask: '1', payload_len: '5', mask_key: '37fa213d',
  });
  await pickExample(page, 'rfc6455-256-binary');
  await page.waitForSelector('[data-field="ext_len16"]');
  assert.equal((await fieldValues(page)).ext_len16, '256');
  await pickExample(page, 'rfc6455-64k-binary');
  await page.waitForSelector('[data-field="ext_len64"]');
  assert.equal((await fieldValues(page)).ext_len64, '65536');
  await pickExample(page, 'rfc7692-shared-window');
  await page.waitForSelector('[data-role="frame-row"][data-index="1"]');
  await page.click('[data-role="frame-row"][data-index="1"]');
  await waitDetail(page, 1);
  assert.equal(await $text(page, '[data-role="payload-text"]'), 'Hello');
  assert.match(await $text(page, '[data-role="payload-compressed"]'), /f2 00 11 00 00/);
  await pickExample(page, 'close-going-away');
  await page.waitForSelector('[data-role="close-info"]');
  assert.match(await $text(page, '[data-role="close-info"]'), /1001.*going away.*server restarting/);
  await pickExample(page, 'fragmented-with-ping');
  await page.waitForSelector('[data-role="frame-row"][data-index="2"]');
  assert.match(await $text(page, '[data-role="frame-row"][data-index="0"]'), /msg 0 · first of 2/);
  assert.match(await $text(page, '[data-role="frame-row"][data-index="1"]'), /ping/);
  await pickExample(page, 'json-message');
  await page.waitForSelector('[data-role="payload-json"]');
  const before = (await page.$$('[data-role="payload-json"] .jl')).length;
  await page.click('[data-role="payload-json"] .fold >> nth=1');
  const folded = (await page.$$('[data-role="payload-json"] .jl')).length;
  assert.ok(folded < before, `${folded} < ${before}`);
  await screenshot(page, 'examples-json');
  assert.deepEqual(errors, []);
});

test('hovering a field highlights its bytes, and hovering a byte highlights its field', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await pickExample(page, 'rfc6455-masked-hello');
  await waitDetail(page);
  await page.hover('[data-field="mask_key"]');
  const lit = await page.$$eval('[data-role="hex-view"] [data-highlight="true"]', (es) => es.map((e) => Number(e.dataset.offset)));
  assert.deepEqual(lit, [2, 3, 4, 5]);
  const litFields = () => page.$$eval('[data-role="bit-grid"] [data-field].hl', (es) => es.map((e) => e.dataset.field));
  const litBytes = () => page.$$eval('[data-role="hex-view"] [data-highlight="true"]', (es) => es.map((e) => Number(e.dataset.offset)));
  await page.hover('[data-role="hex-view"] [data-offset="1"]');
  assert.deepEqual(await litFields(), ['mask', 'payload_len']);
  assert.match(await $text(page, '[data-role="field-info"]'), /MASK = 1.*also in this byte: Payload length = 5/);
  // Byte 0 holds five fields: hovering it lights all of them, and only that byte.
  await page.hover('[data-role="hex-view"] [data-offset="0"]');
  assert.deepEqual(await litFields(), ['fin', 'rsv1', 'rsv2', 'rsv3', 'opcode']);
  assert.deepEqual(await litBytes(), [0]);
  assert.match(await $text(page, '[data-role="field-info"]'),
    /FIN = 1.*also in this byte: RSV1 = 0, RSV2 = 0, RSV3 = 0, Opcode = 1 \(text\)/);
  // Hovering one of those fields still lights just its byte, and the grid lights just that field.
  await page.hover('[data-field="rsv2"]');
  assert.deepEqual(await litFields(), ['rsv2']);
  assert.deepEqual(await litBytes(), [0]);
  await page.hover('[data-role="hex-view"] [data-offset="2"]');
  assert.ok(await page.$eval('[data-field="mask_key"]', (e) => e.classList.contains('hl')));
  // Keyboard focus shows the meaning too.
  await page.focus('[data-field="opcode"]');
  assert.match(await $text(page, '[data-role="field-info"]'), /Opcode = 1 \(text\).*RFC 6455 §5.2/);
  await page.hover('[data-field="opcode"]');
  await screenshot(page, 'bit-grid');
  assert.deepEqual(errors, []);
});

test('the unmasking table shows RFC 6455 §5.3 step by step, the first rows then all', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await pickExample(page, 'rfc6455-masked-hello');
  await waitDetail(page);
  const rows = await page.$$eval('[data-role="unmask-table"] tbody tr', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(rows[0], ['0', '7f', '37 [0]', '01111111 ^ 00110111', '48', 'H']);
  assert.deepEqual(rows.map((r) => r[5]).join(''), 'Hello');
  assert.equal(rows[4][2], '37 [0]');
  // A longer masked payload: 16 rows first, all on demand.
  await page.fill('[data-role="input"]', '81 9a 01 02 03 04 ' + Array.from('abcdefghijklmnopqrstuvwxyz', (c, i) =>
    (c.charCodeAt(0) ^ [1, 2, 3, 4][i % 4]).toString(16).padStart(2, '0')).join(' '));
  await page.waitForSelector('[data-role="unmask-all"]');
  assert.equal((await page.$$('[data-role="unmask-table"] tbody tr')).length, 16);
  await page.click('[data-role="unmask-all"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-role="unmask-table"] tbody tr').length === 26);
  assert.equal(await $text(page, '[data-role="payload-text"]'), 'abcdefghijklmnopqrstuvwxyz');
  assert.deepEqual(errors, []);
});

test('the Accept math recomputes on every key edit and diagnoses the misspelled GUID', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await pickExample(page, 'handshake-rfc6455');
  await page.waitForSelector('[data-role="handshake"]');
  assert.equal(await $text(page, '[data-role="accept-expected"]'), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  assert.equal(await page.$eval('[data-role="accept-verdict"]', (e) => e.dataset.verdict), 'match');
  assert.equal(await page.$$eval('[data-role="check"][data-status="fail"]', (e) => e.length), 0);
  await page.fill('[data-role="accept-key"]', 'IHfMdf8a0aQXbwQO1pkGdA==');
  await page.waitForFunction(() => document.querySelector('[data-role="accept-expected"]').textContent === 'aWAY+V/uyz5ILZEoWuWdxjnlb7E=');
  assert.equal(await page.$eval('[data-role="accept-verdict"]', (e) => e.dataset.verdict), 'mismatch');
  await page.fill('[data-role="accept-key"]', 'dGhlIHNhbXBsZSBub25jZQ==');
  await page.waitForFunction(() => document.querySelector('[data-role="accept-verdict"]').dataset.verdict === 'match');

  await pickExample(page, 'handshake-misspelled-guid');
  await page.waitForSelector('[data-role="accept-diagnosis"]');
  assert.equal(await page.$eval('[data-role="accept-verdict"]', (e) => e.dataset.verdict), 'mismatch');
  assert.equal(await page.$eval('[data-role="accept-diagnosis"]', (e) => e.dataset.mistake), 'guid-dropped-char');
  assert.ok((await page.$$('[data-role="check"][data-status="fail"]')).length > 0);
  await screenshot(page, 'handshake');
  assert.deepEqual(errors, []);
});

test('the composer builds a frame with a deliberate violation and sends it to the decoder', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.click('[data-role="tab-composer"]');
  await page.waitForSelector('[data-role="composer"]');
  assert.equal(await $text(page, '[data-role="composer-output"]'), '81 85 37 fa 21 3d 7f 9f 4d 51 58');
  await page.check('[data-role="composer-rsv2"]');
  await page.fill('[data-role="composer-payload"]', 'Hi <b>there</b>');
  await page.waitForFunction(() => document.querySelector('[data-role="composer-output"]').textContent.startsWith('a1 8f 37 fa 21 3d'));
  assert.ok(await page.$('[data-role="composer-finding"][data-code="reserved-bits"]'));
  assert.equal((await fieldValues(page)).rsv2, '1');
  await screenshot(page, 'composer');
  await page.click('[data-role="composer-send"]');
  await waitDetail(page);
  const f = await fieldValues(page);
  assert.equal(f.rsv2, '1');
  assert.equal(f.mask_key, '37fa213d');
  assert.equal(await $text(page, '[data-role="payload-text"]'), 'Hi <b>there</b>');
  assert.ok(await page.$('[data-role="finding"][data-code="reserved-bits"]'));
  assert.equal(await page.$eval('[data-role="direction"]', (e) => e.value), 'client');
  assert.deepEqual(errors, []);
});

test('the share link restores the same view in a fresh page, and the decode downloads as JSON', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await pickExample(page, 'rfc7692-fragmented');
  await waitDetail(page);
  await page.click('[data-role="frame-row"][data-index="1"]');
  const link = await page.$eval('[data-role="share-link"]', (e) => e.value);
  assert.match(link, /#v=1&f=auto&d=server&z=.*&x=/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-role="download-json"]')]);
  const json = JSON.parse(await fs.readFile(await download.path(), 'utf8'));
  assert.equal(json.direction, 'server');
  assert.equal(json.messages[0].text, 'Hello');
  assert.equal(json.frames[0].opcode_name, 'text');

  const fresh = await openPage(browser, link);
  await fresh.page.waitForSelector('[data-role="frame-row"][data-index="1"]');
  assert.equal(await fresh.page.$eval('[data-role="input"]', (e) => e.value), '41 03 f2 48 cd\n80 04 c9 c9 07 00');
  assert.equal(await fresh.page.$eval('[data-role="direction"]', (e) => e.value), 'server');
  assert.equal(await fresh.page.$eval('[data-role="extensions"]', (e) => e.value), 'permessage-deflate');
  assert.equal(await $text(fresh.page, '[data-role="payload-text"]'), 'Hello');
  // A handshake link keeps its exact bytes (CRLF) so the checks come out the same.
  await pickExample(page, 'handshake-misspelled-guid');
  await page.waitForSelector('[data-role="accept-diagnosis"]');
  const hs = await openPage(browser, await page.$eval('[data-role="share-link"]', (e) => e.value));
  await hs.page.waitForSelector('[data-role="accept-diagnosis"]');
  const checks = (p) => p.$$eval('[data-role="check"]', (cs) => cs.map((c) => `${c.dataset.id}:${c.dataset.status}`));
  assert.deepEqual(await checks(hs.page), await checks(page));
  assert.deepEqual([...errors, ...fresh.errors, ...hs.errors], []);
});

test('the inflate limit: examples set it, it changes the decode, links carry it, views stay capped', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const limit = (p = page) => p.$eval('[data-role="max-inflated"]', (e) => e.value);
  const link = () => page.$eval('[data-role="share-link"]', (e) => e.value);
  const more = () => page.$eval('[data-role="payload-truncated"]', (e) => Number(e.dataset.more));
  const capped = async () => {
    assert.ok((await page.$$('[data-role="payload-hex"] .dump-row')).length <= 256);
    assert.ok((await $text(page, '[data-role="payload-base64"]')).length <= 5464);
    assert.ok((await $text(page, '[data-role="payload-text"]')).length <= 4096);
  };
  assert.equal(await limit(), String(64 << 20));
  assert.equal(await page.$eval('[data-role="max-inflated"]', (e) => e.labels[0].textContent.trim().startsWith('Inflate limit')), true);
  // The example's own limit (64 KiB) is taken, and its 1 MiB message stops there at once.
  await pickExample(page, 'finding-inflate-limit');
  assert.equal(await limit(), '65536');
  await page.waitForSelector('[data-role="finding"][data-code="inflate-limit"]');
  assert.match(await $text(page, '[data-role="finding"][data-code="inflate-limit"]'), /65536 bytes/);
  assert.ok((await more()) > 0);
  await capped();
  assert.match(await link(), /&m=65536$/);
  // A fresh page from the link decodes with the same limit.
  const fresh = await openPage(browser, await link());
  await fresh.page.waitForSelector('[data-role="finding"][data-code="inflate-limit"]');
  assert.equal(await limit(fresh.page), '65536');
  // Raising the limit decodes again: the whole 1 MiB inflates, no finding, the views still capped.
  await page.selectOption('[data-role="max-inflated"]', String(1 << 20));
  await page.waitForFunction(() => document.querySelector('[data-role="payload-truncated"]')?.dataset.more === String((1 << 20) - 4096));
  assert.equal(await page.$('[data-role="finding"][data-code="inflate-limit"]'), null);
  assert.match(await $text(page, '[data-role="payload-truncated"]'), /first 4096 of 1048576 bytes/);
  await capped();
  assert.match(await link(), /&m=1048576$/);
  // Any other example resets it to the default, and the link no longer carries it.
  await pickExample(page, 'rfc7692-hello');
  assert.equal(await limit(), String(64 << 20));
  assert.doesNotMatch(await link(), /&m=/);
  assert.deepEqual([...errors, ...fresh.errors], []);
});

test('payloads are shown as text and never run', async () => {
  const { page, errors } = await openPage(browser, server.url);
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs += 1; d.dismiss(); });
  const evil = '<img src=x onerror=alert(1)><script>alert(2)</script>';
  const hex = Buffer.concat([Buffer.from([0x81, 0x7e, 0x00, evil.length]), Buffer.from(evil)]).toString('hex');
  await page.fill('[data-role="input"]', hex);
  await waitDetail(page);
  assert.equal(await $text(page, '[data-role="payload-text"]'), evil);
  assert.equal(await page.$('[data-role="frame-detail"] img, [data-role="frame-detail"] script, [data-role="frame-list"] img'), null);
  // Also as handshake text (a header value).
  await page.fill('[data-role="input"]', `GET / HTTP/1.1\r\nHost: a\r\nX-Evil: ${evil}\r\n\r\n`);
  await page.waitForSelector('[data-role="handshake"]');
  assert.equal(await page.$('[data-role="handshake"] img, [data-role="handshake"] script'), null);
  await page.waitForTimeout(300);
  assert.equal(dialogs, 0);
  assert.deepEqual(errors, []);
});

test('a 1.5 MB paste decodes in slices with progress, and the list renders only visible rows', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // 100 000 masked frames "#12345" from a client: ~1.5 MB of hex text.
  const parts = [];
  for (let i = 0; i < 100000; i++) {
    const body = Buffer.from(`#${String(i).padStart(5, '0')}`);
    const key = [0x11, 0x22, 0x33, 0x44];
    const masked = [...body].map((b, j) => b ^ key[j % 4]);
    parts.push(Buffer.from([0x81, 0x80 | body.length, ...key, ...masked]).toString('hex'));
  }
  const text = parts.join('\n');
  assert.ok(text.length > 1_400_000, `${text.length}`);
  await page.$eval('[data-role="input"]', (el, t) => {
    el.value = t;
    el.dispatchEvent(new InputEvent('input', { bubbles: true }));
  }, text);
  await page.waitForSelector('[data-role="progress"]', { timeout: 10_000 });
  // The page answers while decoding: a timer still fires promptly.
  const lag = await page.evaluate(() => new Promise((ok) => { const t = performance.now(); setTimeout(() => ok(performance.now() - t), 0); }));
  assert.ok(lag < 1000, `event loop lag ${lag} ms`);
  await page.waitForSelector('[data-role="frame-list"][data-count="100000"]', { timeout: 60_000 });
  const rendered = (await page.$$('[data-role="frame-row"]')).length;
  assert.ok(rendered > 5 && rendered < 60, `${rendered} rows in the DOM`);
  // Keyboard: down moves the selection; End jumps to the last frame, scrolled into view.
  await page.focus('[data-role="frame-list"]');
  await page.keyboard.press('ArrowDown');
  await waitDetail(page, 1);
  await page.keyboard.press('End');
  await waitDetail(page, 99999);
  await page.waitForSelector('[data-role="frame-row"][data-index="99999"]');
  assert.equal(await $text(page, '[data-role="payload-text"]'), '#99999');
  await page.keyboard.press('ArrowUp');
  await waitDetail(page, 99998);
  assert.deepEqual(errors, []);
});

test('screenshots of the main views, light and dark, at laptop sizes', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.setViewportSize({ width: 1440, height: 900 });
  await pickExample(page, 'capture-node-client');
  await page.click('[data-role="frame-row"][data-index="1"]');
  await waitDetail(page, 1);
  await page.hover('[data-field="opcode"]');
  await screenshot(page, 'overview');
  await page.setViewportSize({ width: 1280, height: 800 });
  await pickExample(page, 'rfc6455-masked-hello');
  await waitDetail(page);
  await screenshot(page, 'overview-1280');
  await page.emulateMedia({ colorScheme: 'dark' });
  await pickExample(page, 'fragmented-with-ping');
  await waitDetail(page);
  await page.hover('[data-role="hex-view"] [data-offset="1"]');
  await screenshot(page, 'dark');
  await page.click('[data-role="tab-handshake"]');
  await page.waitForSelector('[data-role="handshake"]');
  await screenshot(page, 'dark-handshake');
  assert.deepEqual(errors, []);
});
