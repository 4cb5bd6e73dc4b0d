// A conversation: one tab and its panel (chat, whiteboard, voice, the
// caller's details with the call's priority and routing, page push,
// transfer, end).

import {request, postOnUnload, idTime} from './api.js';
import {ChatView} from './chat.js';
import {Whiteboard} from './whiteboard.js';
import {Voice} from './voice.js';
import {h, safeLink} from './dom.js';
import {callUrl} from './agent-api.js';
import {callerName, callerFacts, factsList} from './caller-facts.js';
import {routingSection} from './routing-view.js';

export const ENDED_TEXT = {
  hangup: 'The caller hung up.',
  agent_end: 'You ended the call.',
  abandoned: 'The caller left before the call was answered.',
  timeout: 'The call timed out.',
};

export class Conversation {
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
    this.routing = h('div', {class: 'routing-wrap'});
    this.pushInput = h('input', {id: `${p}-url`, type: 'url', required: true, placeholder: 'https://\u2026'});
    this.pushForm = h('form', {class: 'side-form', onsubmit: (e) => { e.preventDefault(); this.pushPage(); }},
      h('label', {for: `${p}-url`}, 'Show the caller a page'),
      h('div', {class: 'row'}, this.pushInput, h('button', {type: 'submit', class: 'btn'}, 'Push')));
    this.transferKind = h('select', {id: `${p}-kind`, 'aria-label': 'Transfer to',
      onchange: () => this.transferTarget.setAttribute('list', this.transferKind.value === 'queue' ? 'queue-names' : 'agent-names')},
    h('option', {value: 'queue'}, 'Queue'), h('option', {value: 'agent'}, 'Agent'));
    this.transferTarget = h('input', {id: `${p}-target`, type: 'text', required: true, list: 'queue-names',
      autocomplete: 'off', placeholder: 'support'});
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
        h('h3', {}, 'Caller'), this.facts, this.routing,
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
      this.priority = call.priority;
      this.setCaller(call.caller || {}, call.queue);
      this.routing.replaceChildren(routingSection(call.routing, (aid) => this.dashboard.agentName(aid)));
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
    const rows = callerFacts(caller, queue);
    // the call's own priority (callcenter_priority), next to its queue
    const p = Number(this.priority);
    if (this.priority !== undefined && this.priority !== null && this.priority !== '' && Number.isFinite(p)) {
      const at = rows.findIndex(([label]) => label === 'Queue');
      rows.splice(at < 0 ? rows.length : at + 1, 0, ['Priority', String(p)]);
    }
    this.facts.replaceChildren(factsList(rows));
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
