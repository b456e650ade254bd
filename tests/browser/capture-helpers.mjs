// What the capture-file browser tests share: the real CLI's `pcap --json`, the CLI's and the
// page's per-connection counts, waiting for a load to end, and screenshots into
// target/browser-shots.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = process.env.WSINSPECT_CAPTURE_SHOTS ?? path.join(ROOT, 'target/browser-shots');

/** The real CLI's `pcap --json` on a file, with `extra` flags (built by cargo if it is not yet). */
export function cliPcapJson(file, ...extra) {
  const out = execFileSync('cargo', ['run', '--quiet', '-p', 'wsinspect-cli', '--', 'pcap', '--json', file, ...extra],
    { cwd: ROOT, maxBuffer: 64 << 20, timeout: 600_000 });
  return JSON.parse(out);
}

/** Per connection: frames and messages per direction, from the CLI's connection documents. */
export function cliCounts(doc) {
  return doc.connections.map((c) => {
    const n = { id: String(c.id), client: c.client, cf: 0, sf: 0, cm: 0, sm: 0 };
    for (const f of c.frames) n[f.direction === 'client' ? 'cf' : 'sf'] += 1;
    for (const m of c.messages) n[m.direction === 'client' ? 'cm' : 'sm'] += 1;
    return n;
  });
}

/** The same counts from the page's connection rows. */
export async function pageCounts(page) {
  return page.$$eval('[data-role="connection-row"]', (rows) => rows.map((r) => ({
    id: r.dataset.id, client: r.dataset.client,
    cf: Number(r.dataset.clientFrames), sf: Number(r.dataset.serverFrames),
    cm: Number(r.dataset.clientMessages), sm: Number(r.dataset.serverMessages),
  })));
}

export async function loaded(page) {
  await page.waitForSelector('[data-role="capture"][data-loading="false"]', { timeout: 120_000 });
}

export async function shot(page, name, selector) {
  await fs.mkdir(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await (selector ? page.locator(selector).screenshot({ path: file }) : page.screenshot({ path: file }));
  console.log(`screenshot: ${file}`);
}
