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
//   SCREENSHOT_DIR  where list.png, create.png, details.png and details-nodes.png go (default: WORK_DIR)
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
const yamlLib = require('js-yaml');

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
const PROJECT_API = `/api/garden/apis/core.gardener.cloud/v1beta1/projects/${PROJECT}`;
const BINDINGS_API = `/api/garden/apis/security.gardener.cloud/v1alpha1/namespaces/${NS}/credentialsbindings`;
const SECRETS_API = `/api/garden/api/v1/namespaces/${NS}/secrets`;
const PROFILE_API = '/api/garden/apis/core.gardener.cloud/v1beta1/cloudprofiles/local';
// Names of the added steps' objects; none of them must exist before the run.
const MEMBER = 'bob';
const BINDING = 'aws-bench';
const AWS_KEY_ID = 'AKIAEXAMPLE123';
const AWS_SECRET = 'verysecretvalue123';
const POOL_SHOOT = 'pool-check';
const WORKER_SHOOT = 'workers'; // created with one worker pool: its node must show Ready on the details page
const BAD_SHOOT = 'badcron';
const BAD_CRON = '0 25 * * 1-5'; // five cron fields (the form takes it), but hour 25: the garden refuses it
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

/** Waits until `okSelector` is attached; fails at once with the text of `errId` when that shows up first. */
async function waitOrError(okSelector, errId, timeout = 30_000) {
  const which = await Promise.race([
    page.locator(okSelector).first().waitFor({ timeout }).then(() => 'ok'),
    tid(errId).waitFor({ timeout }).then(() => 'error'),
  ]).catch((e) => {
    throw new Error(`neither ${okSelector} nor ${errId} showed up: ${e.message}`);
  });
  if (which === 'error') throw new Error(`${errId}: "${(await textOf(errId)).trim()}"`);
}

/** Fills the create form's general part for the cloud profile "local". */
async function fillCreateForm(name, profile) {
  await page.goto(`${BASE}/#/projects/${PROJECT}/create`);
  await tid('create-name').waitFor();
  await waitPerms();
  await tid('create-name').fill(name);
  await tid('create-cloudprofile').selectOption('local');
  await page.waitForFunction((s) => [...(document.querySelector(s)?.options || [])].some((o) => o.value === 'local'), sel('create-binding'));
  await tid('create-binding').selectOption('local');
  await tid('create-region').selectOption('local');
  await tid('create-zone-0').check();
  await tid('create-k8s-version').selectOption(newestSupported(profile));
  await tid('create-purpose').selectOption('evaluation');
}

/**
 * A machine type and a machine image ("<name>:<version>") of a profile, the last ones listed rather than the form's
 * defaults (the first usable type, the newest image), so that the YAML shows the choice and not the default.
 */
function machineChoice(profile) {
  const types = (profile.spec.machineTypes || []).filter((m) => m.usable !== false);
  assert.ok(types.length, 'the cloud profile "local" offers no usable machine type');
  const now = Date.now();
  const images = (profile.spec.machineImages || []).flatMap((img) =>
    (img.versions || []).filter((v) => !v.expirationDate || Date.parse(v.expirationDate) > now).map((v) => `${img.name}:${v.version}`),
  );
  assert.ok(images.length, 'the cloud profile "local" offers no machine image that has not expired');
  return { type: types[types.length - 1].name, image: images[images.length - 1] };
}

/** The profile's first usable machine type and first machine image ("<name>:<version>") that has not expired. */
function firstMachine(profile) {
  const type = (profile.spec.machineTypes || []).find((m) => m.usable !== false);
  assert.ok(type, 'the cloud profile "local" offers no usable machine type');
  const now = Date.now();
  const image = (profile.spec.machineImages || [])
    .flatMap((img) => (img.versions || []).filter((v) => !v.expirationDate || Date.parse(v.expirationDate) > now).map((v) => `${img.name}:${v.version}`))[0];
  assert.ok(image, 'the cloud profile "local" offers no machine image that has not expired');
  return { type: type.name, image };
}

/** What the node list shows: one entry per node-row-* with its name and the text of its readiness badge. */
async function nodeRows() {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="node-list"] [data-testid^="node-row-"]')].map((row) => {
      const name = row.getAttribute('data-testid').slice('node-row-'.length);
      const badge = row.querySelector('[data-testid^="node-ready-"]');
      const cells = [...row.querySelectorAll('td')].map((td) => (td.textContent || '').trim());
      return { name, ready: (badge?.textContent || '').trim(), cells };
    }),
  );
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

await step('the gardenctl command names the garden of the session', async () => {
  const s = await pageFetch('GET', '/api/session');
  assert.equal(s.status, 200, `GET /api/session: ${s.status} ${s.text}`);
  assert.equal(s.json?.garden, 'local', `the session names the garden ${JSON.stringify(s.json?.garden)}, not the backend's default "local"`);
  const command = (await tid('gardenctl-command').textContent()).trim();
  assert.ok(command.includes(`--garden ${s.json.garden} `), `gardenctl-command lacks "--garden ${s.json.garden}": ${command}`);
  assert.equal(command, `gardenctl target --garden ${s.json.garden} --project ${PROJECT} --shoot ${SHOOT}`);
  // Another name in the session answer gives another command: the page takes the name from there.
  const other = 'garden-from-session';
  await page.route('**/api/session', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, json: { ...(await response.json()), garden: other } });
  });
  try {
    await page.reload();
    await waitText('gardenctl-command', new RegExp(`^gardenctl target --garden ${other} --project ${PROJECT} --shoot ${SHOOT}$`));
  } finally {
    await page.unroute('**/api/session');
  }
  await page.reload();
  await waitText('gardenctl-command', new RegExp(`--garden ${s.json.garden} `));
  await waitPerms();
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

await step(`bulk hibernate ${SHOOT} and ${XSS_SHOOT}: both Hibernated; bulk wake: both Awake`, async () => {
  await openList();
  await waitPerms();
  const both = [SHOOT, XSS_SHOOT];
  for (const n of both) await waitText(`shoot-hibernation-${n}`, /^\s*Awake\s*$/, 60_000);
  for (const n of both) await tid(`select-${n}`).check();
  await tid('bulk-hibernate').click();
  await waitText('bulk-result', /Hibernation requested for 2 shoots/);
  for (const n of both) await waitText(`shoot-hibernation-${n}`, /^\s*Hibernated\s*$/, 240_000);
  for (const n of both) {
    const r = await pageFetch('GET', `${SHOOTS_API}/${n}`);
    assert.equal(r.json?.spec?.hibernation?.enabled, true, `${n}: spec.hibernation.enabled is ${r.json?.spec?.hibernation?.enabled}`);
  }
  for (const n of both) await tid(`select-${n}`).check();
  await tid('bulk-wake').click();
  await waitText('bulk-result', /Wake-up requested for 2 shoots/);
  for (const n of both) await waitText(`shoot-hibernation-${n}`, /^\s*Awake\s*$/, 240_000);
  for (const n of both) await waitText(`shoot-status-${n}`, /Succeeded/, 180_000);
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

await step(`members: ${MEMBER} is added as viewer and removed again`, async () => {
  const before = await pageFetch('GET', PROJECT_API);
  assert.equal(before.status, 200, `GET project ${PROJECT}: ${before.status} ${before.text}`);
  assert.ok(!(before.json.spec?.members || []).some((m) => m.name === MEMBER), `${MEMBER} is a member of ${PROJECT} already`);
  await page.goto(`${BASE}/#/projects/${PROJECT}/members`);
  await tid('member-list').waitFor();
  await waitPerms();
  await tid('member-kind').selectOption('User');
  await tid('member-name').fill(MEMBER);
  await tid('member-role').selectOption('viewer');
  await tid('member-add').click();
  await waitOrError(sel(`member-row-${MEMBER}`), 'member-error');
  await waitText(`member-row-${MEMBER}`, /viewer/);
  await waitText('member-result', new RegExp(`${MEMBER} is now viewer`));
  assert.equal(await tid('member-name').inputValue(), '', 'member-name was not cleared');
  // What the garden holds, read through the page's own session.
  const r = await pageFetch('GET', PROJECT_API);
  assert.equal(r.status, 200, `GET project ${PROJECT}: ${r.status} ${r.text}`);
  const bob = (r.json.spec?.members || []).find((m) => m.name === MEMBER);
  assert.ok(bob, `spec.members of ${PROJECT} lacks ${MEMBER}: ${JSON.stringify(r.json.spec?.members)}`);
  assert.equal(bob.kind, 'User', `${MEMBER} is a ${bob.kind}`);
  assert.ok(bob.role === 'viewer' || (bob.roles || []).includes('viewer'), `${MEMBER} has not the role viewer: ${JSON.stringify(bob)}`);

  await tid(`member-remove-${MEMBER}`).click();
  await tid(`member-row-${MEMBER}`).waitFor({ state: 'detached' }).catch(async () => {
    throw new Error(`member-row-${MEMBER} stays; member-error: "${(await textOf('member-error')).trim()}"`);
  });
  const after = await pageFetch('GET', PROJECT_API);
  assert.ok(!(after.json?.spec?.members || []).some((m) => m.name === MEMBER), `${MEMBER} is still in spec.members`);
  await tid('member-row-alice').waitFor();
});

await step(`credentials: the aws binding ${BINDING} is saved write-only and deleted`, async () => {
  assert.equal((await pageFetch('GET', `${BINDINGS_API}/${BINDING}`)).status, 404, `a binding ${BINDING} exists already`);
  await page.goto(`${BASE}/#/projects/${PROJECT}/credentials`);
  await tid('binding-list').waitFor();
  await waitPerms();
  await tid('binding-row-local').waitFor();
  await tid('cred-provider').selectOption('aws');
  await tid('cred-name').fill(BINDING);
  await tid('cred-field-accessKeyID').fill(AWS_KEY_ID);
  await tid('cred-field-secretAccessKey').fill(AWS_SECRET);
  assert.equal(await tid('cred-field-secretAccessKey').getAttribute('type'), 'password', 'the secret access key is typed in the clear');
  await tid('cred-submit').click();
  await waitOrError(sel(`binding-row-${BINDING}`), 'cred-error');
  await waitText(`binding-row-${BINDING}`, /aws/);
  await waitText('cred-result', new RegExp(`${BINDING}-credentials`));
  // Write-only: the value is in the garden, never in the page; the form is empty again.
  for (const id of ['cred-name', 'cred-field-accessKeyID', 'cred-field-secretAccessKey']) {
    assert.equal(await tid(id).inputValue(), '', `${id} was not cleared`);
  }
  const html = await page.content();
  assert.ok(!html.includes(AWS_SECRET), 'the page holds the secret access key');
  assert.ok(!html.includes(AWS_KEY_ID), 'the page holds the access key ID');
  const b = await pageFetch('GET', `${BINDINGS_API}/${BINDING}`);
  assert.equal(b.status, 200, `GET binding ${BINDING}: ${b.status} ${b.text}`);
  assert.equal(b.json?.provider?.type, 'aws');
  const secretName = b.json?.credentialsRef?.name;
  assert.equal(secretName, `${BINDING}-credentials`, `the binding refers to ${JSON.stringify(b.json?.credentialsRef)}`);
  const sec = await pageFetch('GET', `${SECRETS_API}/${secretName}`);
  assert.equal(sec.status, 200, `GET secret ${secretName}: ${sec.status}`);
  assert.equal(Buffer.from(sec.json?.data?.secretAccessKey || '', 'base64').toString(), AWS_SECRET, 'the secret does not hold the secret access key');

  await tid(`binding-delete-${BINDING}`).click();
  await tid(`binding-delete-confirm-${BINDING}`).click();
  await tid(`binding-row-${BINDING}`).waitFor({ state: 'detached' }).catch(async () => {
    throw new Error(`binding-row-${BINDING} stays; cred-error: "${(await textOf('cred-error')).trim()}"`);
  });
  await waitText('cred-result', /Deleted/);
  assert.equal((await pageFetch('GET', `${BINDINGS_API}/${BINDING}`)).status, 404, `the binding ${BINDING} is still there`);
  assert.equal((await pageFetch('GET', `${SECRETS_API}/${secretName}`)).status, 404, `the secret ${secretName} is still there`);
  await tid('binding-row-local').waitFor();
});

await step('a worker pool from the cloud profile shows in the YAML; a YAML edit shows in the diff (not submitted)', async () => {
  const profile = await pageFetch('GET', PROFILE_API);
  assert.equal(profile.status, 200, `GET cloudprofiles/local: ${profile.status} ${profile.text}`);
  const { type, image } = machineChoice(profile.json);
  await fillCreateForm(POOL_SHOOT, profile.json);
  await tid('add-worker').click();
  await tid('worker-0').waitFor();
  await tid('worker-machine-0').selectOption(type);
  await tid('worker-image-0').selectOption(image);
  await tid('worker-min-0').fill('1');
  await tid('worker-max-0').fill('2');

  await tid('tab-yaml').click();
  const yaml = await tid('yaml-editor').inputValue();
  const [imageName, imageVersion] = image.split(':');
  assert.match(yaml, /^ +workers:$/m, `the YAML has no workers:\n${yaml}`);
  assert.ok(yaml.includes(`type: ${type}\n`), `the YAML lacks the machine type ${type}:\n${yaml}`);
  const shoot = yamlLib.load(yaml);
  const workers = shoot?.spec?.provider?.workers || [];
  assert.equal(workers.length, 1, `the YAML has ${workers.length} worker pools`);
  const w = workers[0];
  assert.deepEqual(
    [w.machine?.type, w.machine?.image?.name, String(w.machine?.image?.version), w.minimum, w.maximum],
    [type, imageName, imageVersion, 1, 2],
    `the pool in the YAML: ${JSON.stringify(w)}`,
  );
  assert.deepEqual(w.zones, ['0'], `the pool's zones: ${JSON.stringify(w.zones)}`);
  assert.equal(shoot.spec.credentialsBindingName, 'local', 'the YAML lacks the credentials binding');
  assert.ok(shoot.spec.networking, 'a shoot with workers got no networking');
  assert.match(yaml, /^ +maximum: 2$/m, 'the YAML lacks "maximum: 2"');
  await tid('tab-diff').click();
  await tid('diff-empty').waitFor();

  await tid('tab-yaml').click();
  await tid('yaml-editor').fill(yaml.replace(/^( +)maximum: 2$/m, '$1maximum: 3'));
  await tid('tab-diff').click();
  await tid('diff-view').waitFor();
  assert.equal(await tid('diff-empty').count(), 0, 'the diff says "no differences"');
  const diff = await tid('diff-view').textContent();
  assert.match(diff, /^- +maximum: 2$/m, `the diff lacks the old maximum:\n${diff}`);
  assert.match(diff, /^\+ +maximum: 3$/m, `the diff lacks the new maximum:\n${diff}`);
  await tid('yaml-edited-notice').waitFor();

  // Not submitted: a shoot with workers would start machines.
  await tid('create-cancel').click();
  await page.waitForFunction((p) => location.hash === `#/projects/${p}/shoots`, PROJECT);
  await tid('shoot-list').waitFor();
  assert.equal((await pageFetch('GET', `${SHOOTS_API}/${POOL_SHOOT}`)).status, 404, `a shoot "${POOL_SHOOT}" exists`);
});

await step('a hibernation schedule the garden refuses shows at its field and creates nothing', async () => {
  const profile = await pageFetch('GET', PROFILE_API);
  assert.equal(profile.status, 200, `GET cloudprofiles/local: ${profile.status} ${profile.text}`);
  await fillCreateForm(BAD_SHOOT, profile.json);
  await tid('add-schedule').click();
  await tid('create-schedule-start-0').fill(BAD_CRON);
  await tid('create-submit').click();
  await waitOrError(sel('field-error-schedule-start-0'), 'create-error', 60_000);
  // The garden's message, at the field: hour 25 is out of range.
  await waitText('field-error-schedule-start-0', /out of range/);
  assert.equal(await tid('field-error-schedule-end-0').count(), 0, 'the end of the schedule is marked too');
  assert.equal(await tid('create-error').count(), 0, `create-error shows "${(await textOf('create-error')).trim()}"`);
  assert.equal(await tid('create-busy').count(), 0, 'the form is still busy');
  assert.ok(await tid('create-submit').isEnabled(), 'create-submit stays disabled');
  assert.equal(await page.evaluate(() => location.hash), `#/projects/${PROJECT}/create`, 'the form was left');
  const r = await pageFetch('GET', `${SHOOTS_API}/${BAD_SHOOT}`);
  assert.equal(r.status, 404, `a shoot "${BAD_SHOOT}" exists (HTTP ${r.status})`);
  // Correcting the field clears the garden's message.
  await tid('create-schedule-start-0').fill('0 19 * * 1-5');
  await tid('field-error-schedule-start-0').waitFor({ state: 'detached' });
});

await step(`a shoot with one worker pool (${WORKER_SHOOT}) is created, its node shows Ready on the details page, and it is deleted`, async () => {
  assert.equal((await pageFetch('GET', `${SHOOTS_API}/${WORKER_SHOOT}`)).status, 404, `a shoot "${WORKER_SHOOT}" exists already`);
  const profile = await pageFetch('GET', PROFILE_API);
  assert.equal(profile.status, 200, `GET cloudprofiles/local: ${profile.status} ${profile.text}`);
  const { type, image } = firstMachine(profile.json);
  // A fresh form: the previous step leaves the create page with a schedule in it, and going to the same route
  // again would keep that form.
  await openList();
  await fillCreateForm(WORKER_SHOOT, profile.json);
  assert.equal(await page.locator('[data-testid^="worker-name-"], [data-testid^="create-schedule-start-"]').count(), 0, 'the form is not fresh');
  await tid('add-worker').click();
  await tid('worker-0').waitFor();
  await tid('worker-machine-0').selectOption(type);
  await tid('worker-image-0').selectOption(image);
  await tid('worker-min-0').fill('1');
  await tid('worker-max-0').fill('1');
  await tid('create-submit').click();
  await page.waitForFunction((p) => location.hash === `#/projects/${p}/shoots`, PROJECT, { timeout: 60_000 }).catch(async () => {
    throw new Error(`the form did not return to the list; create-error: "${(await textOf('create-error')).trim()}"`);
  });
  const sent = await pageFetch('GET', `${SHOOTS_API}/${WORKER_SHOOT}`);
  const pools = sent.json?.spec?.provider?.workers || [];
  assert.deepEqual(
    pools.map((w) => [w.machine?.type, `${w.machine?.image?.name}:${w.machine?.image?.version}`, w.minimum, w.maximum]),
    [[type, image, 1, 1]],
    `the garden holds the pools ${JSON.stringify(pools)}`,
  );
  assert.deepEqual(sent.json?.spec?.hibernation?.schedules || [], [], 'the shoot got hibernation schedules');
  await tid(`shoot-row-${WORKER_SHOOT}`).waitFor();
  await waitText(`shoot-status-${WORKER_SHOOT}`, /Create Succeeded/, 180_000);

  await tid(`shoot-link-${WORKER_SHOOT}`).click();
  await tid('shoot-details').waitFor();
  await waitPerms();
  await tid('node-list').waitFor();
  // The list is read when the page opens; until the node has joined and is Ready, ask again with the card's button.
  const deadline = Date.now() + 120_000;
  let rows = [];
  let readyRow;
  for (;;) {
    rows = await nodeRows();
    readyRow = rows.find((r) => r.ready === 'Ready');
    if (readyRow || Date.now() > deadline) break;
    await page.waitForTimeout(3000);
    const refresh = tid('refresh-nodes');
    if (await refresh.isEnabled()) await refresh.click();
  }
  if (!readyRow) {
    const shown = rows.length ? JSON.stringify(rows) : `no node row; node-error: "${(await textOf('node-error')).trim()}"`;
    throw new Error(`node-list shows no Ready node within 120 s: ${shown}`);
  }
  assert.equal(await tid('node-error').count(), 0, `node-error shows "${(await textOf('node-error')).trim()}"`);
  const [, , kubelet, ip, providerID] = readyRow.cells;
  assert.match(kubelet, /^v?\d+\.\d+/, `the node's kubelet version is "${kubelet}"`);
  assert.ok(providerID && providerID !== '—', `the node has no provider ID: ${JSON.stringify(readyRow)}`);
  console.log(`     node ${readyRow.name}: ${readyRow.ready}, kubelet ${kubelet}, IP ${ip}, provider ID ${providerID}`);
  await waitText('nodes-read-at', /with admin access/);
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'details-nodes.png'), fullPage: true });

  await tid('action-delete').click();
  await tid('delete-dialog').waitFor();
  await tid('delete-confirm-input').fill(WORKER_SHOOT);
  await tid('delete-confirm').click();
  await page.waitForFunction((p) => location.hash === `#/projects/${p}/shoots`, PROJECT, { timeout: 60_000 });
  await tid('shoot-list').waitFor();
  await tid(`shoot-row-${WORKER_SHOOT}`).waitFor({ state: 'detached', timeout: 180_000 }).catch(async () => {
    throw new Error(`shoot-row-${WORKER_SHOOT} stays for 180 s; its status: "${(await textOf(`shoot-status-${WORKER_SHOOT}`)).trim()}"`);
  });
  const r = await pageFetch('GET', `${SHOOTS_API}/${WORKER_SHOOT}`);
  assert.equal(r.status, 404, `the row is gone but GET shoot ${WORKER_SHOOT} answers ${r.status}`);
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
