// Shared harness for the browser tests: serve the built bundle (dist/) on loopback and drive the
// system's Chromium (never a downloaded browser) with playwright-core.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

const DIST = process.env.WSINSPECT_DIST ?? path.resolve('../../dist');
const CHROMIUM = process.env.WSINSPECT_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = process.env.WSINSPECT_SCREENSHOTS ?? path.resolve('screenshots');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff': 'font/woff',
};

/**
 * A strict Content-Security-Policy for the built page: its own scripts, wasm, and the inline
 * module Trunk writes (allowed by its hash, never by 'unsafe-inline'); no plugins, no other
 * origins. Under it, nothing a payload smuggles into the DOM could run.
 */
export async function strictCsp() {
  const html = await fs.readFile(path.join(DIST, 'index.html'), 'utf8');
  const hashes = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)]
    .filter((m) => m[1].trim())
    .map((m) => `'sha256-${crypto.createHash('sha256').update(m[1]).digest('base64')}'`);
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Serve DIST on 127.0.0.1 at a free port; resolves to { url, close }. `csp`: a
 * Content-Security-Policy header for every response. */
export async function serveDist({ csp } = {}) {
  await fs.access(path.join(DIST, 'index.html')).catch(() => {
    throw new Error(`no built page at ${DIST}: run trunk build first (cargo xtask test does)`);
  });
  const server = http.createServer(async (req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.join(DIST, urlPath === '/' ? 'index.html' : path.normalize(urlPath));
    if (!file.startsWith(DIST)) { res.writeHead(403).end(); return; }
    try {
      const body = await fs.readFile(file);
      const headers = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' };
      if (csp) headers['content-security-policy'] = csp;
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Launch headless Chromium with the flags this sandbox needs (no background networking). */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Open the page, fail on any page error or console error, wait for the app to mount. */
export async function openPage(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector('[data-role="input"]', { timeout: 30_000 });
  return { page, errors };
}

export async function screenshot(page, name) {
  await fs.mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The data-value of every [data-field] element, as { name: value }. */
export async function fieldValues(page) {
  return page.$$eval('[data-field]', (els) =>
    Object.fromEntries(els.map((e) => [e.dataset.field, e.dataset.value])));
}
