// The time slider: LIVE, or a past instant shown paused or played forward
// (the stream's seek with a speed); the slider reaches back a chosen window.

const $ = (id) => document.getElementById(id);

export class Timeline {
  constructor(app) {
    this.app = app;
    this.slider = $("slider");
    this.play = $("play");
    this.speed = $("speed");
    this.window = $("window");
    this.label = $("time-label");
    this.badge = $("mode-badge");
    this.dragging = false;
    this.slider.addEventListener("input", () => {
      this.dragging = true;
      this.showTime(Date.now() + Number(this.slider.value) * 1000, this.app.state.playing ? "playback" : "paused");
    });
    this.slider.addEventListener("change", () => {
      this.dragging = false;
      const v = Number(this.slider.value);
      if (v >= 0) this.app.goLive();
      else this.app.seekTo(Date.now() + v * 1000, this.app.state.playing);
    });
    this.play.addEventListener("click", () => this.toggle());
    $("go-live").addEventListener("click", () => this.app.goLive());
    this.speed.addEventListener("change", () => {
      this.app.state.speed = Number(this.speed.value);
      if (this.app.state.playing) this.app.seekTo(this.app.shownTime(), true);
    });
    this.window.addEventListener("change", () => this.setWindow(Number(this.window.value)));
    this.setWindow(Number(this.window.value));
    setInterval(() => this.update(), 250);
  }

  setWindow(s) {
    this.slider.min = String(-s);
    this.slider.step = String(s > 7200 ? 10 : 1);
    this.update();
  }

  // toggle plays or pauses; from LIVE it plays the last ten minutes (or the
  // window, if shorter).
  toggle() {
    const s = this.app.state;
    if (s.at == null) {
      const back = Math.min(600, -Number(this.slider.min));
      this.app.seekTo(Date.now() - back * 1000, true);
    } else {
      this.app.seekTo(this.app.shownTime(), !s.playing);
    }
  }

  // step moves the time by seconds (paused).
  step(seconds) {
    const t = Math.min(Date.now(), this.app.shownTime() + seconds * 1000);
    if (t >= Date.now() - 500) this.app.goLive();
    else this.app.seekTo(t, false);
  }

  update() {
    const s = this.app.state;
    const live = s.at == null;
    const mode = live ? "live" : s.playing ? "playback" : "paused";
    document.getElementById("timeline").classList.toggle("live", live);
    this.play.textContent = s.playing ? "❚❚" : "▶";
    this.play.setAttribute("aria-label", s.playing ? "Pause" : "Play");
    this.speed.value = String(s.speed);
    if (this.dragging) return;
    const t = this.app.shownTime();
    this.slider.value = String(live ? 0 : Math.max(Number(this.slider.min), Math.round((t - Date.now()) / 1000)));
    this.showTime(t, mode);
  }

  showTime(t, mode) {
    this.badge.className = `badge ${mode}`;
    this.badge.textContent = mode === "live" ? "LIVE" : mode === "playback" ? `▶ ${this.app.state.speed}×` : "PAUSED";
    const d = new Date(t);
    const ago = Math.round((Date.now() - t) / 1000);
    this.label.textContent = d.toLocaleTimeString([], { hour12: false }) + (mode === "live" ? "" : `  (${fmtAgo(ago)} ago)`);
    this.label.dateTime = d.toISOString();
    this.badge.dataset.mode = mode;
  }
}

function fmtAgo(s) {
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
