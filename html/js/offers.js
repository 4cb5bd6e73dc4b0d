// Offers: one card per ringing call, with accept/reject and a countdown.

import {request} from './api.js';
import {h, formatDuration} from './dom.js';
import {callUrl, $} from './agent-api.js';
import {callerName, asTime, callerFacts, factsList} from './caller-facts.js';
import {Ringer} from './ringer.js';

// Why an offer stopped ringing (`revoked` reasons).
export const REVOKED_TEXT = {
  timeout: 'Not answered in time',
  rejected: 'Rejected',
  away: 'Withdrawn: you are away',
  absent: 'Withdrawn',
  hangup: 'The caller hung up',
  taken: 'Taken by a colleague',
  overflow: 'Moved to another queue (overflow)',
};

export class Offers {
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
  // AgentStatus.set); a click on it brings the offer forward.
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
      this.dashboard.agentStatus.answered();
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
