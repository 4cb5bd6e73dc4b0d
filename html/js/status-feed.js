// The status page's figures as they change (PROTOCOL "Status"): its event
// stream (Accept: text/event-stream, one `status` event at once and then
// at most about one a second), or, from a server that answers JSON there,
// a poll every `pollMs`.  onStatus(figures) for each; onStale(true) while
// the figures may be old.

import {EventStream, request} from './api.js';

export class StatusFeed {
  constructor(url, {onStatus, onStale, pollMs = 5000}) {
    this.url = url;
    this.onStatus = onStatus;
    this.onStale = onStale || (() => {});
    this.pollMs = pollMs;
    this.stream = new EventStream(url, ['status'], {
      onEvent: (name, data) => this.onStatus(data),
      onState: (state) => {
        this.onStale(state !== 'open');
        if (state === 'gone') this.poll();
      },
      probe: (u) => this.hasStream(u),
    });
  }

  start() {
    this.stream.start();
  }

  // false: the location answers no stream (a server before it): poll
  async hasStream(url) {
    try {
      const res = await fetch(url, {headers: {Accept: 'text/event-stream'}, credentials: 'same-origin'});
      const type = res.headers.get('Content-Type') || '';
      await res.body?.cancel();
      return !res.ok || type.startsWith('text/event-stream');
    } catch {
      return true;
    }
  }

  async poll() {
    try {
      this.onStatus(await request('GET', this.url));
      this.onStale(false);
    } catch (err) {
      this.onStale(true, err);
    } finally {
      setTimeout(() => this.poll(), this.pollMs);
    }
  }
}
