// Where the dashboard's APIs are: the agent API (<meta
// name="callcenter-agent-api">, /agent) and the status page (<meta
// name="callcenter-status">).  Shared by the dashboard's modules.

function meta(name, fallback) {
  const el = document.querySelector(`meta[name="${name}"]`);
  return (el && el.content) || fallback;
}

export const API = meta('callcenter-agent-api', '/agent').replace(/\/+$/, '');
export const STATUS_URL = meta('callcenter-status', '/callcenter/status');

export const callUrl = (id, action = '') => `${API}/calls/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

export const $ = (id) => document.getElementById(id);
