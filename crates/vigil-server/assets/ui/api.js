// The REST API with the signed-in user's token. The token lives in sessionStorage: it is gone
// when the tab closes, and no other site can read it.

const TOKEN_KEY = 'vigil.token';

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set(token) { sessionStorage.setItem(TOKEN_KEY, token); },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
};

/** A refusal or failure with the API's `{code, message}`. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Called when the server says the token no longer works. */
let onUnauthorized = () => {};
export function whenUnauthorized(callback) { onUnauthorized = callback; }

/**
 * Calls the API. `minPosition`: answer only once the read models show that event (the
 * position of a live event), so a refresh after an event never shows the state before it.
 */
export async function api(path, { method = 'GET', body, minPosition, token = session.token, signingIn = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let url = path;
  if (minPosition && method === 'GET') url += `${path.includes('?') ? '&' : '?'}min_position=${minPosition}`;
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', `the server cannot be reached (${e.message})`);
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!response.ok) {
    const message = data?.message ?? (typeof data === 'string' && data ? data : response.statusText);
    const error = new ApiError(response.status, data?.code ?? 'error', message);
    if (response.status === 401 && token && !signingIn) onUnauthorized(error);
    throw error;
  }
  return data;
}

/** Builds a query string from the entries that have a value. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
