// call.html: where a plain <a href="/call?queue=Q"> link lands.  The module
// answers 303 to /callcenter/call.html#call=ID&token=T&queue=Q: the
// fragment goes to sessionStorage and out of the address bar (so it is
// neither bookmarked nor shared by accident), then the same conversation
// UI as the widget runs full page.

import {CallerConversation} from './caller-ui.js';
import {callerSession} from './api.js';

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const QUEUE_RE = /^[a-z0-9_-]{1,32}$/;

const fragment = new URLSearchParams(location.hash.slice(1));
const call = fragment.get('call');
const token = fragment.get('token');
const fragmentQueue = fragment.get('queue');
if (call && token && ID_RE.test(call)) {
  callerSession.save({call, token, queue: fragmentQueue || 'default', open: true});
}
if (location.hash) history.replaceState(null, '', location.pathname + location.search);

const asked = new URLSearchParams(location.search).get('queue') || fragmentQueue || (callerSession.load() || {}).queue;
const endpoint = document.querySelector('meta[name="callcenter-endpoint"]')?.content || '/call';

const conversation = new CallerConversation({
  endpoint,
  queue: asked && QUEUE_RE.test(asked) ? asked : 'default',
  title: 'Talk to us',
  layout: 'page',
  prechat: true,
});
document.getElementById('call').append(conversation.element);
conversation.mount();
conversation.focus();
