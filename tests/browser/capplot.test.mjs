// Capture files (issue 11, item 3): the plot's rates (messages and bytes per second per
// direction, binned) add up to the CLI's messages and bytes, and a bar opens its frame; a
// fragmented message is one group on its lane in the timeline, with the pings sent between its
// fragments inside it, its number, frames and length as the CLI reads them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliPcapJson as cli, loaded, shot } from './capture-helpers.mjs';
import { serveDist, launch, openPage } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.join(ROOT, 'tests/data');

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function openConnection(page, file, id) {
  await page.setInputFiles('[data-role="open-file"]', file);
  await loaded(page);
  await page.click(`[data-role="connection-row"][data-id="${id}"]`);
  await page.waitForSelector('[data-role="timeline"] [data-role="frame-row"]');
}

/** A CLI message's payload length (its `payload` is hex, inflated when compressed). */
const msgLen = (m) => (m.payload ?? '').length / 2;

test('the rates add up to the CLI\'s messages and bytes per direction, and a bar opens its frame', async () => {
  const file = path.join(DATA, 'pcap/echo.pcapng');
  const want = cli(file, '--connection', '2').connections[0];
  const { page, errors } = await openPage(browser, server.url);
  await openConnection(page, file, '2');
  await page.waitForSelector('[data-role="rates"][data-kind="bytes"] [data-role="rate-bar"]');
  for (const kind of ['messages', 'bytes']) {
    const strip = `[data-role="rates"][data-kind="${kind}"]`;
    const bin = Number(await page.$eval(strip, (s) => s.dataset.binWidth));
    assert.ok(bin > 0);
    const bars = await page.$$eval(`${strip} [data-role="rate-bar"]`,
      (bs) => bs.map((b) => ({ side: b.dataset.side, rate: Number(b.dataset.rate), row: b.dataset.row })));
    for (const side of ['client', 'server']) {
      const sum = bars.filter((b) => b.side === side).reduce((a, b) => a + b.rate * bin, 0);
      const mine = want.messages.filter((m) => m.direction === side);
      const expected = kind === 'messages' ? mine.length : mine.reduce((a, m) => a + msgLen(m), 0);
      assert.ok(Math.abs(sum - expected) < 1e-3 * Math.max(1, expected), `${kind} ${side}: ${sum} vs ${expected}`);
    }
  }
  const bar = await page.$eval('[data-role="rate-bar"][data-side="server"]', (b) => b.dataset.row);
  await page.click(`[data-role="rate-bar"][data-side="server"][data-row="${bar}"]`);
  await page.waitForSelector(`[data-role="capture-detail"][data-row="${bar}"][data-direction="server"]`);
  await shot(page, 'capture-plot-rates', '[data-role="plot"]');
  assert.deepEqual(errors, []);
});

for (const id of ['3', '1']) {
  test(`cases connection ${id}: each fragmented message is one group on its lane with the pings between its fragments inside`, async () => {
    const file = path.join(DATA, 'pcap/cases.pcapng');
    const want = cli(file, '--connection', id).connections[0];
    const { page, errors } = await openPage(browser, server.url);
    await openConnection(page, file, id);
    await page.waitForSelector('[data-role="msg-group"][data-group-role="inside"]');
    // The timeline is virtual: the rows on screen (and the overscan) are checked.
    const rows = await page.$$eval('[data-role="timeline"] [data-role="frame-row"]', (rs) => rs.map((r) => ({
      row: Number(r.dataset.index),
      direction: r.dataset.direction,
      groups: [...r.querySelectorAll('[data-role="msg-group"]')].map((g) => ({
        lane: g.closest('.lane').classList.contains('c') ? 'client' : 'server',
        message: Number(g.dataset.message), frames: Number(g.dataset.frames), len: Number(g.dataset.len),
        first: Number(g.dataset.first), last: Number(g.dataset.last), role: g.dataset.groupRole,
      })),
      tag: r.querySelector('[data-role="msg-group-tag"]')?.textContent ?? null,
    })));
    assert.ok(rows.length > 10);
    // The CLI's frames are in the order read, as the page's rows: frame `row` of the document.
    const frames = want.frames;
    let checked = { start: 0, inside: 0 };
    for (const r of rows) {
      const f = frames[r.row];
      assert.equal(f.direction, r.direction, `row ${r.row}`);
      for (const g of r.groups) {
        // The CLI's message of that lane whose frames span this row.
        const m = want.messages.find((m) => m.direction === g.lane && m.frames.length > 1 && m.index === g.message);
        assert.ok(m, `row ${r.row}: message ${g.message} of the ${g.lane}`);
        assert.equal(g.frames, m.frames.length);
        assert.equal(g.len, msgLen(m));
        const mine = f.direction === g.lane;
        const role = r.row === g.first ? 'start' : !mine ? 'across' : f.opcode >= 8 ? 'inside' : 'fragment';
        assert.equal(g.role, role, `row ${r.row}`);
        if (mine && f.opcode < 8) assert.ok(m.frames.includes(f.index), `row ${r.row} is a fragment of it`);
        if (role === 'start') {
          checked.start += 1;
          assert.equal(r.tag, `message ${m.index}: ${m.frames.length} frames, ${msgLen(m).toLocaleString('en-US')} B`);
        }
        if (role === 'inside') {
          checked.inside += 1;
          assert.ok(f.opcode === 9, 'a ping between the fragments');
        }
      }
      // A data frame of a fragmented message is always in its group.
      const own = want.messages.find((m) => m.direction === f.direction && f.opcode < 8 && m.frames.includes(f.index));
      if (own && own.frames.length > 1) assert.ok(r.groups.some((g) => g.lane === f.direction), `row ${r.row}`);
    }
    assert.ok(checked.start >= 2 && checked.inside >= 3, JSON.stringify(checked));
    await shot(page, `capture-groups-cases-${id}`, '[data-role="timeline"]');
    assert.deepEqual(errors, []);
  });
}
