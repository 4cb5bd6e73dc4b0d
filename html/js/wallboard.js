// Supervisors' wallboard: the status page's figures, refreshed every two
// seconds, in big numbers per queue.

import {request} from './api.js';
import {h, formatDuration} from './dom.js';

const STATUS_URL = document.querySelector('meta[name="callcenter-status"]')?.content || '/callcenter/status';
const EVERY_MS = 2000;

const num = (v) => (Number.isFinite(Number(v)) ? Number(v) : 0);

function figure(label, value, tone) {
  return h('div', {class: `figure${tone ? ` ${tone}` : ''}`},
    h('span', {class: 'value'}, value),
    h('span', {class: 'label'}, label));
}

function queueCard(name, q) {
  const waiting = num(q.waiting);
  const longest = num(q.longest_wait);
  return h('section', {class: `queue${waiting ? ' has-waiting' : ''}`, 'aria-label': `Queue ${name}`},
    h('h2', {}, name),
    h('div', {class: 'main-figures'},
      figure('waiting', String(waiting), waiting ? 'hot' : ''),
      figure('longest wait', formatDuration(longest), longest >= 60 ? 'hot' : '')),
    h('div', {class: 'figures'},
      figure('available', String(num(q.agents_available)), 'ok'),
      figure('busy', String(num(q.agents_busy))),
      figure('away', String(num(q.agents_away))),
      figure('answered', String(num(q.assigned))),
      figure('abandoned', String(num(q.abandoned)), num(q.abandoned) ? 'warn' : '')));
}

function agentRow(id, a) {
  const status = String(a.status || '');
  const calls = Array.isArray(a.calls) ? a.calls.length : 0;
  return h('tr', {},
    h('td', {}, String(a.name || id)),
    h('td', {}, h('span', {class: `pill pill-${status.replace(/[^a-z]/g, '')}`}, status)),
    h('td', {}, `${calls}${a.capacity ? ` / ${num(a.capacity)}` : ''}`),
    h('td', {}, Array.isArray(a.queues) ? a.queues.map(String).join(', ') : ''));
}

function entries(obj) {
  return obj && typeof obj === 'object' ? Object.entries(obj) : [];
}

async function refresh() {
  const updated = document.getElementById('updated');
  try {
    const status = await request('GET', STATUS_URL);
    const queues = entries(status.queues);
    document.getElementById('queues').replaceChildren(...(queues.length
      ? queues.map(([name, q]) => queueCard(name, q || {}))
      : [h('p', {class: 'none'}, 'No queue yet.')]));
    document.getElementById('agents').replaceChildren(...entries(status.agents).map(([id, a]) => agentRow(id, a || {})));
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    updated.classList.remove('stale');
  } catch (err) {
    updated.textContent = `Not updated: ${err.message}`;
    updated.classList.add('stale');
  } finally {
    setTimeout(refresh, EVERY_MS);
  }
}

refresh();
