// The HTML panels around the map: layer toggles and legend (left), the
// drill-down of the selected object and the alert list (right).

import { getJSON, entityPath } from "./api.js";
import { sparkline } from "./charts.js";
import { LAYERS } from "./layers.js";
import * as pal from "./palette.js";

const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

// --- layers and legend -----------------------------------------------------

export function renderToggles(app) {
  const box = $("layer-toggles");
  box.replaceChildren(...LAYERS.map((l) => el("label", { class: "toggle" },
    el("input", { type: "checkbox", id: `layer-${l.id}`, checked: app.state.layers[l.id], onchange: (e) => app.setLayer(l.id, e.target.checked) }),
    l.label, el("kbd", {}, l.key))));
}

export function syncToggles(app) {
  for (const l of LAYERS) $(`layer-${l.id}`).checked = app.state.layers[l.id];
}

const rampCSS = (f) => `linear-gradient(90deg, ${[0, 0.25, 0.5, 0.75, 1].map((t) => pal.css(f(t))).join(",")})`;

export function renderLegend(app) {
  const s = app.state;
  const rows = [];
  const scale = (lo, hi, unit = "") => el("div", { class: "legend-scale" }, el("span", {}, fmt(lo) + unit), el("span", {}, fmt(hi) + unit));
  if (s.layers.buildings) {
    rows.push(el("div", { class: "legend-row" }, `Buildings by ${s.buildingColour === "metric" ? s.metric : s.buildingColour}`));
    if (s.buildingColour === "use") {
      for (const [k, c] of pal.BUILDING_USES) rows.push(el("div", { class: "legend-row" }, el("span", { class: "swatch", style: `background:${pal.css(c)}` }), k));
    } else if (s.buildingColour === "metric") {
      const d = app.buildingValues.domain;
      rows.push(el("div", { class: "ramp", style: `background:${rampCSS(pal.readingColor)}` }), scale(d[0], d[1]));
      if (!app.buildingValues.map.size) rows.push(el("div", { class: "legend-row muted" }, `no building has ${s.metric} readings`));
    } else {
      rows.push(el("div", { class: "ramp", style: `background:${rampCSS((t) => pal.buildingHeightColor(t * 80))}` }), scale(0, 80, " m"));
    }
  }
  if (s.layers.roads) {
    rows.push(el("div", { class: "legend-row" }, `Roads by ${s.roadColour}`));
    if (s.roadColour === "congestion") rows.push(el("div", { class: "ramp", style: `background:${rampCSS(pal.congestionColor)}` }), el("div", { class: "legend-scale" }, el("span", {}, "free"), el("span", {}, "jammed")));
    else for (const [k, c] of pal.ROAD_CLASSES.slice(2, 7)) rows.push(el("div", { class: "legend-row" }, el("span", { class: "swatch", style: `background:${pal.css(c)}` }), k));
  }
  if (s.layers.vehicles) rows.push(el("div", { class: "legend-row" }, el("span", { class: "swatch", style: `background:${pal.css(pal.VEHICLE)};border-radius:50%` }), "vehicle (live)"));
  if (s.layers.sensors) {
    const d = pal.metricDomain(s.metric);
    rows.push(el("div", { class: "legend-row" }, `Sensors by ${s.metric}`), el("div", { class: "ramp", style: `background:${rampCSS(pal.readingColor)}` }), scale(d[0], d[1]));
  }
  if (s.layers.h3) {
    const d = app.h3 ? app.h3.domain : [0, 1];
    rows.push(el("div", { class: "legend-row" }, `Heatmap: ${s.agg} ${s.metric} per H3 cell (res ${app.h3 ? app.h3.res : s.res})`),
      el("div", { class: "ramp", style: `background:${rampCSS((t) => pal.heatColor(t))}` }), scale(d[0], d[1]));
  }
  const r = app.scenarios?.result;
  if (r && app.scenarios.showDiff) {
    rows.push(el("div", { class: "legend-row" }, `Scenario − baseline: ${r.metric} per H3 cell (res 9)`),
      el("div", { class: "ramp", style: `background:${rampCSS((t) => pal.divergingColor(2 * t - 1))}` }),
      r.max ? scale(-r.max, r.max) : el("div", { class: "legend-row muted" }, "no cell changed"));
  }
  $("legend").replaceChildren(...rows);
}

function fmt(v) {
  if (!Number.isFinite(v)) return "–";
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

// --- drill-down ------------------------------------------------------------

let drillToken = 0;

// openDrill shows everything about one entity: its properties, provenance,
// links and charts of its channels (as of the time shown).
export async function openDrill(app, id) {
  const my = ++drillToken;
  const body = $("drill-body");
  $("drill").hidden = false;
  body.replaceChildren(el("h3", {}, id), el("p", { class: "muted" }, "loading…"));
  const at = app.state.at != null ? `?at=${encodeURIComponent(new Date(app.state.at).toISOString())}` : "";
  let ent;
  try {
    ent = await getJSON(entityPath(id) + at);
  } catch (err) {
    if (my === drillToken) body.replaceChildren(el("h3", {}, id), el("p", { class: "muted" }, err.status === 404 ? "not in the twin at this time" : String(err.message)));
    return;
  }
  const [prov, links, metrics] = await Promise.all([
    getJSON(entityPath(id, "/provenance") + at).catch(() => null),
    getJSON(entityPath(id, "/links") + at).catch(() => null),
    getJSON(entityPath(id, "/metrics")).catch(() => null),
  ]);
  if (my !== drillToken) return;
  const p = ent.properties || {};
  const kind = p.kind || "";
  const name = p.name || p["alert.rule"] || "";
  const props = Object.entries(p).filter(([k]) => k !== "kind" && k !== "name");
  const kids = [
    el("div", { class: "kind" }, kind),
    el("h3", { id: "drill-title" }, name || id),
    name ? el("div", { class: "muted" }, id) : null,
  ];
  if (ent.geometry) {
    const c = centroid(ent.geometry);
    if (c) kids.push(el("div", {}, el("a", { onclick: () => app.flyTo(c[0], c[1], Math.max(app.view.zoom, 17)) }, "fly here")));
  }
  kids.push(el("h4", {}, "Properties"), el("table", {}, props.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, typeof v === "object" ? JSON.stringify(v) : String(v))))));
  const ls = (links && links.links) || ent.relations || [];
  if (ls.length) {
    kids.push(el("h4", {}, "Links"), el("table", {}, ls.map((l) => el("tr", {}, el("td", {}, l.rel), el("td", {}, el("a", { onclick: () => app.select(l.to, null, true) }, l.to))))));
  }
  const pv = (prov && prov.provenance) || ent.provenance || [];
  if (pv.length) {
    kids.push(el("h4", {}, "Provenance"), el("table", {}, pv.map((r) => el("tr", {}, el("td", {}, r.source), el("td", {}, [r.time ? new Date(r.time).toLocaleString() : "", r.note ? ` — ${r.note}` : ""].join(""))))));
  }
  const ms = (metrics && metrics.metrics) || [];
  const charts = ms.slice(0, 6).map((m) => {
    const canvas = el("canvas");
    const last = el("span", {}, "…");
    return { m, canvas, last, box: el("div", { class: "chart" }, el("div", {}, el("span", {}, m), last), canvas) };
  });
  if (charts.length) kids.push(el("h4", {}, "Channels"), ...charts.map((c) => c.box));
  body.replaceChildren(...kids.filter(Boolean));
  for (const c of charts) drawSeries(app, id, c, my);
}

async function drawSeries(app, id, c, my) {
  const before = app.state.at != null ? `&before=${encodeURIComponent(new Date(app.state.at).toISOString())}` : "";
  try {
    const s = await getJSON(entityPath(id, `/series/${encodeURIComponent(c.m)}`) + `?last=200${before}`);
    if (my !== drillToken) return;
    const pts = s.points || [];
    const times = pts.map((q) => Date.parse(q[0]));
    const values = pts.map((q) => q[1]);
    c.last.textContent = values.length ? fmt(values[values.length - 1]) : "–";
    sparkline(c.canvas, times, values);
  } catch {
    c.last.textContent = "–";
    sparkline(c.canvas, [], []);
  }
}

export function closeDrill() {
  drillToken++;
  $("drill").hidden = true;
}

export function centroid(g) {
  if (!g) return null;
  let sx = 0, sy = 0, n = 0;
  const walk = (c) => {
    if (typeof c[0] === "number") { sx += c[0]; sy += c[1]; n++; return; }
    for (const x of c) walk(x);
  };
  if (g.type === "GeometryCollection") for (const x of g.geometries) walk(x.coordinates);
  else walk(g.coordinates);
  return n ? [sx / n, sy / n] : null;
}

// --- alerts ----------------------------------------------------------------

// AlertList keeps the threshold alerts (by id, newest state) and the recent
// geofence events, newest first.
export class AlertList {
  constructor(app) {
    this.app = app;
    this.items = []; // {key, cls, title, detail, t, lonlat, id}
    this.max = 60;
  }

  setAlerts(features) {
    this.items = this.items.filter((i) => i.cls === "fence");
    for (const f of features) this.alert(f, false);
    this.render();
  }

  alert(f, render = true) {
    const p = f.properties || {};
    const state = p["alert.state"] || "active";
    const sev = p["alert.severity"] || "warning";
    const item = {
      key: f.id,
      cls: `${sev === "critical" ? "critical" : "warning"}${state === "cleared" ? " cleared" : ""}`,
      title: `${state === "cleared" ? "cleared: " : ""}${p["alert.metric"] || "alert"} ${p["alert.op"] || ""} ${p["alert.threshold"] ?? ""}`,
      detail: `${p["alert.subject"] || p["alert.cell"] || ""} — ${fmt(p["alert.value"])}`,
      t: Date.parse(p["alert.cleared_at"] || p["alert.raised_at"] || "") || Date.now(),
      lonlat: f.geometry ? centroid(f.geometry) : null,
      id: p["alert.subject"] || f.id,
    };
    this.items = this.items.filter((i) => i.key !== item.key);
    this.items.unshift(item);
    if (render) this.render();
  }

  fence(events) {
    for (const e of events) {
      const verb = { enter: "entered", exit: "left", cross: "crossed", inside: "inside", outside: "outside" }[e.kind] || e.kind;
      this.items.unshift({
        key: `fence:${e.seq}`,
        cls: "fence",
        title: `${e.object} ${verb} ${e.fence}`,
        detail: "geofence",
        t: e.t ? e.t / 1e6 : Date.now(),
        lonlat: e.point || null,
        id: e.object,
      });
    }
    this.render();
  }

  render() {
    this.items.sort((a, b) => b.t - a.t);
    if (this.items.length > this.max) this.items.length = this.max;
    const active = this.items.filter((i) => i.cls !== "fence" && !i.cls.includes("cleared")).length;
    $("alert-count").textContent = String(active);
    $("alert-list").replaceChildren(...this.items.map((i) => el("li", {
      class: i.cls, "data-key": i.key, tabindex: "0", title: "fly there",
      onclick: () => this.go(i), onkeydown: (e) => e.key === "Enter" && this.go(i),
    }, el("time", {}, new Date(i.t).toLocaleTimeString()), el("strong", {}, i.title), el("div", { class: "muted" }, i.detail))));
  }

  go(i) {
    if (i.lonlat) this.app.flyTo(i.lonlat[0], i.lonlat[1], Math.max(this.app.view.zoom, 16.5));
    if (i.id) this.app.select(i.id, null, false);
  }

  newest() {
    return this.items[0];
  }
}
