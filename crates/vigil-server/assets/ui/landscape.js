// The landscape's pages: overview, hosts, clusters, SAP systems, databases and their details.
// Each reads the REST API and reads again (with `min_position`) when a live event concerns it.

import { api, query } from './api.js';
import { h, replace, badge, when, empty, failure, table, facts, link, toast, json } from './dom.js';
import { tagEditor, pager } from './pages.js';
import { checksSection } from './checks.js';

const HEALTHS = ['passing', 'warning', 'critical', 'unknown'];
const LANDSCAPE_TOPICS = new Set(['hosts', 'heartbeats', 'clusters', 'databases', 'sap_systems']);
const isLandscape = (m) => LANDSCAPE_TOPICS.has(m.topic);
/** An event of a `checks-<target>` stream (topic `other`), which only the Checks section draws. */
const isChecksEvent = (m) => m.event?.streamid?.startsWith('checks-');
const NO_AGENTS = 'Point an agent at this server: vigil agent --server-url <this server> --api-key "$(vigil keys show)", or replay a landscape with vigil replay <dir>.';

/** Draws again the rows whose content changed, marking them so a change is seen. */
function flashChanged(container, before) {
  for (const row of container.querySelectorAll('tr[data-key]')) {
    const old = before.get(row.dataset.key);
    if (old !== undefined && old !== row.textContent) row.classList.add('flash');
    if (old === undefined && before.size) row.classList.add('flash');
  }
}

function snapshot(container) {
  return new Map([...container.querySelectorAll('tr[data-key]')].map((r) => [r.dataset.key, r.textContent]));
}

// ---------------------------------------------------------------- overview

async function overview(ctx) {
  const body = h('div');
  replace(ctx.main, h('h1', {}, 'Overview'), body);
  const draw = async (minPosition) => {
    const kinds = [['hosts', 'Hosts', 'ReadHosts'], ['clusters', 'Clusters', 'ReadClusters'], ['sap_systems', 'SAP systems', 'ReadSapSystems'], ['databases', 'Databases', 'ReadDatabases']]
      .filter(([, , read]) => ctx.can(read));
    const counts = await Promise.all(kinds.map(async ([path]) => Promise.all(
      HEALTHS.map((health) => api(`/api/v1/${path}${query({ health, limit: 1 })}`, { minPosition }).then((p) => p.total)))));
    const stale = ctx.can('ReadHosts') ? await api(`/api/v1/hosts${query({ heartbeat: 'critical', limit: 20 })}`, { minPosition }) : { items: [], total: 0 };
    const head = ctx.live?.position ?? 0;
    const recent = ctx.can('ReadEvents') ? await api(`/api/v1/events${query({ after: Math.max(0, head - 500), limit: 500 })}`) : { items: [] };
    const critical = recent.items.filter((e) => e.type === 'HeartbeatFailed' || e.data?.health === 'critical').reverse().slice(0, 10);
    const total = counts.flat().reduce((a, b) => a + b, 0);
    replace(body,
      total === 0 ? h('div', { class: 'notice' }, 'No hosts yet. ', NO_AGENTS) : null,
      h('div', { class: 'grid' }, kinds.map(([path, label], i) => h('section', { class: 'card', 'aria-label': label, 'data-kind': path },
        h('h2', {}, link(path, label), ' ', h('span', { class: 'muted' }, `(${counts[i].reduce((a, b) => a + b, 0)})`)),
        h('div', { class: 'counts' }, HEALTHS.map((health, j) => h('a', { href: `#/${path}/?health=${health}`, 'data-health': health }, badge(health, `${counts[i][j]} ${health}`))))))),
      h('h2', {}, 'Stale data'),
      stale.total === 0 ? h('p', { class: 'muted' }, 'Every host is sending heartbeats.')
        : h('ul', { class: 'stale' }, stale.items.map((host) => h('li', {}, link(`hosts/${host.id}`, host.hostname ?? host.id), ' ', badge('critical', 'stale'), ' last heartbeat ', when(host.last_heartbeat_timestamp)))),
      h('h2', {}, 'Recent critical events'),
      critical.length === 0 ? h('p', { class: 'muted' }, 'Nothing critical recently.')
        : h('ul', { class: 'events-list' }, critical.map((e) => h('li', {}, when(e.time), ' ', h('code', {}, e.type), ' ', e.subject ? subjectLink(e) : ''))));
  };
  await draw();
  ctx.refreshOn(isLandscape, draw);
}

function subjectLink(e) {
  const kind = { hosts: 'hosts', heartbeats: 'hosts', clusters: 'clusters', databases: 'databases', sap_systems: 'sap_systems' }[e.topic];
  return kind ? link(`${kind}/${e.subject}`, e.subject.slice(0, 8)) : h('code', {}, e.subject);
}

// ---------------------------------------------------------------- hosts

function filtersForm(fields, values, apply) {
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filters' },
    fields.map(([name, label, options]) => h('label', {}, label, options
      ? h('select', { name }, h('option', { value: '' }, 'any'), options.map((o) => h('option', { value: o, selected: values[name] === o }, o)))
      : h('input', { name, type: 'search', value: values[name] ?? '' }))),
    h('button', { class: 'secondary', type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply(Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== '')));
  });
  return form;
}

/** The filters in the route (`#/hosts/?health=critical`). */
function routeParams(arg) {
  return Object.fromEntries(new URLSearchParams((arg ?? '').replace(/^\?/, '')));
}

function setRouteParams(page, params) {
  const q = new URLSearchParams(params).toString();
  location.hash = `#/${page}/${q ? `?${q}` : ''}`;
}

async function hosts(ctx, arg) {
  const params = routeParams(arg);
  const offset = Number(params.offset ?? 0);
  const filters = filtersForm([['hostname', 'Hostname'], ['health', 'Health', HEALTHS], ['heartbeat', 'Heartbeat', ['passing', 'critical', 'unknown']], ['tag', 'Tag']], params,
    (values) => setRouteParams('hosts', values));
  const body = h('div');
  replace(ctx.main, h('h1', {}, 'Hosts'), filters, body);
  const draw = async (minPosition) => {
    const before = snapshot(body);
    const page = await api(`/api/v1/hosts${query({ ...params, offset, limit: 50 })}`, { minPosition });
    const clusters = ctx.can('ReadClusters') ? await api('/api/v1/clusters?limit=1000', { minPosition }) : { items: [] };
    const clusterName = new Map(clusters.items.map((c) => [c.id, c.name ?? c.id.slice(0, 8)]));
    const systems = ctx.can('ReadSapSystems') ? await api('/api/v1/sap_systems?limit=1000', { minPosition }) : { items: [] };
    const sidsOf = new Map();
    for (const s of systems.items) {
      for (const i of [...s.application_instances, ...s.database_instances]) {
        sidsOf.set(i.host_id, new Set([...(sidsOf.get(i.host_id) ?? []), s.sid]));
      }
    }
    if (page.total === 0) {
      replace(body, Object.keys(params).length ? empty('No host matches these filters.') : empty('No hosts yet.', NO_AGENTS));
      return;
    }
    replace(body, table([
      { label: 'Hostname', value: (r) => link(`hosts/${r.id}`, r.hostname ?? r.id), sort: (r) => r.hostname },
      { label: 'Health', value: (r) => badge(r.health), sort: (r) => HEALTHS.indexOf(r.health) },
      { label: 'Heartbeat', value: (r) => h('span', { class: 'heartbeat' }, badge(r.heartbeat, r.heartbeat === 'critical' ? 'stale' : r.heartbeat)), sort: (r) => r.heartbeat },
      { label: 'Last heartbeat', value: (r) => when(r.last_heartbeat_timestamp), sort: (r) => r.last_heartbeat_timestamp },
      { label: 'Provider', value: (r) => r.provider ?? '—', sort: (r) => r.provider },
      { label: 'Cluster', value: (r) => (r.cluster_id ? link(`clusters/${r.cluster_id}`, clusterName.get(r.cluster_id) ?? r.cluster_id.slice(0, 8)) : '—'), sort: (r) => clusterName.get(r.cluster_id) },
      { label: 'SAP systems', value: (r) => [...(sidsOf.get(r.id) ?? [])].join(', ') || '—', sort: (r) => [...(sidsOf.get(r.id) ?? [])].join() },
      { label: 'Tags', value: (r) => r.tags.map((t) => t.value).join(', ') || '—' },
    ], page.items, { key: (r) => r.id, sortBy: { label: 'Hostname' } }),
    pager(page, (o) => setRouteParams('hosts', { ...params, offset: o })));
    flashChanged(body, before);
  };
  await draw();
  ctx.refreshOn(isLandscape, draw);
}

async function host(ctx, id) {
  const body = h('div');
  // Made once: drawn into each version of the page, it keeps what the user ticked.
  const checks = checksSection(ctx, 'host', id);
  replace(ctx.main, h('p', {}, link('hosts', '← Hosts')), body);
  const draw = async (minPosition) => {
    let host;
    try {
      host = await api(`/api/v1/hosts/${id}`, { minPosition });
    } catch (e) {
      replace(body, h('h1', {}, 'Host'), failure(e));
      return;
    }
    const events = ctx.can('ReadEvents') ? await api(`/api/v1/events${query({ subject: id, limit: 1000 })}`) : { items: [] };
    replace(body,
      h('h1', {}, host.hostname ?? id, ' ', badge(host.health)),
      host.deregistered_at ? h('div', { class: 'notice' }, 'Deregistered ', when(host.deregistered_at)) : null,
      h('section', { class: 'panel', 'aria-label': 'Facts' }, facts([
        ['Id', h('code', {}, host.id)],
        ['Heartbeat', h('span', { class: 'heartbeat' }, badge(host.heartbeat, host.heartbeat === 'critical' ? 'stale' : host.heartbeat), ' ', when(host.last_heartbeat_timestamp))],
        ['Health', h('span', {}, badge(host.health), ' saptune ', badge(host.saptune_health), ' checks ', badge(host.checks_health))],
        ['Provider', host.provider ?? '—'],
        ['Cluster', host.cluster_id ? link(`clusters/${host.cluster_id}`, host.cluster_id) : '—'],
        ['IP addresses', host.ip_addresses.join(', ') || '—'],
        ['OS', host.os_version], ['Agent', host.agent_version],
        ['CPUs', host.cpu_count], ['Memory', host.total_memory_mb ? `${host.total_memory_mb} MB` : '—'],
        ['SAP workload', host.sap_workload_running ? 'running' : 'none'],
        ['Registered', when(host.registered_at)], ['Updated', when(host.updated_at)],
        ['Tags', tagEditor(ctx, 'host', id, host.tags, () => draw())],
      ])),
      checks,
      deregistration(ctx, host, () => draw()),
      h('h2', {}, 'History'),
      events.items.length === 0 ? h('p', { class: 'muted' }, 'No events.')
        : table([
          { label: 'Position', value: (e) => e.position, sort: (e) => e.position },
          { label: 'Time', value: (e) => when(e.time) },
          { label: 'Type', value: (e) => link(`events/@${e.position}`, e.type) },
        ], events.items.slice(-50).reverse(), { key: (e) => e.id }));
  };
  await draw();
  // The Checks section follows its own stream; the host's checks health is a host event.
  ctx.refreshOn((m) => m.event?.subject === id && !isChecksEvent(m), draw);
}

/** The deregistration request: offered when the policy allows it, confirmed in two steps. */
function deregistration(ctx, host, changed) {
  if (!ctx.can('RequestHostDeregistration') || host.deregistered_at) return null;
  const out = h('div', { 'aria-live': 'polite' });
  const box = h('section', { class: 'panel', 'aria-label': 'Deregistration' }, h('h2', {}, 'Deregistration'),
    h('p', { class: 'muted' }, 'Vigil deregisters a host only once its heartbeat has stopped.'), out);
  const ask = () => replace(out, h('button', { class: 'danger', type: 'button', onclick: confirm }, 'Request deregistration'));
  const confirm = () => {
    const yes = h('button', { class: 'danger', type: 'button', onclick: send }, 'Confirm deregistration');
    replace(out, h('div', { class: 'row' }, yes, h('button', { class: 'secondary', type: 'button', onclick: ask }, 'Cancel')));
    yes.focus();
  };
  const send = async () => {
    try {
      await api(`/api/v1/hosts/${host.id}`, { method: 'DELETE' });
      toast('Deregistration requested');
      changed();
    } catch (e) {
      replace(out, h('div', { class: 'error', role: 'alert', 'data-refusal': e.status }, h('strong', {}, e.status === 403 ? 'Not allowed: ' : 'Refused: '), e.message), h('button', { class: 'secondary', type: 'button', onclick: ask }, 'OK'));
    }
  };
  ask();
  return box;
}

// ---------------------------------------------------------------- clusters

async function listPage(ctx, arg, { path, title, fields, columns, emptyText, topics }) {
  const params = routeParams(arg);
  const offset = Number(params.offset ?? 0);
  const body = h('div');
  replace(ctx.main, h('h1', {}, title), filtersForm(fields, params, (v) => setRouteParams(path, v)), body);
  const draw = async (minPosition) => {
    const before = snapshot(body);
    const page = await api(`/api/v1/${path}${query({ ...params, offset, limit: 50 })}`, { minPosition });
    if (page.total === 0) {
      replace(body, Object.keys(params).length ? empty(`No ${title.toLowerCase()} match these filters.`) : empty(emptyText, NO_AGENTS));
      return;
    }
    replace(body, table(columns, page.items, { key: (r) => r.id, sortBy: { label: columns[0].label } }), pager(page, (o) => setRouteParams(path, { ...params, offset: o })));
    flashChanged(body, before);
  };
  await draw();
  ctx.refreshOn((m) => topics.includes(m.topic), draw);
}

const tagsOf = (r) => r.tags.map((t) => t.value).join(', ') || '—';

function clusters(ctx, arg) {
  return listPage(ctx, arg, {
    path: 'clusters', title: 'Clusters', emptyText: 'No clusters yet.', topics: ['clusters', 'hosts'],
    fields: [['sid', 'SID'], ['health', 'Health', HEALTHS], ['type', 'Type', ['hana_scale_up', 'hana_scale_out', 'ascs_ers', 'hana_ascs_ers', 'unknown']], ['tag', 'Tag']],
    columns: [
      { label: 'Name', value: (r) => link(`clusters/${r.id}`, r.name ?? r.id), sort: (r) => r.name },
      { label: 'Health', value: (r) => badge(r.health), sort: (r) => HEALTHS.indexOf(r.health) },
      { label: 'Type', value: (r) => r.type, sort: (r) => r.type },
      { label: 'SID', value: (r) => [r.sid, ...r.additional_sids].filter(Boolean).join(', ') || '—', sort: (r) => r.sid },
      { label: 'State', value: (r) => r.state, sort: (r) => r.state },
      { label: 'Hosts', value: (r) => r.hosts_number ?? r.hosts.length, sort: (r) => r.hosts_number },
      { label: 'Resources', value: (r) => r.resources_number ?? '—', sort: (r) => r.resources_number },
      { label: 'Tags', value: tagsOf },
    ],
  });
}

async function cluster(ctx, id) {
  const body = h('div');
  // Made once: drawn into each version of the page, it keeps what the user ticked.
  const checks = checksSection(ctx, 'cluster', id);
  replace(ctx.main, h('p', {}, link('clusters', '← Clusters')), body);
  const draw = async (minPosition) => {
    let c;
    try { c = await api(`/api/v1/clusters/${id}`, { minPosition }); } catch (e) { replace(body, h('h1', {}, 'Cluster'), failure(e)); return; }
    const hosts = await api(`/api/v1/hosts${query({ cluster_id: id, limit: 1000 })}`, { minPosition });
    const hostname = new Map(hosts.items.map((x) => [x.id, x.hostname]));
    const d = c.details ?? {};
    const parts = Object.entries(c.discovered_health ?? {}).filter(([, v]) => v);
    const nodes = Array.isArray(d.nodes) ? d.nodes : [];
    replace(body,
      h('h1', {}, c.name ?? id, ' ', badge(c.health)),
      h('section', { class: 'panel', 'aria-label': 'Facts' }, facts([
        ['Id', h('code', {}, c.id)], ['Type', c.type], ['SID', [c.sid, ...c.additional_sids].filter(Boolean).join(', ') || '—'],
        ['State', c.state], ['Provider', c.provider ?? '—'], ['CIB last written', c.cib_last_written ?? '—'],
        ['Health by part', h('span', { class: 'row' }, parts.map(([part, v]) => [part, ' ', badge(v)]), ' checks ', badge(c.checks_health))],
        ['System replication', d.hana ? h('span', {}, `${d.hana.system_replication_mode ?? '?'} / ${d.hana.system_replication_operation_mode ?? '?'}, secondary ${d.hana.secondary_sync_state ?? '?'}, SR health ${d.hana.sr_health_state ?? '?'}`,
          (d.hana.sites ?? []).map((site) => [' · ', `${site.name}: ${site.state}`])) : '—'],
        ['Fencing', d.fencing_type ? `${d.fencing_type}${(d.sbd_devices ?? []).length ? ` (${d.sbd_devices.map((x) => x.status).join(', ')})` : ''}` : '—'],
        ['Maintenance mode', d.maintenance_mode === undefined ? '—' : d.maintenance_mode ? 'on' : 'off'],
        ['Tags', tagEditor(ctx, 'cluster', id, c.tags, () => draw())],
      ])),
      checks,
      h('h2', {}, 'Nodes'),
      table([
        { label: 'Host', value: (m) => link(`hosts/${m.host_id}`, hostname.get(m.host_id) ?? m.host_id.slice(0, 8)), sort: (m) => hostname.get(m.host_id) },
        { label: 'Status', value: (m) => m.cluster_host_status, sort: (m) => m.cluster_host_status },
        { label: 'Site', value: (m) => nodes.find((n) => n.name === hostname.get(m.host_id))?.site ?? '—' },
        { label: 'HANA', value: (m) => nodes.find((n) => n.name === hostname.get(m.host_id))?.hana_status ?? '—' },
        { label: 'Data', value: (m) => (m.stale ? badge('critical', 'stale') : badge('passing', 'current')) },
        { label: 'Resources', value: (m) => String((nodes.find((n) => n.name === hostname.get(m.host_id))?.resources ?? []).length) },
      ], c.hosts, { key: (m) => m.host_id }),
      nodes.length ? [h('h2', {}, 'Resources'), table([
        { label: 'Node', value: (r) => r.node, sort: (r) => r.node },
        { label: 'Resource', value: (r) => r.id ?? '—', sort: (r) => r.id },
        { label: 'Agent', value: (r) => r.agent ?? '—', sort: (r) => r.agent },
        { label: 'Role', value: (r) => r.role ?? '—' },
        { label: 'Status', value: (r) => r.status ?? '—' },
      ], nodes.flatMap((n) => (n.resources ?? []).map((r) => ({ ...r, node: n.name }))))] : null,
      h('details', {}, h('summary', {}, 'All details (JSON)'), json(d)));
  };
  await draw();
  ctx.refreshOn((m) => (m.event?.subject === id && !isChecksEvent(m)) || m.topic === 'hosts', draw);
}

// ---------------------------------------------------------------- SAP systems and databases

function instances(list, withDatabase) {
  if (!list.length) return h('p', { class: 'muted' }, 'No instances.');
  return table([
    { label: 'Host', value: (i) => link(`hosts/${i.host_id}`, i.instance_hostname ?? i.host_id.slice(0, 8)), sort: (i) => i.instance_hostname },
    { label: 'Instance', value: (i) => i.instance_number, sort: (i) => i.instance_number },
    { label: 'Features', value: (i) => i.features },
    { label: 'Health', value: (i) => badge(i.health), sort: (i) => HEALTHS.indexOf(i.health) },
    withDatabase ? { label: 'Replication', value: (i) => [i.system_replication, i.system_replication_status].filter(Boolean).join(' ') || '—' } : null,
    { label: 'State', value: (i) => (i.absent_at ? badge('warning', 'absent') : i.stale ? badge('critical', 'stale') : badge('passing', 'present')) },
  ].filter(Boolean), list, { key: (i) => `${i.host_id}-${i.instance_number}` });
}

function sapSystems(ctx, arg) {
  return listPage(ctx, arg, {
    path: 'sap_systems', title: 'SAP systems', emptyText: 'No SAP systems yet.', topics: ['sap_systems', 'databases'],
    fields: [['sid', 'SID'], ['health', 'Health', HEALTHS], ['tag', 'Tag']],
    columns: [
      { label: 'SID', value: (r) => link(`sap_systems/${r.id}`, r.sid), sort: (r) => r.sid },
      { label: 'Health', value: (r) => badge(r.health), sort: (r) => HEALTHS.indexOf(r.health) },
      { label: 'Tenant', value: (r) => r.tenant },
      { label: 'Database', value: (r) => (r.database_id ? link(`databases/${r.database_id}`, r.database_sid ?? r.database_id.slice(0, 8)) : '—') },
      { label: 'ENSA', value: (r) => r.ensa_version },
      { label: 'Instances', value: (r) => r.application_instances.length, sort: (r) => r.application_instances.length },
      { label: 'Tags', value: tagsOf },
    ],
  });
}

async function sapSystem(ctx, id) {
  const body = h('div');
  replace(ctx.main, h('p', {}, link('sap_systems', '← SAP systems')), body);
  const draw = async (minPosition) => {
    let s;
    try { s = await api(`/api/v1/sap_systems/${id}`, { minPosition }); } catch (e) { replace(body, h('h1', {}, 'SAP system'), failure(e)); return; }
    replace(body, h('h1', {}, s.sid, ' ', badge(s.health)),
      h('section', { class: 'panel', 'aria-label': 'Facts' }, facts([
        ['Id', h('code', {}, s.id)], ['Tenant', s.tenant], ['ENSA', s.ensa_version], ['Database host', s.db_host ?? '—'],
        ['Database', s.database_id ? h('span', {}, link(`databases/${s.database_id}`, s.database_sid ?? s.database_id), ' ', badge(s.database_health)) : '—'],
        ['Tags', tagEditor(ctx, 'sap_system', id, s.tags, () => draw())],
      ])),
      h('h2', {}, 'Application instances'), instances(s.application_instances, false),
      h('h2', {}, 'Database instances'), instances(s.database_instances, true));
  };
  await draw();
  ctx.refreshOn((m) => m.event?.subject === id || m.topic === 'databases', draw);
}

function databases(ctx, arg) {
  return listPage(ctx, arg, {
    path: 'databases', title: 'Databases', emptyText: 'No databases yet.', topics: ['databases'],
    fields: [['sid', 'SID'], ['health', 'Health', HEALTHS], ['tag', 'Tag']],
    columns: [
      { label: 'SID', value: (r) => link(`databases/${r.id}`, r.sid), sort: (r) => r.sid },
      { label: 'Health', value: (r) => badge(r.health), sort: (r) => HEALTHS.indexOf(r.health) },
      { label: 'Tenants', value: (r) => r.tenants.map((t) => t.name).join(', ') || '—' },
      { label: 'Instances', value: (r) => r.database_instances.length, sort: (r) => r.database_instances.length },
      { label: 'Tags', value: tagsOf },
    ],
  });
}

async function database(ctx, id) {
  const body = h('div');
  replace(ctx.main, h('p', {}, link('databases', '← Databases')), body);
  const draw = async (minPosition) => {
    let d;
    try { d = await api(`/api/v1/databases/${id}`, { minPosition }); } catch (e) { replace(body, h('h1', {}, 'Database'), failure(e)); return; }
    replace(body, h('h1', {}, d.sid, ' ', badge(d.health)),
      h('section', { class: 'panel', 'aria-label': 'Facts' }, facts([
        ['Id', h('code', {}, d.id)], ['Tenants', d.tenants.map((t) => t.name).join(', ') || '—'],
        ['Registered', when(d.registered_at)], ['Tags', tagEditor(ctx, 'database', id, d.tags, () => draw())],
      ])),
      h('h2', {}, 'Instances'), instances(d.database_instances, true));
  };
  await draw();
  ctx.refreshOn((m) => m.event?.subject === id, draw);
}

export const landscapePages = {
  overview, hosts, host: undefined, clusters, sap_systems: sapSystems, databases,
};

// `#/hosts` lists, `#/hosts/<id>` shows one; `#/hosts/?filters` lists filtered.
for (const [name, list, detail] of [['hosts', hosts, host], ['clusters', clusters, cluster], ['sap_systems', sapSystems, sapSystem], ['databases', databases, database]]) {
  landscapePages[name] = (ctx, arg) => (arg && !arg.startsWith('?') ? detail(ctx, arg) : list(ctx, arg));
}
delete landscapePages.host;
