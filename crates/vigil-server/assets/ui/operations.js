// The operating pages: the live event stream, actions (executions, dead letters, redrive),
// the audit log, the activity log and the policies.

import { api, query } from './api.js';
import { h, replace, badge, when, empty, failure, table, facts, link, toast, json } from './dom.js';
import { pager } from './pages.js';

// ---------------------------------------------------------------- events

const MAX_SHOWN = 300;

async function events(ctx, arg) {
  if (arg && arg.startsWith('@')) return eventDetail(ctx, Number(arg.slice(1)));
  const shown = [];
  let paused = false;
  let held = 0;
  const topic = h('input', { name: 'topic', type: 'search', placeholder: 'hosts, external.*', 'aria-label': 'Topic' });
  const type = h('input', { name: 'type', type: 'search', placeholder: 'HostRegistered', 'aria-label': 'Type' });
  const pause = h('button', { class: 'secondary', type: 'button', 'aria-pressed': 'false' }, 'Pause');
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  const list = h('div');
  const detail = h('div');
  replace(ctx.main, h('h1', {}, 'Events'),
    h('div', { class: 'filters' }, h('label', {}, 'Topic', topic), h('label', {}, 'Type', type), pause, status),
    h('div', { class: 'grid-2' }, list, detail));
  const matches = (m) => {
    const t = topic.value.trim();
    const ty = type.value.trim();
    const topicOk = !t || (t.endsWith('*') ? m.topic.startsWith(t.slice(0, -1)) : m.topic === t);
    return topicOk && (!ty || m.event.type === ty);
  };
  const draw = () => {
    const rows = shown.filter(matches);
    replace(status, paused ? `paused · ${held} new event(s) waiting` : `${rows.length} shown · live`);
    if (!rows.length) {
      replace(list, empty('No events yet.', 'Events appear here as they are stored.'));
      return;
    }
    replace(list, table([
      { label: 'Position', value: (m) => m.position },
      { label: 'Time', value: (m) => when(m.event.time) },
      { label: 'Topic', value: (m) => m.topic },
      { label: 'Type', value: (m) => h('button', { class: 'secondary', type: 'button', onclick: () => open(m) }, m.event.type) },
      { label: 'Subject', value: (m) => m.event.subject ?? '—' },
    ], rows.slice(0, MAX_SHOWN), { key: (m) => m.position }));
  };
  const open = async (m) => {
    replace(detail, h('section', { class: 'panel', 'aria-label': 'Event' }, h('h2', {}, m.event.type, ' at ', String(m.position)), json(m.event), h('p', { class: 'muted' }, 'Loading why it did or did not fire…')));
    detail.querySelector('pre').focus();
    await why(ctx, m.event, detail.firstChild);
  };
  // The newest events first, then live ones on top.
  const head = ctx.live?.position ?? 0;
  const recent = await api(`/api/v1/events${query({ after: Math.max(0, head - 100), limit: 100 })}`);
  for (const e of recent.items) shown.unshift({ position: e.position, topic: e.topic, event: e });
  const seen = new Set(shown.map((m) => m.position));
  const queue = [];
  ctx.onEvent((m) => {
    if (seen.has(m.position)) return;
    seen.add(m.position);
    if (paused) { queue.push(m); held++; replace(status, `paused · ${held} new event(s) waiting`); return; }
    shown.unshift(m);
    if (shown.length > 2000) shown.length = 2000;
    draw();
  });
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused) { shown.unshift(...queue.reverse()); queue.length = 0; held = 0; }
    draw();
  });
  topic.addEventListener('input', draw);
  type.addEventListener('input', draw);
  draw();
}

/** "Why did/didn't this fire": the actions service's account of one event. */
async function why(ctx, event, into) {
  const out = into.querySelector('p.muted') ?? into.appendChild(h('p'));
  if (!ctx.can('ReadActions')) { replace(out, 'Reading why an event fired needs ReadActions.'); return; }
  try {
    const a = await api(`/api/v1/events/${event.id}/actions`);
    replace(out, h('strong', {}, 'Actions: '), a.explanation);
    if (a.executions.length) into.append(executionsTable(ctx, a.executions, () => {}));
  } catch (e) { replace(out, failure(e)); }
}

async function eventDetail(ctx, position) {
  const page = await api(`/api/v1/events${query({ after: Math.max(0, position - 1), limit: 1 })}`);
  const e = page.items[0];
  if (!e || e.position !== position) { replace(ctx.main, h('h1', {}, 'Event'), empty(`No event at position ${position}.`)); return; }
  const panel = h('section', { class: 'panel' }, json(e), h('p', { class: 'muted' }, 'Loading…'));
  replace(ctx.main, h('p', {}, link('events', '← Events')), h('h1', {}, e.type, ' at ', String(position)), panel);
  await why(ctx, e, panel);
}

// ---------------------------------------------------------------- actions

function executionsTable(ctx, items, changed) {
  return table([
    { label: 'Event', value: (x) => link(`events/@${x.position}`, `${x.event_type} @${x.position}`), sort: (x) => x.position },
    { label: 'Rule', value: (x) => x.rule, sort: (x) => x.rule },
    { label: 'Status', value: (x) => badge(x.status), sort: (x) => x.status },
    { label: 'Attempts', value: (x) => `${x.attempts}/${x.max_attempts}` },
    { label: 'Reason', value: (x) => x.reason ?? '—' },
    { label: 'Created', value: (x) => when(x.created_at), sort: (x) => x.created_at },
    { label: '', value: (x) => (x.status === 'dead' && ctx.can('RedriveAction')
      ? h('button', { class: 'secondary', type: 'button', onclick: () => redrive(x, changed) }, 'Redrive') : '') },
  ], items, { key: (x) => x.id });
}

async function redrive(x, changed) {
  try {
    await api(`/api/v1/actions/dead_letters/${x.id}/redrive`, { method: 'POST' });
    toast(`Redriven: ${x.rule} for ${x.event_type}`);
    changed();
  } catch (e) { toast(e.message); }
}

async function actions(ctx, arg) {
  const params = new URLSearchParams((arg ?? '').replace(/^\?/, ''));
  const offset = Number(params.get('offset') ?? 0);
  const body = h('div');
  replace(ctx.main, h('h1', {}, 'Actions'), body);
  const draw = async () => {
    const [dead, executions, rules] = await Promise.all([
      api('/api/v1/actions/dead_letters?limit=100'),
      api(`/api/v1/actions/executions${query({ offset, limit: 50 })}`),
      api('/api/v1/actions/rules'),
    ]);
    const rulesList = rules.items ?? rules.rules ?? [];
    replace(body,
      h('h2', {}, `Dead letters (${dead.total})`),
      dead.total === 0 ? h('p', { class: 'muted' }, 'No dead letters: every failed action was retried or succeeded.') : executionsTable(ctx, dead.items, draw),
      h('h2', {}, 'Executions'),
      executions.total === 0 ? empty('No executions yet.', 'Rules run an action when an event of their type is stored.')
        : [executionsTable(ctx, executions.items, draw), pager(executions, (o) => { location.hash = `#/actions/?offset=${o}`; })],
      h('h2', {}, 'Rules in force'),
      rulesList.length ? table([
        { label: 'Name', value: (r) => r.name ?? '—', sort: (r) => r.name },
        { label: 'Event type', value: (r) => r.event_type ?? r.on ?? '—' },
        { label: 'Action', value: (r) => r.action?.kind ?? r.kind ?? '—' },
        { label: 'From', value: (r) => r.origin ?? r.source ?? '—' },
      ], rulesList) : h('p', { class: 'muted' }, 'No rules.'));
  };
  await draw();
  ctx.refreshOn((m) => m.topic === 'actions', draw);
}

// ---------------------------------------------------------------- audit and activity

async function audit(ctx) {
  const body = h('div');
  const verifyOut = h('div', { 'aria-live': 'polite' });
  const verify = h('button', { class: 'primary', type: 'button' }, 'Verify the log now');
  replace(ctx.main, h('h1', {}, 'Audit log'), body, h('h2', {}, 'Verification'),
    h('p', { class: 'muted' }, 'Re-hashes every record and checks every signed head, as vigil audit verify does.'), verify, verifyOut,
    h('h2', {}, 'Records'), h('div', { id: 'records' }));
  const draw = async () => {
    const head = await api('/api/v1/audit/head');
    const signed = head.signed_head;
    replace(body, h('section', { class: 'panel', 'aria-label': 'Latest signed head' }, facts([
      ['Records', String(head.tree_size)],
      ['Latest signed head', signed ? `${signed.tree_size} records, root ${String(signed.root_hash).slice(0, 16)}…` : 'none yet'],
      ['Signed', signed ? when(signed.timestamp) : '—'],
      ['Public key', h('code', {}, head.public_key)],
    ])));
    const from = Math.max(0, head.tree_size - 20);
    const records = await Promise.all(Array.from({ length: head.tree_size - from }, (_, i) => api(`/api/v1/audit/records/${head.tree_size - 1 - i}`)));
    replace(document.getElementById('records'), records.length ? table([
      { label: 'Index', value: (r) => r.index },
      { label: 'Kind', value: (r) => r.kind },
      { label: 'Time', value: (r) => when(r.time) },
      { label: 'Who', value: (r) => r.body?.principal?.id ?? '—' },
      { label: 'Leaf hash', value: (r) => h('code', {}, r.leaf_hash.slice(0, 16)) },
    ], records, { key: (r) => r.index }) : empty('The audit log is empty.'));
  };
  verify.addEventListener('click', async () => {
    replace(verifyOut, h('p', { class: 'muted' }, 'Verifying…'));
    try {
      const v = await api('/api/v1/audit/verification');
      replace(verifyOut, h('div', { class: v.ok ? 'notice' : 'error', role: 'status', 'data-verified': String(v.ok) },
        v.ok ? `Verified: ${v.tree_size} records, ${v.heads_checked} signed heads, no problem found.` : `Problems: ${v.problems.join('; ')}`));
    } catch (e) { replace(verifyOut, failure(e)); }
  });
  await draw();
}

const KINDS = ['command', 'command_refused', 'sign_in', 'auth_failure', 'token_changed', 'action_attempt', 'event'];

async function activity(ctx, arg) {
  const params = Object.fromEntries(new URLSearchParams((arg ?? '').replace(/^\?/, '')));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search the activity' },
    h('label', {}, 'Who', h('input', { name: 'principal', type: 'search', value: params.principal ?? '', placeholder: 'token id, agent id…' })),
    h('label', {}, 'Kind', h('select', { name: 'kind' }, h('option', { value: '' }, 'all but events'), KINDS.map((k) => h('option', { value: k, selected: params.kind === k }, k)))),
    h('label', {}, 'Since', h('input', { name: 'since', type: 'datetime-local', value: params.since ?? '' })),
    h('label', {}, 'Until', h('input', { name: 'until', type: 'datetime-local', value: params.until ?? '' })),
    h('button', { class: 'secondary', type: 'submit' }, 'Search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== ''));
    location.hash = `#/activity/?${new URLSearchParams(values)}`;
  });
  const body = h('div');
  replace(ctx.main, h('h1', {}, 'Activity'), h('p', { class: 'muted' }, 'Who did what and when: commands, refusals, sign-ins and failed sign-ins, token changes, from the audit log.'), form, body);
  const iso = (local) => (local ? new Date(local).toISOString() : undefined);
  const load = async (before) => {
    const page = await api(`/api/v1/activity${query({ principal: params.principal, kind: params.kind, since: iso(params.since), until: iso(params.until), before, limit: 50 })}`);
    const rows = page.items;
    replace(body, rows.length ? table([
      { label: 'Time', value: (r) => when(r.time), sort: (r) => r.index },
      { label: 'Who', value: (r) => (r.principal ? `${r.principal.id} (${(r.principal.roles ?? []).join(', ') || r.principal.kind})` : '—'), sort: (r) => r.principal?.id },
      { label: 'Kind', value: (r) => r.kind, sort: (r) => r.kind },
      { label: 'What', value: (r) => summary(r) },
    ], rows, { key: (r) => r.index }) : empty('Nothing matches.'),
    page.next_before !== null ? h('button', { class: 'secondary', type: 'button', onclick: () => load(page.next_before) }, 'Older →') : null);
  };
  await load();
}

function summary(r) {
  const b = r.body ?? {};
  switch (r.kind) {
    case 'command': return [b.command, b.target ? ` on ${b.target.kind} ${b.target.id}` : '', b.allowed === false ? ' — denied' : ''].join('');
    case 'command_refused': return `${b.command} refused: ${b.refused}`;
    case 'auth_failure': return `${b.method} ${b.path}: ${b.reason}`;
    case 'sign_in': return `signed in (${b.via})`;
    case 'token_changed': return `token ${b.change}: ${b.token?.name ?? ''} (${b.token?.role ?? ''})`;
    default: return JSON.stringify(b).slice(0, 160);
  }
}

// ---------------------------------------------------------------- policies

async function policies(ctx) {
  const body = h('div');
  replace(ctx.main, h('h1', {}, 'Policies'), body);
  const draw = async () => {
    const inForce = await api('/api/v1/policies');
    const history = ctx.can('ReadEvents') ? await api(`/api/v1/events${query({ topic: 'policies', limit: 1000 })}`) : { items: [] };
    const source = h('div');
    replace(body,
      h('p', { class: 'muted' }, 'Revision ', h('code', {}, inForce.revision)),
      table([
        { label: 'Path', value: (p) => h('button', { class: 'secondary', type: 'button', onclick: () => replace(source, h('h2', {}, p.path), h('pre', { tabindex: '0' }, p.source)) }, p.path), sort: (p) => p.path },
        { label: 'Version', value: (p) => p.version, sort: (p) => p.version },
        { label: 'Author', value: (p) => p.author },
        { label: 'SHA-256', value: (p) => h('code', {}, p.sha256.slice(0, 16)) },
      ], inForce.items, { key: (p) => p.path, sortBy: { label: 'Path' } }),
      source,
      h('h2', {}, 'Versions'),
      history.items.length ? table([
        { label: 'Time', value: (e) => when(e.time), sort: (e) => e.position },
        { label: 'Change', value: (e) => e.type },
        { label: 'Path', value: (e) => e.data?.path ?? e.subject ?? '—', sort: (e) => e.data?.path },
        { label: 'Version', value: (e) => e.data?.version ?? '—' },
        { label: 'Author', value: (e) => e.data?.author ?? '—' },
      ], history.items.slice().reverse(), { key: (e) => e.id }) : h('p', { class: 'muted' }, 'No publications recorded.'),
      evaluator(ctx));
  };
  await draw();
  ctx.refreshOn((m) => m.topic === 'policies', draw);
}

function evaluator(ctx) {
  const me = ctx.me.principal;
  const sample = {
    principal: me,
    command: { type: 'RequestHostDeregistration', body: {}, read: false },
    target: { kind: 'host', id: '00000000-0000-4000-8000-000000000000', state: { registered: true, heartbeat: 'passing' } },
  };
  const point = h('select', { name: 'point', 'aria-label': 'Evaluation point' }, ['authz', 'admission', 'sla', 'audit'].map((p) => h('option', { value: p }, p)));
  const input = h('textarea', { name: 'input', 'aria-label': 'Input document (JSON)', spellcheck: 'false' }, JSON.stringify(sample, null, 2));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'panel', 'aria-label': 'Evaluate a sample input' }, h('h2', {}, 'Evaluate against a sample input'),
    h('label', {}, 'Evaluation point', point), h('label', {}, 'Input', input), h('button', { class: 'primary', type: 'submit' }, 'Evaluate'), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let parsed;
    try { parsed = JSON.parse(input.value); } catch (err) { replace(out, h('div', { class: 'error', role: 'alert' }, `The input is not JSON: ${err.message}`)); return; }
    try {
      const r = await api('/api/v1/policies/evaluate', { method: 'POST', body: { point: point.value, input: parsed } });
      replace(out, h('p', {}, r.allow === null || r.allow === undefined ? '' : badge(r.allow ? 'allow' : 'deny'), ' ', r.reasons.join('; ')), json(r.result));
    } catch (err) { replace(out, failure(err)); }
  });
  return form;
}

export const operationsPages = { events, actions, audit, activity, policies };
