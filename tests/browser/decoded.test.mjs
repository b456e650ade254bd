// Issue 13's page part: the "Decoded" view of the selected frame's message, linked to its bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, openPage, screenshot } from './harness.mjs';

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
