// The shared whiteboard of a call, one component for the caller's UI and
// each of the agent's call tabs: draw with any pointer (mouse, touch,
// pen), pick a colour, clear.  What is drawn goes out as `whiteboard`
// messages while drawing, {strokes: [{color, width, points: [x, y, …]}]}
// with coordinates from 0 to 1 (boards of any size match), at most every
// 100 ms and at most MAX_POINTS points a message: a long stroke travels in
// pieces, each starting where the previous one ended and marked
// {cont: true} but the first.  Clearing is the stroke {clear: true}.
//
// The sender draws its own lines from its pointer: the echo of its own
// messages on the stream is recognised and skipped, while its messages in a
// replay (after a reload) are drawn like the other side's.

import {h} from './dom.js';

const COLORS = [
  ['#1b1f24', 'Black'],
  ['#2457d6', 'Blue'],
  ['#c62828', 'Red'],
  ['#147a3d', 'Green'],
];
const WIDTH = 0.006;        // of the board's width
const FLUSH_MS = 100;
const MAX_POINTS = 300;     // ~5 KiB of JSON, well under the 16 KiB limit
const ASPECT = 3 / 4;       // height / width

const round = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;

// A stroke from the stream, checked and reduced to what we draw; null when
// it is nothing we know.
function cleanStroke(s) {
  if (!s || typeof s !== 'object') return null;
  if (s.clear === true) return {clear: true};
  if (!Array.isArray(s.points) || s.points.length < 2) return null;
  const points = [];
  for (let i = 0; i + 1 < s.points.length; i += 2) {
    const x = Number(s.points[i]);
    const y = Number(s.points[i + 1]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
    points.push(round(x), round(y));
  }
  const color = COLORS.some(([c]) => c === s.color) ? s.color : COLORS[0][0];
  const width = Number(s.width) > 0 && Number(s.width) < 0.1 ? Number(s.width) : WIDTH;
  return {color, width, points, cont: s.cont === true};
}

export class Whiteboard {
  // options.send(message) → Promise; options.side: 'caller' | 'agent' (our
  // "from"); options.label: the board's accessible name.
  constructor(idPrefix, options) {
    this.options = options;
    this.strokes = [];          // pieces drawn since the last clear, for redraws
    this.count = 0;             // strokes (not pieces) since the last clear
    this.current = null;        // the stroke under the pointer
    this.unsent = [];           // pieces waiting for the next message
    this.echoes = new Map();    // JSON of our messages not yet echoed → count
    this.queue = Promise.resolve();
    this.color = COLORS[0][0];
    this.enabled = false;

    this.canvas = h('canvas', {id: `${idPrefix}-board`, class: 'wb-canvas', role: 'img',
      'aria-label': options.label || 'Shared whiteboard', 'data-strokes': '0',
      onpointerdown: (e) => this.down(e),
      onpointermove: (e) => this.move(e),
      onpointerup: (e) => this.up(e),
      onpointercancel: (e) => this.up(e)});
    this.colorBtns = COLORS.map(([color, name]) => {
      const btn = h('button', {type: 'button', class: 'wb-color', 'aria-pressed': String(color === this.color),
        'aria-label': name, title: name, onclick: () => this.pick(color)});
      // through the CSSOM: a style attribute is refused by the pages' CSP
      btn.style.setProperty('--swatch', color);
      return btn;
    });
    this.clearBtn = h('button', {type: 'button', class: 'btn wb-clear', onclick: () => this.clear()}, 'Clear');
    this.errorEl = h('p', {class: 'wb-error', role: 'alert', hidden: true});
    this.element = h('div', {class: 'wb'},
      h('div', {class: 'wb-tools', role: 'toolbar', 'aria-label': 'Whiteboard tools'},
        h('div', {class: 'wb-colors', role: 'group', 'aria-label': 'Colour'}, this.colorBtns),
        this.clearBtn),
      this.canvas, this.errorEl);
    new ResizeObserver(() => this.resize()).observe(this.canvas);
    this.setEnabled(false);
  }

  setEnabled(on) {
    this.enabled = on;
    for (const b of [...this.colorBtns, this.clearBtn]) b.disabled = !on;
    this.canvas.classList.toggle('wb-off', !on);
    if (!on) this.current = null;
  }

  pick(color) {
    this.color = color;
    COLORS.forEach(([c], i) => this.colorBtns[i].setAttribute('aria-pressed', String(c === color)));
  }

  // ---- local drawing

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [round((e.clientX - r.left) / r.width), round((e.clientY - r.top) / r.height)];
  }

  down(e) {
    if (!this.enabled || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    const stroke = {color: this.color, width: WIDTH, points: this.point(e)};
    this.current = {pointerId: e.pointerId, stroke, piece: {...stroke, points: [...stroke.points]}};
    this.strokes.push(stroke);
    this.countStroke();
    this.drawStroke(stroke);
  }

  move(e) {
    const cur = this.current;
    if (!cur || cur.pointerId !== e.pointerId) return;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const [x, y] = this.point(ev);
      const pts = cur.stroke.points;
      if (pts[pts.length - 2] === x && pts[pts.length - 1] === y) continue;
      pts.push(x, y);
      this.drawSegment(cur.stroke, pts.length - 4);
      cur.piece.points.push(x, y);
      if (cur.piece.points.length >= MAX_POINTS * 2) this.cutPiece();
    }
    if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  up(e) {
    const cur = this.current;
    if (!cur || cur.pointerId !== e.pointerId) return;
    this.current = null;
    this.cutPiece(cur);
    this.flush();
  }

  // The points drawn since the last piece become one; the next piece
  // starts at the last point so that the pieces join.
  cutPiece(cur = this.current) {
    const pts = cur.piece.points;
    if (pts.length >= 4 || (pts.length === 2 && cur.stroke.points.length === 2)) this.unsent.push(cur.piece);
    cur.piece = {color: cur.stroke.color, width: cur.stroke.width, points: pts.slice(-2), cont: true};
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.current) this.cutPiece();
    if (!this.unsent.length) return;
    const strokes = this.unsent;
    this.unsent = [];
    this.post({type: 'whiteboard', strokes});
  }

  clear() {
    if (!this.enabled) return;
    this.current = null;
    this.unsent = [];
    this.wipe();
    this.post({type: 'whiteboard', strokes: [{clear: true}]});
  }

  // Messages go out one after the other, so that the other side gets
  // them in drawing order.
  post(message) {
    const key = JSON.stringify(message.strokes);
    this.echoes.set(key, (this.echoes.get(key) || 0) + 1);
    this.queue = this.queue.then(() => this.options.send(message)).catch((err) => {
      this.forget(key);
      this.errorEl.textContent = `Drawing not sent: ${err.message}`;
      this.errorEl.hidden = false;
    });
  }

  forget(key) {
    const n = this.echoes.get(key) || 0;
    if (n > 1) this.echoes.set(key, n - 1);
    else this.echoes.delete(key);
    return n > 0;
  }

  // ---- the stream

  // A whiteboard message from the stream (data: the `message` event).
  receive(data) {
    const strokes = data.message && data.message.strokes;
    if (!Array.isArray(strokes)) return;
    if (data.from === this.options.side && this.forget(JSON.stringify(strokes))) return;
    for (const raw of strokes) {
      const s = cleanStroke(raw);
      if (!s) continue;
      if (s.clear) {
        this.wipe();
      } else {
        this.strokes.push(s);
        this.drawStroke(s);
        if (!s.cont) this.countStroke();
      }
    }
  }

  // A new conversation: an empty board, nothing pending.
  reset() {
    this.echoes.clear();
    this.unsent = [];
    this.current = null;
    this.errorEl.hidden = true;
    this.wipe();
  }

  // ---- painting

  wipe() {
    this.strokes = [];
    this.count = 0;
    this.canvas.dataset.strokes = '0';
    const ctx = this.canvas.getContext('2d');
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  // data-strokes: how many strokes the board shows (for tests and tools)
  countStroke() {
    this.count++;
    this.canvas.dataset.strokes = String(this.count);
  }

  // The backing store follows the displayed size (and the pixel ratio);
  // everything is drawn again.
  resize() {
    const r = this.canvas.getBoundingClientRect();
    if (!r.width) return;
    const ratio = window.devicePixelRatio || 1;
    const w = Math.round(r.width * ratio);
    const hgt = Math.round(r.width * ASPECT * ratio);
    if (this.canvas.width === w && this.canvas.height === hgt) return;
    this.canvas.width = w;
    this.canvas.height = hgt;
    for (const s of this.strokes) this.drawStroke(s);
  }

  style(ctx, s) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = Math.max(1, s.width * this.canvas.width);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
  }

  drawStroke(s) {
    const ctx = this.canvas.getContext('2d');
    const {width: w, height: hgt} = this.canvas;
    const p = s.points;
    this.style(ctx, s);
    if (p.length === 2) {
      ctx.beginPath();
      ctx.arc(p[0] * w, p[1] * hgt, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(p[0] * w, p[1] * hgt);
    for (let i = 2; i + 1 < p.length; i += 2) ctx.lineTo(p[i] * w, p[i + 1] * hgt);
    ctx.stroke();
  }

  // The segment from point i/2 to the next one.
  drawSegment(s, i) {
    const ctx = this.canvas.getContext('2d');
    const {width: w, height: hgt} = this.canvas;
    this.style(ctx, s);
    ctx.beginPath();
    ctx.moveTo(s.points[i] * w, s.points[i + 1] * hgt);
    ctx.lineTo(s.points[i + 2] * w, s.points[i + 3] * hgt);
    ctx.stroke();
  }
}
