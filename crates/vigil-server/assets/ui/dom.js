// Small DOM helpers: elements are built with text nodes only (never innerHTML), so data from
// the server can never become markup.

/** An element: `h('a', {href: '#/x', class: 'y', onclick: f}, 'text', child)`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A health, heartbeat or status as a coloured badge. */
export function badge(value, label) {
  const text = value ?? 'unknown';
  return h('span', { class: `badge badge-${String(text).replace(/[^a-z_]/gi, '')}`, 'data-value': text }, label ?? text);
}

/** A time as "3 min ago", with the exact RFC 3339 time as its title. */
export function when(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return h('span', {}, iso);
  return h('time', { datetime: iso, title: t.toISOString() }, ago(t));
}

function ago(t) {
  const s = Math.round((Date.now() - t.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return t.toISOString().slice(0, 16).replace('T', ' ');
}

/** An empty state: what is missing and what to do about it. */
export function empty(message, hint) {
  return h('div', { class: 'empty', role: 'note' }, h('p', {}, message), hint ? h('p', { class: 'muted' }, hint) : null);
}

/** An error box; a 403 carries the policy's reasons in its message. */
export function failure(error) {
  const title = error?.status === 403 ? 'The policy does not allow this' : error?.status ? `Error ${error.status}` : 'Error';
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, title), ': ', error?.message ?? String(error));
}

/**
 * A table. `columns`: [{label, value: row => text|Node, sort: row => comparable}]. Sorting is
 * by clicking (or Enter on) a column header; `key` gives each row a stable `data-key`.
 */
export function table(columns, rows, { key, caption, sortBy } = {}) {
  let order = sortBy ?? null;
  const wrap = h('div', { class: 'table-wrap' });
  const draw = () => {
    let sorted = rows;
    if (order) {
      const column = columns.find((c) => c.label === order.label);
      if (column?.sort) {
        sorted = [...rows].sort((a, b) => compare(column.sort(a), column.sort(b)) * (order.desc ? -1 : 1));
      }
    }
    const head = h('tr', {}, columns.map((c) => {
      const sortable = !!c.sort;
      const state = order?.label === c.label ? (order.desc ? 'descending' : 'ascending') : 'none';
      return h('th', { scope: 'col', 'aria-sort': sortable ? state : null },
        sortable ? h('button', { type: 'button', onclick: () => { order = { label: c.label, desc: order?.label === c.label ? !order.desc : false }; draw(); } }, c.label, state === 'ascending' ? ' ▲' : state === 'descending' ? ' ▼' : '') : c.label);
    }));
    const body = sorted.map((row) => h('tr', { 'data-key': key ? key(row) : null },
      columns.map((c) => h('td', { 'data-label': c.label }, c.value(row)))));
    replace(wrap, h('table', { class: 'responsive' }, caption ? h('caption', { class: 'muted' }, caption) : null, h('thead', {}, head), h('tbody', {}, body)));
  };
  draw();
  return wrap;
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  return a < b ? -1 : 1;
}

/** Facts as a definition list: [[label, value], ...]. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

/** A link to a page of the UI. */
export function link(route, text) {
  return h('a', { href: `#/${route}` }, text);
}

/** Shows a short message in the corner for a few seconds. */
export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

/** Pretty JSON in a `<pre>`. */
export function json(value) {
  return h('pre', { tabindex: '0' }, JSON.stringify(value, null, 2));
}
