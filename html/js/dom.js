// Small DOM helpers shared by every callcenter page.  Text always goes in
// through textContent: nothing a caller or an agent typed is ever parsed
// as HTML.

// h('button', {class: 'x', type: 'button', onclick: fn}, 'Label', child…)
// Attribute values false/null/undefined are left out; "on…" keys add
// listeners; strings among the children become text nodes.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'style') {
      // the pages' Content-Security-Policy refuses style attributes: set
      // el.style.prop (the CSSOM) instead
      throw new Error('h(): no style attribute under the CSP');
    } else if (key === 'text') {
      el.textContent = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// A link to a URL given by the other party: http(s) only, opened in a new
// tab without giving it a handle on this page.  null when not acceptable.
export function safeLink(url, text, base = location.href) {
  let parsed;
  try {
    parsed = new URL(url, base);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return h('a', {href: parsed.href, target: '_blank', rel: 'noopener noreferrer'},
    text || parsed.href);
}

// "less than a minute", "about 3 minutes"
export function formatWait(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s < 0) return '';
  if (s < 60) return 'less than a minute';
  const m = Math.round(s / 60);
  return m === 1 ? 'about a minute' : `about ${m} minutes`;
}

// 75 → "1:15", 3725 → "1:02:05"
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export function formatTime(date = new Date()) {
  return date.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'});
}

// When a queue opens, in the reader's local time: "14:00" today, else with
// the day ("Mon 2 Dec, 08:00").  null for no time.
export function formatOpening(ms) {
  const d = new Date(Number(ms));
  if (ms === null || ms === undefined || !Number.isFinite(d.getTime())) return null;
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return formatTime(d);
  return d.toLocaleString([], {weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit'});
}
