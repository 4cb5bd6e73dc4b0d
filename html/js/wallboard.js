// Supervisors' wallboard: the status page's figures as they change (its
// event stream), in big numbers per queue, with sparklines of the calls
// waiting and the agents available over the last minutes (drawn from the
// figures received, kept in this page only).  wallboard.html?queues=sales,support
// shows those queues only, in that order, and the agents who serve them
// (a screen per team).

import {StatusFeed} from './status-feed.js';
import {h, formatDuration, formatOpening} from './dom.js';

const STATUS_URL = document.querySelector('meta[name="callcenter-status"]')?.content || '/callcenter/status';
const POLL_MS = 2000;      // a server whose status location has no stream
const HISTORY_MS = 10 * 60 * 1000;
const SVG = 'http://www.w3.org/2000/svg';

const ONLY = (new URLSearchParams(location.search).get('queues') || '').split(',').map((q) => q.trim()).filter(Boolean);

const num = (v) => (Number.isFinite(Number(v)) ? Number(v) : 0);

// queue name -> [{t, waiting, available}], oldest first
const history = new Map();

function remember(name, q, t) {
  const samples = history.get(name) || [];
  samples.push({t, waiting: num(q.waiting), available: num(q.agents_available)});
  while (samples.length && samples[0].t < t - HISTORY_MS) samples.shift();
  history.set(name, samples);
  return samples;
}

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// "20 s", "3 min"
function span(ms) {
  return ms < 60000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60000)} min`;
}

// A line of samples[i][field] across the time the samples cover (at most
// HISTORY_MS), scaled to their maximum (at least 1).
function sparkline(samples, field, label, tone) {
  const W = 300;
  const H = 60;
  const first = samples.length ? samples[0].t : 0;
  const covered = samples.length ? samples[samples.length - 1].t - first : 0;
  const values = samples.map((s) => s[field]);
  const top = Math.max(1, ...values);
  const points = samples.map((s) => {
    const x = covered ? ((s.t - first) / covered) * W : W;
    const y = H - 3 - (s[field] / top) * (H - 6);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const summary = `${label} over the last ${span(covered)}: `
    + `now ${values[values.length - 1] ?? 0}, highest ${Math.max(0, ...values)}`;
  const chart = svg('svg', {class: `spark ${tone}`, viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none',
    role: 'img', 'aria-label': summary});
  chart.append(svg('line', {class: 'spark-base', x1: 0, y1: H - 3, x2: W, y2: H - 3}));
  if (points.length > 1) chart.append(svg('polyline', {class: 'spark-line', points: points.join(' ')}));
  return h('figure', {class: 'trend'}, chart,
    h('figcaption', {}, `${label}, last ${span(covered)} (max ${top})`));
}

function figure(label, value, tone) {
  return h('div', {class: `figure${tone ? ` ${tone}` : ''}`},
    h('span', {class: 'value'}, value),
    h('span', {class: 'label'}, label));
}

// Open, or closed and when it opens (local time); nothing from a server
// without hours.
function openState(q) {
  if (q.open === undefined) return null;
  if (q.open !== false) return h('p', {class: 'state state-open'}, 'Open');
  const at = formatOpening(q.opens_at);
  return h('p', {class: 'state state-closed'}, at ? `Closed \u00b7 opens ${at}` : 'Closed');
}

// agents: [id, profile] of the status page; those of this queue in
// wrap-up (the server's own count when it gives one)
function wrapupCount(name, q, agents) {
  if (q.agents_wrapup !== undefined) return num(q.agents_wrapup);
  return agents.filter(([, a]) => a && a.status === 'wrapup' && Array.isArray(a.queues) && a.queues.includes(name)).length;
}

function queueCard(name, q, samples, agents) {
  const waiting = num(q.waiting);
  const longest = num(q.longest_wait);
  const sl = q.service_level === null || q.service_level === undefined ? null : num(q.service_level);
  const closed = q.open === false;
  const messages = num(q.messages_waiting);
  return h('section', {class: `queue${waiting ? ' has-waiting' : ''}${closed ? ' closed' : ''}`, 'aria-label': `Queue ${name}`},
    h('div', {class: 'queue-head'}, h('h2', {}, name), openState(q),
      typeof q.strategy === 'string' && q.strategy ? h('p', {class: 'strategy'}, q.strategy) : null),
    h('div', {class: 'main-figures'},
      figure('waiting', String(waiting), waiting ? 'hot' : ''),
      figure('longest wait', formatDuration(longest), longest >= 60 ? 'hot' : ''),
      figure('available', String(num(q.agents_available)), 'ok')),
    h('div', {class: 'figures'},
      figure('busy', String(num(q.agents_busy))),
      figure('wrap-up', String(wrapupCount(name, q, agents))),
      figure('away', String(num(q.agents_away))),
      q.messages_waiting === undefined ? null : figure('messages waiting', String(messages), messages ? 'warn' : ''),
      figure('answered', String(num(q.assigned))),
      figure('abandoned', String(num(q.abandoned)), num(q.abandoned) ? 'warn' : ''),
      sl === null ? null : figure(`answered in ${num(q.service_level_seconds)} s`, `${sl}%`, sl < 80 ? 'warn' : 'ok')),
    h('div', {class: 'trends'},
      sparkline(samples, 'waiting', 'Calls waiting', 'hot'),
      sparkline(samples, 'available', 'Agents available', 'ok')));
}

function agentRow(id, a) {
  const status = String(a.status || '');
  // a count (older servers sent the list of call ids)
  const calls = Array.isArray(a.calls) ? a.calls.length : num(a.calls);
  return h('tr', {},
    h('td', {}, String(a.name || id)),
    h('td', {}, h('span', {class: `pill pill-${status.replace(/[^a-z]/g, '')}`}, status === 'wrapup' ? 'wrap-up' : status)),
    h('td', {}, `${calls}${a.capacity ? ` / ${num(a.capacity)}` : ''}`),
    h('td', {}, Array.isArray(a.queues) ? a.queues.map(String).join(', ') : ''));
}

function entries(obj) {
  return obj && typeof obj === 'object' ? Object.entries(obj) : [];
}

function show(status) {
  const updated = document.getElementById('updated');
  const now = Date.now();
  const all = status.queues && typeof status.queues === 'object' ? status.queues : {};
  const queues = ONLY.length ? ONLY.filter((q) => all[q]).map((q) => [q, all[q]]) : entries(all);
  const agents = entries(status.agents).filter(([, a]) => !ONLY.length
    || (a && Array.isArray(a.queues) && a.queues.some((q) => ONLY.includes(q))));
  document.getElementById('queues').replaceChildren(...(queues.length
    ? queues.map(([name, q]) => queueCard(name, q || {}, remember(name, q || {}, now), agents))
    : [h('p', {class: 'none'}, 'No queue yet.')]));
  document.getElementById('agents').replaceChildren(...agents.map(([id, a]) => agentRow(id, a || {})));
  updated.textContent = `Updated ${new Date(now).toLocaleTimeString()}`;
  updated.classList.remove('stale');
}

new StatusFeed(STATUS_URL, {
  pollMs: POLL_MS,
  onStatus: (status) => {
    if (status && typeof status === 'object') show(status);
  },
  onStale: (stale, err) => {
    const updated = document.getElementById('updated');
    updated.classList.toggle('stale', stale);
    if (err) updated.textContent = `Not updated: ${err.message}`;
  },
}).start();
