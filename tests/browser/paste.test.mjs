// Pasted input on the main thread's budget (issues 11 and 16): a large paste is read in the
// page's worker and decoded in slices bounded in time, so no main-thread task runs long; the
// newest input wins over one still being read; a small paste shows at once with no
// "decoding…" flash; a long share link is warned about. Prints the time to the first rows,
// to the whole view, and the longest main-thread task (PerformanceObserver 'longtask').
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, openPage, screenshot } from './harness.mjs';

// The goal is no task over 50 ms; on a quiet machine the worst is 60-90 ms (the render of a
// large frame's detail), on one shared with builds up to about 190 ms. Before the worker and
// the box fixes the same pastes ran tasks of 700-2300 ms. WSINSPECT_LONGTASK_MS tightens it.
const MAX_TASK_MS = Number(process.env.WSINSPECT_LONGTASK_MS ?? 250);

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

/** Watch the main thread: long tasks (with their start) and the page's busy flag. */
async function watch(page) {
  await page.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) window.__long.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    window.__progressSeen = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-role="progress"]')) window.__progressSeen = true;
    }).observe(document.body, { subtree: true, childList: true });
  });
}

/**
 * Paste about `chars` characters of single-line hex (one unmasked text frame of "A"s, header
 * included) as a user does: a paste event carrying the text, built in the page, in a task of
 * its own; resolves to when it was given.
 */
async function pasteLongLine(page, chars) {
  return page.evaluate((chars) => new Promise((ok) => {
    const n = Math.floor((chars - 20) / 2);
    const text = '817f' + n.toString(16).padStart(16, '0') + '41'.repeat(n);
    setTimeout(() => {
      const box = document.querySelector('[data-role="input"]');
      box.focus();
      const clipboardData = new DataTransfer();
      clipboardData.setData('text/plain', text);
      const t = performance.now();
      box.dispatchEvent(new ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
      ok({ t, handler: performance.now() - t, n });
    }, 0);
  }), chars);
}

/** When the page shows `sel`, in performance.now() time (polled each animation frame). */
function shownAt(page, sel, timeout = 120_000) {
  return page.evaluate(([sel, timeout]) => new Promise((ok, no) => {
    const t0 = performance.now();
    const poll = () => {
      if (document.querySelector(sel)) return ok(performance.now());
      if (performance.now() - t0 > timeout) return no(new Error(`${sel} not shown`));
      requestAnimationFrame(poll);
    };
    poll();
  }), [sel, timeout]);
}

for (const [label, chars] of [['1 MB', 1 << 20], ['10 MB', 10 << 20]]) {
  test(`a ${label} single-line paste: no long main-thread task after the paste event (${MAX_TASK_MS} ms at most)`, async () => {
    const { page, errors } = await openPage(browser, server.url);
    await watch(page);
    const { t, handler, n } = await pasteLongLine(page, chars);
    const firstRow = await shownAt(page, '[data-role="frame-row"][data-index="0"]');
    const shown = await shownAt(page, '.app[data-busy="false"] [data-role="payload-truncated"]');
    const more = Number(await page.$eval('[data-role="payload-truncated"]', (e) => e.dataset.more));
    const text = await page.$eval('[data-role="payload-text"]', (e) => e.textContent.length);
    assert.equal(text + more, n);
    // Settle, then read the long tasks that began after the paste's own event.
    await page.waitForTimeout(300);
    const long = await page.evaluate(() => window.__long);
    const after = long.filter((l) => l.start > t + handler);
    const worst = Math.max(0, ...after.map((l) => l.ms));
    const pasteTask = Math.max(0, ...long.filter((l) => l.start <= t + handler).map((l) => l.ms));
    console.log(`${label} paste (${chars} characters): input handler ${handler.toFixed(0)} ms (the paste's own task ${pasteTask.toFixed(0)} ms), first row ${(firstRow - t).toFixed(0)} ms, fully shown ${(shown - t).toFixed(0)} ms, longest task after it ${worst.toFixed(0)} ms (${after.length} over 50 ms)`);
    assert.ok(worst <= MAX_TASK_MS, `a ${worst} ms task after the paste: ${JSON.stringify(after)}`);
    // The box shows the input's start, read-only; Clear empties it.
    assert.ok(await page.$eval('[data-role="input"]', (e) => e.readOnly && e.value.length < 20_000));
    assert.match(await page.$eval('[data-role="input-big"]', (e) => e.textContent), /bytes: the box shows its start/);
    assert.match(await page.$eval('[data-role="share-link"]', (e) => e.value), /#v=1&/);
    await screenshot(page, `paste-${label.replace(' ', '')}`);
    await page.click('[data-role="clear-input"]');
    await page.waitForFunction(() => !document.querySelector('[data-role="frame-detail"]'));
    assert.deepEqual(await page.$eval('[data-role="input"]', (e) => [e.readOnly, e.value]), [false, '']);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('the newest input wins over one still being read, and a small paste shows with no progress', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await watch(page);
  await pasteLongLine(page, 4 << 20);
  // Once the worker reads it, another large input: 3 frames (the first read is dropped or stopped).
  await page.waitForSelector('[data-role="progress"]', { timeout: 10_000 });
  await page.evaluate(() => {
    const box = document.querySelector('[data-role="input"]');
    const frame = '817e0fa0' + '42'.repeat(4000);
    box.value = [frame, frame, frame].join('\n') + '\n' + ' '.repeat(70_000);
    box.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForSelector('[data-role="frame-list"][data-count="3"]', { timeout: 60_000 });
  await page.waitForSelector('.app[data-busy="false"]');
  await page.waitForTimeout(500);
  assert.equal(await page.$eval('[data-role="frame-list"]', (e) => e.dataset.count), '3');
  // A small paste: shown at once, never a progress bar.
  await page.evaluate(() => { window.__progressSeen = false; });
  await page.$eval('[data-role="input"]', (el) => {
    el.value = '81 05 48 65 6c 6c 6f';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForFunction(() => document.querySelector('[data-role="payload-text"]')?.textContent === 'Hello');
  assert.equal(await page.evaluate(() => window.__progressSeen), false);
  assert.match(await page.$eval('[data-role="share-link"]', (e) => e.value), /#v=1&/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a long share link is warned about, one too big for a browser is not made', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // Bytes that do not compress: hex of a simple generator's output, 120 KB and 3.2 MB of it.
  const noise = (bytes) => page.evaluate((bytes) => {
    let x = 1;
    const out = [];
    for (let i = 0; i < bytes; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      out.push(((x >>> 0) & 255).toString(16).padStart(2, '0'));
    }
    const box = document.querySelector('[data-role="input"]');
    box.value = out.join('');
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }, bytes);
  await noise(60_000);
  await page.waitForSelector('[data-role="link-note"]', { timeout: 60_000 });
  assert.match(await page.$eval('[data-role="link-note"]', (e) => e.textContent), /may cut it/);
  assert.match(await page.$eval('[data-role="share-link"]', (e) => e.value), /#v=1&/);
  await noise(1_600_000);
  await page.waitForFunction(() => /too big for a share link/.test(document.querySelector('[data-role="link-note"]')?.textContent ?? ''), null, { timeout: 60_000 });
  assert.doesNotMatch(await page.$eval('[data-role="share-link"]', (e) => e.value), /#/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('200 000 pasted frames: six-digit indexes fit their column, and a scroll step fits in two animation frames', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // 200 000 masked client frames "#NNNNNN", one per line (about 5.4 MB of hex), pasted.
  await page.evaluate(() => new Promise((ok) => {
    const key = [0x11, 0x22, 0x33, 0x44];
    const hex = (b) => b.toString(16).padStart(2, '0');
    const lines = [];
    for (let i = 0; i < 200000; i++) {
      const body = [...`#${String(i).padStart(6, '0')}`].map((c, j) => c.charCodeAt(0) ^ key[j % 4]);
      lines.push([0x81, 0x80 | body.length, ...key, ...body].map(hex).join(''));
    }
    setTimeout(() => {
      const box = document.querySelector('[data-role="input"]');
      box.focus();
      const clipboardData = new DataTransfer();
      clipboardData.setData('text/plain', lines.join('\n'));
      box.dispatchEvent(new ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
      ok();
    }, 0);
  }));
  await page.waitForSelector('.app[data-busy="false"] [data-role="frame-list"][data-count="200000"]', { timeout: 180_000 });
  await watch(page);
  // Scroll the list 40 steps down, one animation frame each, timing each step.
  const steps = await page.$eval('[data-role="frame-list"]', (list) => new Promise((ok) => {
    const times = [];
    let n = 0;
    const step = () => {
      const t = performance.now();
      list.scrollTop += 600;
      list.dispatchEvent(new Event('scroll'));
      requestAnimationFrame(() => requestAnimationFrame(() => {
        times.push(performance.now() - t);
        if (++n < 40) step(); else ok(times);
      }));
    };
    step();
  }));
  const sorted = [...steps].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  const long = await page.evaluate(() => window.__long);
  const worst = Math.max(0, ...long.map((l) => l.ms));
  console.log(`200 000 frames: a scroll step takes ${median.toFixed(1)} ms at the median (two animation frames included), longest task while scrolling ${worst.toFixed(0)} ms`);
  // Before: 45-105 ms of work per step, proportional to the input. Two frames are ~33 ms.
  assert.ok(median < 60, `median scroll step ${median} ms: ${steps.map((s) => s.toFixed(0))}`);
  assert.ok(worst <= MAX_TASK_MS, `a ${worst} ms task while scrolling`);
  // The last frame: its six-digit index fits its column.
  await page.focus('[data-role="frame-list"]');
  await page.keyboard.press('End');
  await page.waitForSelector('[data-role="frame-row"][data-index="199999"]', { timeout: 30_000 });
  const fit = await page.$eval('[data-role="frame-row"][data-index="199999"] .idx',
    (e) => ({ text: e.textContent, scroll: e.scrollWidth, client: e.clientWidth }));
  assert.equal(fit.text, '199999');
  assert.ok(fit.scroll <= fit.client, `the index overflows its column: ${JSON.stringify(fit)}`);
  await screenshot(page, 'paste-200k-frames');
  assert.deepEqual(errors, []);
  await page.close();
});
