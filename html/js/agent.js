// The agents' dashboard: availability and wrap-up, ringing offers, the
// agent's queues, conversations in tabs.  Served at /agent/ behind the
// same authentication as the agent API, which it calls at /agent/...
// (<meta name="callcenter-agent-api">).  This file wires the parts:
// agent-status.js (the switch, wrap-up, away), offers.js (ringing cards),
// queue-panel.js (the status stream), conversation.js (a call's tab).

import {EventStream} from './api.js';
import {API, $} from './agent-api.js';
import {AgentStatus} from './agent-status.js';
import {Offers, REVOKED_TEXT} from './offers.js';
import {QueuePanel} from './queue-panel.js';
import {Conversation, ENDED_TEXT} from './conversation.js';

const AGENT_EVENTS = ['status', 'offer', 'revoked', 'assigned', 'message', 'transferred', 'ended'];

class Dashboard {
  constructor() {
    this.queuePanel = new QueuePanel();
    this.agentStatus = new AgentStatus(() => this.serverNow());
    this.offers = new Offers(this);
    this.calls = new Map();
    this.selected = null;
    this.focusNext = null;
    this.tabs = $('tabs');
    this.panels = $('panels');
    this.emptyCalls = $('no-calls');
    this.conn = $('connection');
    this.tabs.addEventListener('keydown', (e) => this.tabKeys(e));
    this.stream = new EventStream(`${API}/events`, AGENT_EVENTS, {
      onEvent: (name, data, id) => this.onEvent(name, data, id),
      onState: (state) => this.onStreamState(state),
    });
  }

  start() {
    this.stream.start();
    this.queuePanel.start();
  }

  // Now on the server's clock (the callers' times are the server's).
  serverNow() {
    return this.queuePanel.serverNow();
  }

  agentName(id) {
    return this.queuePanel.agentName(id);
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
      this.agentStatus.onEvent(data);
      break;
    case 'offer':
      this.offers.add(data);
      break;
    case 'revoked':
      if (data.reason === 'timeout') this.agentStatus.rangOut();
      this.offers.close(data.call, REVOKED_TEXT[data.reason] || 'Withdrawn');
      break;
    case 'assigned':
      this.agentStatus.answered();
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
    if (Array.isArray(agent.queues)) this.queuePanel.setMine(agent.queues);
    $('identity').textContent = agent.name || agent.id || '';
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
    if (conv) conv.tab.focus();
    else this.agentStatus.focus();
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
}

new Dashboard().start();
