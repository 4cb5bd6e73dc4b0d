// A call's routing records (GET /agent/calls/ID's "routing", oldest
// first) as a collapsible "Routing" section: for each decision when, which
// router and strategy, who got the call and why, and every candidate with
// what kept it out or made it win.

import {h} from './dom.js';

const str = (v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

function when(ms) {
  const d = new Date(Number(ms));
  if (!Number.isFinite(d.getTime())) return h('span', {}, '?');
  return h('time', {datetime: d.toISOString()},
    d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'}));
}

// name(id) -> the agent's display name (ids when unknown)
function record(r, name) {
  const agent = str(r.agent);
  const candidates = Array.isArray(r.candidates) ? r.candidates.filter((c) => c && typeof c === 'object') : [];
  return h('li', {class: `route${agent ? ' route-offered' : ''}`},
    h('dl', {class: 'route-facts'},
      h('dt', {}, 'When'), h('dd', {}, when(r.at)),
      h('dt', {}, 'Router'), h('dd', {}, str(r.router) || '?'),
      h('dt', {}, 'Strategy'), h('dd', {}, str(r.strategy) || '?'),
      h('dt', {}, 'Offered to'), h('dd', {}, agent ? name(agent) : 'nobody'),
      h('dt', {}, 'Reason'), h('dd', {}, str(r.reason))),
    candidates.length
      ? h('table', {class: 'route-candidates'},
        h('caption', {}, `Candidates (${candidates.length})`),
        h('thead', {}, h('tr', {},
          h('th', {scope: 'col'}, 'Agent'), h('th', {scope: 'col'}, 'Eligible'), h('th', {scope: 'col'}, 'Why'))),
        h('tbody', {}, candidates.map((c) => h('tr', {class: c.eligible ? 'cand-in' : 'cand-out'},
          h('td', {}, name(str(c.agent))),
          h('td', {}, c.eligible ? 'yes' : 'no'),
          h('td', {}, str(c.why))))))
      : h('p', {class: 'muted'}, 'No candidate.'));
}

export function routingSection(records, name = (id) => id) {
  const list = Array.isArray(records) ? records.filter((r) => r && typeof r === 'object') : [];
  return h('details', {class: 'routing'},
    h('summary', {}, 'Routing ', h('span', {class: 'muted'},
      `(${list.length} ${list.length === 1 ? 'decision' : 'decisions'})`)),
    list.length
      ? h('ol', {class: 'routing-list', 'aria-label': 'Routing decisions, oldest first'}, list.map((r) => record(r, name)))
      : h('p', {class: 'muted'}, 'No routing decision recorded.'));
}
