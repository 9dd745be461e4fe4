// Pieces several pages share: the sign-in form, the tag editor, paging.

import { api, ApiError } from './api.js';
import { h, replace, failure, toast } from './dom.js';

/** The sign-in page: a token from `vigil tokens create`. */
export function signIn(main, message, submit) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, placeholder: 'vgt_…', 'aria-describedby': 'token-help' });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'panel signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Vigil'),
    message ? h('div', { class: 'notice' }, message) : null,
    h('label', { for: 'token' }, 'API token', input),
    h('p', { id: 'token-help', class: 'muted' }, 'Create one on the server with ', h('code', {}, 'vigil tokens create --role operator --name <you>'),
      '. It is kept in this tab only (sessionStorage) and sent to this server alone.'),
    h('button', { class: 'primary', type: 'submit' }, 'Sign in'),
    status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token.startsWith('vgt_')) {
      replace(status, h('div', { class: 'error', role: 'alert' }, 'A Vigil token starts with vgt_ (it is printed once by vigil tokens create).'));
      return;
    }
    replace(status, h('p', { class: 'muted' }, 'Signing in…'));
    try {
      await submit(token);
    } catch (error) {
      replace(status, error instanceof ApiError && error.status === 401
        ? h('div', { class: 'error', role: 'alert' }, 'This token is not valid: ', error.message)
        : failure(error));
      input.focus();
    }
  });
  replace(main, form);
  input.focus();
}

const TAG_PATHS = { host: 'hosts', cluster: 'clusters', database: 'databases', sap_system: 'sap_systems' };

/**
 * A resource's tags, with add and remove where the policy allows them. Changes go through the
 * same REST endpoints (and so the same gate) as every other client; the live feed is not
 * needed to see them, the answer is shown at once.
 */
export function tagEditor(ctx, kind, id, tags, changed) {
  const base = `/api/v1/${TAG_PATHS[kind]}/${id}/tags`;
  const list = h('span', { class: 'tags' });
  const draw = (values) => replace(list, values.length ? values.map((t) => h('span', { class: 'tag', 'data-tag': t.value }, t.value,
    ctx.can('RemoveTag') ? h('button', { type: 'button', 'aria-label': `Remove tag ${t.value}`, onclick: () => remove(t.value) }, '×') : null))
    : h('span', { class: 'muted' }, 'no tags'));
  const remove = async (value) => {
    try {
      await api(`${base}/${encodeURIComponent(value)}`, { method: 'DELETE' });
      toast(`Removed tag ${value}`);
      changed?.();
    } catch (e) { toast(e.message); }
  };
  draw(tags);
  if (!ctx.can('AddTag')) return list;
  const input = h('input', { type: 'text', name: 'tag', 'aria-label': 'New tag', placeholder: 'new tag', maxlength: '64', size: '12' });
  const error = h('span', { 'aria-live': 'polite' });
  const form = h('form', { class: 'row', 'aria-label': 'Add a tag' }, input, h('button', { class: 'secondary', type: 'submit' }, 'Add tag'), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(error);
    try {
      const tag = await api(base, { method: 'POST', body: { value: input.value } });
      input.value = '';
      toast(`Tagged ${tag.value}`);
      changed?.();
    } catch (err) { replace(error, failure(err)); }
  });
  return h('div', { class: 'row' }, list, form);
}

/** Previous / next for a `{items, total, offset, limit}` page. */
export function pager(page, go) {
  const { total, offset, limit } = page;
  const last = Math.min(total, offset + page.items.length);
  return h('div', { class: 'pager' },
    h('button', { class: 'secondary', type: 'button', disabled: offset === 0, onclick: () => go(Math.max(0, offset - limit)) }, '← Previous'),
    h('span', { class: 'muted' }, total ? `${offset + 1}–${last} of ${total}` : '0 of 0'),
    h('button', { class: 'secondary', type: 'button', disabled: last >= total, onclick: () => go(offset + limit) }, 'Next →'));
}
