// The floating "Talk to us" button and its conversation panel, in an open
// shadow root so that the host site's CSS and ours leave each other alone.

import {CallerConversation} from './caller-ui.js';
import {callerSession} from './api.js';
import {h} from './dom.js';

export function mount(config) {
  const host = h('div', {id: 'callcenter-widget'});
  const root = host.attachShadow({mode: 'open'});
  setAccent(host, config.color);

  const sheets = ['css/common.css', 'css/caller.css', 'css/widget.css'].map((path) =>
    h('link', {rel: 'stylesheet', href: new URL(path, config.base).href}));
  const launcher = h('button', {type: 'button', class: 'cc-launcher', 'aria-expanded': 'false', 'aria-haspopup': 'dialog',
    'aria-controls': 'cc-panel'},
    h('span', {class: 'cc-launcher-icon', 'aria-hidden': 'true'}),
    config.label);
  const conversation = new CallerConversation({
    endpoint: config.endpoint,
    queue: config.queue,
    // the page before this one, when the visitor followed a link here
    info: document.referrer ? {referrer: document.referrer, ...config.info} : config.info,
    title: config.label,
    layout: 'floating',
    prechat: true,
    onMinimize: () => setOpen(false, true),
  });
  const panel = conversation.element;
  panel.id = 'cc-panel';
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
    if (e.key === 'Escape') {
      e.stopPropagation();
      setOpen(false, true);
    }
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

// data-color: any CSS color; the text on it dark or white, whichever reads
// better (WCAG relative luminance).  An invalid color keeps the default.
function setAccent(host, color) {
  if (!color || !CSS.supports('color', color)) return;
  host.style.setProperty('--accent', color);
  const probe = h('span', {hidden: true});
  probe.style.color = color;
  document.body.append(probe);
  const rgb = getComputedStyle(probe).color.match(/[\d.]+/g).slice(0, 3).map(Number);
  probe.remove();
  const [r, g, b] = rgb.map((c) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // contrast with white (1.05 / (L + .05)) against black ((L + .05) / .05)
  host.style.setProperty('--accent-ink', 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? '#fff' : '#111');
}
