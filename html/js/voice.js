// Voice over WebRTC, one component for the caller's UI and each of the
// agent's call tabs.  The offer, the answer and the ICE candidates travel
// as `signal` messages on the call: {sdp: {type, sdp}}, {candidate: {...}}
// and {candidate: null} once gathering is over; {sdp: {type: "bye"}} hangs
// up (or declines).
//
// Who calls: "Start voice" asks for the microphone and sends an offer; the
// other side sees "Incoming voice call" and asks for the microphone only
// when its user accepts.  Both starting at once: the polite side (the
// agent) gives way and answers the other offer, the impolite one (the
// caller) ignores the offer it did not expect, as in perfect negotiation.
//
// A reload replays the stream: a party's own signals are not acted upon,
// except that its own answer or bye settles an offer it already answered;
// signals older than STALE_MS are history; and leaving the page while in
// voice sends a bye, so an old offer is followed by its end.
//
// ICE servers: the JSON array of a data-ice-servers attribute on a script
// tag, or of <meta name="callcenter-ice-servers" content="...">; none by
// default (LAN).

import {idTime} from './api.js';
import {h} from './dom.js';

const STALE_MS = 60000;

const TEXT = {
  idle: 'Voice is off.',
  calling: 'Calling\u2026',
  incoming: 'Incoming voice call.',
  connecting: 'Connecting voice\u2026',
  connected: 'Voice connected.',
};

export function iceServersFromPage(doc = document) {
  const el = doc.querySelector('script[data-ice-servers], meta[name="callcenter-ice-servers"]');
  const text = el && (el.getAttribute('data-ice-servers') ?? el.getAttribute('content'));
  try {
    const servers = JSON.parse(text || '[]');
    return Array.isArray(servers) ? servers : [];
  } catch {
    return [];
  }
}

export class Voice {
  // options.side: 'caller' | 'agent' (our "from"); options.polite: whether
  // we give way when both offer at once; options.send(message) → Promise;
  // options.beacon(message): a send that survives leaving the page;
  // options.iceServers (default: from the page).
  constructor(idPrefix, options) {
    this.options = {iceServers: iceServersFromPage(), ...options};
    this.state = 'idle';
    this.pc = null;
    this.mic = null;
    this.offer = null;          // the offer waiting for accept/decline
    this.candidates = [];       // theirs, until the remote description is set
    this.makingOffer = false;
    this.queue = Promise.resolve();
    this.enabled = false;

    this.statusEl = h('p', {class: 'voice-status', role: 'status', id: `${idPrefix}-voice-status`}, TEXT.idle);
    this.startBtn = h('button', {type: 'button', class: 'btn', onclick: () => this.start()}, 'Start voice');
    this.acceptBtn = h('button', {type: 'button', class: 'btn btn-accept', onclick: () => this.accept()}, 'Accept voice');
    this.declineBtn = h('button', {type: 'button', class: 'btn btn-reject', onclick: () => this.hangup('You declined the voice call.')}, 'Decline');
    this.muteBtn = h('button', {type: 'button', class: 'btn', 'aria-pressed': 'false', onclick: () => this.toggleMute()}, 'Mute');
    this.endBtn = h('button', {type: 'button', class: 'btn btn-danger', onclick: () => this.hangup('You ended the voice call.')}, 'End voice');
    this.audio = h('audio', {autoplay: true});
    this.element = h('div', {class: 'voice', role: 'group', 'aria-label': 'Voice', 'data-state': 'idle', 'data-connection': 'new'},
      this.statusEl,
      h('div', {class: 'voice-buttons'}, this.startBtn, this.acceptBtn, this.declineBtn, this.muteBtn, this.endBtn),
      this.audio);
    addEventListener('pagehide', () => {
      if (this.pc) this.options.beacon({type: 'signal', sdp: {type: 'bye'}});
    });
    this.setState('idle');
  }

  setEnabled(on) {
    this.enabled = on;
    if (!on && this.state !== 'idle') this.hangup();
    this.setState(this.state);
  }

  setState(state, text = TEXT[state]) {
    this.state = state;
    this.element.dataset.state = state;
    this.statusEl.textContent = text;
    this.startBtn.hidden = state !== 'idle' || !this.enabled;
    this.acceptBtn.hidden = state !== 'incoming';
    this.declineBtn.hidden = state !== 'incoming';
    this.muteBtn.hidden = !this.pc;
    this.endBtn.hidden = !this.pc;
  }

  post(signal) {
    this.queue = this.queue.then(() => this.options.send({type: 'signal', ...signal})).catch(() => {});
  }

  async microphone() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error('this browser has no microphone access');
    return navigator.mediaDevices.getUserMedia({audio: true, video: false});
  }

  connect(mic) {
    const pc = new RTCPeerConnection({iceServers: this.options.iceServers});
    this.pc = pc;
    this.mic = mic;
    for (const track of mic.getAudioTracks()) pc.addTrack(track, mic);
    pc.onicecandidate = (e) => {
      if (this.pc === pc) this.post({candidate: e.candidate ? e.candidate.toJSON() : null});
    };
    pc.ontrack = (e) => {
      this.audio.srcObject = e.streams[0] || new MediaStream([e.track]);
    };
    pc.onconnectionstatechange = () => {
      if (this.pc !== pc) return;
      this.element.dataset.connection = pc.connectionState;
      if (pc.connectionState === 'connected') this.setState('connected');
      else if (pc.connectionState === 'disconnected') this.setState('connecting', 'Voice interrupted, reconnecting\u2026');
      else if (pc.connectionState === 'failed') this.hangup('The voice connection failed.');
    };
  }

  async start() {
    if (this.state !== 'idle' || !this.enabled) return;
    this.setState('calling', 'Asking for the microphone\u2026');
    let mic;
    try {
      mic = await this.microphone();
    } catch (err) {
      this.setState('idle', `No microphone: ${err.message}`);
      return;
    }
    if (this.state !== 'calling') {
      // an offer came meanwhile and was taken
      for (const t of mic.getTracks()) t.stop();
      return;
    }
    this.connect(mic);
    this.setState('calling');
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.post({sdp: this.pc.localDescription.toJSON()});
    } catch (err) {
      this.hangup(`Voice could not start: ${err.message}`);
    } finally {
      this.makingOffer = false;
    }
  }

  async accept() {
    if (this.state !== 'incoming') return;
    this.setState('connecting', 'Asking for the microphone\u2026');
    let mic;
    try {
      mic = await this.microphone();
    } catch (err) {
      this.hangup(`No microphone: ${err.message}`);
      return;
    }
    if (this.state !== 'connecting' || !this.offer) {
      for (const t of mic.getTracks()) t.stop();
      return;
    }
    this.connect(mic);
    this.setState('connecting');
    await this.answer(this.offer);
  }

  // Answers their offer on this.pc (set up already), then adds the
  // candidates that came early.
  async answer(offer) {
    const pc = this.pc;
    this.offer = null;
    try {
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription();
      this.post({sdp: pc.localDescription.toJSON()});
      this.addCandidates();
    } catch (err) {
      if (this.pc === pc) this.hangup(`Voice could not connect: ${err.message}`);
    }
  }

  addCandidates() {
    const pc = this.pc;
    for (const c of this.candidates.splice(0)) pc.addIceCandidate(c ?? undefined).catch(() => {});
  }

  toggleMute() {
    if (!this.mic) return;
    const muted = this.muteBtn.getAttribute('aria-pressed') !== 'true';
    for (const t of this.mic.getAudioTracks()) t.enabled = !muted;
    this.muteBtn.setAttribute('aria-pressed', String(muted));
    this.element.dataset.muted = String(muted);
  }

  // Ends the voice call (or declines the incoming one), telling the other
  // side; text: what to show.
  hangup(text) {
    if (this.state !== 'idle') this.post({sdp: {type: 'bye'}});
    this.stop(text);
  }

  stop(text = TEXT.idle) {
    const pc = this.pc;
    this.pc = null;
    if (pc) pc.close();
    if (this.mic) for (const t of this.mic.getTracks()) t.stop();
    this.mic = null;
    this.offer = null;
    this.candidates = [];
    this.audio.srcObject = null;
    this.muteBtn.setAttribute('aria-pressed', 'false');
    delete this.element.dataset.muted;
    this.element.dataset.connection = pc ? 'closed' : this.element.dataset.connection;
    this.setState('idle', text);
  }

  // A signal message from the stream (data: the `message` event, id its
  // event id).
  receive(data, id) {
    const msg = data.message || {};
    const sdp = msg.sdp && typeof msg.sdp === 'object' ? msg.sdp : null;
    if (data.from === this.options.side) {
      // our own answer or bye, replayed: the offer before it is settled
      if (this.state === 'incoming' && sdp && (sdp.type === 'answer' || sdp.type === 'bye')) this.stop();
      return;
    }
    const t = idTime(id);
    if (t && Date.now() - t.getTime() > STALE_MS) return;
    if (sdp) this.onDescription(sdp);
    else if ('candidate' in msg) this.onCandidate(msg.candidate);
  }

  onDescription(sdp) {
    const pc = this.pc;
    if (sdp.type === 'bye') {
      if (this.state === 'incoming') this.stop('The voice call was cancelled.');
      else if (this.state !== 'idle') this.stop('The other side ended the voice call.');
    } else if (sdp.type === 'offer' && typeof sdp.sdp === 'string') {
      const offer = {type: 'offer', sdp: sdp.sdp};
      if (!pc) {
        if (this.state === 'calling') this.stop();   // still asking for our microphone: theirs wins
        if (!this.enabled) return;
        this.offer = offer;
        this.candidates = [];
        this.setState('incoming');
      } else {
        const collision = this.makingOffer || pc.signalingState !== 'stable';
        if (collision && !this.options.polite) return;
        this.candidates = [];
        this.setState('connecting');
        this.answer(offer);
      }
    } else if (sdp.type === 'answer' && typeof sdp.sdp === 'string' && pc && pc.signalingState === 'have-local-offer') {
      this.setState('connecting');
      pc.setRemoteDescription({type: 'answer', sdp: sdp.sdp})
        .then(() => this.addCandidates())
        .catch((err) => this.hangup(`Voice could not connect: ${err.message}`));
    }
  }

  onCandidate(candidate) {
    if (candidate !== null && (typeof candidate !== 'object' || typeof candidate.candidate !== 'string')) return;
    const pc = this.pc;
    if (pc && pc.remoteDescription) pc.addIceCandidate(candidate ?? undefined).catch(() => {});
    else if (this.state !== 'idle') this.candidates.push(candidate);
  }
}
