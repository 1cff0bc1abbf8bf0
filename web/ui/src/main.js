// The citytwin command centre: a deck.gl view of the live twin, fed by the
// server's vector tiles (base map, buildings), its websocket stream (sensors,
// vehicles) and its API (heatmaps, drill-downs, alerts, history, scenarios).

import { Deck, FlyToInterpolator, WebMercatorViewport } from "@deck.gl/core";
import { PointStore, KIND_VEHICLE, KIND_SENSOR, KIND_STOP } from "./points.js";
import { StreamClient } from "./stream.js";
import { buildLayers, LAYERS } from "./layers.js";
import { pointColourer, metricDomain } from "./palette.js";
import { decodeH3 } from "./frames.js";
import { getJSON, getBinary, hasToken, keepToken } from "./api.js";
import { askToken } from "./signin.js";
import { readHash, writeHash } from "./url-state.js";
import * as panels from "./panels.js";
import { Search } from "./search.js";
import { Timeline } from "./timeline.js";
import { Scenarios } from "./scenarios.js";
import { installKeys } from "./keys.js";
import { installProbe } from "./probe.js";

const $ = (id) => document.getElementById(id);
const STREAM_KINDS = ["vehicle", "sensor", "stop"];
const HOLD_MS = 4000;

class App {
  constructor() {
    const h = readHash();
    const layers = Object.fromEntries(LAYERS.map((l) => [l.id, h.layers ? h.layers.includes(l.id) : true]));
    this.state = {
      layers,
      buildingColour: h.colour || "height",
      roadColour: "class",
      metric: h.metric || "pm25",
      res: h.res || 8,
      agg: "avg",
      at: h.at ?? null, // null: live; else the Unix ms shown
      playing: Boolean(h.at && h.speed),
      speed: h.speed || 60,
      selected: h.sel || null,
      wall: innerWidth >= 2200,
    };
    this.hashView = h.view;
    this.view = h.view || { longitude: 0, latitude: 0, zoom: 2, pitch: 50, bearing: -15 };
    this.points = new PointStore(4096);
    this.points.colourOf = pointColourer(this.state.metric);
    this.stream = new StreamClient(this.points, this.streamHandlers());
    this.h3 = null;
    this.buildingValues = { map: new Map(), domain: [0, 1], version: 0 };
    this.storeys = [];
    this.storeyBuildings = new Set();
    this.storeyVersion = 0;
    this.selectedLayer = null;
    this.extent = null;
    this.metrics = new Set();
    this.loaded = new Set(); // layers whose tiles in view have all arrived
    this.frameCount = 0;
    this.layersGiven = 0; // how many times the layers were handed to deck.gl
    this.firstPaint = null;
    this.alerts = new panels.AlertList(this);
  }

  async start() {
    this.marks = { script: performance.now() };
    // A server that needs a token to read says so in its (open) health.
    if (!hasToken()) {
      const h = await getJSON("/api/v1/health").catch(() => null);
      if (h && h.auth === "bearer") return askToken(false);
    }
    const tj = await getJSON("/tiles/buildings.json").catch((err) => err);
    if (tj instanceof Error && tj.status === 401) {
      keepToken("");
      return askToken(true);
    }
    this.marks.tilejson = performance.now();
    if (tj && tj.bounds) {
      const [w, s, e, n] = tj.bounds;
      const padX = (e - w) * 0.25, padY = (n - s) * 0.25;
      this.extent = [w - padX, s - padY, e + padX, n + padY];
      if (!this.hashView) {
        const vp = new WebMercatorViewport({ width: innerWidth, height: innerHeight }).fitBounds([[w, s], [e, n]], { padding: 40 });
        this.view = { longitude: tj.center?.[0] ?? vp.longitude, latitude: tj.center?.[1] ?? vp.latitude, zoom: Math.min(16, Math.max(13.5, vp.zoom + 0.8)), pitch: 50, bearing: -15 };
      }
    }
    const software = softwareGL();
    this.deck = new Deck({
      parent: $("map"),
      initialViewState: this.view,
      controller: { keyboard: false, inertia: true },
      layers: [],
      // A software renderer (SwiftShader, llvmpipe) pays for every sample of
      // multisampling and for keeping the drawing buffer: skip both there.
      deviceProps: { webgl: { antialias: !software, preserveDrawingBuffer: false } },
      useDevicePixels: software ? 1 : true,
      getTooltip: (info) => this.tooltip(info),
      getCursor: ({ isHovering, isDragging }) => (isDragging ? "grabbing" : isHovering ? "pointer" : "grab"),
      onViewStateChange: ({ viewState }) => {
        // Turning or tilting the view turns the labels' text (labels.js).
        const turned = Math.round(viewState.bearing) !== Math.round(this.view.bearing) || Math.round(viewState.pitch) !== Math.round(this.view.pitch);
        this.view = viewState;
        this.viewChanged();
        if (turned) this.invalidate();
      },
      onAfterRender: () => this.afterRender(),
      // deck.gl's hook for who draws (experimental): nothing while the first
      // picture is gathered (holding), deck.gl's own drawing after.
      _customRender: (reason) => {
        if (!this.holding()) this.deck._drawLayers(reason);
      },
      onResize: () => this.invalidate(),
      onError: (err) => this.toast(`render: ${err.message || err}`),
    });
    this.marks.deck = performance.now();
    this.listenClicks($("map"));
    panels.renderToggles(this);
    this.initControls();
    this.search = new Search(this);
    this.timeline = new Timeline(this);
    this.scenarios = new Scenarios(this);
    installKeys(this);
    installProbe(this);
    this.stream.sub = { bbox: this.bbox(), zoom: this.view.zoom, kinds: STREAM_KINDS, metrics: [this.state.metric] };
    this.stream.connect();
    if (this.state.at != null) this.pendingSeek = true;
    this.refreshH3();
    setInterval(() => this.state.layers.h3 && this.refreshH3(), 5000);
    setInterval(() => this.state.buildingColour === "metric" && this.refreshBuildingValues(), 5000);
    if (this.state.selected) this.select(this.state.selected, null, false);
    setTimeout(() => this.invalidate(), HOLD_MS);
    this.invalidate();
  }

  streamHandlers() {
    return {
      state: (s) => {
        const c = $("conn");
        c.textContent = s === "open" ? "● connected" : s === "connecting" ? "connecting…" : "○ reconnecting";
        c.className = `conn ${s}`;
      },
      snapshot: (m) => {
        this.marks.snapshot ??= performance.now();
        if (this.pendingSeek && m.mode === "live") {
          // A shared URL with a time: show that instant once the stream is up.
          this.pendingSeek = false;
          this.seekTo(this.state.at, this.state.playing);
        }
        for (const f of m.features || []) {
          const ms = f.properties && f.properties.metrics;
          if (typeof ms === "string") for (const x of ms.split(",")) if (x && !this.metrics.has(x)) { this.metrics.add(x); this.metricsChanged = true; }
        }
        if (this.metricsChanged) this.fillMetrics();
        this.invalidate();
      },
      change: () => this.invalidate(),
      frame: () => {
        // During a playback the time shown is the stream's, once it answers
        // the newest seek (an older seek's frames must not move the slider).
        if (this.stream.mode === "playback" && this.state.at != null && this.stream.pendingSeeks === 0) this.state.at = this.stream.at;
        this.invalidate();
      },
      live: () => {
        this.state.at = null;
        this.state.playing = false;
        this.timeChanged();
      },
      alerts: (fs) => this.alerts.setAlerts(fs),
      alert: (f) => this.alerts.alert(f),
      fence: (evs) => this.alerts.fence(evs),
      scenarios: (l) => this.scenarios?.setAll(l),
      scenario: (sc) => this.scenarios?.update(sc, true),
      error: (m) => this.toast(`stream: ${m.message}`),
    };
  }

  initControls() {
    const bc = $("building-colour");
    bc.value = this.state.buildingColour;
    bc.addEventListener("change", () => {
      this.state.buildingColour = bc.value;
      if (bc.value === "metric") this.refreshBuildingValues();
      this.changed();
    });
    const rc = $("road-colour");
    rc.addEventListener("change", () => {
      this.state.roadColour = rc.value;
      this.changed();
    });
    const res = $("res");
    for (let r = 5; r <= 11; r++) res.append(panels.el("option", { value: String(r) }, String(r)));
    res.value = String(this.state.res);
    res.addEventListener("change", () => {
      this.state.res = Number(res.value);
      this.refreshH3();
      this.changed();
    });
    $("metric").addEventListener("change", (e) => this.setMetric(e.target.value));
    this.metrics.add(this.state.metric);
    this.fillMetrics();
    $("drill-close").addEventListener("click", () => this.select(null));
    $("help-button").addEventListener("click", () => this.toggleHelp());
    addEventListener("resize", () => {
      this.state.wall = innerWidth >= 2200;
      this.invalidate();
    });
  }

  fillMetrics() {
    this.metricsChanged = false;
    const sel = $("metric");
    sel.replaceChildren(...[...this.metrics].sort().map((m) => panels.el("option", { value: m }, m)));
    sel.value = this.state.metric;
  }

  setMetric(m) {
    this.state.metric = m;
    this.points.colourOf = pointColourer(m);
    this.points.values.fill(NaN);
    this.points.recolour();
    this.stream.subscribe({ ...this.stream.sub, metrics: [m] });
    if (this.state.at != null) this.seekTo(this.state.at, this.state.playing);
    this.refreshH3();
    if (this.state.buildingColour === "metric") this.refreshBuildingValues();
    this.changed();
  }

  setLayer(id, on) {
    this.state.layers[id] = on;
    if (id === "vehicles") this.points.showKind(KIND_VEHICLE, on);
    if (id === "sensors") {
      this.points.showKind(KIND_SENSOR, on);
      this.points.showKind(KIND_STOP, on);
    }
    if (id === "h3" && on) this.refreshH3();
    if (id === "storeys" && on) this.refreshStoreys();
    panels.syncToggles(this);
    this.changed();
  }

  // changed: something an operator chose; redraw, and keep the URL and the
  // legend in step.
  changed() {
    panels.renderLegend(this);
    this.writeHash();
    this.invalidate();
  }

  writeHash() {
    writeHash({ ...this.state, view: this.view, at: this.state.at });
  }

  invalidate() {
    if (this.rafPending) return;
    this.rafPending = true;
    requestAnimationFrame(() => {
      this.rafPending = false;
      if (!this.deck) return;
      this.deck.setProps({ layers: buildLayers(this) });
      // (probe.js waits for a frame drawn after layers it asked for.)
      this.layersGiven++;
      this.frameAtGiven = this.frameCount;
      // The first picture is complete: draw it now, whether or not the
      // layers changed since the frames that drew nothing.
      if (this.frameCount === 0 && !this.holding()) this.deck.redraw("the first picture");
    });
  }

  afterRender() {
    this.frameCount++;
    this.marks.firstRender ??= performance.now();
    if (this.firstPaint == null && !this.painting) {
      // The frame is issued. The task after it runs once the browser has
      // committed the frame; without a GPU that commit reads the canvas back,
      // so it waits until the renderer has drawn every pixel.
      this.painting = true;
      this.marks.issued = performance.now();
      setTimeout(() => {
        this.firstPaint = performance.now();
        performance.mark("citytwin-first-paint");
        document.body.dataset.ready = "true";
        this.invalidate(); // now the context layers (layers.js)
      });
    }
  }

  // sized: whether deck.gl knows the canvas's size. It learns it from a
  // resize observer, after its first frame; a tile layer made before then
  // would ask for the tiles of a 300 × 150 canvas, and the rest only a frame
  // (most of a second, without a GPU) later.
  sized() {
    if (this.hasSize) return true; // later resizes are deck.gl's own
    const m = $("map");
    this.hasSize = this.deck.width === m.clientWidth && this.deck.height === m.clientHeight;
    return this.hasSize;
  }

  // holding: whether the first picture is still being gathered. Until the
  // buildings and roads in view and the live points are all in, the layers
  // load but nothing is drawn. A software renderer spends most of a second on
  // a frame; drawing each tile as it arrived would cost one such frame per
  // tile, and even an empty frame would make the page wait: without a GPU the
  // compositor reads every drawn canvas back, and the read waits for the
  // renderer, busy compiling the layers' shaders. After HOLD_MS the page
  // shows whatever it has.
  holding() {
    if (this.firstPaint != null) return false;
    const ready = this.loaded.has("buildings") && this.loaded.has("roads") && this.points.length > 0;
    if (ready || performance.now() > HOLD_MS) {
      this.marks.ready ??= performance.now();
      return false;
    }
    return true;
  }

  tilesLoaded(layer) {
    this.marks[layer] ??= performance.now();
    this.loaded.add(layer);
    this.invalidate();
  }

  bbox() {
    let b;
    try {
      const vp = this.deck ? this.deck.getViewports()[0] : new WebMercatorViewport({ ...this.view, width: innerWidth, height: innerHeight });
      b = vp.getBounds();
    } catch {
      b = [this.view.longitude - 0.05, this.view.latitude - 0.03, this.view.longitude + 0.05, this.view.latitude + 0.03];
    }
    const px = (b[2] - b[0]) * 0.2, py = (b[3] - b[1]) * 0.2;
    return [b[0] - px, Math.max(-85, b[1] - py), b[2] + px, Math.min(85, b[3] + py)].map((v) => Math.round(v * 1e6) / 1e6);
  }

  viewPolygon() {
    const [w, s, e, n] = this.bbox();
    return { type: "Polygon", coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
  }

  viewChanged() {
    clearTimeout(this.viewTimer);
    this.viewTimer = setTimeout(() => {
      this.stream.viewport(this.bbox(), this.view.zoom);
      this.writeHash();
      if (this.state.layers.h3) this.refreshH3();
      if (this.state.layers.storeys) this.refreshStoreys();
    }, 300);
  }

  shownTime() {
    return this.state.at == null ? Date.now() : this.state.at;
  }

  seekTo(t, playing) {
    this.state.at = t;
    this.state.playing = Boolean(playing);
    this.stream.seek(t, playing ? this.state.speed : 0);
    this.timeChanged();
  }

  goLive() {
    this.state.at = null;
    this.state.playing = false;
    this.stream.live();
    this.timeChanged();
  }

  timeChanged() {
    this.timeline?.update();
    this.refreshH3();
    this.writeHash();
  }

  async refreshH3() {
    if (!this.state.layers.h3) return;
    const s = this.state;
    const my = (this.h3Req = (this.h3Req || 0) + 1);
    const q = new URLSearchParams({ res: String(s.res), metric: s.metric, agg: s.agg, format: "binary", bbox: this.bbox().join(",") });
    if (s.at != null) q.set("at", new Date(s.at).toISOString());
    try {
      const h = decodeH3(await getBinary(`/api/v1/h3?${q}`));
      if (my !== this.h3Req) return;
      h.hex = Array.from(h.cells, (c) => c.toString(16));
      h.domain = metricDomain(s.metric, h.values);
      h.version = my;
      this.h3 = h;
      panels.renderLegend(this);
      this.invalidate();
    } catch (err) {
      if (my === this.h3Req) this.h3 = null;
      this.invalidate();
    }
  }

  async refreshBuildingValues() {
    const q = new URLSearchParams({ metric: this.state.metric, kind: "building", format: "columns", bbox: this.bbox().join(",") });
    try {
      const c = await getJSON(`/api/v1/latest?${q}`);
      const map = new Map();
      (c.id || []).forEach((id, i) => map.set(id, c.v[i]));
      this.buildingValues = { map, domain: metricDomain(this.state.metric, c.v || []), version: this.buildingValues.version + 1 };
    } catch {
      this.buildingValues = { map: new Map(), domain: [0, 1], version: this.buildingValues.version + 1 };
    }
    panels.renderLegend(this);
    this.invalidate();
  }

  // refreshStoreys loads the storeys of BIM buildings in view when zoomed in.
  async refreshStoreys() {
    if (this.view.zoom < 16.5) {
      if (this.storeys.length) {
        this.storeys = [];
        this.storeyBuildings = new Set();
        this.storeyVersion++;
        this.invalidate();
      }
      return;
    }
    const q = new URLSearchParams({ kind: "storey", bbox: this.bbox().join(","), limit: "2000" });
    if (this.state.at != null) q.set("at", new Date(this.state.at).toISOString());
    try {
      const fc = await getJSON(`/api/v1/entities?${q}`);
      const storeys = [], parents = new Set();
      for (const f of fc.features || []) {
        const g = f.geometry;
        if (!g || (g.type !== "Polygon" && g.type !== "MultiPolygon")) continue;
        const p = f.properties || {};
        const base = p.min_height ?? p.elevation_m ?? 0;
        const top = p.height ?? base + 3;
        const rings = g.type === "Polygon" ? g.coordinates : g.coordinates[0];
        storeys.push({ id: f.id, polygon: rings.map((r) => r.map((c) => [c[0], c[1], base])), height: Math.max(0.3, top - base - 0.3), level: 0, base });
        for (const r of f.relations || []) if (r.rel === "part_of") parents.add(r.to);
      }
      storeys.sort((a, b) => a.base - b.base);
      storeys.forEach((d, i) => (d.level = i));
      this.storeys = storeys;
      this.storeyBuildings = parents;
      this.storeyVersion++;
      this.invalidate();
    } catch { /* storeys are extra: the map goes on without them */ }
  }

  // listenClicks picks on the DOM's click rather than deck.gl's tap gesture:
  // a click counts however long the button was down (a busy wall-screen PC
  // delivers the release late), but not after a drag.
  listenClicks(el) {
    let down = null;
    el.addEventListener("pointerdown", (e) => (down = [e.clientX, e.clientY]));
    el.addEventListener("click", (e) => {
      if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) return;
      const r = el.getBoundingClientRect();
      const x = e.clientX - r.left, y = e.clientY - r.top;
      const info = this.deck.pickObject({ x, y, radius: 3 });
      this.click(info || {}, this.deck.getViewports()[0]?.unproject([x, y]));
    });
  }

  // objectAt names the entity a deck.gl pick refers to.
  objectAt(info) {
    if (!info || !info.layer) return null;
    const layer = info.layer.id;
    if (layer === "live") {
      if (info.index < 0 || info.index >= this.points.length) return null;
      const slot = this.points.slotOf[info.index];
      const e = this.stream.entity(slot);
      return e.id ? { id: e.id, kind: e.kind, layer } : null;
    }
    if (layer === "h3") {
      const h = this.h3;
      if (!h || info.index < 0) return null;
      return { cell: h.hex[info.index], value: h.values[info.index], count: h.counts[info.index], layer };
    }
    if (layer === "storeys") return info.object ? { id: info.object.id, kind: "storey", layer } : null;
    if (layer === "scenario-diff") {
      const c = info.object;
      return c ? { cell: c.cell, diff: c.diff, baseline: c.baseline, scenario: c.scenario, layer } : null;
    }
    const p = info.object && info.object.properties;
    return p && p.id ? { id: p.id, kind: p.kind || layer.replace(/s$/, ""), name: p.name, layer } : null;
  }

  tooltip(info) {
    const o = this.objectAt(info);
    if (!o) return null;
    if (o.layer === "scenario-diff") {
      const r = this.scenarios.result, f = (v) => (Number.isFinite(v) ? v.toFixed(2) : "–");
      return { text: `H3 ${o.cell} · ${r ? r.metric : ""}\nbaseline ${f(o.baseline)} · scenario ${f(o.scenario)}\ndifference ${o.diff > 0 ? "+" : ""}${f(o.diff)}` };
    }
    if (o.cell) return { text: `H3 ${o.cell}\n${this.state.agg} ${this.state.metric}: ${Number.isFinite(o.value) ? o.value.toFixed(2) : "–"} (${o.count})` };
    return { text: `${o.name ? o.name + "\n" : ""}${o.id}\n${o.kind || ""}` };
  }

  // click: lngLat is where on the ground (for drawing interventions).
  click(info, lngLat) {
    const o = this.objectAt(info);
    if (this.scenarios.mapClick(o, lngLat)) return;
    if (!o) {
      if (!info.layer) this.select(null);
      return;
    }
    if (o.layer === "scenario-diff") return; // its tooltip says it all
    if (o.cell) {
      this.showCell(o);
      return;
    }
    this.select(o.id, o.layer, false);
  }

  showCell(o) {
    this.select(null);
    $("drill").hidden = false;
    $("drill-body").replaceChildren(
      panels.el("div", { class: "kind" }, `H3 cell, resolution ${this.h3.res}`),
      panels.el("h3", { id: "drill-title" }, o.cell),
      panels.el("table", {},
        panels.el("tr", {}, panels.el("td", {}, `${this.state.agg} ${this.state.metric}`), panels.el("td", {}, Number.isFinite(o.value) ? o.value.toFixed(2) : "–")),
        panels.el("tr", {}, panels.el("td", {}, "entities"), panels.el("td", {}, String(o.count)))));
  }

  // select opens the drill-down of an entity (null closes it); fly moves the
  // view to it.
  async select(id, layer, fly) {
    this.state.selected = id;
    if (!id) {
      this.selectedLayer = null;
      panels.closeDrill();
      this.changed();
      return;
    }
    this.selectedLayer = layer || (this.stream.slotOfId.has(id) ? "live" : null);
    this.changed();
    panels.openDrill(this, id);
    if (!this.selectedLayer || fly) {
      try {
        const f = await getJSON(`/api/v1/entities/${encodeURIComponent(id)}`);
        const kind = f.properties && f.properties.kind;
        if (!this.selectedLayer) this.selectedLayer = { building: "buildings", building_part: "buildings", road: "roads", storey: "storeys" }[kind] || null;
        const c = panels.centroid(f.geometry);
        if (fly && c) this.flyTo(c[0], c[1], Math.max(this.view.zoom, 17));
        this.invalidate();
      } catch { /* the drill-down says what went wrong */ }
    }
  }

  flyTo(longitude, latitude, zoom = this.view.zoom) {
    this.view = { ...this.view, longitude, latitude, zoom, transitionDuration: 1200, transitionInterpolator: new FlyToInterpolator() };
    this.deck.setProps({ initialViewState: this.view });
    this.viewChanged();
  }

  toggleHelp(show) {
    const h = $("help");
    h.hidden = show === undefined ? !h.hidden : !show;
  }

  toast(text) {
    let t = $("toast");
    if (!t) {
      t = panels.el("div", { id: "toast", role: "status" });
      document.body.append(t);
    }
    t.textContent = text;
    t.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => (t.hidden = true), 5000);
  }
}

// softwareGL says whether WebGL 2 runs only on a software renderer.
function softwareGL() {
  // Chromium hands out SwiftShader even to failIfMajorPerformanceCaveat, so
  // ask the renderer's name (Firefox and Chromium both answer it).
  try {
    const gl = document.createElement("canvas").getContext("webgl2");
    if (!gl) return true;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);
  } catch {
    return true;
  }
}

const app = new App();
app.start();
