// Small line charts drawn on a canvas (no library): an entity's channel for
// the drill-down panel (sparkline), and a scenario's curves against its
// baseline for the planners' panel (lineChart).

export function sparkline(canvas, times, values, colour = "#7fd4ff") {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 260, h = canvas.clientHeight || 56;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext("2d");
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, h);
  const n = values.length;
  if (n === 0) {
    g.fillStyle = "#8894aa";
    g.font = "12px system-ui, sans-serif";
    g.fillText("no readings in range", 4, h / 2);
    return;
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!(hi > lo)) { hi = lo + 1; lo -= 1; }
  const t0 = times[0], t1 = times[n - 1] > t0 ? times[n - 1] : t0 + 1;
  const x = (t) => 2 + ((t - t0) / (t1 - t0)) * (w - 4);
  const y = (v) => h - 4 - ((v - lo) / (hi - lo)) * (h - 8);
  g.strokeStyle = colour;
  g.lineWidth = 1.5;
  g.beginPath();
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) continue;
    i === 0 ? g.moveTo(x(times[i]), y(values[i])) : g.lineTo(x(times[i]), y(values[i]));
  }
  g.stroke();
  g.fillStyle = colour;
  g.beginPath();
  g.arc(x(times[n - 1]), y(values[n - 1]), 2.5, 0, 2 * Math.PI);
  g.fill();
}

// lineChart draws several series over the same times on one scale (a
// scenario's curve against its baseline), with a legend of their labels and
// the range of values at the left.
export function lineChart(canvas, times, series) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 260, h = canvas.clientHeight || 80;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext("2d");
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, h);
  let lo = Infinity, hi = -Infinity;
  for (const s of series) for (const v of s.values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const n = times.length;
  if (n === 0 || lo === Infinity) return;
  if (!(hi > lo)) { hi = lo + 1; lo -= 1; }
  const left = 40, top = 14;
  const t0 = times[0], t1 = times[n - 1] > t0 ? times[n - 1] : t0 + 1;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (w - left - 4);
  const y = (v) => h - 4 - ((v - lo) / (hi - lo)) * (h - top - 8);
  g.font = "10px Inter, system-ui, sans-serif";
  g.fillStyle = "#8894aa";
  g.fillText(compact(hi), 2, top + 4);
  g.fillText(compact(lo), 2, h - 4);
  let lx = left;
  for (const s of series) {
    g.strokeStyle = s.colour;
    g.lineWidth = s.width || 1.5;
    g.beginPath();
    let started = false;
    for (let i = 0; i < n; i++) {
      const v = s.values[i];
      if (!Number.isFinite(v)) continue;
      started ? g.lineTo(x(times[i]), y(v)) : g.moveTo(x(times[i]), y(v));
      started = true;
    }
    g.stroke();
    g.fillStyle = s.colour;
    g.fillText(s.label, lx, 10);
    lx += g.measureText(s.label).width + 12;
  }
}

function compact(v) {
  const a = Math.abs(v);
  return a >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : a >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : a >= 10 ? v.toFixed(0) : v.toFixed(2);
}
