// The floating "Talk to us" button and its conversation panel, in an open
// shadow root so that the host site's CSS and ours leave each other alone.

import {CallerConversation} from './caller-ui.js';
import {callerSession} from './api.js';
import {h} from './dom.js';

export function mount(config) {
  const host = h('div', {id: 'callcenter-widget'});
  const root = host.attachShadow({mode: 'open'});
  if (config.color) host.style.setProperty('--accent', config.color);

  const sheets = ['css/common.css', 'css/caller.css'].map((path) =>
    h('link', {rel: 'stylesheet', href: new URL(path, config.base).href}));
  const launcher = h('button', {type: 'button', class: 'cc-launcher', 'aria-expanded': 'false', 'aria-haspopup': 'dialog'},
    h('span', {class: 'cc-launcher-icon', 'aria-hidden': 'true'}),
    config.label);
  const conversation = new CallerConversation({
    endpoint: config.endpoint,
    queue: config.queue,
    info: config.info,
    title: config.label,
    layout: 'floating',
    prechat: true,
    onMinimize: () => setOpen(false, true),
  });
  const panel = conversation.element;
  const wrap = h('div', {class: 'cc-widget', hidden: true}, launcher, panel);

  function setOpen(open, returnFocus) {
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    launcher.classList.toggle('cc-launcher-open', open);
    const session = callerSession.load();
    if (session) callerSession.save({...session, open});
    if (open) conversation.focus();
    else if (returnFocus) launcher.focus();
  }

  launcher.addEventListener('click', () => setOpen(panel.hidden, false));
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') setOpen(false, true);
  });

  // nothing shows before our stylesheets apply
  Promise.all(sheets.map((sheet) => new Promise((done) => {
    sheet.addEventListener('load', done);
    sheet.addEventListener('error', done);
  }))).then(() => { wrap.hidden = false; });
  root.append(...sheets, wrap);
  document.body.append(host);

  const session = callerSession.load();
  conversation.mount();
  panel.hidden = !(session && session.open);
  launcher.setAttribute('aria-expanded', String(!panel.hidden));
}
