// Issue 13's page part: the "Decoded" view of the selected frame's message, linked to its bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDist, launch, openPage, screenshot } from './harness.mjs';
import { loaded, shot } from './capture-helpers.mjs';

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

/** An unmasked final frame (payload under 126 bytes) as spaced hex. */
function frameHex(opcode, payload) {
  const bytes = [0x80 | opcode, payload.length, ...payload];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
async function typeInput(page, text) {
  await page.fill('[data-role="input"]', text);
  await page.waitForSelector('.app[data-busy="false"]', { timeout: 60_000 });
}
const node = (page, name) =>
  page.locator('[data-role="decoded-node"]').filter({ has: page.locator('.dn-name', { hasText: new RegExp(`^${name}$`) }) }).first();
/** The input offsets the hex view lights. */
const lit = (page) => page.$$eval('[data-role="hex-view"] .byte.hl', (es) => es.map((e) => Number(e.dataset.offset)));
/** The offsets a node's data-span covers in a frame whose payload starts at input offset 2. */
async function spanOffsets(n) {
  const [s, e] = (await n.getAttribute('data-span')).split(',').map(Number);
  assert.ok(e > s, `a non-empty span ${s},${e}`);
  return Array.from({ length: e - s }, (_, k) => 2 + s + k);
}

test('a Socket.IO event shows its name, and hovering a node lights its bytes; none hides the tree', async () => {
  const { page, errors } = await openPage(browser, server.url);
  const payload = Buffer.from('42["chat message",{"user":"ann"}]');
  await typeInput(page, frameHex(1, payload));
  await page.waitForSelector('[data-role="decoded"]');
  assert.equal(await page.$eval('[data-role="decoder"]', (e) => e.value), 'auto');
  assert.match(await page.textContent('[data-role="decoded-summary"]'), /socketio: EVENT "chat message"/);
  const event = node(page, 'event');
  assert.match(await event.textContent(), /"chat message"/);
  await event.hover();
  const want = await spanOffsets(event);
  assert.deepEqual(await lit(page), want);
  // The lit bytes are the event name's (with its quotes) in the input.
  const text = String.fromCharCode(...want.map((o) => payload[o - 2]));
  assert.equal(text, '"chat message"');
  // Focus does the same (keyboard users), on the user's name.
  await page.mouse.move(0, 0);
  assert.deepEqual(await lit(page), []);
  await node(page, 'user').focus();
  assert.equal(String.fromCharCode(...(await lit(page)).map((o) => payload[o - 2])), '"ann"');
  await screenshot(page, 'decoded-socketio');
  await page.selectOption('[data-role="decoder"]', 'none');
  await page.waitForSelector('[data-role="decoded-none"]');
  assert.equal(await page.$('[data-role="decoded"]'), null);
  assert.deepEqual(await lit(page), []);
  assert.deepEqual(errors, []);
});

test('an MQTT PUBLISH read with the decoder switched to mqtt shows its topic, lit in the bytes', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // PUBLISH, QoS 0: topic "sensors/t1", payload "21.5".
  const topic = Buffer.from('sensors/t1');
  const body = Buffer.from('21.5');
  const publish = [0x30, 2 + topic.length + body.length, 0, topic.length, ...topic, ...body];
  await typeInput(page, frameHex(2, publish));
  await page.selectOption('[data-role="decoder"]', 'mqtt');
  await page.waitForSelector('[data-role="decoded"]');
  assert.match(await page.textContent('[data-role="decoded-summary"]'), /mqtt: PUBLISH sensors\/t1/);
  const t = node(page, 'topic');
  assert.match(await t.textContent(), /"sensors\/t1"/);
  await t.hover();
  const offsets = await lit(page);
  assert.deepEqual(offsets, await spanOffsets(t));
  // The topic's bytes (after its two length bytes) are lit.
  const bytes = offsets.map((o) => publish[o - 2]);
  assert.ok(Buffer.from(bytes).includes(topic), `lit ${bytes}`);
  await screenshot(page, 'decoded-mqtt');
  assert.deepEqual(errors, []);
});

test('a fragmented message\'s node says where its bytes are in the joined message', async () => {
  const { page, errors } = await openPage(browser, server.url);
  // The same kind of PUBLISH (topic "a/b", payload "hi") split over a binary frame and a
  // continuation frame.
  await typeInput(page, '02 04 30 07 00 03 80 05 61 2f 62 68 69');
  await page.selectOption('[data-role="decoder"]', 'mqtt');
  await page.waitForSelector('[data-role="decoded"]');
  const t = node(page, 'topic');
  await t.hover();
  assert.equal(await page.textContent('[data-role="decoded-span"]'), 'bytes 2..7 of the joined message: "␀␃a/b"');
  assert.deepEqual(await lit(page), []);
  await page.mouse.move(0, 0);
  assert.equal(await page.textContent('[data-role="decoded-span"]'), '');
  assert.deepEqual(errors, []);
});

// Capture mode (issue 13): the worker decodes each connection's messages in order, with the
// subprotocol its upgrade selected; the timeline labels each message as `wsinspect pcap --json
// --payload auto` summarises it, and a message's Decoded view has its connection's context.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PAYLOAD = path.join(ROOT, 'tests/data/payload');

/** The real CLI's summaries per connection, in the order the messages completed. */
function cliSummaries(file, ...args) {
  const out = execFileSync('cargo', ['run', '--quiet', '-p', 'wsinspect-cli', '--', 'pcap', '--json', '--payload', 'auto', ...args, file],
    { cwd: ROOT, maxBuffer: 64 << 20, timeout: 600_000 });
  return JSON.parse(out).connections.map((c) => c.messages.map((m) => ({
    direction: m.direction, summary: m.decoded?.summary ?? null,
  })));
}

/** The labels of the timeline's data rows, in row order, with their direction. */
const labels = (page) => page.$$eval('[data-role="timeline"] [data-role="frame-row"]', (rows) => rows
  .filter((r) => Number(r.dataset.opcode) < 8)
  .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
  .map((r) => ({ direction: r.dataset.direction, summary: r.querySelector('[data-role="decoded-label"]')?.textContent ?? null })));

async function openCapture(page, name) {
  await page.setInputFiles('[data-role="open-file"]', path.join(PAYLOAD, name));
  await loaded(page);
  await page.waitForSelector('[data-role="timeline"] [data-role="decoded-label"]');
}

async function selectRow(page, row) {
  await page.click(`[data-role="timeline"] [data-role="frame-row"][data-index="${row}"]`);
  await page.waitForSelector(`[data-role="capture-detail"][data-row="${row}"] [data-role="decoded-summary"]`);
}

test('a Socket.IO capture: the timeline says what each message is, and the attachment is joined to its event', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await openCapture(page, 'socketio.pcapng');
  const want = cliSummaries(path.join(PAYLOAD, 'socketio.pcapng'))[0];
  const got = await labels(page);
  assert.deepEqual(got, want);
  assert.ok(got.some((l) => l.summary === 'EVENT "chat message" /chat'), JSON.stringify(got));
  // The client's binary message read alone is five bytes; in its connection it is the upload's
  // attachment, joined to its BINARY_EVENT.
  const row = await page.$eval('[data-role="frame-row"][data-direction="client"][data-opcode="2"]', (r) => r.dataset.index);
  await selectRow(page, row);
  assert.match(await page.textContent('[data-role="decoded-summary"]'),
    /socketio: ATTACHMENT 1 of 1 for BINARY_EVENT "upload" ack 1/);
  await shot(page, 'decoded-capture-socketio');
  await shot(page, 'decoded-capture-socketio-tree', 'section[aria-labelledby="decoded-h"]');
  // Another decoder, chosen in a capture, is applied by the worker; auto again brings it back.
  await page.selectOption('[data-role="decoder"]', 'none');
  await page.waitForSelector('[data-role="decoded-none"]');
  await page.selectOption('[data-role="decoder"]', 'auto');
  await page.waitForSelector('[data-role="decoded-summary"]');
  assert.match(await page.textContent('[data-role="decoded-summary"]'), /ATTACHMENT 1 of 1/);
  assert.deepEqual(errors, []);
});

test('an MQTT capture: packets that span messages are labelled where they end and read whole', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await openCapture(page, 'mqtt.pcapng');
  const want = cliSummaries(path.join(PAYLOAD, 'mqtt.pcapng'))[0];
  const got = await labels(page);
  assert.deepEqual(got, want.slice(0, got.length));
  for (const s of ['CONNECT 3.1.1 client "wsinspect-311"', 'SUBSCRIBE sensors/#', 'PUBLISH sensors/t1 (16 bytes)']) {
    assert.ok(got.some((l) => l.summary?.startsWith(s)), `${s}: ${JSON.stringify(got)}`);
  }
  const row = await page.$$eval('[data-role="frame-row"][data-direction="client"]', (rs) => rs
    .find((r) => r.querySelector('[data-role="decoded-label"]')?.textContent.startsWith('PUBLISH sensors/t1')).dataset.index);
  await selectRow(page, row);
  assert.match(await page.textContent('[data-role="decoded-summary"]'), /mqtt: PUBLISH sensors\/t1/);
  assert.match(await node(page, 'topic').textContent(), /"sensors\/t1"/);
  assert.match(await node(page, 't').textContent(), /21\.5/);
  await shot(page, 'decoded-capture-mqtt');
  await shot(page, 'decoded-capture-mqtt-tree', 'section[aria-labelledby="decoded-h"]');
  assert.deepEqual(errors, []);
});

test('a .proto given on the page names the Protobuf fields, in a capture and in pasted input', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await openCapture(page, 'binary.pcapng');
  // The client's fifth binary message is the chat.Message.
  const row = await page.$$eval('[data-role="frame-row"][data-direction="client"][data-opcode="2"]', (rs) => rs
    .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))[4].dataset.index);
  await selectRow(page, row);
  assert.match(await page.textContent('[data-role="decoded-summary"]'), /protobuf: 7 field\(s\)/);
  // A broken .proto: the error names its line.
  const proto = await fs.readFile(path.join(PAYLOAD, 'chat.proto'), 'utf8');
  await page.setInputFiles('[data-role="open-proto"]',
    { name: 'bad.proto', mimeType: 'text/plain', buffer: Buffer.from(proto.replace('message User', 'mesage User')) });
  await page.waitForSelector('[data-role="proto-error"]');
  assert.match(await page.textContent('[data-role="proto-error"]'), /^bad\.proto:14:/);
  // The real one, dropped on the page: its types are offered, the outermost chosen.
  await drop(page, 'chat.proto', proto);
  await page.waitForSelector('[data-role="proto-message"]');
  assert.equal(await page.$('[data-role="proto-error"]'), null);
  assert.deepEqual(await page.$$eval('[data-role="proto-message"] option', (os) => os.map((o) => o.value)), ['chat.User', 'chat.Message']);
  assert.equal(await page.$eval('[data-role="proto-message"]', (s) => s.value), 'chat.Message');
  await page.waitForFunction(() => /chat\.Message/.test(document.querySelector('[data-role="decoded-summary"]')?.textContent));
  const want = cliSummaries(path.join(PAYLOAD, 'binary.pcapng'), '--proto', path.join(PAYLOAD, 'chat.proto'), '--message', 'chat.Message')[0];
  assert.deepEqual(await labels(page), want);
  for (const f of ['from', 'text', 'kind', 'reactions', 'at', 'score', 'meta']) {
    assert.ok(await node(page, f).count() > 0, `field ${f}`);
  }
  assert.match(await node(page, 'kind').textContent(), /IMAGE/);
  await shot(page, 'decoded-capture-proto');
  await shot(page, 'decoded-capture-proto-tree', 'section[aria-labelledby="decoded-h"]');
  // Pasted input: the same message's bytes read as chat.Message too.
  await page.click('[data-role="close-capture"]');
  const hex = '0a070a03616e6e1005121368656c6c6f2066726f6d2070726f746f6275661802220d01ac02feffffffffffffffff012a0908c8f0aad80610882731000000000000e03f3a0d0a04726f6f6d12056c6f626279';
  const payload = Buffer.from(hex, 'hex');
  await typeInput(page, frameHex(2, [...payload]));
  await page.waitForSelector('[data-role="decoded"]');
  assert.match(await page.textContent('[data-role="decoded-summary"]'), /protobuf: chat\.Message/);
  assert.match(await node(page, 'text').textContent(), /hello from protobuf/);
  await screenshot(page, 'decoded-proto-pasted');
  assert.deepEqual(errors, []);
});

/** Drop a file with this text on the page. */
async function drop(page, name, text) {
  await page.evaluate(({ name, text }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name));
    const target = document.querySelector('.layout');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { name, text });
}
