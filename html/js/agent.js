// The agents' dashboard: availability, ringing offers, conversations in
// tabs (chat, page push, transfer, end).  Served at /agent/ behind the
// same authentication as the agent API, which it calls at /agent/...
// (<meta name="callcenter-agent-api">).

import {request, postOnUnload, EventStream, idTime} from './api.js';
import {ChatView} from './chat.js';
import {Whiteboard} from './whiteboard.js';
import {Voice} from './voice.js';
import {h, safeLink, formatDuration, formatTime} from './dom.js';
import {describeUserAgent} from './useragent.js';

function meta(name, fallback) {
  const el = document.querySelector(`meta[name="${name}"]`);
  return (el && el.content) || fallback;
}

const API = meta('callcenter-agent-api', '/agent').replace(/\/+$/, '');
const STATUS_URL = meta('callcenter-status', '/callcenter/status');
const STATUS_EVERY_MS = 5000;
const AGENT_EVENTS = ['status', 'offer', 'revoked', 'assigned', 'message', 'transferred', 'ended'];

const REVOKED_TEXT = {
  timeout: 'Not answered in time',
  rejected: 'Rejected',
  away: 'Withdrawn: you are away',
  absent: 'Withdrawn',
  hangup: 'The caller hung up',
};

const ENDED_TEXT = {
  hangup: 'The caller hung up.',
  agent_end: 'You ended the call.',
  abandoned: 'The caller left before the call was answered.',
  timeout: 'The call timed out.',
};

const callUrl = (id, action = '') => `${API}/calls/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------
// What the agent learns about a caller, as label/value rows.

const INFO_LABELS = {
  title: 'Page title',
  screen: 'Screen',
  viewport: 'Window',
  timezone: 'Time zone',
  languages: 'Languages',
  referrer: 'Referred by',
  cart: 'Cart',
};

function callerName(caller) {
  return (caller && typeof caller.name === 'string' && caller.name.trim()) || 'Visitor';
}

function asTime(value) {
  const n = Number(value);
  const d = Number.isFinite(n) && n > 0 ? new Date(n < 1e12 ? n * 1000 : n) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

function callerFacts(caller = {}, queue) {
  const rows = [];
  const add = (label, value) => {
    if (value !== undefined && value !== null && value !== '') rows.push([label, value]);
  };
  const str = (v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  add('Topic', str(caller.topic));
  add('Queue', str(queue || caller.queue));
  add('Page', caller.page ? safeLink(str(caller.page)) || str(caller.page) : '');
  // a call from the widget tells its page as referer too: said once
  if (caller.referer !== caller.page) add('Came from', caller.referer ? safeLink(str(caller.referer)) || str(caller.referer) : '');
  add('Language', str(caller.language));
  add('Browser', describeUserAgent(str(caller.user_agent)));
  add('IP address', str(caller.ip));
  const t = caller.time !== undefined ? asTime(caller.time) : null;
  if (t) add('Called at', `${formatTime(t)}`);
  if (Array.isArray(caller.skills) && caller.skills.length) add('Skills', caller.skills.map(str).join(', '));
  if (caller.info && typeof caller.info === 'object') {
    for (const [k, v] of Object.entries(caller.info)) add(INFO_LABELS[k] || k, str(v));
  }
  return rows;
}

function factsList(rows) {
  return h('dl', {class: 'facts'}, rows.map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
}

// ---------------------------------------------------------------------------
// Ringing: a short beep every two seconds and a flashing tab title while an
// offer waits.

class Ringer {
  constructor() {
    this.audio = null;
    this.title = document.title;
    this.count = 0;
    const unlock = () => {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!this.audio && Ctx) this.audio = new Ctx();
      if (this.audio && this.audio.state === 'suspended') this.audio.resume();
    };
    document.addEventListener('pointerdown', unlock, {capture: true});
    document.addEventListener('keydown', unlock, {capture: true});
  }

  set(count) {
    this.count = count;
    if (count > 0 && !this.timer) {
      this.tick = 0;
      this.ring();
      this.timer = setInterval(() => this.ring(), 1000);
    } else if (count === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      document.title = this.title;
    }
  }

  ring() {
    this.tick++;
    document.title = this.tick % 2
      ? `\u260e ${this.count === 1 ? 'Incoming call' : `${this.count} incoming calls`}` : this.title;
    if (this.tick % 2 === 1) this.beep();
  }

  beep() {
    const ctx = this.audio;
    if (!ctx || ctx.state !== 'running') return;
    const t = ctx.currentTime;
    for (const [start, freq] of [[0, 880], [0.18, 660]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + start);
      gain.gain.exponentialRampToValueAtTime(0.2, t + start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + start + 0.15);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t + start);
      osc.stop(t + start + 0.16);
    }
  }
}

// ---------------------------------------------------------------------------
// Offers: one card per ringing call, with accept/reject and a countdown.

class Offers {
  constructor(dashboard) {
    this.dashboard = dashboard;
    this.list = $('offers');
    this.empty = $('no-offers');
    this.cards = new Map();
    this.ringer = new Ringer();
  }

  add(data) {
    const id = data.call;
    this.remove(id);
    const expires = Date.now() + Math.max(0, Number(data.expires_in) || 0) * 1000;
    const caller = data.caller || {};
    const name = callerName(caller);
    const countdown = h('span', {class: 'countdown'});
    const meter = h('progress', {class: 'meter', max: Math.max(1, Number(data.expires_in) || 1), value: 0, 'aria-hidden': 'true'});
    const note = h('p', {class: 'offer-note', role: 'status'});
    const since = caller.time !== undefined ? asTime(caller.time) : null;
    const waited = h('span', {class: 'waited'});
    const accept = h('button', {type: 'button', class: 'btn btn-accept'}, 'Accept');
    const reject = h('button', {type: 'button', class: 'btn btn-reject'}, 'Reject');
    const headingId = `offer-${id}-name`;
    const card = h('li', {class: 'offer', 'aria-labelledby': headingId},
      h('div', {class: 'offer-head'},
        h('span', {class: 'ring-dot', 'aria-hidden': 'true'}),
        h('h3', {id: headingId}, name),
        countdown),
      meter,
      factsList([...(since ? [['Waiting', waited]] : []), ...callerFacts(caller, data.queue)]),
      note,
      h('div', {class: 'offer-actions'}, accept, reject));
    const entry = {card, expires, countdown, meter, note, accept, reject, since, waited, done: false};
    accept.addEventListener('click', () => this.answer(id, entry, 'accept'));
    reject.addEventListener('click', () => this.answer(id, entry, 'reject'));
    entry.timer = setInterval(() => this.tick(id, entry), 250);
    this.tick(id, entry);
    this.cards.set(id, entry);
    entry.notice = this.notify(id, name, data.queue, accept);
    this.list.append(card);
    this.update();
    if (this.cards.size === 1 && !document.activeElement?.closest('.chat-compose, .side-form')) accept.focus();
  }

  tick(id, entry) {
    const left = Math.max(0, Math.ceil((entry.expires - Date.now()) / 1000));
    entry.countdown.textContent = formatDuration(left);
    entry.countdown.setAttribute('aria-label', `${left} seconds left to answer`);
    entry.meter.value = left;
    if (entry.since) entry.waited.textContent = formatDuration((this.dashboard.serverNow() - entry.since) / 1000);
    if (left === 0 && !entry.done) this.close(id, 'Not answered in time');
  }

  // A system notification as well (when the agent allowed them, see
  // Dashboard.toggleAvailability); a click on it brings the offer forward.
  notify(id, name, queue, accept) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return null;
    const notice = new Notification('Incoming call', {
      body: queue ? `${name} \u00b7 ${queue}` : name,
      tag: `callcenter-offer-${id}`,
      requireInteraction: true,
    });
    notice.addEventListener('click', () => {
      window.focus();
      accept.focus();
      notice.close();
    });
    return notice;
  }

  async answer(id, entry, action) {
    entry.accept.disabled = true;
    entry.reject.disabled = true;
    entry.note.textContent = action === 'accept' ? 'Connecting\u2026' : 'Rejecting\u2026';
    // the assigned event may come before the answer: the tab opens selected
    // whichever is first
    if (action === 'accept') this.dashboard.focusNext = id;
    try {
      await request('POST', callUrl(id, action));
      if (action === 'accept') {
        if (this.dashboard.calls.has(id)) this.dashboard.open(id);
        this.close(id, 'Accepted', 600);
      } else {
        this.close(id, 'Rejected', 600);
      }
    } catch (err) {
      if (this.dashboard.focusNext === id) this.dashboard.focusNext = null;
      this.close(id, err.status === 409 || err.status === 404
        ? 'Too late: the call went elsewhere.' : `Failed: ${err.message}`);
    }
  }

  // Stop ringing this offer: say why, then take the card away.
  close(id, why, delay = 2500) {
    const entry = this.cards.get(id);
    if (!entry || entry.done) return;
    entry.done = true;
    clearInterval(entry.timer);
    entry.notice?.close();
    entry.accept.disabled = true;
    entry.reject.disabled = true;
    entry.card.classList.add('offer-done');
    if (why) entry.note.textContent = why;
    this.update();
    setTimeout(() => {
      if (this.cards.get(id) === entry) this.remove(id);
    }, delay);
  }

  remove(id) {
    const entry = this.cards.get(id);
    if (!entry) return;
    clearInterval(entry.timer);
    entry.notice?.close();
    const hadFocus = entry.card.contains(document.activeElement);
    entry.card.remove();
    this.cards.delete(id);
    this.update();
    if (hadFocus) this.dashboard.focusDefault();
  }

  update() {
    const ringing = [...this.cards.values()].filter((e) => !e.done).length;
    this.empty.hidden = this.cards.size > 0;
    this.ringer.set(ringing);
  }
}

// ---------------------------------------------------------------------------
// A conversation: one tab and its panel.

class Conversation {
  constructor(id, dashboard) {
    this.id = id;
    this.dashboard = dashboard;
    this.caller = {};
    this.assignedAt = 0;
    this.ended = false;
    this.loaded = false;
    this.pending = [];
    this.unread = 0;
    this.build();
  }

  build() {
    const id = this.id;
    const p = `call-${id}`;
    this.tabName = h('span', {class: 'tab-name'}, 'Visitor');
    this.badge = h('span', {class: 'badge', hidden: true});
    this.tab = h('button', {type: 'button', role: 'tab', id: `${p}-tab`, class: 'tab', 'aria-controls': `${p}-panel`,
      'aria-selected': 'false', tabindex: '-1', onclick: () => this.dashboard.select(id)},
    this.tabName, this.badge);

    this.heading = h('h2', {class: 'conv-title'}, 'Visitor');
    this.stateEl = h('p', {class: 'conv-state'}, 'Loading\u2026');
    this.chat = new ChatView(p, {
      label: 'Message to the caller',
      send: (message) => this.send(message),
      typingAllowed: () => !this.ended,
    });

    this.facts = h('div', {class: 'facts-wrap'});
    this.pushInput = h('input', {id: `${p}-url`, type: 'url', required: true, placeholder: 'https://\u2026'});
    this.pushForm = h('form', {class: 'side-form', onsubmit: (e) => { e.preventDefault(); this.pushPage(); }},
      h('label', {for: `${p}-url`}, 'Show the caller a page'),
      h('div', {class: 'row'}, this.pushInput, h('button', {type: 'submit', class: 'btn'}, 'Push')));
    this.transferKind = h('select', {id: `${p}-kind`, 'aria-label': 'Transfer to',
      onchange: () => this.transferTarget.setAttribute('list', this.transferKind.value === 'queue' ? 'queue-names' : 'agent-names')},
    h('option', {value: 'queue'}, 'Queue'), h('option', {value: 'agent'}, 'Agent'));
    this.transferTarget = h('input', {id: `${p}-target`, type: 'text', required: true, list: 'queue-names',
      autocomplete: 'off', placeholder: 'support', onfocus: () => this.dashboard.loadDirectory()});
    this.transferForm = h('form', {class: 'side-form', onsubmit: (e) => { e.preventDefault(); this.transfer(); }},
      h('label', {for: `${p}-target`}, 'Transfer the call'),
      h('div', {class: 'row'}, this.transferKind, this.transferTarget, h('button', {type: 'submit', class: 'btn'}, 'Transfer')));
    this.endBtn = h('button', {type: 'button', class: 'btn btn-danger', onclick: () => this.end()}, 'End call');
    this.closeBtn = h('button', {type: 'button', class: 'btn', hidden: true, onclick: () => this.dashboard.closeTab(this.id)}, 'Close this tab');
    this.actions = h('div', {class: 'side-actions'}, this.pushForm, this.transferForm, this.endBtn);
    this.board = new Whiteboard(p, {side: 'agent', label: 'Shared whiteboard', send: (message) => this.send(message)});
    this.board.setEnabled(true);
    this.voice = new Voice(p, {
      side: 'agent',
      polite: true,
      send: (message) => this.send(message),
      beacon: (message) => postOnUnload(callUrl(this.id, 'messages'), message),
    });
    this.voice.setEnabled(true);

    this.panel = h('section', {role: 'tabpanel', id: `${p}-panel`, class: 'conv', 'aria-labelledby': `${p}-tab`, hidden: true},
      h('div', {class: 'conv-main'},
        h('header', {class: 'conv-head'}, h('div', {}, this.heading, this.stateEl), this.closeBtn),
        this.voice.element, this.chat.log, this.chat.typingEl, this.chat.composer),
      h('aside', {class: 'conv-side', 'aria-label': 'Caller and actions'},
        h('h3', {}, 'Caller'), this.facts,
        h('section', {class: 'side-board', 'aria-labelledby': `${p}-board-title`},
          h('h3', {id: `${p}-board-title`}, 'Whiteboard'), this.board.element),
        this.actions));
  }

  // The call as the server has it: caller details and the transcript so
  // far.  Live messages that came meanwhile are shown after it, except
  // those the transcript already holds (their event_id is a transcript id).
  async load() {
    try {
      const call = await request('GET', callUrl(this.id));
      this.assignedAt = Number(call.assigned_at) || 0;
      this.setCaller(call.caller || {}, call.queue);
      const transcript = Array.isArray(call.transcript) ? call.transcript : [];
      // typing is no part of a history (older servers kept it)
      for (const m of transcript) if (!m.message || m.message.type !== 'typing') this.renderMessage(m, m.id);
      const held = new Set(transcript.map((m) => m.id));
      this.loaded = true;
      for (const [m, id] of this.pending) {
        if (!held.has(m.event_id)) this.renderMessage(m, id);
      }
      this.pending = [];
      if (call.state === 'ended') this.finish(ENDED_TEXT[call.reason] || 'The call has ended.');
      else if (!this.ended) this.stateEl.textContent = `In conversation \u00b7 ${call.queue || ''}`.replace(/ \u00b7 $/, '');
    } catch (err) {
      this.loaded = true;
      for (const [m, id] of this.pending) this.renderMessage(m, id);
      this.pending = [];
      this.chat.notice(`Could not load the call: ${err.message}`);
      if (err.status === 404) this.finish('This call is no longer yours.');
    }
  }

  setCaller(caller, queue) {
    this.caller = caller;
    const name = callerName(caller);
    this.tabName.textContent = name;
    this.heading.textContent = name;
    this.facts.replaceChildren(factsList(callerFacts(caller, queue)));
  }

  onMessage(data, id) {
    if (!this.loaded) {
      this.pending.push([data, id]);
      return;
    }
    this.renderMessage(data, id);
  }

  renderMessage(data, id) {
    const msg = data.message || {};
    const mine = data.from === 'agent';
    // an agent's line from before this agent had the call: a transfer's
    const t = idTime(id);
    const earlier = mine && t && t.getTime() < this.assignedAt;
    const who = earlier ? (data.agent && typeof data.agent.name === 'string' ? data.agent.name : 'Previous agent')
      : mine ? 'You' : callerName(this.caller);
    switch (msg.type) {
    case 'chat':
      if (!mine) this.chat.hideTyping();
      this.chat.line(who, String(msg.text ?? ''), mine ? 'me' : 'them', id);
      if (!mine) this.dashboard.noteUnread(this);
      break;
    case 'typing':
      if (!mine) this.chat.showTyping(who);
      break;
    case 'whiteboard':
      this.board.receive(data);
      break;
    case 'signal':
      this.voice.receive(data, id);
      break;
    case 'page': {
      const link = safeLink(msg.url, null);
      if (link) {
        this.chat.line(mine ? `${who} pushed a page` : `${who} shared a page`,
          h('p', {class: 'chat-bubble chat-push'}, link), mine ? 'me' : 'them', id);
      }
      break;
    }
    }
  }

  send(message) {
    return request('POST', callUrl(this.id, 'messages'), message);
  }

  async pushPage() {
    const link = safeLink(this.pushInput.value.trim(), null);
    if (!link) {
      this.chat.notice('Only http and https pages can be pushed.');
      return;
    }
    try {
      await this.send({type: 'page', url: link.href});
      this.pushInput.value = '';
    } catch (err) {
      this.chat.notice(`Page not pushed: ${err.message}`);
    }
  }

  async transfer() {
    const kind = this.transferKind.value;
    const target = this.transferTarget.value.trim();
    if (!target) return;
    try {
      await request('POST', callUrl(this.id, 'transfer'), {[kind]: target});
      this.transferTarget.value = '';
    } catch (err) {
      this.chat.notice(`Transfer failed: ${err.message}`);
    }
  }

  async end() {
    this.endBtn.disabled = true;
    try {
      await request('POST', callUrl(this.id, 'end'));
      this.finish(ENDED_TEXT.agent_end);
    } catch (err) {
      this.endBtn.disabled = false;
      this.chat.notice(`Could not end the call: ${err.message}`);
    }
  }

  // The call is no longer this agent's: the tab stays for reading.
  finish(text) {
    if (this.ended) return;
    this.ended = true;
    this.chat.setEnabled(false);
    this.board.setEnabled(false);
    this.voice.setEnabled(false);
    this.chat.notice(text);
    this.stateEl.textContent = 'Ended';
    this.tab.classList.add('tab-ended');
    this.actions.hidden = true;
    this.closeBtn.hidden = false;
    this.dashboard.updateCounts();
  }
}

// ---------------------------------------------------------------------------

class Dashboard {
  constructor() {
    this.offers = new Offers(this);
    this.calls = new Map();
    this.selected = null;
    this.focusNext = null;
    this.status = null;
    this.myQueues = null;
    this.lastStatus = null;
    this.clockOffset = 0;
    this.tabs = $('tabs');
    this.panels = $('panels');
    this.emptyCalls = $('no-calls');
    this.conn = $('connection');
    this.availability = $('availability');
    this.availability.addEventListener('click', () => this.toggleAvailability());
    this.tabs.addEventListener('keydown', (e) => this.tabKeys(e));
    this.stream = new EventStream(`${API}/events`, AGENT_EVENTS, {
      onEvent: (name, data, id) => this.onEvent(name, data, id),
      onState: (state) => this.onStreamState(state),
    });
  }

  start() {
    this.stream.start();
    this.pollStatus();
  }

  // Now on the server's clock (the callers' times are the server's).
  serverNow() {
    return Date.now() + this.clockOffset;
  }

  // The status page every few seconds: the figures of the agent's own
  // queues in the header, and the server's clock.
  async pollStatus() {
    const figures = $('queue-figures');
    try {
      const sent = Date.now();
      const status = await request('GET', STATUS_URL);
      this.clockOffset = Number(status.time) - (sent + Date.now()) / 2 || 0;
      this.showQueues(status);
      figures.classList.remove('stale');
    } catch {
      figures.classList.add('stale');
    } finally {
      setTimeout(() => this.pollStatus(), STATUS_EVERY_MS);
    }
  }

  showQueues(status) {
    this.lastStatus = status;
    const queues = status.queues && typeof status.queues === 'object' ? status.queues : {};
    // the agent's own queues, known from its first status event
    const own = this.myQueues || Object.keys(queues);
    const n = (v) => String(Math.max(0, Number(v) || 0));
    $('queue-figures').replaceChildren(...own.filter((q) => queues[q]).map((q) => {
      const f = queues[q];
      const waiting = Number(f.waiting) > 0;
      return h('li', {class: waiting ? 'qf qf-waiting' : 'qf'},
        h('span', {class: 'qf-name'}, q), ' ',
        h('strong', {}, n(f.waiting)), ' waiting',
        waiting ? [' \u00b7 longest ', h('strong', {}, formatDuration(f.longest_wait))] : null,
        ' \u00b7 ', h('strong', {}, n(f.agents_available)), ' free');
    }));
  }

  onStreamState(state) {
    const text = {connecting: 'Connecting\u2026', open: 'Connected', reconnecting: 'Reconnecting\u2026'}[state] || state;
    this.conn.textContent = text;
    this.conn.dataset.state = state;
  }

  onEvent(name, data, id) {
    if (!data || typeof data !== 'object') return;
    const conv = data.call ? this.calls.get(data.call) : null;
    switch (name) {
    case 'status':
      if (data.agent && typeof data.agent === 'object') this.setIdentity(data.agent);
      this.setStatus(data.status);
      break;
    case 'offer':
      this.offers.add(data);
      break;
    case 'revoked':
      this.offers.close(data.call, REVOKED_TEXT[data.reason] || 'Withdrawn');
      break;
    case 'assigned':
      this.offers.remove(data.call);
      if (data.agent) this.setIdentity(data.agent);
      this.open(data.call);
      break;
    case 'message':
      if (conv) conv.onMessage(data, id);
      break;
    case 'transferred':
      if (conv) conv.finish(data.to && data.to.agent
        ? `Transferred to ${data.to.agent.name || data.to.agent.id || 'a colleague'}.`
        : `Transferred to the ${data.to && data.to.queue ? data.to.queue : 'other'} queue.`);
      break;
    case 'ended':
      this.offers.close(data.call, ENDED_TEXT[data.reason] || 'Ended');
      if (conv) conv.finish(ENDED_TEXT[data.reason] || 'The call has ended.');
      break;
    }
  }

  setIdentity(agent) {
    if (Array.isArray(agent.queues)) {
      this.myQueues = agent.queues.map(String);
      if (this.lastStatus) this.showQueues(this.lastStatus);
    }
    $('identity').textContent = agent.name || agent.id || '';
  }

  setStatus(status) {
    this.status = status;
    const available = status === 'available';
    this.availability.setAttribute('aria-checked', String(available));
    this.availability.disabled = false;
    $('availability-text').textContent = available ? 'Available' : status === 'away' ? 'Away' : String(status || '');
  }

  async toggleAvailability() {
    const next = this.status === 'available' ? 'away' : 'available';
    // offers notify too, if the agent agrees: asked once, on this click
    if (next === 'available' && 'Notification' in window && Notification.permission === 'default') {
      Notification.requestPermission().catch(() => {});
    }
    this.availability.disabled = true;
    try {
      await request('POST', `${API}/status`, {status: next});
      this.setStatus(next);
    } catch (err) {
      this.availability.disabled = false;
      $('availability-text').textContent = `Not changed: ${err.message}`;
    }
  }

  open(id) {
    let conv = this.calls.get(id);
    if (conv && conv.ended) {
      // offered again (a transfer back): a fresh tab
      this.closeTab(id);
      conv = null;
    }
    if (!conv) {
      conv = new Conversation(id, this);
      this.calls.set(id, conv);
      this.tabs.append(conv.tab);
      this.panels.append(conv.panel);
      conv.load();
    }
    this.updateCounts();
    if (!this.selected || this.focusNext === id) this.select(id, this.focusNext === id);
    if (this.focusNext === id) this.focusNext = null;
  }

  select(id, focusComposer = false) {
    for (const [cid, conv] of this.calls) {
      const on = cid === id;
      conv.tab.setAttribute('aria-selected', String(on));
      conv.tab.tabIndex = on ? 0 : -1;
      conv.panel.hidden = !on;
      if (on) {
        conv.unread = 0;
        conv.badge.hidden = true;
      }
    }
    this.selected = id;
    if (focusComposer) this.calls.get(id)?.chat.focus();
  }

  closeTab(id) {
    const conv = this.calls.get(id);
    if (!conv) return;
    conv.tab.remove();
    conv.panel.remove();
    this.calls.delete(id);
    if (this.selected === id) {
      this.selected = null;
      const next = this.calls.keys().next();
      if (!next.done) this.select(next.value);
    }
    this.updateCounts();
    this.focusDefault();
  }

  focusDefault() {
    const conv = this.selected && this.calls.get(this.selected);
    (conv ? conv.tab : this.availability).focus();
  }

  tabKeys(e) {
    const ids = [...this.calls.keys()];
    const at = ids.indexOf(this.selected);
    let to = null;
    if (e.key === 'ArrowRight') to = ids[(at + 1) % ids.length];
    else if (e.key === 'ArrowLeft') to = ids[(at - 1 + ids.length) % ids.length];
    else if (e.key === 'Home') to = ids[0];
    else if (e.key === 'End') to = ids[ids.length - 1];
    if (to === null || to === undefined) return;
    e.preventDefault();
    this.select(to);
    this.calls.get(to).tab.focus();
  }

  noteUnread(conv) {
    if (conv.id === this.selected && document.visibilityState === 'visible') return;
    conv.unread++;
    conv.badge.textContent = String(conv.unread);
    conv.badge.setAttribute('aria-label', `${conv.unread} unread`);
    conv.badge.hidden = conv.id === this.selected;
  }

  updateCounts() {
    const active = [...this.calls.values()].filter((c) => !c.ended).length;
    this.emptyCalls.hidden = this.calls.size > 0;
    $('active-count').textContent = active ? `${active} active` : '';
  }

  // Queue and agent names for the transfer form, from the status page.
  async loadDirectory() {
    if (this.directoryAt && Date.now() - this.directoryAt < 10000) return;
    this.directoryAt = Date.now();
    try {
      const status = await request('GET', STATUS_URL);
      const queues = status && status.queues && typeof status.queues === 'object' ? Object.keys(status.queues) : [];
      const agents = status && status.agents && typeof status.agents === 'object' ? Object.entries(status.agents) : [];
      $('queue-names').replaceChildren(...queues.map((q) => h('option', {value: q})));
      $('agent-names').replaceChildren(...agents.map(([aid, a]) =>
        h('option', {value: aid}, `${(a && a.name) || aid} \u2014 ${(a && a.status) || ''}`)));
    } catch {
      // names are a convenience: typing one works as well
    }
  }
}

new Dashboard().start();
