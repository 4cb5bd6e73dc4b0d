// Ringing: a short beep every two seconds and a flashing tab title while an
// offer waits.

export class Ringer {
  constructor() {
    this.audio = null;
    this.title = document.title;
    this.count = 0;
    const unlock = () => {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!this.audio && Ctx) this.audio = new Ctx();
      if (this.audio && this.audio.state === 'suspended') this.audio.resume();
    };
    document.addEventListener('pointerdown', unlock, {capture: true});
    document.addEventListener('keydown', unlock, {capture: true});
  }

  set(count) {
    this.count = count;
    if (count > 0 && !this.timer) {
      this.tick = 0;
      this.ring();
      this.timer = setInterval(() => this.ring(), 1000);
    } else if (count === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      document.title = this.title;
    }
  }

  ring() {
    this.tick++;
    document.title = this.tick % 2
      ? `\u260e ${this.count === 1 ? 'Incoming call' : `${this.count} incoming calls`}` : this.title;
    if (this.tick % 2 === 1) this.beep();
  }

  beep() {
    const ctx = this.audio;
    if (!ctx || ctx.state !== 'running') return;
    const t = ctx.currentTime;
    for (const [start, freq] of [[0, 880], [0.18, 660]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + start);
      gain.gain.exponentialRampToValueAtTime(0.2, t + start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + start + 0.15);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t + start);
      osc.stop(t + start + 0.16);
    }
  }
}
