// The shell: sign-in, navigation (hash routes, so every page is a link and the back button
// works), the live feed, and the page in view.

import { api, session, whenUnauthorized } from './api.js';
import { Live } from './live.js';
import { h, replace, failure, toast } from './dom.js';
import { landscapePages } from './landscape.js';
import { operationsPages } from './operations.js';
import { signIn } from './pages.js';

const pages = { ...landscapePages, ...operationsPages };

/** The navigation: page, label, the read the policy must allow for it to be offered. */
const NAV = [
  ['overview', 'Overview', 'ReadHosts'],
  ['hosts', 'Hosts', 'ReadHosts'],
  ['clusters', 'Clusters', 'ReadClusters'],
  ['sap_systems', 'SAP systems', 'ReadSapSystems'],
  ['databases', 'Databases', 'ReadDatabases'],
  ['events', 'Events', 'ReadEvents'],
  ['actions', 'Actions', 'ReadActions'],
  ['audit', 'Audit', 'ReadAudit'],
  ['activity', 'Activity', 'ReadAudit'],
  ['policies', 'Policies', 'ReadPolicies'],
];

const state = { me: null, live: null, leave: [] };
const main = document.getElementById('main');

/** What a page gets: where to draw, who is signed in, and the live feed. */
function context() {
  const leave = state.leave;
  return {
    main,
    me: state.me,
    live: state.live,
    can: (action) => state.me?.allowed?.[action] === true,
    /** Calls `listener` for each live event while the page is shown. */
    onEvent(listener) { leave.push(state.live.subscribe(listener)); },
    /**
     * Re-runs `refresh(minPosition)` when an event `matches`, at most every 200 ms, with the
     * highest position seen so the read shows that event.
     */
    refreshOn(matches, refresh) {
      let pending = null;
      let timer = null;
      this.onEvent((m) => {
        if (!matches(m)) return;
        pending = Math.max(pending ?? 0, m.position);
        if (timer) return;
        timer = setTimeout(async () => {
          const position = pending;
          pending = null;
          timer = null;
          try { await refresh(position); } catch (e) { console.error(e); }
        }, 200);
      });
      leave.push(() => clearTimeout(timer));
    },
  };
}

async function route() {
  for (const off of state.leave.splice(0)) off();
  if (!session.token || !state.me) return showSignIn();
  const [name, ...rest] = (location.hash.replace(/^#\/?/, '') || 'overview').split('/');
  const page = pages[name];
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!page) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No page ', h('code', {}, location.hash), '. ', h('a', { href: '#/overview' }, 'Go to the overview')));
    return;
  }
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    await page(context(), ...rest.map(decodeURIComponent));
  } catch (e) {
    replace(main, h('h1', {}, 'Something went wrong'), failure(e));
  }
  document.title = `${main.querySelector('h1')?.textContent ?? 'Vigil'} · Vigil`;
}

function showSignIn(message) {
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('who').textContent = '';
  signIn(main, message, async (token) => {
    session.set(token);
    await start(true);
  });
}

/** Signs in with the stored token: asks who it is and what it may do, then shows the shell. */
async function start(fresh) {
  try {
    state.me = await api('/api/v1/' + (fresh ? 'sessions' : 'me'), { method: fresh ? 'POST' : 'GET', signingIn: true });
  } catch (e) {
    session.clear();
    state.me = null;
    throw e;
  }
  const nav = document.getElementById('nav');
  replace(nav, NAV.filter(([, , read]) => state.me.allowed[read]).map(([page, label]) => h('a', { href: `#/${page}`, 'data-page': page }, label)));
  nav.hidden = false;
  const who = state.me.principal;
  document.getElementById('who').textContent = `${who.id.slice(0, 8)} (${who.roles.join(', ') || who.kind})`;
  document.getElementById('sign-out').hidden = false;
  state.live?.stop();
  const indicator = document.getElementById('live');
  state.live = new Live(session.token, (s, text) => { indicator.dataset.state = s; indicator.textContent = text; });
  // For the browser tests and the curious: the feed's position and a way to go offline.
  window.vigil = { live: state.live };
  if (state.me.allowed.ReadEvents) state.live.start();
  else { indicator.textContent = 'no live updates (ReadEvents not allowed)'; }
  await route();
}

function signOut() {
  state.live?.stop();
  state.live = null;
  state.me = null;
  session.clear();
  location.hash = '#/overview';
  showSignIn('Signed out.');
}

whenUnauthorized(() => {
  state.live?.stop();
  state.me = null;
  session.clear();
  showSignIn('Your token is no longer valid (expired or revoked): sign in again.');
});

document.getElementById('sign-out').addEventListener('click', signOut);
document.querySelector('.menu-toggle').addEventListener('click', (e) => {
  const nav = document.getElementById('nav');
  const open = nav.classList.toggle('open');
  e.currentTarget.setAttribute('aria-expanded', String(open));
});
window.addEventListener('hashchange', () => {
  document.getElementById('nav').classList.remove('open');
  route().then(() => main.focus({ preventScroll: true }));
});

if (session.token) {
  start(false).catch((e) => showSignIn(e.status === 401 ? 'Your token is no longer valid: sign in again.' : e.message));
} else {
  showSignIn();
}

export { toast };
