// The dashboard's queue panel, from the status page's event stream
// (PROTOCOL "Status"): for each of the agent's queues, open or closed (and
// when it opens, in local time), its strategy, the calls waiting, the
// messages left and the agents free.  The same figures give the server's
// clock and the names the transfer form suggests.

import {StatusFeed} from './status-feed.js';
import {h, formatDuration, formatOpening} from './dom.js';
import {STATUS_URL, $} from './agent-api.js';

const n = (v) => String(Math.max(0, Number(v) || 0));

export class QueuePanel {
  constructor() {
    this.list = $('queue-figures');
    this.status = null;
    this.mine = null;
    this.clockOffset = 0;
    this.feed = new StatusFeed(STATUS_URL, {
      onStatus: (data) => this.onStatus(data),
      onStale: (stale) => this.list.classList.toggle('stale', stale),
    });
  }

  start() {
    this.feed.start();
  }

  // Now on the server's clock (callers' times and wrap-up ends are the
  // server's).
  serverNow() {
    return Date.now() + this.clockOffset;
  }

  // The agent's own queues, known from its first status event.
  setMine(queues) {
    this.mine = queues.map(String);
    this.render();
  }

  onStatus(status) {
    if (!status || typeof status !== 'object') return;
    const time = Number(status.time);
    if (Number.isFinite(time) && time > 0) this.clockOffset = time - Date.now();
    this.status = status;
    this.render();
    this.fillDirectory();
  }

  queues() {
    const q = this.status && this.status.queues;
    return q && typeof q === 'object' ? q : {};
  }

  agents() {
    const a = this.status && this.status.agents;
    return a && typeof a === 'object' ? a : {};
  }

  agentName(id) {
    const a = this.agents()[id];
    return (a && typeof a.name === 'string' && a.name) || id;
  }

  render() {
    const queues = this.queues();
    const own = (this.mine || Object.keys(queues)).filter((q) => queues[q]);
    this.list.replaceChildren(...own.map((q) => this.queueItem(q, queues[q])));
    $('no-queues').hidden = own.length > 0;
  }

  queueItem(name, f) {
    const waiting = Number(f.waiting) > 0;
    const closed = f.open === false;
    const opens = closed ? formatOpening(f.opens_at) : null;
    const messages = Number(f.messages_waiting) || 0;
    return h('li', {class: `qf${waiting ? ' qf-waiting' : ''}${closed ? ' qf-closed' : ''}`},
      h('span', {class: 'qf-line'},
        h('span', {class: 'qf-name'}, name), ' ',
        h('strong', {}, n(f.waiting)), ' waiting',
        waiting ? [' \u00b7 longest ', h('strong', {}, formatDuration(f.longest_wait))] : null,
        ' \u00b7 ', h('strong', {}, n(f.agents_available)), ' free'),
      h('span', {class: 'qf-line qf-detail'},
        h('span', {class: closed ? 'qf-state qf-state-closed' : 'qf-state'},
          f.open === undefined ? '' : closed ? (opens ? `Closed, opens ${opens}` : 'Closed') : 'Open'),
        typeof f.strategy === 'string' && f.strategy ? [' \u00b7 ', h('span', {class: 'qf-strategy'}, f.strategy)] : null,
        f.messages_waiting === undefined ? null
          : [' \u00b7 ', h('strong', {class: messages ? 'qf-messages' : ''}, String(messages)),
            messages === 1 ? ' message waiting' : ' messages waiting']));
  }

  // Queue and agent names for the transfer form.
  fillDirectory() {
    // rewritten only when a name or a status changed (an open suggestion
    // list would flicker with every figure)
    const key = JSON.stringify([Object.keys(this.queues()), Object.entries(this.agents()).map(([aid, a]) => [aid, a && a.name, a && a.status])]);
    if (key === this.directoryKey) return;
    this.directoryKey = key;
    $('queue-names').replaceChildren(...Object.keys(this.queues()).map((q) => h('option', {value: q})));
    $('agent-names').replaceChildren(...Object.entries(this.agents()).map(([aid, a]) =>
      h('option', {value: aid}, `${(a && a.name) || aid} \u2014 ${(a && a.status) || ''}`)));
  }
}
