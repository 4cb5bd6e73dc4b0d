// The agent's own status: the "Take calls" switch in the header, and below
// it what the status means now: wrap-up after a call (a countdown and
// "Ready now", which ends it early), or away because offers rang out (the
// reason and an "Available" button to come back).  Status events come from
// the agent's stream: {"status": "available" | "away" | "wrapup",
// "reason"?: "no_answer", "until"?: MS, "queue"?: Q}.

import {request} from './api.js';
import {formatDuration} from './dom.js';
import {API, $} from './agent-api.js';

const LABEL = {available: 'Available', away: 'Away', wrapup: 'Wrap-up'};

export class AgentStatus {
  // serverNow(): now on the server's clock (wrap-up ends are the server's)
  constructor(serverNow) {
    this.serverNow = serverNow;
    this.status = null;
    this.ringOuts = 0;
    this.switch = $('availability');
    this.switchText = $('availability-text');
    this.notice = $('agent-notice');
    this.box = $('agent-state');
    this.timerLine = $('wrapup-timer');
    this.timer = $('wrapup-left');
    this.meter = $('wrapup-meter');
    this.action = $('agent-state-action');
    this.switch.addEventListener('click', () => this.set(this.status === 'available' ? 'away' : 'available'));
    this.action.addEventListener('click', () => this.set('available'));
  }

  // An offer rang out unanswered / was answered or rejected: how many in
  // a row this page saw, for the no-answer notice.
  rangOut() {
    this.ringOuts++;
  }

  answered() {
    this.ringOuts = 0;
  }

  // A status event.
  onEvent(data) {
    this.show(data.status, data);
  }

  show(status, data = {}) {
    const was = this.status;
    this.status = status;
    const available = status === 'available';
    this.switch.setAttribute('aria-checked', String(available));
    this.switch.disabled = false;
    this.switchText.textContent = LABEL[status] || String(status || '');
    clearInterval(this.ticking);
    this.ticking = null;
    if (status === 'wrapup') {
      this.showWrapup(data);
    } else if (status === 'away' && data.reason === 'no_answer') {
      // the event does not say how many: those this page saw ring out
      const count = this.ringOuts;
      this.showBox('away', count
        ? `Set away: you let ${count === 1 ? '1 offer' : `${count} offers`} ring out.`
        : 'Set away: you let offers ring out.', 'Available');
    } else if (available && was === 'wrapup') {
      this.showBox(null, 'Wrap-up over: calls ring again.');
    } else if (was !== status) {
      this.showBox(null, '');
    }
    if (available) this.ringOuts = 0;
  }

  showWrapup(data) {
    const until = Number(data.until);
    const queue = typeof data.queue === 'string' && data.queue ? data.queue : null;
    this.showBox('wrapup', `Wrap-up${queue ? ` after your ${queue} call` : ''}: no call rings until it ends.`, 'Ready now');
    this.timerLine.hidden = !Number.isFinite(until);
    if (!Number.isFinite(until)) return;
    const total = Math.max(1, (until - this.serverNow()) / 1000);
    this.meter.max = total;
    const tick = () => {
      const left = Math.max(0, Math.ceil((until - this.serverNow()) / 1000));
      this.timer.textContent = formatDuration(left);
      this.timer.setAttribute('aria-label', `${left} seconds of wrap-up left`);
      this.meter.value = left;
      // the server's `status` available ends it
      if (left === 0) {
        clearInterval(this.ticking);
        this.ticking = null;
      }
    };
    tick();
    this.ticking = setInterval(tick, 250);
  }

  // kind: 'wrapup' | 'away' | null (nothing to show but the notice's text)
  showBox(kind, text, action) {
    this.box.dataset.kind = kind || '';
    this.notice.textContent = text;
    this.timerLine.hidden = kind !== 'wrapup';
    this.meter.hidden = kind !== 'wrapup';
    this.action.hidden = !action;
    if (action) this.action.textContent = action;
    this.action.disabled = false;
  }

  async set(next) {
    // offers notify too, if the agent agrees: asked once, on this click
    if (next === 'available' && 'Notification' in window && Notification.permission === 'default') {
      Notification.requestPermission().catch(() => {});
    }
    this.switch.disabled = true;
    this.action.disabled = true;
    try {
      await request('POST', `${API}/status`, {status: next});
      const hadFocus = document.activeElement === this.action;
      this.show(next);
      // the button goes away: the focus to the switch, not the page's top
      if (hadFocus && this.action.hidden) this.switch.focus();
    } catch (err) {
      this.switch.disabled = false;
      this.action.disabled = false;
      this.switchText.textContent = `Not changed: ${err.message}`;
    }
  }

  focus() {
    this.switch.focus();
  }
}
