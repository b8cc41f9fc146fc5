#!/usr/bin/env node
// The portal's performance in a real browser (run by tests/src/bin/bench-dashboard.rs, i.e. hack/bench-dashboard.sh).
// Prints one JSON line:
//   list_1000_render_ms            from navigation to the list page until all N rows are in the DOM (median of 3)
//   baseline_static_1000_ms        the same rows as a plain static HTML table set into the same browser (median of 3)
//   update_to_screen_p50_ms / p99  from sending a status change of one shoot to the garden until its status cell
//                                  shows it (a MutationObserver in the page stamps the time), over CHANGES changes
//   garden_watch_p50_ms / p99      baseline: the same changes from sending until a direct garden watch delivers them
// Environment: DASHBOARD_URL, TOKEN (a user who may see the project), PROJECT (default dev), N (default 1000),
// CHANGES (default 50), GARDEN_SERVER, GARDEN_CA (PEM file), GARDEN_TOKEN (may patch shoots/status),
// SESSIONS (extra sessions to open at the end, default 20), CHROMIUM.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../frontend/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const env = process.env;
const BASE = env.DASHBOARD_URL.replace(/\/+$/, '');
const PROJECT = env.PROJECT || 'dev';
const NS = `garden-${PROJECT}`;
const N = Number(env.N || 1000);
const CHANGES = Number(env.CHANGES || 50);
const SESSIONS = Number(env.SESSIONS || 20);
const CA = readFileSync(env.GARDEN_CA);
const GARDEN = new URL(env.GARDEN_SERVER);

function log(msg) {
  process.stderr.write(`[bench-dashboard] ${msg}\n`);
}

function gardenRequest(method, path, body, contentType) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: GARDEN.hostname, port: GARDEN.port, path, method, ca: CA,
        headers: { authorization: `Bearer ${env.GARDEN_TOKEN}`, 'content-type': contentType || 'application/json' },
      },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => (res.statusCode < 300 ? resolve(data) : reject(new Error(`${method} ${path}: ${res.statusCode} ${data}`))));
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/// A direct watch on one shoot: calls onEvent(object, receivedAtMs) for every event.
function gardenWatch(name, onEvent) {
  const path = `/apis/core.gardener.cloud/v1beta1/namespaces/${NS}/shoots?watch=1&fieldSelector=metadata.name%3D${name}`;
  const req = request({ host: GARDEN.hostname, port: GARDEN.port, path, ca: CA, headers: { authorization: `Bearer ${env.GARDEN_TOKEN}` } }, (res) => {
    let buf = '';
    res.on('data', (chunk) => {
      const at = Date.now();
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) onEvent(JSON.parse(line).object, at);
      }
    });
  });
  req.end();
  return req;
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const pct = (v, p) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };
const round = (x) => Math.round(x * 10) / 10;

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});

async function loggedInPage() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const login = await context.request.post(`${BASE}/api/login`, { data: { token: env.TOKEN } });
  if (!login.ok()) throw new Error(`login: ${login.status()} ${await login.text()}`);
  return context.newPage();
}

const rowsSelector = '[data-testid^="shoot-row-"]';
const listUrl = `${BASE}/#/projects/${PROJECT}/shoots`;

// 1. The list of N shoots, first render, and the static-table baseline.
const page = await loggedInPage();
const renders = [];
for (let i = 0; i < 3; i++) {
  await page.goto('about:blank');
  const t0 = Date.now();
  await page.goto(listUrl);
  await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length >= n, [rowsSelector, N], { polling: 'raf', timeout: 120_000 });
  renders.push(Date.now() - t0);
}
log(`list renders: ${renders.join(', ')} ms`);
const rowsText = await page.$$eval(rowsSelector, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
const staticHtml = `<!doctype html><table>${rowsText.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
const statics = [];
const plain = await browser.newPage();
for (let i = 0; i < 3; i++) {
  await plain.goto('about:blank');
  const t0 = Date.now();
  await plain.setContent(staticHtml, { waitUntil: 'load' });
  await plain.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  statics.push(Date.now() - t0);
}
await plain.close();
log(`static table: ${statics.join(', ')} ms`);

// 2. Status changes: garden -> backend watch -> server-sent event -> screen, against the garden's own watch.
const target = await page.$eval(rowsSelector, (r) => r.dataset.testid.replace('shoot-row-', ''));
await page.evaluate((name) => {
  window.__seen = {};
  const stamp = () => {
    const cell = document.querySelector(`[data-testid="shoot-status-${name}"]`);
    const m = cell && /(\d+)%/.exec(cell.textContent);
    if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = performance.timeOrigin + performance.now();
  };
  new MutationObserver(stamp).observe(document.body, { subtree: true, childList: true, characterData: true });
}, target);
const watched = {};
const watch = gardenWatch(target, (obj, at) => {
  const p = obj?.status?.lastOperation?.progress;
  if (p !== undefined && !(p in watched)) watched[p] = at;
});
await new Promise((r) => setTimeout(r, 500));
const toScreen = [];
const toWatch = [];
for (let i = 1; i <= CHANGES; i++) {
  const progress = i;
  const patch = JSON.stringify({ status: { lastOperation: { type: 'Reconcile', state: 'Processing', progress, description: `bench change ${i}`, lastUpdateTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } } });
  const sent = Date.now();
  await gardenRequest('PATCH', `/apis/core.gardener.cloud/v1beta1/namespaces/${NS}/shoots/${target}/status`, patch, 'application/merge-patch+json');
  const deadline = Date.now() + 10_000;
  let seen;
  while (Date.now() < deadline) {
    seen = await page.evaluate((p) => window.__seen[p], String(progress));
    if (seen && watched[progress]) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  if (!seen || !watched[progress]) throw new Error(`change ${i} (progress ${progress}%) not seen within 10 s`);
  toScreen.push(seen - sent);
  toWatch.push(watched[progress] - sent);
  await new Promise((r) => setTimeout(r, 50));
}
watch.destroy();
log(`to screen: p50 ${median(toScreen)} ms, p99 ${pct(toScreen, 99)} ms; garden watch: p50 ${median(toWatch)} ms`);

// 3. More sessions, each on the list page with its live stream (the caller reads the backend's RSS then).
const pages = [];
for (let i = 0; i < SESSIONS - 1; i++) {
  const p = await loggedInPage();
  await p.goto(listUrl);
  await p.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length >= n, [rowsSelector, N], { timeout: 120_000 });
  pages.push(p);
}
const stats = await (await fetch(`${BASE}/statz`)).json();
log(`${SESSIONS} sessions open; backend: ${JSON.stringify(stats)}`);
console.log(JSON.stringify({
  list_1000_render_ms: median(renders),
  baseline_static_1000_ms: median(statics),
  update_to_screen_p50_ms: round(median(toScreen)),
  update_to_screen_p99_ms: round(pct(toScreen, 99)),
  garden_watch_p50_ms: round(median(toWatch)),
  garden_watch_p99_ms: round(pct(toWatch, 99)),
  sessions_open: SESSIONS,
  shared_watches: stats.watches,
}));
// Keep the sessions open until the caller has measured the backend (it closes stdin).
await new Promise((resolve) => { process.stdin.on('end', resolve); process.stdin.on('close', resolve); process.stdin.resume(); });
await browser.close();
