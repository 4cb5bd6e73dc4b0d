// The caller's conversation: pre-chat form, place in line (or, with no
// agent available or the queue closed, a message to leave), chat with the agent, voice, the
// shared whiteboard, pages the agent pushes, hang-up.  One code base for the widget
// that callcenter.js puts on a site (inside a shadow root) and for the
// full-page call.html.

import {CallerApi, EventStream, callerSession, idTime} from './api.js';
import {ChatView} from './chat.js';
import {Whiteboard} from './whiteboard.js';
import {Voice} from './voice.js';
import {h, safeLink, formatWait, formatOpening} from './dom.js';

const CALLER_EVENTS = ['queued', 'assigned', 'message', 'transferred', 'ended'];

const END_TEXT = {
  hangup: 'You ended the conversation.',
  abandoned: 'You left the queue.',
  timeout: 'The conversation timed out.',
};

// The message form's title and words: with nobody available, or outside
// the queue's hours.
const AWAY_TEXT = {
  away: ['Nobody is available right now',
    'Leave a message and we\u2019ll get back to you, or keep waiting for the next agent.'],
  closed: ['We\u2019re closed now',
    'Leave a message and we\u2019ll get back to you: it keeps your place in line, and the first agent reads it when we open.'],
};

// setTimeout's longest delay
const MAX_DELAY = 2 ** 31 - 1;

// An email address or a phone number (6+ digits), loosely
const CONTACT_RE = /^(?:[^\s@]+@[^\s@]+\.[^\s@]+|\+?[\d\s().\/-]+)$/;

let uid = 0;

// What the page can tell about the visitor, as string fields.
export function pageInfo(extra = {}) {
  const info = {
    title: document.title,
    screen: `${screen.width}x${screen.height}`,
    viewport: `${innerWidth}x${innerHeight}`,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || '',
    languages: (navigator.languages || [navigator.language]).join(', '),
  };
  for (const [k, v] of Object.entries(extra)) info[k] = String(v);
  return info;
}

export class CallerConversation {
  // options: endpoint ("/call"), queue, info (extra string fields),
  // title, layout ("floating" | "page"), onMinimize (the minimize
  // button), prechat (offer a new conversation after one ends).
  constructor(options) {
    this.options = {endpoint: '/call', queue: 'default', title: 'Talk to us', layout: 'floating', ...options};
    this.api = new CallerApi(this.options.endpoint);
    this.session = null;
    this.stream = null;
    // the server's clock minus this one's, at least (from event ids)
    this.clockOffset = 0;
    this.id = `cc${++uid}`;
    this.element = this.build();
  }

  build() {
    const id = this.id;
    const o = this.options;
    this.titleEl = h('h2', {id: `${id}-title`, class: 'cc-title'}, o.title);
    this.statusEl = h('p', {class: 'cc-status', role: 'status'}, 'We usually answer within minutes.');
    this.minimizeBtn = o.onMinimize
      ? h('button', {type: 'button', class: 'cc-icon-btn', 'aria-label': 'Minimize', title: 'Minimize', onclick: o.onMinimize}, '\u2013')
      : null;
    this.banner = h('p', {class: 'cc-banner', role: 'alert', hidden: true}, 'Connection lost. Reconnecting\u2026');

    this.prechat = this.buildPrechat();
    this.conversation = this.buildConversation();

    return h('section', {
      class: `cc-box cc-${o.layout}`,
      role: o.layout === 'floating' ? 'dialog' : 'region',
      'aria-labelledby': `${id}-title`,
    },
    h('header', {class: 'cc-head'},
      h('div', {class: 'cc-head-text'}, this.titleEl, this.statusEl),
      this.minimizeBtn),
    this.banner,
    this.prechat,
    this.conversation);
  }

  buildPrechat() {
    const id = this.id;
    this.nameInput = h('input', {id: `${id}-name`, name: 'name', type: 'text', autocomplete: 'name', maxlength: 100});
    this.topicInput = h('input', {id: `${id}-topic`, name: 'topic', type: 'text', maxlength: 200});
    this.startBtn = h('button', {type: 'submit', class: 'btn btn-primary'}, 'Start conversation');
    this.prechatError = h('p', {class: 'cc-error', role: 'alert', hidden: true});
    return h('form', {class: 'cc-prechat', onsubmit: (e) => { e.preventDefault(); this.startCall(); }},
      h('p', {class: 'cc-intro'}, 'Tell us who you are and what it is about, or just start: both are optional.'),
      h('label', {for: `${id}-name`}, 'Your name'),
      this.nameInput,
      h('label', {for: `${id}-topic`}, 'What is it about?'),
      this.topicInput,
      this.prechatError,
      this.startBtn);
  }

  buildConversation() {
    this.chat = new ChatView(this.id, {
      label: 'Message',
      send: (message) => this.api.send(this.session, message),
      typingAllowed: () => this.assigned,
    });
    this.board = new Whiteboard(this.id, {
      side: 'caller',
      label: 'Shared whiteboard',
      send: (message) => this.api.send(this.session, message),
    });
    this.voice = new Voice(this.id, {
      side: 'caller',
      polite: false,
      send: (message) => this.api.send(this.session, message),
      beacon: (message) => this.api.sendOnUnload(this.session, message),
    });
    this.boardBox = h('details', {class: 'cc-board'}, h('summary', {}, 'Whiteboard'), this.board.element);
    this.buildAway();
    this.hangupBtn = h('button', {type: 'button', class: 'btn btn-danger', onclick: () => this.hangup()}, 'Leave the queue');
    this.newBtn = h('button', {type: 'button', class: 'btn', hidden: true, onclick: () => this.reset()}, 'Start a new conversation');
    return h('div', {class: 'cc-conversation', hidden: true},
      this.voice.element, this.chat.log, this.chat.typingEl, this.awayForm, this.thanks, this.chat.composer, this.boardBox,
      h('div', {class: 'cc-actions'}, this.hangupBtn, this.newBtn));
  }

  // Nobody to answer: the message to leave (sent as a chat line the agent
  // who takes the call reads first), or "Keep waiting".  Then thanks.
  buildAway() {
    const id = this.id;
    this.awayText = h('textarea', {id: `${id}-away-msg`, rows: 3, maxlength: 2000, required: true});
    this.awayContact = h('input', {id: `${id}-away-contact`, type: 'text', maxlength: 200,
      'aria-describedby': `${id}-away-hint`});
    this.awayError = h('p', {id: `${id}-away-error`, class: 'cc-error', role: 'alert', hidden: true});
    this.awaySend = h('button', {type: 'submit', class: 'btn btn-primary'}, 'Send message');
    this.awayForm = h('form', {class: 'cc-away', hidden: true, 'aria-labelledby': `${id}-away-title`, novalidate: true,
      onsubmit: (e) => { e.preventDefault(); this.leaveMessage(); }},
    this.awayTitle = h('h3', {id: `${id}-away-title`, class: 'cc-away-title'}, AWAY_TEXT.away[0]),
    this.awayIntro = h('p', {class: 'cc-intro'}, AWAY_TEXT.away[1]),
    h('label', {for: `${id}-away-msg`}, 'Your message'),
    this.awayText,
    h('label', {for: `${id}-away-contact`}, 'Email or phone (optional)'),
    this.awayContact,
    h('p', {id: `${id}-away-hint`, class: 'cc-hint'}, 'So that we can get back to you.'),
    this.awayError,
    h('div', {class: 'cc-away-actions'},
      h('button', {type: 'button', class: 'btn', onclick: () => this.keepWaiting()}, 'Keep waiting'),
      this.awaySend));
    this.thanksClose = this.options.onMinimize
      ? h('button', {type: 'button', class: 'btn', onclick: () => { this.thanks.hidden = true; this.options.onMinimize(); }}, 'Close')
      : null;
    this.thanks = h('div', {class: 'cc-thanks', role: 'status', tabindex: -1, hidden: true});
  }

  // The latest place in line: with no agent available ('away') or the
  // queue closed ('closed'), the form (unless this call already has a
  // message from the caller, or the caller chose to wait).
  offerMessage(kind) {
    const show = Boolean(kind) && !this.messageLeft && !this.session.waiting;
    if (kind) {
      this.awayTitle.textContent = AWAY_TEXT[kind][0];
      this.awayIntro.textContent = AWAY_TEXT[kind][1];
    }
    if (show === !this.awayForm.hidden) return;
    if (!show) return this.hideAway();
    const root = this.element.getRootNode();
    const moveFocus = root.activeElement === this.chat.textarea;
    this.awayForm.hidden = false;
    this.chat.composer.hidden = true;
    this.boardBox.hidden = true;
    if (moveFocus) this.awayText.focus();
  }

  hideAway() {
    const root = this.element.getRootNode();
    const hadFocus = this.awayForm.contains(root.activeElement);
    this.awayForm.hidden = true;
    this.awayError.hidden = true;
    this.chat.composer.hidden = this.chat.disabled;
    this.boardBox.hidden = false;
    if (hadFocus && !this.chat.disabled) this.chat.focus();
  }

  keepWaiting() {
    this.session.waiting = true;
    const stored = callerSession.load();
    if (stored) callerSession.save({...stored, waiting: true});
    this.hideAway();
    this.chat.focus();
  }

  async leaveMessage() {
    const text = this.awayText.value.trim();
    const contact = this.awayContact.value.trim();
    const digits = contact.replace(/\D/g, '').length;
    const problem = !text ? [this.awayText, 'Please write your message.']
      : contact && !(CONTACT_RE.test(contact) && (contact.includes('@') || digits >= 6))
        ? [this.awayContact, 'Please give an email address or a phone number, or leave the field empty.'] : null;
    for (const field of [this.awayText, this.awayContact]) {
      field.toggleAttribute('aria-invalid', problem !== null && field === problem[0]);
      field.setAttribute('aria-errormessage', this.awayError.id);
    }
    if (problem) {
      this.awayError.textContent = problem[1];
      this.awayError.hidden = false;
      problem[0].focus();
      return;
    }
    this.awaySend.disabled = true;
    try {
      await this.api.send(this.session, {type: 'chat', text: contact ? `Message: ${text}\nContact: ${contact}` : `Message: ${text}`});
      this.messageLeft = true;
      this.awayText.value = '';
      this.awayContact.value = '';
      this.hideAway();
      this.thanks.replaceChildren(
        h('p', {class: 'cc-thanks-title'}, 'Thanks \u2014 we\u2019ll get back to you.'),
        h('p', {}, `Your message keeps your place in line: the first agent ${this.isClosed() ? 'reads it when we open' : 'free reads it'}. You may close this `
          + (this.thanksClose ? 'window.' : 'page.')),
        this.thanksClose);
      this.thanks.hidden = false;
      (this.thanksClose || this.thanks).focus();
    } catch (err) {
      this.awayError.textContent = `Not sent: ${err.message}`;
      this.awayError.hidden = false;
    } finally {
      this.awaySend.disabled = false;
    }
  }

  // Show the form, or the call this tab already has.
  mount() {
    const session = callerSession.load();
    if (session) this.resume(session);
    else this.showPrechat();
  }

  showPrechat() {
    this.prechat.hidden = false;
    this.conversation.hidden = true;
    this.setStatus('We usually answer within minutes.');
  }

  focus() {
    const target = !this.prechat.hidden ? this.nameInput
      : !this.awayForm.hidden ? this.awayText
        : !this.ended ? this.chat.textarea : this.newBtn.hidden ? this.hangupBtn : this.newBtn;
    target.focus();
  }

  async startCall() {
    this.startBtn.disabled = true;
    this.prechatError.hidden = true;
    const body = {queue: this.options.queue, page: location.href, info: pageInfo(this.options.info)};
    const name = this.nameInput.value.trim();
    const topic = this.topicInput.value.trim();
    if (name) body.name = name;
    if (topic) body.topic = topic;
    try {
      const answer = await this.api.create(body);
      const session = {call: answer.call, token: answer.token, queue: answer.queue || this.options.queue, open: true};
      if (answer.events) session.events = answer.events;
      callerSession.save(session);
      this.resume(session);
      // the answer tells the place in line (and closed hours) before the
      // stream's first queued event
      if (answer.status) this.onQueued(answer);
      this.focus();
    } catch (err) {
      this.prechatError.textContent = err.status === 503
        ? 'We cannot take calls right now. Please try again in a moment.'
        : `Sorry, the call could not start (${err.message}).`;
      this.prechatError.hidden = false;
    } finally {
      this.startBtn.disabled = false;
    }
  }

  // Connect to a call: the whole conversation is replayed from its start.
  resume(session) {
    this.session = session;
    this.agentName = null;
    this.assigned = false;
    this.ended = false;
    this.messageLeft = false;
    this.queued = null;
    this.transferredTo = null;
    clearTimeout(this.openTimer);
    this.thanks.hidden = true;
    this.chat.clear();
    this.chat.setEnabled(true);
    this.hideAway();
    this.board.reset();
    this.board.setEnabled(false);
    this.voice.setEnabled(false);
    this.prechat.hidden = true;
    this.conversation.hidden = false;
    this.hangupBtn.hidden = false;
    this.hangupBtn.textContent = 'Leave the queue';
    this.newBtn.hidden = true;
    this.setStatus('Connecting\u2026');
    this.stream = new EventStream(this.api.eventsUrl(session), CALLER_EVENTS, {
      onEvent: (name, data, id) => this.onEvent(name, data, id),
      onState: (state) => this.onStreamState(state),
      probe: (url) => this.api.probe(url),
    });
    this.stream.start();
  }

  onStreamState(state) {
    this.banner.hidden = state !== 'reconnecting';
    if (state === 'gone') this.finish('This conversation is no longer available.');
  }

  onEvent(name, data, id) {
    switch (name) {
    case 'queued':
      this.noteServerTime(id);
      this.onQueued(data);
      break;
    case 'assigned':
      this.assigned = true;
      this.transferredTo = null;
      clearTimeout(this.openTimer);
      this.hideAway();
      this.thanks.hidden = true;
      this.agentName = (data.agent && (data.agent.name || data.agent.id)) || 'An agent';
      this.setStatus(`You are talking with ${this.agentName}.`);
      this.hangupBtn.textContent = 'Hang up';
      this.board.setEnabled(true);
      this.voice.setEnabled(true);
      this.chat.notice(`${this.agentName} joined the conversation.`);
      break;
    case 'message':
      this.onMessage(data, id);
      break;
    case 'transferred':
      this.assigned = false;
      this.board.setEnabled(false);
      this.voice.setEnabled(false);
      this.chat.hideTyping();
      this.hangupBtn.textContent = 'Leave the queue';
      if (data.to && typeof data.to.queue === 'string' && data.to.queue) {
        // a fresh queued follows: the place in the new queue
        this.transferredTo = data.to.queue;
        this.session.queue = data.to.queue;
        const stored = callerSession.load();
        if (stored && stored.call === this.session.call) callerSession.save({...stored, queue: data.to.queue});
        this.setStatus(`Transferred to ${data.to.queue}.`);
        this.chat.notice(`Transferred to ${data.to.queue}.`);
      } else {
        this.setStatus('Transferring you\u2026');
        this.chat.notice(data.to && data.to.agent
          ? 'You are being transferred to a colleague.'
          : 'You are being transferred to another team.');
      }
      break;
    case 'ended':
      this.finish(data.reason === 'agent_end'
        ? `${this.agentName || 'The agent'} ended the conversation.`
        : END_TEXT[data.reason] || 'The conversation ended.');
      break;
    }
  }

  // Event ids are the server's clock (ms-seq): now is at least the newest.
  noteServerTime(id) {
    const t = idTime(id);
    if (t) this.clockOffset = Math.max(this.clockOffset, t.getTime() - Date.now());
  }

  serverNow() {
    return Date.now() + this.clockOffset;
  }

  // A queued event (or the 201 answer): {position, estimated_wait,
  // agents_available?, status: "queued" | "closed", opens_at?: MS | null}.
  onQueued(data) {
    if (this.assigned || this.ended) return;
    this.queued = data;
    this.showQueued();
  }

  // Closed until opens_at (null: no opening known); once that time passes
  // the queue is open, event or not.
  isClosed() {
    const q = this.queued;
    if (!q || q.status !== 'closed') return false;
    if (q.opens_at === null || q.opens_at === undefined || q.opens_at === '') return true;
    const at = Number(q.opens_at);
    return !Number.isFinite(at) || at > this.serverNow();
  }

  showQueued() {
    const q = this.queued;
    clearTimeout(this.openTimer);
    if (!q || this.assigned || this.ended) return;
    const prefix = this.transferredTo ? `Transferred to ${this.transferredTo}. ` : '';
    if (this.isClosed()) {
      const at = Number(q.opens_at);
      const when = q.opens_at === null || q.opens_at === undefined ? null : formatOpening(at);
      this.offerMessage('closed');
      this.setStatus(`${prefix}${when ? `We\u2019re closed now; we open at ${when}.` : 'We\u2019re closed.'}`
        + (this.messageLeft ? ' Your message waits for the first agent.' : ''));
      // the page opens the wait itself when the time comes
      if (when) this.openTimer = setTimeout(() => this.showQueued(), Math.min(MAX_DELAY, at - this.serverNow() + 50));
      return;
    }
    this.offerMessage(q.agents_available === 0 ? 'away' : null);
    if (q.agents_available === 0) this.setStatus(`${prefix}Nobody is available right now.`);
    else this.setStatus(`${prefix}${q.position <= 1 ? 'You are next in line.' : `You are number ${q.position} in line.`}`,
      q.estimated_wait);
  }

  onMessage(data, id) {
    const msg = data.message || {};
    const mine = data.from === 'caller';
    const agent = this.agentName || 'The agent';
    switch (msg.type) {
    case 'chat':
      if (!mine) this.chat.hideTyping();
      if (mine && !this.assigned) {
        // the call keeps waiting for an agent, message and all
        this.messageLeft = true;
        this.hideAway();
        if (this.isClosed()) this.showQueued();
      }
      this.chat.line(mine ? 'You' : agent, String(msg.text ?? ''), mine ? 'me' : 'them', id);
      break;
    case 'typing':
      if (!mine) this.chat.showTyping(agent);
      break;
    case 'whiteboard':
      if (!mine) this.boardBox.open = true;
      this.board.receive(data);
      break;
    case 'signal':
      this.voice.receive(data, id);
      break;
    case 'page': {
      const link = !mine && safeLink(msg.url, null);
      if (link) {
        this.chat.line(`${agent} suggests a page`,
          h('p', {class: 'chat-bubble chat-push'}, link, h('span', {class: 'sr'}, ' (opens in a new tab)')), 'them', id);
      }
      break;
    }
    }
  }

  setStatus(text, wait) {
    this.statusEl.textContent = wait === undefined || wait === null || !formatWait(wait)
      ? text : `${text} Estimated wait: ${formatWait(wait)}.`;
  }

  async hangup() {
    if (this.ended || !this.session) return;
    this.hangupBtn.disabled = true;
    try {
      const answer = await this.api.hangup(this.session);
      const reason = answer && answer.reason;
      this.finish(END_TEXT[reason] || (this.assigned ? END_TEXT.hangup : END_TEXT.abandoned));
    } catch (err) {
      if (err.status === 403 || err.status === 404) this.finish('This conversation is no longer available.');
      else this.chat.notice(`Could not hang up: ${err.message}`);
    } finally {
      this.hangupBtn.disabled = false;
    }
  }

  // The conversation is over: say why, keep the transcript on screen.
  finish(text) {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.openTimer);
    if (this.stream) this.stream.close();
    this.stream = null;
    callerSession.clear();
    this.chat.setEnabled(false);
    this.hideAway();
    this.thanks.hidden = true;
    this.board.setEnabled(false);
    this.voice.setEnabled(false);
    this.banner.hidden = true;
    this.chat.notice(text);
    this.setStatus('The conversation has ended.');
    this.hangupBtn.hidden = true;
    this.newBtn.hidden = !this.options.prechat;
  }

  reset() {
    if (this.stream) this.stream.close();
    this.stream = null;
    this.session = null;
    this.chat.clear();
    this.showPrechat();
    this.focus();
  }
}
