// The best-practice checks of a cluster or host, as a section of its detail page: the checks
// health, the last execution's results, a button to run the checks now and the selection.
// Everything from the catalog (names, remediations in Markdown) is shown as text, never as
// markup.

import { api } from './api.js';
import { h, replace, badge, when, failure, table, facts, toast } from './dom.js';

const PATHS = { cluster: 'clusters', host: 'hosts' };
/** Results in this order: what needs doing first. */
const STATUS_ORDER = ['critical', 'error', 'not_gathered', 'warning', 'passing'];
const PASSING = 'passing';
/** How long a requested execution is followed before the page stops asking. */
const FOLLOW_SECONDS = 120;

/**
 * The Checks section of the `kind` (`cluster` or `host`) `id`. It is one element that keeps
 * its state (the ticked boxes) when the page around it draws again, and refreshes itself on
 * each event of the target's `checks-<id>` stream (topic `checks`): an execution started or
 * completed, the selection changed.
 */
export function checksSection(ctx, kind, id) {
  const base = `/api/v1/${PATHS[kind]}/${id}/checks`;
  const health = h('span');
  const runStatus = h('span', { class: 'run-status', 'aria-live': 'polite' });
  const results = h('div', { 'aria-live': 'polite' });
  const selection = h('div');
  const run = h('button', { class: 'primary', type: 'button' }, 'Run checks');
  const section = h('section', { class: 'panel checks', 'aria-label': 'Checks', 'data-target-type': kind },
    h('h2', {}, 'Checks ', health),
    h('div', { class: 'row' }, run, runStatus),
    results, selection);
  // `shown`: the selection and applicable checks the editor shows, so that it is drawn again
  // (losing what was ticked) only when they changed, and never while the user is editing.
  const view = { base, kind, catalog: null, edited: false, shown: null };

  const refresh = async (minPosition, { redrawSelection = false } = {}) => {
    let target;
    try {
      view.catalog ??= await catalogById();
      target = await api(base, { minPosition });
    } catch (e) {
      replace(results, failure(e));
      return;
    }
    replace(health, badge(target.checks_health));
    replace(results, lastExecution(target.last_execution, view.catalog));
    const shown = JSON.stringify([target.selection, target.applicable]);
    if (redrawSelection || (!view.edited && shown !== view.shown)) {
      view.shown = shown;
      replace(selection, selectionEditor(view, target, (position) => refresh(position, { redrawSelection: true })));
    }
  };
  run.addEventListener('click', () => runChecks(view, run, runStatus, section, refresh));
  refresh();
  ctx.refreshOn((m) => m.event?.streamid === `checks-${id}`, refresh);
  return section;
}

/** The catalog's checks by id. */
async function catalogById() {
  const catalog = await api('/api/v1/checks/catalog');
  return new Map(catalog.items.map((check) => [check.id, check]));
}

// ---------------------------------------------------------------- results

function lastExecution(execution, catalog) {
  if (!execution) return h('p', { class: 'muted' }, 'No execution yet: select checks below, save, and run them.');
  return [
    facts([
      ['Last execution', when(execution.completed_at ?? execution.started_at)],
      ['Health', badge(execution.health)],
      ['Execution', h('code', {}, execution.execution_id)],
    ]),
    resultsTable(execution.results ?? [], catalog),
  ];
}

/** One row per check, worst first, and under it one row per host when the check has them. */
function resultsTable(results, catalog) {
  if (!results.length) return h('p', { class: 'muted' }, 'The execution ran no check.');
  const rank = (r) => STATUS_ORDER.indexOf(r.status);
  const rows = [...results].sort((a, b) => rank(a) - rank(b)).flatMap((result) => [
    { result, check: catalog.get(result.check_id) },
    ...(result.hosts ?? []).map((host) => ({ result, host })),
  ]);
  return table([
    { label: 'Status', value: (row) => badge(row.host ? row.host.status : row.result.status) },
    { label: 'Check', value: checkCell },
    { label: 'Message', value: (row) => (row.host ? row.host.message : row.result.message) ?? '—' },
    { label: 'Remediation', value: remediationCell },
  ], rows, { key: (row) => (row.host ? `${row.result.check_id}@${row.host.host_id}` : row.result.check_id) });
}

function checkCell(row) {
  if (row.host) return h('span', { class: 'check-host' }, '↳ ', row.host.hostname ?? row.host.host_id);
  const id = row.result.check_id;
  return h('span', { title: row.check?.description ?? null }, row.check?.name ?? id, ' ', h('code', {}, id));
}

/** A failing check's remediation, as the Markdown text it is written in. */
function remediationCell(row) {
  if (row.host || row.result.status === PASSING || !row.check?.remediation) return '';
  return h('details', {}, h('summary', {}, 'How to fix'), h('div', { class: 'remediation' }, row.check.remediation));
}

// ---------------------------------------------------------------- run

/** Requests an execution, follows it until it is done, then draws the section again. */
async function runChecks(view, button, status, section, refresh) {
  button.disabled = true;
  replace(status, 'Starting…');
  try {
    const started = await api(`${view.base}/request_execution`, { method: 'POST' });
    replace(status, 'Running…');
    const execution = await follow(started.execution_id, () => section.isConnected);
    if (!execution) {
      replace(status, section.isConnected ? 'Still running; the results will show here when they arrive.' : '');
    } else {
      replace(status, execution.status === 'superseded' ? 'Superseded by a newer execution.' : ['Completed: ', badge(execution.health)]);
      await refresh();
    }
  } catch (e) {
    replace(status, failure(e));
  } finally {
    button.disabled = false;
  }
}

/**
 * Asks for the execution every second until it is no longer running (`null` if it still is
 * after a while, or the page was left). Its start may not be in the read model yet: a 404 at
 * first means "not yet".
 */
async function follow(executionId, stillShown) {
  for (let i = 0; i < FOLLOW_SECONDS && stillShown(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let execution;
    try {
      execution = await api(`/api/v1/checks/executions/${executionId}`);
    } catch (e) {
      if (e.status === 404) continue;
      throw e;
    }
    if (execution.status !== 'running') return execution;
  }
  return null;
}

// ---------------------------------------------------------------- selection

/** The applicable checks by group, each with a box ticked when it is in the selection. */
function selectionEditor(view, target, saved) {
  view.edited = false;
  if (!target.applicable.length) {
    return h('div', {}, h('h3', {}, 'Selection'), h('p', { class: 'muted' }, `No check applies to this ${view.kind} yet: it has no discovery to check.`));
  }
  const selected = new Set(target.selection?.checks ?? []);
  const out = h('span', { 'aria-live': 'polite' });
  const form = h('form', { class: 'selection', 'aria-label': 'Selection' },
    h('h3', {}, 'Selection'),
    target.selection
      ? h('p', { class: 'muted' }, `${selected.size} of ${target.applicable.length} applicable checks selected, `, when(target.selection.selected_at), '.')
      : h('p', { class: 'muted' }, 'No selection yet: Run checks runs every applicable check, the schedule runs none.'),
    byGroup(target.applicable, view.catalog).map(([group, ids]) => h('fieldset', {}, h('legend', {}, group),
      ids.map((id) => checkbox(id, view.catalog.get(id), selected.has(id)))),
    ),
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Save selection'), out));
  form.addEventListener('change', () => { view.edited = true; });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await saveSelection(view, form, target.selection, out, saved);
  });
  return form;
}

function checkbox(id, check, checked) {
  return h('label', { class: 'check', title: check?.description ?? null },
    h('input', { type: 'checkbox', name: 'check', value: id, checked }),
    h('span', {}, check?.name ?? id, ' ', h('code', {}, id)),
    check?.severity ? h('span', { class: 'muted' }, `· ${check.severity} when failing`) : null);
}

/** `[[group, [ids sorted by name]]]`, groups by name. */
function byGroup(ids, catalog) {
  const groups = new Map();
  for (const id of ids) {
    const group = catalog.get(id)?.group ?? 'other';
    groups.set(group, [...(groups.get(group) ?? []), id]);
  }
  const name = (id) => catalog.get(id)?.name ?? id;
  return [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([group, members]) => [group, members.sort((a, b) => name(a).localeCompare(name(b)))]);
}

/** PUTs the ticked checks, keeping the customised values of those that stay selected. */
async function saveSelection(view, form, previous, out, saved) {
  const checks = [...form.querySelectorAll('input[name="check"]:checked')].map((input) => input.value);
  const values = Object.fromEntries(Object.entries(previous?.values ?? {}).filter(([id]) => checks.includes(id)));
  replace(out, h('span', { class: 'muted' }, 'Saving…'));
  try {
    const answer = await api(`${view.base}/selection`, { method: 'PUT', body: { checks, values } });
    toast(`Selection saved: ${checks.length} check(s)`);
    await saved(answer.last_position);
  } catch (e) {
    replace(out, failure(e));
  }
}
