// The web UI in a real browser: Debian's chromium, headless, driven by playwright-core (no
// downloaded browser). Run by crates/vigil/tests/ui.rs against a real `vigil serve`, with:
//   VIGIL_BASE        the server's URL
//   VIGIL_BIN         the vigil binary (for `vigil replay`)
//   VIGIL_DATA_DIR    the server's data directory (replay reads the agent key there)
//   VIGIL_SCENARIO    a scenario directory of Trento discoveries
//   VIGIL_OPERATOR    an operator token; VIGIL_VIEWER a viewer token
//   VIGIL_AGENT_KEY   the agent key (heartbeats)
//   VIGIL_SCREENSHOTS where screenshots go
//   CHROMIUM          the browser (default /usr/bin/chromium)
// Exits 0 when every check passed; prints `FAILED: ...` and exits 1 otherwise.

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env('VIGIL_BASE');
const shots = env('VIGIL_SCREENSHOTS');
mkdirSync(shots, { recursive: true });
const operator = env('VIGIL_OPERATOR');
const viewer = env('VIGIL_VIEWER');
const agentKey = env('VIGIL_AGENT_KEY');
const scenario = env('VIGIL_SCENARIO');

const problems = [];
const step = (text) => console.log(`step: ${text}`);
function check(ok, message) {
  if (!ok) throw new Error(message);
}

async function apiGet(path, token = operator) {
  const r = await fetch(base + path, { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function apiSend(method, path, body) {
  const r = await fetch(base + path, { method, headers: { Authorization: `Bearer ${operator}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function heartbeat(hostId) {
  const r = await fetch(`${base}/api/v1/hosts/${hostId}/heartbeat`, { method: 'POST', headers: { 'X-Trento-Apikey': agentKey } });
  check(r.status === 202 || r.status === 204 || r.ok, `heartbeat: ${r.status}`);
}

function replay() {
  return new Promise((resolve, reject) => {
    const child = spawn(env('VIGIL_BIN'), ['replay', '--server-url', base, '--data-dir', env('VIGIL_DATA_DIR'), scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`vigil replay failed (${code}): ${output}`))));
  });
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function signIn(page, token) {
  await page.goto(`${base}/`);
  await page.locator('#token').fill(token);
  await page.keyboard.press('Enter');
  await page.locator('nav a').first().waitFor({ state: 'attached' });
  // The live feed is connected and caught up.
  await page.waitForFunction(() => window.vigil?.live?.state === 'live', null, { timeout: 15000 });
}

/** Fails on an error in the page, or on anything the CSP had to block. */
function watch(page, who) {
  page.on('pageerror', (e) => problems.push(`${who}: uncaught ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    if (m.type() === 'error' && !/status of 4\d\d/.test(text)) problems.push(`${who}: console error ${text}`);
    if (/Content Security Policy/i.test(text)) problems.push(`${who}: CSP violation ${text}`);
  });
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
let failed = null;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  watch(page, 'operator');

  step('the sign-in page refuses a wrong token with a clear message');
  await page.goto(`${base}/`);
  await page.locator('#token').fill('vgt_nope_nope');
  await page.keyboard.press('Enter');
  await page.getByText('This token is not valid').waitFor();
  await shot(page, '01-sign-in-refused');

  step('sign in as an operator; an empty landscape says how to start');
  await signIn(page, operator);
  await page.getByText('No hosts yet').first().waitFor();
  await shot(page, '02-overview-empty');
  await page.locator('nav a[data-page="hosts"]').click();
  await page.getByText('Point an agent at this server').waitFor();

  step('replay a scenario: hosts appear live, without a reload');
  const navigations = [];
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
  const files = readdirSync(scenario).filter((f) => f.endsWith('_host_discovery.json'));
  const hostIds = files.map((f) => f.split('_')[0]);
  check(hostIds.length >= 2, `the scenario has ${hostIds.length} hosts`);
  await replay();
  await page.waitForFunction((n) => document.querySelectorAll('main tbody tr[data-key]').length === n, hostIds.length, { timeout: 15000 });
  const shown = await page.locator('main tbody tr[data-key]').evaluateAll((rows) => rows.map((r) => r.dataset.key).sort());
  check(JSON.stringify(shown) === JSON.stringify([...hostIds].sort()), `hosts shown ${shown} != ${hostIds}`);
  check(navigations.every((u) => u.includes('#/hosts')), `the page navigated away: ${navigations}`);
  await shot(page, '03-hosts-live');

  step('heartbeats make a host passing, live');
  const [hostId] = hostIds;
  let beating = true;
  const beats = (async () => { while (beating) { await heartbeat(hostId); await new Promise((r) => setTimeout(r, 300)); } })();
  const heartbeatCell = page.locator(`main tr[data-key="${hostId}"] .heartbeat .badge`);
  await heartbeatCell.filter({ hasText: 'passing' }).waitFor({ timeout: 15000 });

  step('the host detail page: add a tag through the UI');
  await page.locator(`main tr[data-key="${hostId}"] a`).first().click();
  await page.locator('h1').filter({ hasText: /vm|host/i }).waitFor();
  await page.getByRole('textbox', { name: 'New tag' }).fill('ui-test tag');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await page.locator('.tag[data-tag="ui-test tag"]').waitFor();
  const tagged = await apiGet(`/api/v1/hosts/${hostId}`);
  check(tagged.tags.some((t) => t.value === 'ui-test tag'), `the API does not show the tag: ${JSON.stringify(tagged.tags)}`);
  step('an invalid tag is refused with the reason');
  await page.getByRole('textbox', { name: 'New tag' }).fill('bad/tag!');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await page.locator('.error').filter({ hasText: /tag/i }).waitFor();

  step('request a deregistration while the host is alive: refused, with why');
  await page.getByRole('button', { name: 'Request deregistration' }).click();
  await page.getByRole('button', { name: 'Confirm deregistration' }).click();
  const refusal = page.locator('[data-refusal]');
  await refusal.waitFor();
  const refusalText = await refusal.textContent();
  check(/still sending heartbeats/.test(refusalText) && /can be deregistered from/.test(refusalText), `refusal says: ${refusalText}`);
  const still = await apiGet(`/api/v1/hosts/${hostId}`);
  check(!still.deregistered_at, 'the host was deregistered');
  await shot(page, '04-host-detail-refused');

  step('heartbeats stop: the host turns stale on the hosts page, live');
  beating = false;
  await beats;
  await page.locator('nav a[data-page="hosts"]').click();
  await page.locator(`main tr[data-key="${hostId}"] .heartbeat .badge`).filter({ hasText: 'stale' }).waitFor({ timeout: 20000 });
  await shot(page, '05-hosts-stale');

  step('the WebSocket drops: what happens meanwhile arrives after the reconnect');
  const before = await page.evaluate(() => window.vigil.live.position);
  await page.evaluate(() => window.vigil.live.pause());
  await page.locator('#live[data-state="paused"]').waitFor();
  await heartbeat(hostId); // HeartbeatSucceeded while the page is offline
  const api = await (async () => {
    for (let i = 0; i < 50; i++) {
      const h = await apiGet(`/api/v1/hosts/${hostId}`);
      if (h.heartbeat === 'passing') return h;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the heartbeat did not make the host passing');
  })();
  check(api.heartbeat === 'passing', 'host passing in the API');
  await page.waitForTimeout(1500);
  const offline = await heartbeatCell.textContent();
  check(offline === 'stale', `the page changed while offline (${offline}): it must not poll`);
  await page.evaluate(() => window.vigil.live.resume());
  await heartbeatCell.filter({ hasText: 'passing' }).waitFor({ timeout: 15000 });
  const after = await page.evaluate(() => window.vigil.live.position);
  check(after > before, `position did not move on reconnect: ${before} -> ${after}`);

  step('the other pages render, and show live data');
  for (const [route, name, text] of [
    ['overview', '06-overview', 'Stale data'],
    ['clusters', '07-clusters', 'Name'],
    ['sap_systems', '09-sap-systems', 'SAP systems'],
    ['databases', '10-databases', 'SID'],
    ['actions', '12-actions', 'Dead letters'],
    ['audit', '13-audit', 'Latest signed head'],
    ['activity', '14-activity', 'Who did what'],
    ['policies', '15-policies', 'Revision'],
  ]) {
    await page.goto(`${base}/#/${route}`);
    await page.locator('main h1').waitFor();
    await page.getByText(text).first().waitFor();
    await shot(page, name);
    if (route === 'clusters') {
      await page.locator('main tbody a').first().click();
      await page.getByText('Health by part').waitFor();
      await shot(page, '08-cluster-detail');
    }
    if (route === 'databases') {
      await page.locator('main tbody a').first().click();
      await page.locator('main h2', { hasText: 'Instances' }).waitFor();
      await page.getByText('Tenants').first().waitFor();
      await shot(page, '11-database-detail');
    }
    if (route === 'audit') {
      await page.getByRole('button', { name: 'Verify the log now' }).click();
      await page.locator('[data-verified="true"]').waitFor({ timeout: 20000 });
    }
    if (route === 'activity') {
      // The sign-in and the tag command are in the activity log, by kind.
      await page.locator('select[name="kind"]').selectOption('sign_in');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByText('signed in (ui)').first().waitFor();
    }
    if (route === 'policies') {
      await page.getByRole('button', { name: 'Evaluate' }).click();
      await page.locator('.badge-allow, .badge-deny').first().waitFor();
    }
  }

  step('the cluster page: tick two checks, save the selection, run them, see the results');
  // Both hosts' ha_cluster_discovery of the scenario say stonith-enabled=true and
  // SBD_STARTMODE=clean: stonith_enabled passes, sbd_startmode (recommends always) warns.
  // Neither needs facts from the agents.
  const [theCluster] = (await apiGet('/api/v1/clusters')).items;
  const clusterChecks = `/api/v1/clusters/${theCluster.id}/checks`;
  const catalog = new Map((await apiGet('/api/v1/checks/catalog')).items.map((c) => [c.id, c]));
  await page.goto(`${base}/#/clusters/${theCluster.id}`);
  const checksPanel = page.locator('section[aria-label="Checks"]');
  const box = (id) => checksPanel.locator(`input[name="check"][value="${id}"]`);
  await box('stonith_enabled').waitFor();
  await box('sbd_startmode').waitFor();
  const applicable = (await apiGet(clusterChecks)).applicable;
  const offered = await checksPanel.locator('input[name="check"]').evaluateAll((inputs) => inputs.map((i) => i.value).sort());
  check(JSON.stringify(offered) === JSON.stringify([...applicable].sort()), `offered ${offered}, applicable ${applicable}`);
  const tickedBefore = await checksPanel.locator('input[name="check"]:checked').count();
  check(tickedBefore === 0, `${tickedBefore} checks ticked before any selection`);
  const groups = await checksPanel.locator('fieldset legend').allTextContents();
  check(groups.includes('pacemaker') && groups.includes('sbd'), `groups shown: ${groups}`);
  await box('stonith_enabled').check();
  await box('sbd_startmode').check();
  await checksPanel.getByRole('button', { name: 'Save selection' }).click();
  await checksPanel.getByText(`2 of ${applicable.length} applicable checks selected`).waitFor();
  const saved = await apiGet(clusterChecks);
  check(JSON.stringify(saved.selection?.checks) === '["sbd_startmode","stonith_enabled"]', `the API's selection: ${JSON.stringify(saved.selection)}`);
  check(await checksPanel.locator('input[name="check"]:checked').count() === 2, 'the saved selection is not shown ticked');

  await checksPanel.getByRole('button', { name: 'Run checks' }).click();
  const resultBadge = (id, status) => checksPanel.locator(`tbody tr[data-key="${id}"] .badge[data-value="${status}"]`);
  await resultBadge('stonith_enabled', 'passing').waitFor({ timeout: 20000 });
  await resultBadge('sbd_startmode', 'warning').waitFor();
  // The button's own follow-up (polling the execution) ends too, with the same health.
  await checksPanel.locator('.run-status .badge[data-value="warning"]').waitFor({ timeout: 10000 });
  const resultRows = await checksPanel.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.key));
  check(JSON.stringify(resultRows) === '["sbd_startmode","stonith_enabled"]', `result rows: ${resultRows} (the warning first)`);
  const ran = await apiGet(clusterChecks);
  check(ran.last_execution?.health === 'warning', `the execution's health: ${ran.last_execution?.health}`);
  await checksPanel.locator(`h2 .badge[data-value="${ran.last_execution.health}"]`).waitFor();
  check((await checksPanel.locator('tbody tr[data-key="stonith_enabled"]').textContent()).includes(catalog.get('stonith_enabled').name), 'the check name from the catalog is not shown');
  // The cluster's own checks badge follows, live (ClusterChecksHealthChanged).
  await page.waitForFunction((health) => {
    const dt = [...document.querySelectorAll('section[aria-label="Facts"] dt')].find((d) => d.textContent === 'Health by part');
    return [...dt.nextElementSibling.querySelectorAll('.badge')].pop()?.dataset.value === health;
  }, ran.last_execution.health, { timeout: 15000 });
  // The remediation is shown as the Markdown text it is, never turned into markup.
  await checksPanel.locator('tbody tr[data-key="sbd_startmode"] summary').click();
  const fix = checksPanel.locator('tbody tr[data-key="sbd_startmode"] .remediation');
  check(await fix.textContent() === catalog.get('sbd_startmode').remediation, `the remediation shows ${await fix.textContent()}`);
  check(await fix.locator('*').count() === 0, 'the remediation was rendered as markup');
  check(await checksPanel.locator('tbody tr[data-key="stonith_enabled"] .remediation').count() === 0, 'a passing check shows a remediation');
  await shot(page, 'cluster-checks');

  step('checks run by another client show on the cluster page, live');
  const reselected = await apiSend('PUT', `${clusterChecks}/selection`, { checks: ['stonith_enabled'] });
  // An execution takes the selection from the read model: wait until it shows the new one.
  await apiGet(`${clusterChecks}?min_position=${reselected.last_position}`);
  await apiSend('POST', `${clusterChecks}/request_execution`);
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll('section[aria-label="Checks"] tbody tr');
    return rows.length === 1 && rows[0].dataset.key === 'stonith_enabled';
  }, null, { timeout: 20000 });
  await checksPanel.locator('h2 .badge[data-value="passing"]').waitFor();
  check(await checksPanel.locator('input[name="check"]:checked').count() === 1, 'the selection made elsewhere is not shown');

  step('facts from the running agents: corosync_token judged on each node');
  // ui.rs runs `vigil agent --discovery false` for both nodes of the scenario, answering from
  // captured files: vmangi01 (851a4dd3…) has Azure's 30000 ms token, vmangi02 (4b67842f…) 5000.
  const [vmangi01, vmangi02] = ['851a4dd3-9693-44c3-a40b-b32d22872e74', '4b67842f-ccf7-46a4-a344-9e918648b117'];
  await box('corosync_token').check();
  await checksPanel.getByRole('button', { name: 'Save selection' }).click();
  await checksPanel.getByText(`2 of ${applicable.length} applicable checks selected`).waitFor();
  await checksPanel.getByRole('button', { name: 'Run checks' }).click();
  const onHost = (hostId) => checksPanel.locator(`tbody tr[data-key="corosync_token@${hostId}"]`);
  await onHost(vmangi02).locator('.badge[data-value="critical"]').waitFor({ timeout: 20000 });
  await onHost(vmangi01).locator('.badge[data-value="passing"]').waitFor();
  await resultBadge('corosync_token', 'critical').waitFor();
  check((await onHost(vmangi02).textContent()).includes('vmangi02'), 'the failing node is not named');
  check((await onHost(vmangi02).textContent()).includes('5000'), 'the node\'s own token is not shown');
  await checksPanel.locator('h2 .badge[data-value="critical"]').waitFor();
  await shot(page, 'cluster-checks-facts');

  step('the event stream: live events, a CloudEvent opened with why it did or did not fire');
  await page.goto(`${base}/#/events`);
  await page.locator('main tbody tr').first().waitFor();
  await heartbeat(hostIds[1]);
  await page.getByRole('button', { name: 'HeartbeatSucceeded' }).first().waitFor({ timeout: 15000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'HeartbeatSucceeded' }).first().click();
  await page.getByText('Actions:').waitFor();
  await shot(page, '16-events');

  step('keyboard: the navigation is reachable with Tab and shows focus');
  await page.goto(`${base}/#/overview`);
  await page.locator('main h1').waitFor();
  // The shell focuses the main area once the page is drawn: Tab only after that, from a
  // click on the top left corner (blurring would leave Tab's starting point in the main area).
  await page.waitForFunction(() => document.activeElement?.id === 'main');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.click(1, 1);
  // From the top of the page: the brand, then the page links.
  const tabs = [];
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    tabs.push(await page.evaluate(() => document.activeElement.getAttribute('href') ?? document.activeElement.tagName));
  }
  check(tabs.includes('#/overview') && tabs.includes('#/hosts'), `Tab went through ${tabs}`);
  const focused = await page.evaluate(() => ({ tag: document.activeElement.tagName, outline: getComputedStyle(document.activeElement).outlineStyle }));
  check(focused.tag === 'A' || focused.tag === 'BUTTON', `Tab reached ${focused.tag}`);
  check(focused.outline !== 'none', 'the focused element shows no outline');

  step('on a phone: the hosts page reads as cards');
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const small = await phone.newPage();
  watch(small, 'phone');
  await signIn(small, operator);
  await small.goto(`${base}/#/hosts`);
  await small.locator('main tbody tr').first().waitFor();
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `the hosts page is ${overflow}px wider than the phone`);
  await shot(small, '17-hosts-phone');

  step('a viewer is offered no action the policy would refuse');
  const viewing = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  watch(viewing, 'viewer');
  await signIn(viewing, viewer);
  await viewing.goto(`${base}/#/hosts/${hostId}`);
  await viewing.locator('main h1').waitFor();
  await viewing.getByText('ui-test tag').waitFor();
  check(await viewing.getByRole('button', { name: 'Add tag' }).count() === 0, 'a viewer is offered Add tag');
  check(await viewing.getByRole('button', { name: 'Request deregistration' }).count() === 0, 'a viewer is offered deregistration');
  // What the viewer could not do, the server refuses with the policy's reason, shown as such.
  const denied = await viewing.evaluate(async (id) => {
    const r = await fetch(`/api/v1/hosts/${id}/tags`, { method: 'POST', headers: { Authorization: `Bearer ${sessionStorage.getItem('vigil.token')}`, 'Content-Type': 'application/json' }, body: '{"value": "x"}' });
    return { status: r.status, body: await r.json() };
  }, hostId);
  check(denied.status === 403 && /viewer/.test(denied.body.message), `a viewer's tag: ${JSON.stringify(denied)}`);
  await shot(viewing, '18-host-viewer');

  step("a viewer's checks selection and run are refused, and the policy's reason is shown");
  await viewing.goto(`${base}/#/clusters/${theCluster.id}`);
  const viewerChecks = viewing.locator('section[aria-label="Checks"]');
  await viewerChecks.locator('input[name="check"][value="sbd_startmode"]').check();
  await viewerChecks.getByRole('button', { name: 'Save selection' }).click();
  const refusedSave = await viewerChecks.locator('form .error').textContent();
  check(/not allow/.test(refusedSave) && /viewer/.test(refusedSave), `a viewer's selection: ${refusedSave}`);
  await viewerChecks.getByRole('button', { name: 'Run checks' }).click();
  const refusedRun = await viewerChecks.locator('.run-status .error').textContent();
  check(/not allow/.test(refusedRun) && /viewer/.test(refusedRun), `a viewer's run: ${refusedRun}`);
  const unchanged = await apiGet(clusterChecks);
  check(JSON.stringify(unchanged.selection?.checks) === '["corosync_token","stonith_enabled"]', `a viewer changed the selection: ${JSON.stringify(unchanged.selection)}`);

  check(problems.length === 0, `the pages reported problems:\n${problems.join('\n')}`);
} catch (e) {
  failed = e;
} finally {
  await browser.close();
}
if (failed) {
  console.log(`FAILED: ${failed.message}`);
  process.exit(1);
}
console.log('PASSED: every UI check');
