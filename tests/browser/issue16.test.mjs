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

test('an incomplete frame is a row with its findings, and an example opens on its finding', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const detail = '[data-role="frame-detail"]';
  // length-msb-set: the only frame is incomplete; it is listed, selected, and its finding shown.
  await pickExample(page, 'finding-length-msb-set');
  await page.waitForSelector('[data-role="frame-row"][data-incomplete="true"]');
  assert.equal(await page.$eval('[data-role="frame-list"]', (e) => e.dataset.count), '1');
  assert.equal(await page.$eval(`${detail}`, (e) => e.dataset.incomplete), 'true');
  await page.waitForSelector(`${detail} [data-role="finding"][data-code="length-msb-set"]`);
  assert.match(await page.$eval(detail, (e) => e.textContent), /15 bytes from offset 0 are here/);
  await screenshot(page, 'issue16-incomplete-frame');
  // A frame a byte short after a complete one: a second, selectable row with its header's finding.
  await typeInput(page, '81 00 81 82 61 62 63 64 68');
  await page.selectOption('[data-role="direction"]', 'server');
  await page.waitForSelector('.app[data-busy="false"]');
  await page.waitForSelector('[data-role="frame-row"][data-index="1"][data-incomplete="true"]');
  assert.equal(await page.$eval(detail, (e) => e.dataset.index), '0');
  await page.click('[data-role="frame-row"][data-index="1"]');
  await page.waitForSelector(`${detail}[data-index="1"] [data-role="finding"][data-code="masked-server-frame"]`);
  // The keyboard reaches it too.
  await page.click('[data-role="frame-row"][data-index="0"]');
  await page.focus('[data-role="frame-list"]');
  await page.keyboard.press('End');
  await page.waitForSelector(`${detail}[data-index="1"]`);
  // Examples whose finding is on frame 1 open on frame 1.
  for (const [id, code] of [['finding-expected-continuation', 'expected-continuation'], ['finding-frame-after-close', 'frame-after-close']]) {
    await pickExample(page, id);
    await page.waitForSelector(`${detail}[data-index="1"] [data-role="finding"][data-code="${code}"]`);
    assert.equal(await page.$eval('[data-role="frame-row"][aria-selected="true"]', (e) => e.dataset.index), '1');
  }
  // The Findings card comes right after the bit grid, before the bytes and the unmasking.
  await pickExample(page, 'rfc6455-masked-hello');
  await page.waitForSelector('[data-role="unmask-table"]');
  const order = await page.$$eval(`${detail} [data-role="bit-grid"], ${detail} [data-role="findings"], ${detail} [data-role="hex-view"], ${detail} [data-role="unmask-table"]`,
    (es) => es.map((e) => e.dataset.role));
  assert.deepEqual(order, ['bit-grid', 'findings', 'hex-view', 'unmask-table']);
  await screenshot(page, 'issue16-findings-above-bytes');
  assert.deepEqual(errors, []);
});

test('bit-grid labels fit from 1280 to 1680 px, with byte boundaries and each byte in hex', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await pickExample(page, 'rfc6455-masked-hello');
  await page.waitForSelector('[data-field="mask_key"]');
  for (const width of [1280, 1440, 1680]) {
    await page.setViewportSize({ width, height: 900 });
    const labels = await page.$$eval('[data-role="bit-grid"] [data-field]', (es) => es.map((e) => {
      const n = e.querySelector('.fname');
      return { field: e.dataset.field, text: n.textContent, cut: n.scrollWidth > n.clientWidth, title: e.title };
    }));
    const by = Object.fromEntries(labels.map((l) => [l.field, l]));
    assert.deepEqual(['fin', 'rsv1', 'rsv2', 'rsv3', 'mask'].map((f) => by[f].text), ['F', 'R1', 'R2', 'R3', 'M']);
    for (const l of labels) assert.ok(!l.cut, `${width} px: the ${l.field} label "${l.text}" is cut`);
    // The full name is in the title (and the legend).
    assert.match(by.rsv1.title, /^RSV1 = 0\n/);
    assert.match(by.mask.title, /^MASK = 1\n/);
    if (width === 1440) await screenshot(page, 'issue16-bit-grid-1440');
  }
  const legend = await page.$$eval('[data-role="bit-grid"] ~ .legend .legend-item', (es) => es.map((e) => e.textContent));
  assert.ok(legend.some((t) => t.startsWith('RSV3')), `${legend}`);
  // Each byte's value in hex over its 8 bits, and a separator at every byte boundary.
  const bytes = await page.$$eval('[data-role="grid-byte"]', (es) => es.map((e) => [e.dataset.offset, e.textContent]));
  assert.deepEqual(bytes, [['0', '81'], ['1', '85'], ['2', '37'], ['3', 'fa'], ['4', '21'], ['5', '3d']]);
  const seps = await page.$$eval('[data-role="bit-grid"] [data-role="byte-sep"]', (es) =>
    es.map((e) => [e.dataset.bit, getComputedStyle(e).borderLeftWidth]));
  assert.deepEqual(seps.map((s) => s[0]), ['8', '16', '24', '40']);
  for (const [, w] of seps) assert.notEqual(w, '0px');
  await screenshot(page, 'issue16-bit-grid-1680');
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, 'issue16-bit-grid-1280');
  assert.deepEqual(errors, []);
});

test('layouts at 390x844, 1024x768 and 1440x900: no sideways scroll, nothing covers the detail, taps work', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await pickExample(page, 'rfc6455-masked-hello');
  await page.waitForSelector('[data-field="mask_key"]');
  for (const [width, height] of [[390, 844], [1024, 768], [1440, 900]]) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => window.scrollTo(0, 0));
    // The page is never wider than the window (the examples select, the bit grid, the bytes).
    const { scrollWidth, inner } = await page.evaluate(() =>
      ({ scrollWidth: document.scrollingElement.scrollWidth, inner: window.innerWidth }));
    assert.ok(scrollWidth <= inner, `${width} px: the page is ${scrollWidth} px wide`);
    // Scrolled to the bit grid, what is under its middle is the grid (no sticky panel over it).
    await page.$eval('[data-role="bit-grid"]', (e) => e.scrollIntoView({ block: 'start' }));
    const hit = await page.$eval('[data-role="bit-grid"]', (g) => {
      const r = g.getBoundingClientRect();
      const x = r.left + Math.min(r.width, window.innerWidth - r.left) / 2;
      const el = document.elementFromPoint(x, r.top + 20);
      return { inGrid: g.contains(el), what: el?.className };
    });
    assert.ok(hit.inGrid, `${width} px: over the bit grid is ${hit.what}`);
    // The frame list is as tall as its one row, not 330 px.
    // With two columns the 1-bit labels (F, R1, R2, R3, M) still fit their cells.
    if (width >= 860) {
      const cut = await page.$$eval('[data-role="bit-grid"] .fld.narrow[data-field] .fname', (es) =>
        es.filter((n) => n.scrollWidth > n.clientWidth).map((n) => n.textContent));
      assert.deepEqual(cut, [], `${width} px: cut labels`);
    }
    const list = await page.$eval('[data-role="frame-list"]', (e) => e.getBoundingClientRect().height);
    assert.ok(list < 40, `${width} px: a one-frame list is ${list} px tall`);
    const sticky = await page.$eval('.left', (e) => getComputedStyle(e).position);
    const twoColumns = await page.evaluate(() => {
      const l = document.querySelector('.left').getBoundingClientRect();
      const r = document.querySelector('.right').getBoundingClientRect();
      return r.left >= l.right;
    });
    assert.equal(twoColumns, width >= 860, `${width} px: two columns`);
    if (!twoColumns) assert.equal(sticky, 'static', `${width} px: the input panel is ${sticky} in one column`);
    // No input under 16 px on a phone (iOS zooms into it).
    if (width < 860) {
      const small = await page.$$eval('textarea, input, select', (es) => es
        .filter((e) => parseFloat(getComputedStyle(e).fontSize) < 16).map((e) => e.dataset.role ?? e.id));
      assert.deepEqual(small, []);
      assert.doesNotMatch(await page.textContent('body'), /on the left/);
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, `issue16-layout-${width}`);
  }
  // A tap on a byte in a phone's browser (touch, no hover) lights its fields and names them.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const tapPage = await phone.newPage();
  await tapPage.goto(page.url());
  const byte = '[data-role="hex-view"] [data-offset="1"]';
  await tapPage.waitForSelector(byte);
  await tapPage.tap(byte);
  await tapPage.waitForSelector(`${byte}[data-highlight="true"]`);
  assert.match(await tapPage.textContent('[data-role="byte-info"]'), /^byte 1 = 0x85: MASK, /);
  assert.match(await tapPage.textContent('[data-role="field-info"]'), /^MASK = 1/);
  assert.equal(await tapPage.evaluate(() => document.scrollingElement.scrollWidth <= window.innerWidth), true);
  await screenshot(tapPage, 'issue16-layout-390-tapped');
  await phone.close();
  // The welcome text speaks of no "left" at any width.
  await typeInput(page, '');
  assert.doesNotMatch(await page.textContent('body'), /on the left/);
  assert.deepEqual(errors, []);
});

test('composer: as hex converts, the key error sits on the key, linked bytes, Back undoes a send, edit a decoded frame', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const out = () => page.textContent('[data-role="composer-output"]');
  // The decoder's frame goes to the composer and composes to the same bytes.
  await typeInput(page, '82 03 ff 00 41');
  await page.click('[data-role="edit-in-composer"]');
  await page.waitForSelector('[data-role="composer"]');
  assert.equal(await out(), '82 03 ff 00 41');
  assert.equal(await page.inputValue('[data-role="composer-payload"]'), 'ff 00 41');
  assert.equal(await page.isChecked('[data-role="composer-payload-hex"]'), true);
  assert.equal(await page.isChecked('[data-role="composer-mask"]'), false);
  // Binary bytes cannot become text: the switch stays on hex and says why.
  await page.click('[data-role="composer-payload-hex"]');
  await page.waitForSelector('[data-role="composer-hex-note"]');
  assert.match(await page.textContent('[data-role="composer-hex-note"]'), /not UTF-8 text/);
  assert.equal(await page.isChecked('[data-role="composer-payload-hex"]'), true);
  // Text to hex and back keeps the same bytes.
  await page.fill('[data-role="composer-payload"]', '48 69');
  await page.waitForFunction(() => document.querySelector('[data-role="composer-output"]').textContent === '82 02 48 69');
  await page.click('[data-role="composer-payload-hex"]');
  await page.waitForFunction(() => document.querySelector('[data-role="composer-payload"]').value === 'Hi');
  assert.equal(await out(), '82 02 48 69');
  await page.click('[data-role="composer-payload-hex"]');
  await page.waitForFunction(() => document.querySelector('[data-role="composer-payload"]').value === '48 69');
  assert.equal(await out(), '82 02 48 69');
  // The opcode menu speaks in hex numbers, not "a pong".
  const ops = await page.$$eval('[data-role="composer-opcode"] option', (os) => os.map((o) => o.textContent));
  assert.equal(ops[10], '0xA pong');
  // A bad key: the error is on the key field, the rest of the form stays.
  await page.check('[data-role="composer-mask"]');
  await page.fill('[data-role="composer-key"]', '37fa21');
  await page.waitForSelector('[data-role="composer-key-error"]');
  assert.match(await page.textContent('[data-role="composer-key-error"]'), /masking key/);
  assert.equal(await page.getAttribute('[data-role="composer-key"]', 'aria-invalid'), 'true');
  assert.equal(await page.getAttribute('[data-role="composer-key"]', 'aria-describedby'), 'composer-key-error');
  assert.doesNotMatch(await page.textContent('[data-role="composer-error"]'), /line 1, column 1/);
  await page.fill('[data-role="composer-key"]', '37fa213d');
  await page.waitForSelector('[data-role="composer-key-error"]', { state: 'detached' });
  // The output bytes are the linked bytes view: hovering byte 1 lights MASK in the grid.
  await page.hover('[data-role="composer"] [data-role="hex-view"] [data-offset="1"]');
  await page.waitForSelector('[data-role="composer"] [data-field="mask"].hl');
  await screenshot(page, 'issue16-composer');
  // Send to decoder, then Back: the user's own input comes back.
  await page.click('[data-role="composer-send"]');
  await page.waitForFunction(() => document.querySelector('[data-role="input"]').value === '82 82 37 fa 21 3d 7f 93');
  await page.goBack();
  await page.waitForFunction(() => document.querySelector('[data-role="input"]').value === '82 03 ff 00 41');
  await page.waitForSelector('.app[data-busy="false"]');
  assert.equal(await page.$eval('[data-role="frame-list"]', (e) => e.dataset.count), '1');
  assert.deepEqual(errors, []);
});

test('small things: column headers, no "·" for an unknown sender, message parts in words, grouped counts, handshake-only input, example names', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // The frame list has column headers.
  await pickExample(page, 'rfc6455-fragmented');
  const head = await page.$$eval('[data-role="frame-head"] span', (es) => es.map((e) => e.textContent));
  assert.deepEqual(head, ['#', 'dir', 'opcode', 'FIN', 'length', 'payload']);
  // A fragment says where it sits in words; message and frame numbers are indexes from 0.
  assert.match(await page.textContent('[data-role="frame-row"][data-index="0"]'), /msg 0 · first of 2/);
  assert.match(await page.textContent('[data-role="frame-row"][data-index="1"]'), /msg 0 · last of 2/);
  assert.doesNotMatch(await page.textContent('[data-role="frame-list"]'), /\d\/\d/);
  // An unknown sender is a question mark saying so, not a dot.
  await typeInput(page, '81 05 48 65 6c 6c 6f');
  const dir = await page.$eval('[data-role="frame-row"] .dir', (e) => [e.textContent, e.title]);
  assert.deepEqual(dir, ['?', 'unknown sender']);
  // Big numbers have thousands separators.
  await pickExample(page, 'rfc6455-64k-binary');
  assert.match(await page.textContent('[data-role="frame-row"][data-index="0"] .len'), /^65,536$/);
  assert.match(await page.textContent('[data-role="frame-detail"] h2'), /65,536 bytes payload/);
  assert.match(await page.textContent('[data-role="summary"]'), /65,546 bytes/);
  // A handshake with no frames: the Frame tab points to the Handshake tab.
  await pickExample(page, 'handshake-rfc6455');
  await page.click('[data-role="tab-frames"]');
  assert.match(await page.textContent('[data-role="no-frames"]'), /Handshake tab/);
  await page.click('[data-role="to-handshake"]');
  await page.waitForSelector('[data-role="handshake"]');
  // Example names say what they show, not just a finding code or "seeds".
  const groups = await page.$$eval('[data-role="examples"] optgroup', (gs) => gs.map((g) => g.label));
  assert.ok(!groups.some((g) => /seeds|^One per finding$/.test(g)), `${groups}`);
  const titles = await page.$$eval('[data-role="examples"] option', (os) => os.map((o) => o.textContent));
  assert.ok(titles.includes('64-bit length with its top bit set (length-msb-set)'), `${titles}`);
  for (const t of titles.filter((t) => /\([a-z0-9]+(-[a-z0-9]+)+\)$/.test(t))) assert.match(t, /^[A-Z0-9]\S* .+ \(/, t);
  await screenshot(page, 'issue16-small-things');
  // 100 000 frames: the index column is as wide as "99999", which fits.
  await typeInput(page, '8100'.repeat(100_000));
  await page.focus('[data-role="frame-list"]');
  await page.keyboard.press('End');
  const last = '[data-role="frame-row"][data-index="99999"] .idx';
  await page.waitForSelector(last);
  assert.deepEqual(await page.$eval(last, (e) => [e.textContent, e.scrollWidth <= e.clientWidth]), ['99999', true]);
  const headIdx = await page.$eval('[data-role="frame-head"] .idx', (e) => e.getBoundingClientRect().width);
  assert.equal(await page.$eval(last, (e) => e.getBoundingClientRect().width), headIdx);
  assert.deepEqual(errors, []);
});

test('a finding lights its field in the bit grid; "next finding" and "go to frame N" move the selection', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const detail = '[data-role="frame-detail"]';
  // Frame 1 sets RSV2, frame 3 uses the reserved opcode 3; frames 0 and 2 are fine.
  await typeInput(page, '81 00 a1 00 81 00 83 00');
  await page.waitForSelector(`${detail}[data-index="0"]`);
  await page.click('[data-role="next-finding"]');
  await page.waitForSelector(`${detail}[data-index="1"]`);
  const finding = `${detail} [data-role="finding"][data-code="reserved-bits"]`;
  assert.equal(await page.getAttribute(finding, 'data-lights'), 'rsv2');
  await page.hover(finding);
  await page.waitForSelector(`${detail} [data-field="rsv2"].hl`);
  assert.equal(await page.$(`${detail} [data-field="rsv1"].hl`), null);
  assert.ok(await page.$(`${detail} [data-role="hex-view"] [data-offset="2"][data-highlight="true"]`), 'byte 0 of frame 1 lit');
  await page.mouse.move(0, 0);
  await page.waitForSelector(`${detail} [data-field="rsv2"].hl`, { state: 'detached' });
  // The keyboard reaches it too.
  await page.focus(finding);
  await page.waitForSelector(`${detail} [data-field="rsv2"].hl`);
  await screenshot(page, 'issue16-finding-lights-field');
  await page.click('[data-role="next-finding"]');
  await page.waitForSelector(`${detail}[data-index="3"] [data-role="finding"][data-code="reserved-opcode"][data-lights="opcode"]`);
  await page.click('[data-role="next-finding"]'); // wraps round
  await page.waitForSelector(`${detail}[data-index="1"]`);
  // Go to frame N (a number past the end goes to the last frame).
  await page.fill('[data-role="goto-frame"]', '2');
  await page.press('[data-role="goto-frame"]', 'Enter');
  await page.waitForSelector(`${detail}[data-index="2"]`);
  assert.equal(await page.$eval('[data-role="frame-row"][aria-selected="true"]', (e) => e.dataset.index), '2');
  await page.fill('[data-role="goto-frame"]', '99');
  await page.press('[data-role="goto-frame"]', 'Enter');
  await page.waitForSelector(`${detail}[data-index="3"]`);
  // A payload finding lights the payload bytes.
  await pickExample(page, 'finding-invalid-utf8');
  const utf8 = `${detail} [data-role="finding"][data-code="invalid-utf8"]`;
  await page.waitForSelector(utf8);
  await page.hover(utf8);
  await page.waitForSelector(`${detail} [data-role="hex-view"] [data-of="payload"][data-highlight="true"]`);
  // With no finding anywhere, "next finding" is off.
  await typeInput(page, '81 00');
  assert.equal(await page.isDisabled('[data-role="next-finding"]'), true);
  assert.deepEqual(errors, []);
});

test('Accept: the dropped character and the differing ones are marked, an edited key is not blamed on the server, the copy note clears', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await pickExample(page, 'handshake-misspelled-guid');
  await page.click('[data-role="tab-handshake"]');
  await page.waitForSelector('[data-role="accept-diagnosis"]');
  // The character the server dropped, marked in the string it should have hashed.
  assert.equal(await page.textContent('[data-role="accept-missed"]'), 'A');
  assert.match(await page.textContent('[data-role="accept-should"]'), /258EAFA5-E914/);
  // Step 5 compares character by character: every differing character of the received value is marked.
  const { expected, received, marked } = await page.evaluate(() => {
    const r = document.querySelector('[data-role="accept-received"]');
    const runs = [...r.childNodes].map((n) => [n.textContent, n.nodeName === 'MARK']);
    return { expected: document.querySelector('[data-role="accept-expected"]').textContent, received: r.textContent, marked: runs };
  });
  let at = 0;
  for (const [run, isMark] of marked) {
    for (const c of run) { assert.equal(c !== expected[at], isMark, `character ${at}`); at += 1; }
  }
  assert.equal(at, received.length);
  assert.ok(marked.some(([, m]) => m));
  assert.match(await page.textContent('[data-role="accept-verdict"]'), /^Mismatch: the server sent/);
  await screenshot(page, 'issue16-accept-dropped-char');
  // Once the user edits the key, the verdict no longer speaks of what "the server sent" for it.
  await page.fill('[data-role="accept-key"]', 'dGhlIHNhbXBsZSBub25jZQ==');
  await page.waitForFunction(() => /^For the key you typed/.test(document.querySelector('[data-role="accept-verdict"]').textContent));
  assert.doesNotMatch(await page.textContent('[data-role="accept-verdict"]'), /server sent/);
  await screenshot(page, 'issue16-accept-marks');
  // "copied link" goes away on its own.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await page.click('[data-role="copy-link"]');
  await page.waitForFunction(() => document.querySelector('[data-role="copy-status"]').textContent === 'copied link');
  await page.waitForFunction(() => document.querySelector('[data-role="copy-status"]').textContent === '', null, { timeout: 6000 });
  assert.deepEqual(errors, []);
});
