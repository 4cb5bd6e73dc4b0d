// What the agent learns about a caller, as label/value rows (the offer
// card and the call's tab show the same).

import {h, safeLink, formatTime} from './dom.js';
import {describeUserAgent} from './useragent.js';

const INFO_LABELS = {
  title: 'Page title',
  screen: 'Screen',
  viewport: 'Window',
  timezone: 'Time zone',
  languages: 'Languages',
  referrer: 'Referred by',
  cart: 'Cart',
};

export function callerName(caller) {
  return (caller && typeof caller.name === 'string' && caller.name.trim()) || 'Visitor';
}

export function asTime(value) {
  const n = Number(value);
  const d = Number.isFinite(n) && n > 0 ? new Date(n < 1e12 ? n * 1000 : n) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function callerFacts(caller = {}, queue) {
  const rows = [];
  const add = (label, value) => {
    if (value !== undefined && value !== null && value !== '') rows.push([label, value]);
  };
  const str = (v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  add('Topic', str(caller.topic));
  add('Queue', str(queue || caller.queue));
  add('Page', caller.page ? safeLink(str(caller.page)) || str(caller.page) : '');
  // a call from the widget tells its page as referer too: said once
  if (caller.referer !== caller.page) add('Came from', caller.referer ? safeLink(str(caller.referer)) || str(caller.referer) : '');
  add('Language', str(caller.language));
  add('Browser', describeUserAgent(str(caller.user_agent)));
  add('IP address', str(caller.ip));
  const t = caller.time !== undefined ? asTime(caller.time) : null;
  if (t) add('Called at', `${formatTime(t)}`);
  if (Array.isArray(caller.skills) && caller.skills.length) add('Skills', caller.skills.map(str).join(', '));
  if (caller.info && typeof caller.info === 'object') {
    for (const [k, v] of Object.entries(caller.info)) add(INFO_LABELS[k] || k, str(v));
  }
  return rows;
}

export function factsList(rows) {
  return h('dl', {class: 'facts'}, rows.map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
}
