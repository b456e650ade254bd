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
