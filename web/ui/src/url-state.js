// Shareable URLs: the view, the layers, the time, the heatmap and the
// selection live in the location's hash, so a link shows what its sender saw.
//   #view=24.94,60.17,15.2,50,-20&layers=buildings,roads&t=2026-05-01T08:00:00Z&metric=pm25&res=8&sel=sensor:1

export function readHash(hash = location.hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  const out = {};
  const view = p.get("view");
  if (view) {
    const [longitude, latitude, zoom, pitch, bearing] = view.split(",").map(Number);
    if ([longitude, latitude, zoom].every(Number.isFinite)) {
      out.view = { longitude, latitude, zoom, pitch: Number.isFinite(pitch) ? pitch : 45, bearing: Number.isFinite(bearing) ? bearing : 0 };
    }
  }
  if (p.has("layers")) out.layers = p.get("layers").split(",").filter(Boolean);
  const t = p.get("t");
  if (t && t !== "live" && Number.isFinite(Date.parse(t))) out.at = Date.parse(t);
  if (p.get("speed")) out.speed = Number(p.get("speed")) || 0;
  for (const k of ["metric", "colour", "sel"]) if (p.get(k)) out[k] = p.get(k);
  if (p.get("res")) out.res = Number(p.get("res"));
  return out;
}

export function writeHash(s) {
  const p = new URLSearchParams();
  const v = s.view;
  if (v) p.set("view", [v.longitude.toFixed(5), v.latitude.toFixed(5), v.zoom.toFixed(2), Math.round(v.pitch), Math.round(v.bearing)].join(","));
  p.set("layers", Object.keys(s.layers).filter((k) => s.layers[k]).join(","));
  p.set("t", s.at == null ? "live" : new Date(s.at).toISOString().replace(/\.\d{3}Z$/, "Z"));
  if (s.at != null && s.playing) p.set("speed", String(s.speed));
  p.set("metric", s.metric);
  p.set("res", String(s.res));
  p.set("colour", s.buildingColour);
  if (s.selected) p.set("sel", s.selected);
  const hash = "#" + p.toString().replace(/%2C/g, ",").replace(/%3A/g, ":").replace(/%2F/g, "/");
  if (hash !== location.hash) history.replaceState(null, "", hash);
}
