// HTTP and server-sent-events plumbing shared by the caller widget, the
// caller page and the agents' dashboard (see PROTOCOL.md).

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// JSON request; resolves with the parsed answer (or null), rejects with an
// HttpError carrying the server's {"error": …} text.  headers: extra ones.
export async function request(method, url, body, headers = {}) {
  const init = {method, headers: {Accept: 'application/json', ...headers}, credentials: 'same-origin'};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new HttpError(0, 'The server cannot be reached.');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const message = data && typeof data.error === 'string' ? data.error : `HTTP ${res.status}`;
    throw new HttpError(res.status, message);
  }
  return data;
}

// A JSON POST that must go out while the page unloads (the voice's
// "bye"): a keepalive fetch, which, unlike sendBeacon, sends headers.
export function postOnUnload(url, body, headers = {}) {
  fetch(url, {
    method: 'POST', keepalive: true, credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', ...headers},
    body: JSON.stringify(body),
  }).catch(() => {});
}

// Event ids are Redis stream ids, "MS-SEQ".  -1, 0, 1 like a comparator.
export function compareIds(a, b) {
  const [am, as = '0'] = String(a).split('-');
  const [bm, bs = '0'] = String(b).split('-');
  const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

function validId(id) {
  return typeof id === 'string' && /^\d+(-\d+)?$/.test(id);
}

// The time an event was written, from its id; null when unknown.
export function idTime(id) {
  return validId(id) ? new Date(Number(id.split('-')[0])) : null;
}

function withParam(url, name, value) {
  const u = new URL(url, location.href);
  u.searchParams.set(name, value);
  return u.href;
}

// An EventSource that never gives up.  The browser reconnects by itself
// (sending Last-Event-ID); when it closes the stream for good (an HTTP
// error, nginx restarting) a new one starts from ?last_event_id= of the
// last event seen, after a growing delay.  Events older than the last one
// seen are dropped, so a handler never sees one twice.  The window's
// offline event drops the stream at once ('reconnecting'), its online event
// resumes it from the last event seen.
//
// options.onEvent(name, data, id), options.onState('connecting' | 'open' |
// 'reconnecting' | 'gone'); options.probe(url) → Promise<boolean>, asked
// before a new start: false means the stream is gone for good.
export class EventStream {
  constructor(url, names, options) {
    this.url = url;
    this.names = names;
    this.options = options;
    this.lastId = null;
    this.source = null;
    this.retryDelay = 1000;
    this.timer = null;
    this.stopped = false;
    // The browser knows the network is gone before the stream does (a dead
    // connection can look open for minutes): drop it at once, and start
    // again from the last event seen when the network is back.
    this.onOffline = () => {
      clearTimeout(this.timer);
      if (this.source) this.source.close();
      this.source = null;
      this.setState('reconnecting');
    };
    this.onOnline = () => {
      clearTimeout(this.timer);
      if (this.source) this.source.close();
      this.retryDelay = 1000;
      this.open();
    };
  }

  start(lastId = null) {
    this.lastId = lastId;
    this.stopped = false;
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('online', this.onOnline);
    this.open();
  }

  close() {
    this.stopped = true;
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.timer);
    if (this.source) this.source.close();
    this.source = null;
  }

  open() {
    const url = this.lastId ? withParam(this.url, 'last_event_id', this.lastId) : this.url;
    const source = new EventSource(url);
    this.source = source;
    this.setState('connecting');
    source.onopen = () => {
      this.retryDelay = 1000;
      this.setState('open');
    };
    source.onerror = () => {
      if (this.source !== source) return;
      this.setState('reconnecting');
      if (source.readyState === EventSource.CLOSED) this.restart();
    };
    for (const name of this.names) {
      source.addEventListener(name, (e) => this.deliver(name, e));
    }
  }

  deliver(name, e) {
    const id = e.lastEventId;
    if (validId(id)) {
      if (this.lastId && compareIds(id, this.lastId) < 0) return;
      this.lastId = id;
    }
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    this.options.onEvent(name, data, id);
  }

  restart() {
    this.source.close();
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      if (this.stopped) return;
      if (this.options.probe && !(await this.options.probe(this.url))) {
        this.close();
        this.setState('gone');
        return;
      }
      if (!this.stopped) this.open();
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 15000);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    if (this.options.onState) this.options.onState(state);
  }
}

// The caller's side of the API, rooted at the caller location ("/call").
export class CallerApi {
  constructor(endpoint = '/call') {
    this.endpoint = endpoint.replace(/\/+$/, '');
  }

  create(body) {
    return request('POST', this.endpoint, body);
  }

  callUrl(session, action) {
    return new URL(`${this.endpoint}/${encodeURIComponent(session.call)}/${action}`, location.href).href;
  }

  // The token goes in a header, out of the URL (and so out of access logs)...
  tokenHeader(session) {
    return {'X-Call-Token': session.token};
  }

  // ...except on the event stream: EventSource cannot send headers, so the
  // stream's URL carries ?token= (conf/ logs the /call location without
  // query strings).
  eventsUrl(session) {
    return withParam(session.events || this.callUrl(session, 'events'), 'token', session.token);
  }

  send(session, message) {
    return request('POST', this.callUrl(session, 'messages'), message, this.tokenHeader(session));
  }

  sendOnUnload(session, message) {
    postOnUnload(this.callUrl(session, 'messages'), message, this.tokenHeader(session));
  }

  hangup(session) {
    return request('POST', this.callUrl(session, 'hangup'), undefined, this.tokenHeader(session));
  }

  // Whether the call's stream still answers: false once the token is
  // refused (the call expired), true otherwise (a network error is worth
  // another try).
  async probe(url) {
    const ctl = new AbortController();
    try {
      const res = await fetch(url, {signal: ctl.signal, headers: {Accept: 'text/event-stream'}});
      return !(res.status === 403 || res.status === 404);
    } catch {
      return true;
    } finally {
      ctl.abort();
    }
  }
}

// The call in progress in this browser tab, kept across reloads and pages
// of the same site: {call, token, queue, events?, open?}.
const SESSION_KEY = 'callcenter.call';

export const callerSession = {
  load() {
    try {
      const s = JSON.parse(sessionStorage.getItem(SESSION_KEY));
      return s && typeof s.call === 'string' && typeof s.token === 'string' ? s : null;
    } catch {
      return null;
    }
  },
  save(session) {
    try {
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    } catch {
      // storage refused (private mode, quota): the call just won't survive a reload
    }
  },
  clear() {
    try {
      sessionStorage.removeItem(SESSION_KEY);
    } catch {
      // nothing stored
    }
  },
};
