// Capture files (issue 11, item 4): a connection exported as pcapng and as the CLI's JSON from
// the page. The pcapng is read back by the real CLI (`wsinspect pcap --json`) and, when it is
// installed, by tshark: the same frames (both directions, handshake, capture times) as the CLI
// reads from the original file; the JSON export equals the CLI's document for the connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliPcapJson as cli, loaded, shot } from './capture-helpers.mjs';
import { serveDist, launch, openPage } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.join(ROOT, 'tests/data');

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

/** tshark's count of packets with a WebSocket frame, or null when tshark is not installed. */
function tsharkWebSocketPackets(file) {
  try {
    const out = execFileSync('tshark', ['-r', file, '-Y', 'websocket', '-T', 'fields', '-e', 'frame.number'],
      { timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.toString().trim().split('\n').filter(Boolean).length;
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
}

/** What a connection document says about its frames and messages (all of it but nothing else). */
function conversation(c) {
  return { handshake: c.handshake, upgrade: c.upgrade, frames: c.frames, messages: c.messages, findings: c.findings };
}

async function openConnection(page, file, id) {
  await page.setInputFiles('[data-role="open-file"]', file);
  await loaded(page);
  await page.click(`[data-role="connection-row"][data-id="${id}"]`);
  await page.waitForSelector('[data-role="timeline"] [data-role="frame-row"]');
}

async function download(page, role) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(`[data-role="${role}"]`)]);
  const file = path.join(ROOT, 'target', `export-${process.pid}-${d.suggestedFilename()}`);
  await d.saveAs(file);
  return { file, name: d.suggestedFilename() };
}

// echo 1: permessage-deflate; echo 5: Node `ws` over IPv6; cases 3: fragmented messages with
// pings between the fragments; cases 1: the same, compressed.
for (const [fixture, id] of [['pcap/echo.pcapng', '1'], ['pcap/echo.pcapng', '5'], ['pcap/cases.pcapng', '3'], ['pcap/cases.pcapng', '1']]) {
  test(`${fixture} connection ${id} exports as a pcapng the CLI and tshark read as the original, and as the CLI's JSON`, async () => {
    const original = path.join(DATA, fixture);
    const want = cli(original, '--connection', id).connections[0];
    const { page, errors } = await openPage(browser, server.url);
    await openConnection(page, original, id);

    const pcapng = await download(page, 'export-pcapng');
    assert.equal(pcapng.name, `wsinspect-connection-${id}.pcapng`);
    const note = '[data-role="export-note"]';
    await page.waitForSelector(`${note}[data-complete="true"][data-frames="${want.frames.length}"]`);
    const back = cli(pcapng.file).connections;
    assert.equal(back.length, 1);
    // Byte for byte the same streams: the same frames (offsets, masks, payloads, times) and
    // messages (inflated, decoded), handshake and findings.
    assert.deepEqual(conversation(back[0]), conversation(want));
    assert.equal(back[0].client, want.client);
    assert.equal(back[0].server, want.server);
    const packets = tsharkWebSocketPackets(pcapng.file);
    if (packets === null) {
      console.log('tshark not installed: the pcapng was checked by the CLI only');
    } else {
      // One frame per synthetic segment: tshark sees a WebSocket frame in as many packets.
      assert.equal(packets, want.frames.length, 'tshark -Y websocket');
    }

    const json = await download(page, 'export-json');
    assert.equal(json.name, `wsinspect-connection-${id}.json`);
    const doc = JSON.parse(await fs.readFile(json.file, 'utf8'));
    assert.equal(doc.connections.length, 1);
    const got = doc.connections[0];
    assert.deepEqual(conversation(got), conversation(want));
    for (const k of ['id', 'client', 'server', 'client_by', 'diagnoses', 'conformance']) {
      assert.deepEqual(got[k], want[k], k);
    }
    await shot(page, `capture-export-${path.basename(fixture, '.pcapng')}-${id}`, '.exports');
    await fs.rm(pcapng.file, { force: true });
    await fs.rm(json.file, { force: true });
    assert.deepEqual(errors, []);
  });
}

test('a HAR connection says why it has no pcapng, and its JSONL export still works', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.setInputFiles('[data-role="open-file"]', path.join(DATA, 'har/echo.har'));
  await loaded(page);
  await page.waitForSelector('[data-role="timeline"] [data-role="frame-row"]');
  await page.click('[data-role="export-pcapng"]');
  await page.waitForSelector('[data-role="export-note"][data-name=""]');
  assert.match(await page.textContent('[data-role="export-note"]'), /Not exported: a HAR holds messages/);
  const jsonl = await download(page, 'export-jsonl');
  const lines = (await fs.readFile(jsonl.file, 'utf8')).trim().split('\n');
  assert.ok(lines.length > 0 && lines.every((l) => JSON.parse(l).direction));
  await fs.rm(jsonl.file, { force: true });
  assert.deepEqual(errors, []);
});
