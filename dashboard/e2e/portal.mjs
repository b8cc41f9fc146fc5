#!/usr/bin/env node
// Browser test of the tenant portal (dashboard/frontend) against a running garden-dashboard and garden.
// Drives Debian's chromium through playwright-core (a devDependency of dashboard/frontend: run `npm ci` there).
//
// Environment:
//   DASHBOARD_URL   where garden-dashboard serves the portal (e.g. http://127.0.0.1:8443)   [required]
//   ADMIN_TOKEN     bearer token of an admin of project dev                                  [required]
//   VIEWER_TOKEN    bearer token of a viewer of project dev                                  [required]
//   OTHER_TOKEN     bearer token of a member of project "other" only                         [required]
//   XSS_SHOOT       a shoot of dev whose annotation `note` holds the hostile text below      [required]
//   KUBECTL         path of kubectl (default: kubectl)
//   WORK_DIR        a temporary directory for downloads and failure screenshots (default: a new one)
//   SCREENSHOT_DIR  where list.png, create.png and details.png go (default: WORK_DIR)
//   SHOOT_NAME      name of the shoot created through the form (default: portal)
//   PROJECT         the project (default: dev); its namespace is garden-<PROJECT>
//   CHROMIUM        the browser (default: /usr/bin/chromium)
//
// Prints one line per step and a closing "N passed, N failed"; exits non-zero at the first failure, after saving
// a screenshot of the page to WORK_DIR.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../frontend/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const env = process.env;
function required(name) {
  const v = env[name];
  if (!v) {
    console.error(`portal.mjs: the environment variable ${name} is required`);
    process.exit(2);
  }
  return v;
}
const BASE = required('DASHBOARD_URL').replace(/\/+$/, '');
const ADMIN_TOKEN = required('ADMIN_TOKEN');
const VIEWER_TOKEN = required('VIEWER_TOKEN');
const OTHER_TOKEN = required('OTHER_TOKEN');
const XSS_SHOOT = required('XSS_SHOOT');
const KUBECTL = env.KUBECTL || 'kubectl';
const WORK_DIR = env.WORK_DIR || mkdtempSync(join(tmpdir(), 'portal-e2e-'));
const SCREENSHOT_DIR = env.SCREENSHOT_DIR || WORK_DIR;
const SHOOT = env.SHOOT_NAME || 'portal';
const PROJECT = env.PROJECT || 'dev';
const NS = `garden-${PROJECT}`;
const HOSTILE = '<script>window.__xss=1</script>"><img src=x onerror="window.__xss=1">';
const SHOOTS_API = `/api/garden/apis/core.gardener.cloud/v1beta1/namespaces/${NS}/shoots`;
mkdirSync(WORK_DIR, { recursive: true });
mkdirSync(SCREENSHOT_DIR, { recursive: true });

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
const page = await context.newPage();
page.setDefaultTimeout(30_000);
page.on('pageerror', (e) => console.log(`     (page error: ${e.message})`));

let passed = 0;
let stepNo = 0;

async function step(name, fn) {
  stepNo++;
  const t0 = Date.now();
  try {
    await fn();
  } catch (e) {
    const shot = join(WORK_DIR, `failure-${String(stepNo).padStart(2, '0')}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.log(`FAIL ${stepNo}. ${name}: ${e?.message || e}`);
    console.log(`     page: ${page.url()}; screenshot: ${shot}`);
    console.log(`${passed} passed, 1 failed`);
    await browser.close().catch(() => {});
    process.exit(1);
  }
  passed++;
  console.log(`ok   ${stepNo}. ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// ---- helpers -------------------------------------------------------------------------------------------------
const tid = (id) => page.getByTestId(id, { exact: true });
const sel = (id) => `[data-testid="${id}"]`;

async function textOf(id) {
  return (await page.locator(sel(id)).first().textContent({ timeout: 1000 }).catch(() => null)) ?? '(missing)';
}

/** Waits until the element's text matches `re`; the error names the last text seen. */
async function waitText(id, re, timeout = 30_000) {
  try {
    await page.waitForFunction(
      ([s, src, flags]) => {
        const el = document.querySelector(s);
        return !!el && new RegExp(src, flags).test(el.textContent || '');
      },
      [sel(id), re.source, re.flags],
      { timeout, polling: 250 },
    );
  } catch {
    throw new Error(`${id} did not show ${re} within ${timeout / 1000} s; it shows "${(await textOf(id)).trim()}"`);
  }
}

/** fetch() from inside the page (its cookie, same origin); `csrf` adds the session's CSRF token. */
async function pageFetch(method, path, body, { csrf = false, contentType = 'application/json' } = {}) {
  return page.evaluate(
    async ([method, path, body, csrf, contentType]) => {
      const headers = {};
      if (body !== undefined) headers['Content-Type'] = contentType;
      if (csrf) {
        const s = await fetch('/api/session').then((r) => r.json());
        headers['X-CSRF-Token'] = s.csrfToken;
      }
      const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: r.status, json, text: text.slice(0, 500) };
    },
    [method, path, body, csrf, contentType],
  );
}

async function waitPerms() {
  await page.locator('[data-perms="loaded"]').first().waitFor();
}

async function login(token) {
  await page.goto(`${BASE}/#/login`);
  await tid('login-token').fill(token);
  await tid('login-submit').click();
  await tid('logout').waitFor();
  // After a login the portal goes to the first project (or where the user was): wait until it has.
  await page.waitForFunction(() => location.hash.startsWith('#/projects/'));
}

async function logout() {
  await tid('logout').click();
  await tid('login-token').waitFor();
}

async function openList() {
  await page.goto(`${BASE}/#/projects/${PROJECT}/shoots`);
  await tid('shoot-list').waitFor();
}

async function switcherOptions() {
  return tid('project-switcher').locator('option').evaluateAll((os) => os.map((o) => o.value));
}

function newestSupported(profile) {
  const now = Date.now();
  const cmp = (a, b) => {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < 3; i++) if ((pa[i] || 0) !== (pb[i] || 0)) return (pa[i] || 0) - (pb[i] || 0);
    return 0;
  };
  const vs = (profile.spec.kubernetes.versions || [])
    .filter((v) => (v.classification || 'supported') === 'supported')
    .filter((v) => !v.expirationDate || Date.parse(v.expirationDate) > now)
    .map((v) => v.version)
    .sort(cmp);
  assert.ok(vs.length, 'the cloud profile "local" offers no supported Kubernetes version');
  return vs[vs.length - 1];
}

// ---- the steps -----------------------------------------------------------------------------------------------
console.log(`portal e2e against ${BASE} (project ${PROJECT}, shoot ${SHOOT}); work dir ${WORK_DIR}`);

await step('a wrong token shows login-error', async () => {
  await page.goto(`${BASE}/`);
  await tid('login-token').fill('this-is-not-a-token-of-the-garden');
  await tid('login-submit').click();
  await waitText('login-error', /token/i);
  assert.equal(await tid('logout').count(), 0, 'the header (logout) is shown without a session');
});

await step('the admin logs in', async () => {
  await tid('login-token').fill(ADMIN_TOKEN);
  await tid('login-submit').click();
  await tid('logout').waitFor();
  // After a login the portal goes to the first project (or where the user was): wait until it has.
  await page.waitForFunction(() => location.hash.startsWith('#/projects/'));
});

await step(`the project switcher shows ${PROJECT}`, async () => {
  await page.waitForFunction((s) => document.querySelectorAll(`${s} option`).length > 0, sel('project-switcher'));
  const options = await switcherOptions();
  assert.ok(options.includes(PROJECT), `project-switcher offers ${JSON.stringify(options)}`);
  await tid('project-switcher').selectOption(PROJECT);
  await page.waitForFunction((p) => location.hash.startsWith(`#/projects/${p}/`), PROJECT);
});

await step('the shoot list renders', async () => {
  await openList();
  await waitPerms();
  await tid('create-shoot-button').waitFor();
  await tid('shoot-search').waitFor();
  await tid('filter-issues').waitFor();
  await tid('filter-purpose').waitFor();
  const existing = await pageFetch('GET', `${SHOOTS_API}/${SHOOT}`);
  assert.equal(existing.status, 404, `a shoot "${SHOOT}" exists already (HTTP ${existing.status}): delete it or set SHOOT_NAME`);
});

await step('a workerless shoot is created through the form and reaches Create Succeeded without a reload', async () => {
  await page.evaluate(() => (window.__noReload = 1));
  await tid('create-shoot-button').click();
  await tid('create-name').waitFor();
  await tid('create-name').fill(SHOOT);
  await tid('create-cloudprofile').selectOption('local');
  await page.waitForFunction((s) => [...(document.querySelector(s)?.options || [])].some((o) => o.value === 'local'), sel('create-binding'));
  await tid('create-binding').selectOption('local');
  await tid('create-region').selectOption('local');
  await tid('create-zone-0').check();
  const profile = await pageFetch('GET', '/api/garden/apis/core.gardener.cloud/v1beta1/cloudprofiles/local');
  assert.equal(profile.status, 200, `GET cloudprofiles/local: ${profile.status} ${profile.text}`);
  const version = newestSupported(profile.json);
  await tid('create-k8s-version').selectOption(version);
  await tid('create-purpose').selectOption('evaluation');
  assert.equal(await page.locator('[data-testid^="worker-name-"]').count(), 0, 'the form has worker pools');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'create.png'), fullPage: true });

  // The YAML tab holds what will be sent; the diff is empty as long as it is not edited.
  await tid('tab-yaml').click();
  const yaml = await tid('yaml-editor').inputValue();
  assert.match(yaml, new RegExp(`name: ${SHOOT}\\b`), 'the YAML lacks the name');
  assert.match(yaml, new RegExp(`version: ['"]?${version.replace(/\./g, '\\.')}`), 'the YAML lacks the version');
  assert.doesNotMatch(yaml, /workers:|credentialsBindingName|networking:/, 'a workerless shoot got workers, credentials or networking');
  await tid('tab-diff').click();
  await tid('diff-empty').waitFor();
  await tid('tab-form').click();

  await tid('create-submit').click();
  await page.waitForFunction((p) => location.hash === `#/projects/${p}/shoots`, PROJECT, { timeout: 60_000 }).catch(async () => {
    throw new Error(`the form did not return to the list; create-error: "${(await textOf('create-error')).trim()}"`);
  });
  await tid(`shoot-row-${SHOOT}`).waitFor();
  await waitText(`shoot-status-${SHOOT}`, /Create Succeeded/, 120_000);
  assert.equal(await page.evaluate(() => window.__noReload), 1, 'the page was reloaded');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'list.png'), fullPage: false });
});

await step('the details page shows the shoot', async () => {
  await tid(`shoot-link-${SHOOT}`).click();
  await tid('shoot-details').waitFor();
  await waitPerms();
  assert.equal((await tid('gardenctl-command').textContent()).trim(), `gardenctl target --garden local --project ${PROJECT} --shoot ${SHOOT}`);
  await waitText('details-status', /Succeeded/);
  await tid('conditions').waitFor();
  await tid('event-history').waitFor();
  for (const id of ['action-hibernate', 'action-reconcile', 'action-retry', 'action-delete', 'kubeconfig-download']) {
    assert.equal(await tid(id).count(), 1, `the admin does not see ${id}`);
  }
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'details.png'), fullPage: true });
});

await step('the admin kubeconfig downloads and kubectl lists kube-system', async () => {
  await tid('kubeconfig-access').selectOption('admin');
  await tid('kubeconfig-lifetime').selectOption('600');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), tid('kubeconfig-download').click()]);
  assert.equal(download.suggestedFilename(), `${SHOOT}.kubeconfig`);
  const file = join(WORK_DIR, `${SHOOT}.kubeconfig`);
  await download.saveAs(file);
  assert.match(readFileSync(file, 'utf8'), /apiVersion: v1|"apiVersion"/, 'the download is no kubeconfig');
  let r;
  for (let i = 0; i < 12; i++) {
    r = spawnSync(KUBECTL, ['--kubeconfig', file, 'get', 'namespaces', '--request-timeout=20s'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0 && /kube-system/.test(r.stdout)) break;
    await page.waitForTimeout(5000);
  }
  assert.equal(r.status, 0, `kubectl get namespaces failed (${r.status}): ${r.stderr || r.error}`);
  assert.match(r.stdout, /kube-system/, `kubectl get namespaces does not list kube-system:\n${r.stdout}`);
});

await step('hibernate: the list shows Hibernated', async () => {
  await tid('action-hibernate').click();
  await tid('action-wake').waitFor();
  await tid('back-to-list').click();
  await tid(`shoot-row-${SHOOT}`).waitFor();
  await waitText(`shoot-hibernation-${SHOOT}`, /^\s*Hibernated\s*$/, 180_000);
});

await step('wake up (bulk): the list shows Awake', async () => {
  await tid(`select-${SHOOT}`).check();
  await tid('bulk-wake').click();
  await waitText('bulk-result', /requested/);
  await waitText(`shoot-hibernation-${SHOOT}`, /^\s*Awake\s*$/, 180_000);
  await waitText(`shoot-status-${SHOOT}`, /Succeeded/, 180_000);
});

await step('delete with confirmation: the row disappears', async () => {
  await tid(`shoot-link-${SHOOT}`).click();
  await tid('shoot-details').waitFor();
  await waitPerms();
  await tid('action-delete').click();
  await tid('delete-dialog').waitFor();
  assert.ok(await tid('delete-confirm').isDisabled(), 'delete-confirm is enabled before the name is typed');
  await tid('delete-confirm-input').fill(`${SHOOT}-not`);
  assert.ok(await tid('delete-confirm').isDisabled(), 'delete-confirm is enabled for a wrong name');
  await tid('delete-confirm-input').fill(SHOOT);
  assert.ok(await tid('delete-confirm').isEnabled(), 'delete-confirm stays disabled for the right name');
  await tid('delete-confirm').click();
  await page.waitForFunction((p) => location.hash === `#/projects/${p}/shoots`, PROJECT, { timeout: 60_000 });
  await tid('shoot-list').waitFor();
  await tid(`shoot-row-${SHOOT}`).waitFor({ state: 'detached', timeout: 300_000 });
  const r = await pageFetch('GET', `${SHOOTS_API}/${SHOOT}`);
  assert.equal(r.status, 404, `the row is gone but GET shoot ${SHOOT} answers ${r.status}`);
});

await step('a hostile annotation shows as text and runs nothing', async () => {
  const s = await pageFetch('GET', `${SHOOTS_API}/${XSS_SHOOT}`);
  assert.equal(s.status, 200, `GET shoot ${XSS_SHOOT}: ${s.status}`);
  assert.equal(s.json?.metadata?.annotations?.note, HOSTILE, `the annotation note of ${XSS_SHOOT} is not the hostile text`);
  await page.goto(`${BASE}/#/projects/${PROJECT}/shoots/${XSS_SHOOT}`);
  await tid('shoot-annotations').waitFor();
  await waitText('shoot-annotations', /note/);
  const text = await tid('shoot-annotations').textContent();
  assert.ok(text.includes(HOSTILE), `shoot-annotations does not show the text literally: ${text}`);
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', 'the hostile annotation ran');
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'the hostile annotation made an <img>');
});

await step('CSRF: a POST without X-CSRF-Token is refused with 403', async () => {
  const r = await pageFetch('POST', SHOOTS_API, {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name: 'csrf-probe', namespace: NS },
    spec: { cloudProfile: { kind: 'CloudProfile', name: 'local' }, region: 'local', provider: { type: 'local' }, kubernetes: { version: '1.33' } },
  });
  assert.equal(r.status, 403, `POST without the CSRF header answered ${r.status}: ${r.text}`);
  assert.equal((await pageFetch('GET', `${SHOOTS_API}/csrf-probe`)).status, 404, 'the CSRF probe shoot exists');
});

await step('malformed YAML shows yaml-error and creates nothing', async () => {
  await page.goto(`${BASE}/#/projects/${PROJECT}/create`);
  await tid('create-name').waitFor();
  await tid('create-name').fill('badyaml');
  await tid('tab-yaml').click();
  await tid('yaml-editor').fill('apiVersion: core.gardener.cloud/v1beta1\nkind: Shoot\nmetadata:\n  name: badyaml\n spec: [unclosed\n');
  await tid('yaml-error').waitFor();
  assert.ok((await tid('yaml-error').textContent()).trim().length > 30, 'yaml-error has no parser message');
  assert.ok(await tid('create-submit').isDisabled(), 'create-submit is enabled with malformed YAML');
  await tid('create-submit').click({ force: true }).catch(() => {});
  await page.waitForTimeout(1000);
  const r = await pageFetch('GET', `${SHOOTS_API}/badyaml`);
  assert.equal(r.status, 404, `a shoot "badyaml" exists (HTTP ${r.status})`);
});

await step('an oversized paste into the YAML editor is refused', async () => {
  await tid('yaml-reset').first().click();
  const before = await tid('yaml-editor').inputValue();
  await page.evaluate((s) => {
    const ta = document.querySelector(s);
    ta.focus();
    const dt = new DataTransfer();
    dt.setData('text/plain', `# ${'x'.repeat(300 * 1024)}\n`);
    ta.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, sel('yaml-editor'));
  await waitText('yaml-size-error', /256 KiB/);
  assert.equal(await tid('yaml-editor').inputValue(), before, 'the editor took the oversized paste');
});

await step('the admin logs out', async () => {
  await logout();
  const r = await pageFetch('GET', '/api/session');
  assert.equal(r.status, 401, `/api/session after logout answered ${r.status}`);
});

await step('the viewer sees no write actions', async () => {
  await login(VIEWER_TOKEN);
  await openList();
  await waitPerms();
  await tid(`shoot-row-${XSS_SHOOT}`).waitFor();
  for (const id of ['create-shoot-button', 'bulk-hibernate', 'bulk-wake', `select-${XSS_SHOOT}`]) {
    assert.equal(await tid(id).count(), 0, `the viewer sees ${id}`);
  }
  await page.goto(`${BASE}/#/projects/${PROJECT}/shoots/${XSS_SHOOT}`);
  await tid('shoot-details').waitFor();
  await waitPerms();
  for (const id of ['action-hibernate', 'action-wake', 'action-reconcile', 'action-retry', 'action-delete']) {
    assert.equal(await tid(id).count(), 0, `the viewer sees ${id}`);
  }
  const access = await tid('kubeconfig-access').locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(access, ['viewer'], `kubeconfig-access offers ${JSON.stringify(access)} to the viewer`);
  await page.goto(`${BASE}/#/projects/${PROJECT}/members`);
  await page.locator('[data-testid="member-list"], [data-testid="members-error"]').first().waitFor();
  await waitPerms();
  assert.equal(await tid('member-add').count(), 0, 'the viewer sees the member form');
  await page.goto(`${BASE}/#/projects/${PROJECT}/credentials`);
  await page.locator('[data-testid="binding-list"], [data-testid="binding-list-error"]').first().waitFor();
  await waitPerms();
  assert.equal(await tid('cred-submit').count(), 0, 'the viewer sees the credentials form');
});

await step('a forged PATCH by the viewer (with the CSRF token) is refused by the garden with 403', async () => {
  const r = await pageFetch('PATCH', `${SHOOTS_API}/${XSS_SHOOT}`, { spec: { hibernation: { enabled: true } } }, { csrf: true, contentType: 'application/merge-patch+json' });
  assert.equal(r.status, 403, `the viewer's PATCH answered ${r.status}: ${r.text}`);
  assert.equal(r.json?.kind, 'Status', `the 403 is not the garden's Status (CSRF?): ${r.text}`);
});

await step(`a member of "other" only does not see ${PROJECT}`, async () => {
  await logout();
  await login(OTHER_TOKEN);
  await page.waitForFunction((s) => document.querySelectorAll(`${s} option`).length > 0, sel('project-switcher'));
  const options = await switcherOptions();
  assert.ok(!options.includes(PROJECT), `project-switcher offers ${JSON.stringify(options)}`);
  const r = await pageFetch('GET', SHOOTS_API);
  assert.equal(r.status, 403, `GET the shoots of ${NS} answered ${r.status}`);
});

await step('a garbage or expired token shows the message and leaves no session', async () => {
  await logout();
  await tid('login-token').fill('eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.expired-garbage');
  await tid('login-submit').click();
  await waitText('login-error', /token/i);
  const r = await pageFetch('GET', '/api/session');
  assert.equal(r.status, 401, `/api/session after a refused login answered ${r.status}`);
});

await browser.close();
console.log(`${passed} passed, 0 failed`);
