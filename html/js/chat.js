// The chat part of a conversation, shared by the caller's UI and the
// agents' dashboard: the log of lines, the "is typing" note and the
// composer (Enter sends, Shift+Enter breaks the line; a "typing" message
// goes out at most every 2 s while the user types).

import {idTime} from './api.js';
import {h, formatTime} from './dom.js';

const TYPING_SEND_EVERY_MS = 2000;
const TYPING_SHOW_MS = 3000;

export class ChatView {
  // options.send(message) → Promise (rejects with an Error to show);
  // options.typingAllowed() → whether to announce typing now;
  // options.label: the composer's accessible name.
  constructor(idPrefix, options) {
    this.options = options;
    this.lastTypingSent = 0;
    this.sending = false;
    this.disabled = false;
    this.log = h('ol', {class: 'chat-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation'});
    this.typingEl = h('p', {class: 'chat-typing', 'aria-live': 'polite', hidden: true});
    this.textarea = h('textarea', {id: `${idPrefix}-msg`, rows: 2, maxlength: 4000, placeholder: 'Write a message\u2026',
      oninput: () => this.onInput(),
      onkeydown: (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.sendChat();
        }
      }});
    this.sendBtn = h('button', {type: 'submit', class: 'btn btn-primary'}, 'Send');
    this.composer = h('form', {class: 'chat-compose', onsubmit: (e) => { e.preventDefault(); this.sendChat(); }},
      h('label', {for: `${idPrefix}-msg`, class: 'sr'}, options.label || 'Message'),
      this.textarea, this.sendBtn);
  }

  // body: a string (shown as text) or a node
  line(who, body, side, id) {
    const t = idTime(id) || new Date();
    this.log.append(h('li', {class: `chat-line chat-${side}`},
      h('span', {class: 'chat-who'}, who),
      typeof body === 'string' ? h('p', {class: 'chat-bubble'}, body) : body,
      h('time', {class: 'chat-time', datetime: t.toISOString()}, formatTime(t))));
    this.scroll();
  }

  notice(text) {
    this.log.append(h('li', {class: 'chat-line chat-notice'}, text));
    this.scroll();
  }

  scroll() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  clear() {
    this.log.replaceChildren();
    this.hideTyping();
  }

  // "NAME is typing…" for 3 s.  Typing is live only (never stored, never
  // replayed), and its event id is the stream's last stored one, however
  // old: the id tells nothing of when the other side typed.
  showTyping(name) {
    this.typingEl.textContent = `${name} is typing\u2026`;
    this.typingEl.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_SHOW_MS);
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    this.typingEl.hidden = true;
  }

  setEnabled(on) {
    this.disabled = !on;
    this.textarea.disabled = !on;
    this.sendBtn.disabled = !on;
    this.composer.hidden = !on;
    if (!on) this.hideTyping();
  }

  focus() {
    this.textarea.focus();
  }

  onInput() {
    if (this.disabled || !this.textarea.value || !this.options.typingAllowed()) return;
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_SEND_EVERY_MS) return;
    this.lastTypingSent = now;
    this.options.send({type: 'typing'}).catch(() => {});
  }

  // The line appears when it comes back on the event stream, not before.
  async sendChat() {
    const text = this.textarea.value.trim();
    if (!text || this.disabled || this.sending) return;
    this.sending = true;
    this.sendBtn.disabled = true;
    try {
      await this.options.send({type: 'chat', text});
      this.textarea.value = '';
      this.lastTypingSent = 0;
    } catch (err) {
      this.notice(`Not sent: ${err.message}`);
    } finally {
      this.sending = false;
      this.sendBtn.disabled = this.disabled;
      if (!this.disabled) this.textarea.focus();
    }
  }
}
