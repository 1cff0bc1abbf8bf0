// Small line charts of an entity's channels, drawn on a canvas (no library):
// a line, its last value and the range, sized for the drill-down panel.

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
