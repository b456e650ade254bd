// Issue 16 item 9: axe-core on the main views, light and dark, at a laptop's, a small laptop's
// and a phone's size; no serious or critical violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { serveDist, launch, openPage, screenshot, strictCsp } from './harness.mjs';

const axe = createRequire(import.meta.url)('axe-core');

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function pickExample(page, id) {
  await page.selectOption('[data-role="examples"]', id);
  await page.waitForSelector('.app[data-busy="false"]', { timeout: 60_000 });
}

/** axe-core's violations on the page as it is, as "rule (impact): target ..." lines. */
async function violations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axe.source });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? `: ${n.failureSummary.split('\n').slice(1, 2).join('')}` : ''}`),
    }));
  });
  return found;
}

const VIEWS = [
  ['frame view (masked text with findings)', async (page) => {
    await pickExample(page, 'finding-masked-server-frame');
    await page.waitForSelector('[data-role="frame-detail"] [data-role="finding"]');
  }],
  ['frame view (JSON payload, fragmented)', async (page) => {
    await pickExample(page, 'json-message');
    await page.waitForSelector('[data-role="frame-detail"]');
  }],
  ['frame view (1 MiB payload: the text, hex and base64 boxes scroll)', async (page) => {
    await pickExample(page, 'finding-inflate-limit');
    await page.waitForSelector('[data-role="payload-base64"]');
  }],
  ['handshake tab (one failure)', async (page) => {
    await pickExample(page, 'handshake-misspelled-guid');
    await page.click('[data-role="tab-handshake"]');
    await page.waitForSelector('[data-role="check"]');
  }],
  ['composer', async (page) => {
    await page.click('[data-role="tab-composer"]');
    await page.waitForSelector('[data-role="composer-output"]');
  }],
];

const SIZES = [[1280, 900], [1024, 768], [390, 844]];

for (const [width, height] of SIZES) for (const scheme of ['light', 'dark']) {
  test(`axe-core finds no serious or critical violation, and no text is under 11 px, on the main views (${scheme}, ${width}x${height})`, async () => {
    const { page, errors } = await openPage(browser, server.url);
    await page.setViewportSize({ width, height });
    await page.emulateMedia({ colorScheme: scheme });
    const report = [];
    for (const [name, open] of VIEWS) {
      await open(page);
      for (const v of await violations(page)) {
        const line = `${name}: ${v.id} (${v.impact}): ${v.nodes.slice(0, 4).join(' | ')}`;
        if (v.impact === 'serious' || v.impact === 'critical') report.push(line);
        else console.log(`minor: ${line}`);
      }
      // No visible text under 11 px (the bit numbers were 8.7 px).
      const small = await page.evaluate(() => {
        const out = [];
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
          const el = n.parentElement;
          if (!n.textContent.trim() || !el || !el.getClientRects().length || el.closest('.sr-only, .skip-link')) continue;
          const style = getComputedStyle(el);
          if (style.visibility !== 'visible') continue;
          const size = parseFloat(style.fontSize);
          if (size < 11) out.push(`${el.className || el.tagName} ${size}px "${n.textContent.trim().slice(0, 20)}"`);
        }
        return [...new Set(out)].slice(0, 10);
      });
      if (small.length) report.push(`${name}: text under 11 px: ${small.join(' | ')}`);
      const size = width === 1280 ? '' : `-${width}`;
      await screenshot(page, `a11y-${scheme}${size}-${name.split(' (')[0].replace(' ', '-')}-${VIEWS.findIndex((v) => v[0] === name)}`);
    }
    assert.deepEqual(report, []);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('tabs: arrow keys move between them, each controls the panel; the first Tab stop leads to the input', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await pickExample(page, 'rfc6455-masked-hello');
  const selected = () => page.$eval('[role="tab"][aria-selected="true"]', (e) => e.dataset.role);
  const focused = () => page.evaluate(() => document.activeElement?.dataset.role);
  await page.focus('[data-role="tab-frames"]');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('[data-role="handshake"]');
  assert.equal(await selected(), 'tab-handshake');
  assert.equal(await focused(), 'tab-handshake');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('[data-role="composer"]');
  assert.equal(await focused(), 'tab-composer');
  await page.keyboard.press('ArrowRight'); // wraps
  assert.equal(await selected(), 'tab-frames');
  await page.keyboard.press('End');
  assert.equal(await selected(), 'tab-composer');
  await page.keyboard.press('Home');
  assert.equal(await focused(), 'tab-frames');
  // Only the selected tab is in the Tab order; every tab names the panel it controls.
  const tabs = await page.$$eval('[role="tab"]', (es) => es.map((e) => [e.tabIndex, e.getAttribute('aria-controls')]));
  assert.deepEqual(tabs.map((t) => t[0]), [0, -1, -1]);
  for (const [, id] of tabs) assert.equal(await page.$eval(`#${id}`, (e) => e.getAttribute('role')), 'tabpanel');
  assert.equal(await page.$eval('[role="tabpanel"]', (e) => e.getAttribute('aria-labelledby')), 'tab-frames');
  // From the top of the page, the first Tab reaches a skip button that leads to the input
  // (before the share bar's six controls).
  await page.reload();
  await page.waitForSelector('[data-role="input"]');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'skip-to-input');
  await page.keyboard.press('Enter');
  assert.equal(await focused(), 'input');
  assert.deepEqual(errors, []);
});

test('control pictures (␀ ␉ ␡) come from the shipped font, not empty boxes, under the strict CSP too', async () => {
  const strict = await serveDist({ csp: await strictCsp() });
  try {
    const { page, errors } = await openPage(browser, strict.url);
    await page.fill('[data-role="input"]', '81 04 00 09 41 7f');
    await page.waitForSelector('.app[data-busy="false"]');
    assert.equal(await page.textContent('[data-role="payload-text"]'), '␀␉A␡');
    const font = await page.evaluate(async () => {
      await document.fonts.ready;
      await document.fonts.load('16px "wsinspect control pictures"', '␀');
      const face = [...document.fonts].find((f) => f.family.replace(/"/g, '') === 'wsinspect control pictures');
      return { status: face?.status, has: document.fonts.check('16px "wsinspect control pictures"', '␀␉␡') };
    });
    assert.deepEqual(font, { status: 'loaded', has: true });
    // Drawn in the payload's font, ␀ is not the empty box a character no font has gets (U+E000).
    const same = await page.evaluate(() => {
      const family = getComputedStyle(document.querySelector('[data-role="payload-text"]')).fontFamily;
      const draw = (ch) => {
        const c = document.createElement('canvas');
        c.width = 48; c.height = 48;
        const g = c.getContext('2d');
        g.font = `32px ${family}`;
        g.fillText(ch, 4, 36);
        return g.getImageData(0, 0, 48, 48).data.join(',');
      };
      return draw('␀') === draw('\uE000');
    });
    assert.equal(same, false, 'the control picture is drawn as an empty box');
    await screenshot(page, 'a11y-control-pictures');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await strict.close();
  }
});
