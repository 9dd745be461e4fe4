// The live feed: one WebSocket to `/api/v1/stream`, reconnecting on its own and resuming from
// the last position it saw, so that no event is missed across a disconnect. Pages subscribe to
// the events; nothing polls.

const PROTOCOL = 'vigil.stream.v1';

export class Live {
  constructor(token, onStatus) {
    this.token = token;
    this.onStatus = onStatus;
    this.position = null; // the last position seen (events, or caught up through)
    this.listeners = new Set();
    this.received = 0;
    this.attempt = 0;
    this.paused = false;
    this.socket = null;
    this.lastClose = null;
  }

  /** Calls `listener(message)` for every event; returns the unsubscribe function. */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start() {
    this.paused = false;
    this.open();
  }

  /** Closes the socket and stays offline until `resume()` (used to check catch-up). */
  pause() {
    this.paused = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000, 'paused');
    this.status('paused', 'paused');
  }

  resume() {
    if (!this.paused) return;
    this.paused = false;
    this.open();
  }

  stop() {
    this.paused = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000, 'signed out');
  }

  open() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const from = this.position === null ? '' : `?from=${this.position}`;
    this.status('reconnecting', this.position === null ? 'connecting…' : `reconnecting from ${this.position}…`);
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/stream${from}`, [PROTOCOL, `vigil.token.${this.token}`]);
    this.socket = socket;
    socket.onmessage = (e) => this.message(JSON.parse(e.data));
    socket.onclose = (e) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.lastClose = { code: e.code, reason: e.reason };
      // A close reason names where to resume ("reconnect with from=N"); it is never ahead of
      // what was seen here, but take it if this page saw nothing yet.
      const resume = /from=(\d+)/.exec(e.reason || '');
      if (resume && this.position === null) this.position = Number(resume[1]);
      if (this.paused) return;
      const delay = Math.min(10000, 250 * 2 ** this.attempt++);
      this.status('reconnecting', `${e.reason || 'disconnected'}; retrying in ${Math.round(delay / 1000)} s`);
      this.timer = setTimeout(() => this.open(), delay);
    };
  }

  message(m) {
    switch (m.type) {
      case 'welcome':
        if (this.position === null) this.position = m.from;
        break;
      case 'event':
        this.position = Math.max(this.position ?? 0, m.position);
        this.received++;
        for (const listener of this.listeners) {
          try { listener(m); } catch (e) { console.error(e); }
        }
        break;
      case 'caught_up':
        this.position = Math.max(this.position ?? 0, m.position);
        this.attempt = 0;
        this.status('live', `live · ${this.position}`);
        break;
      case 'error':
        console.warn('stream:', m.message);
        break;
      default:
        break;
    }
    if (m.type === 'event' && this.state === 'live') this.status('live', `live · ${this.position}`);
  }

  status(state, text) {
    this.state = state;
    this.onStatus?.(state, text);
  }
}
