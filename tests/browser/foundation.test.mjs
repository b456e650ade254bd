// Foundation slice: typing the RFC 6455 §5.7 masked "Hello" shows every header field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, openPage, screenshot, fieldValues } from './harness.mjs';

let server, browser;
before(async () => { server = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('typing the masked "Hello" frame shows its header fields', async () => {
  const { page, errors } = await openPage(browser, server.url);
  await page.type('[data-role="input"]', '81 85 37 fa 21 3d 7f 9f 4d 51 58');
  await page.waitForSelector('[data-field="mask_key"]');
  const fields = await fieldValues(page);
  assert.deepEqual(fields, {
    fin: '1', rsv1: '0', rsv2: '0', rsv3: '0', opcode: '1', mask: '1', payload_len: '5',
    mask_key: '37fa213d',
  });
  console.log(`screenshot: ${await screenshot(page, 'foundation-masked-hello')}`);
  assert.deepEqual(errors, []);
});

test('a typing mistake is named by line and column, not silently dropped', async () => {
  const { page } = await openPage(browser, server.url);
  await page.type('[data-role="input"]', '81 05 4z');
  const text = await page.textContent('[data-role="error"]');
  assert.match(text, /line 1, column 8/);
  assert.equal(await page.$('[data-field]'), null);
});
