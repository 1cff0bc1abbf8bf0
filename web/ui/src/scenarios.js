// The planners' panel: the scenarios the server has, with their progress (fed
// by the stream's scenario messages), a form that builds one from
// interventions drawn on the map (a road closed by clicking it, rain over a
// polygon drawn point by point, a substation cut by clicking it), and the
// comparison of a finished run with the baseline: a KPI table, charts of the
// KPIs over time, and a difference layer of H3 cells. Until the server has
// the scenarios API the panel says so instead of asking.

import { getJSON, postJSON, hasRoute, entityPath } from "./api.js";
import { el } from "./panels.js";
import { lineChart } from "./charts.js";

const $ = (id) => document.getElementById(id);
const FINISHED = new Set(["done", "failed", "cancelled"]);

export class Scenarios {
  constructor(app) {
    this.app = app;
    this.available = false;
    this.items = new Map(); // id → scenario, as the server last said
    this.interventions = [];
    this.mode = null; // null, "close" (next road clicked), "rain" (drawing) or "cut" (next substation clicked)
    this.draft = []; // the rain polygon being drawn, [lon, lat] points
    this.shapes = new Map(); // entity id → GeoJSON geometry, of the roads closed and substations cut
    this.substations = []; // the substations in view, as GeoJSON features, while cutting
    this.version = 0; // of what the map layers draw
    this.active = null; // the id of the run followed and compared
    this.result = null; // {id, metric, kpis, cells, max, version}
    this.showDiff = true;
    this.streamed = 0; // scenario messages from the stream
    $("scenario-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.create(new FormData(e.target));
    });
    $("scenario-close").addEventListener("click", () => this.setMode(this.mode === "close" ? null : "close"));
    $("scenario-rain").addEventListener("click", () => (this.mode === "rain" ? this.finishRain() : this.setMode("rain")));
    $("scenario-cut").addEventListener("click", () => this.setMode(this.mode === "cut" ? null : "cut"));
    $("scenario-diff-toggle").addEventListener("change", (e) => this.setDiff(e.target.checked));
    $("map").addEventListener("dblclick", () => this.mode === "rain" && this.finishRain());
    document.addEventListener("keydown", (e) => {
      if (!this.mode || e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLButtonElement) return;
      if (e.key === "Enter" && this.mode === "rain") this.finishRain();
      if (e.key === "Escape") this.setMode(null);
    });
    this.renderInterventions();
    this.refresh();
  }

  async refresh() {
    this.available = await hasRoute("/api/v1/scenarios");
    if (!this.available) {
      $("scenario-list").replaceChildren(el("li", { class: "muted" }, "no scenarios yet — this server does not run simulations"));
      return;
    }
    this.app.stream.watchScenarios();
    try {
      const { scenarios = [] } = await getJSON("/api/v1/scenarios");
      this.setAll(scenarios);
    } catch {
      this.renderList();
    }
  }

  // setAll and update take the stream's scenario messages (and the list).
  setAll(scenarios) {
    this.items = new Map(scenarios.map((s) => [s.id, s]));
    this.renderList();
  }

  update(s, fromStream) {
    if (!s || !s.id) return;
    if (fromStream) this.streamed++;
    const was = this.items.get(s.id);
    // A finished run does not go back: an answer to a GET can arrive after
    // the stream's newer word (run() marks a new run queued itself).
    if (was && FINISHED.has(was.status) && !FINISHED.has(s.status)) return;
    this.items.set(s.id, { ...was, ...s });
    this.renderList();
    if (s.id === this.active) {
      this.renderProgress();
      if (s.status === "done" && (!this.result || this.result.id !== s.id)) this.compare(s.id);
    }
  }

  renderList() {
    const list = [...this.items.values()].sort((a, b) => String(b.created || "").localeCompare(String(a.created || "")));
    $("scenario-list").replaceChildren(...(list.length ? list.slice(0, 8).map((s) => el("li", { "data-id": s.id },
      el("strong", {}, s.name || s.id), " ", el("span", { class: "muted" }, [s.status, FINISHED.has(s.status) ? null : s.progress?.phase].filter(Boolean).join(" · ")), " ",
      el("progress", { max: "1", value: String(fraction(s.progress)) }),
      s.status === "created" || s.status === "failed" || s.status === "cancelled" ? el("button", { onclick: () => this.run(s.id) }, "run") : null,
      s.status === "done" ? el("button", { onclick: () => this.compare(s.id) }, "compare") : null))
      : [el("li", { class: "muted" }, "no scenarios yet")]));
  }

  renderProgress() {
    const s = this.items.get(this.active);
    const box = $("scenario-progress");
    box.hidden = !s;
    if (!s) return;
    const f = s.status === "done" ? 1 : fraction(s.progress);
    $("scenario-bar").value = f;
    $("scenario-phase").textContent = `${s.name || s.id}: ${s.status}${s.progress?.phase && !FINISHED.has(s.status) ? ` · ${s.progress.phase}` : ""} · ${Math.round(f * 100)}%`;
    box.dataset.status = s.status;
  }

  // --- interventions drawn on the map ---------------------------------------

  setMode(mode) {
    this.mode = mode;
    this.draft = [];
    $("scenario-new").open = true;
    $("scenario-close").classList.toggle("on", mode === "close");
    $("scenario-rain").classList.toggle("on", mode === "rain");
    $("scenario-cut").classList.toggle("on", mode === "cut");
    $("scenario-rain").textContent = mode === "rain" ? "Finish the area" : "Rain over an area";
    $("scenario-hint").textContent = {
      close: "click a road on the map",
      rain: "click points of the area; double-click or Enter to finish, Esc to cancel",
      cut: "click a substation (⚡) on the map: it and everything it feeds lose power",
    }[mode] || "";
    if (mode === "cut") this.loadSubstations();
    // A double-click finishes the area rather than zooming.
    this.app.deck?.setProps({ controller: { keyboard: false, inertia: true, doubleClickZoom: mode !== "rain" } });
    this.changed();
  }

  // mapClick takes a click on the map while an intervention is being drawn
  // (o: the object under it, as main.js names it; lngLat: where); it says
  // whether it used the click.
  mapClick(o, lngLat) {
    if (this.mode === "close") {
      if (!o || o.layer !== "roads") return true;
      this.add({ type: "close_road", id: o.id });
      this.setMode(null);
      return true;
    }
    if (this.mode === "cut") {
      if (!o || o.kind !== "substation") return true;
      this.add({ type: "outage", id: o.id });
      this.setMode(null);
      return true;
    }
    if (this.mode === "rain") {
      const last = this.draft[this.draft.length - 1];
      if (lngLat && !(last && Math.abs(last[0] - lngLat[0]) < 1e-6 && Math.abs(last[1] - lngLat[1]) < 1e-6)) this.draft.push(lngLat);
      this.changed();
      return true;
    }
    return false;
  }

  finishRain() {
    if (this.draft.length >= 3) {
      const ring = [...this.draft, this.draft[0]];
      this.add({ type: "rain", area: { type: "Polygon", coordinates: [ring] }, mm_per_h: Number($("scenario-form").elements.mm_per_h.value) || 50 });
    }
    this.setMode(null);
  }

  // loadSubstations fetches the substations in view, to be clicked.
  async loadSubstations() {
    const bbox = this.app.bbox().join(",");
    try {
      const fc = await getJSON(`/api/v1/entities?${new URLSearchParams({ kind: "substation", bbox, limit: "1000" })}`);
      this.substations = (fc.features || []).map((f) => ({ ...f, properties: { ...f.properties, id: f.id, kind: "substation" } }));
    } catch {
      this.substations = [];
    }
    if (!this.substations.length) $("scenario-hint").textContent = "no substations in view";
    this.changed();
  }

  // shape fetches the geometry of an intervention's entity, to mark it on
  // the map.
  async shape(id) {
    if (this.shapes.has(id)) return;
    try {
      const f = await getJSON(entityPath(id));
      if (f && f.geometry) this.shapes.set(id, f.geometry);
    } catch {
      // not drawn; the list still names it
    }
    this.changed();
  }

  add(iv) {
    this.interventions.push(iv);
    if (iv.id) this.shape(iv.id);
    if (iv.type === "rain" && $("scenario-form").elements.model.value === "traffic") $("scenario-form").elements.model.value = "flood+traffic";
    this.renderInterventions();
    this.changed();
  }

  remove(i) {
    this.interventions.splice(i, 1);
    this.renderInterventions();
    this.changed();
  }

  renderInterventions() {
    const ul = $("scenario-interventions");
    ul.replaceChildren(...(this.interventions.length ? this.interventions.map((iv, i) => el("li", {},
      iv.type === "close_road" ? `close ${iv.id}` : iv.type === "outage" ? `cut ${iv.id}` : `rain ${iv.mm_per_h} mm/h over ${iv.area.coordinates[0].length - 1} points`,
      el("button", { type: "button", class: "remove", title: "Remove", onclick: () => this.remove(i) }, "×")))
      : [el("li", { class: "muted" }, "no interventions: the baseline as it is")]));
  }

  changed() {
    this.version++;
    this.app.invalidate();
  }

  // --- create, run, compare -------------------------------------------------

  async create(fd) {
    const msg = $("scenario-msg");
    if (!this.available) {
      msg.textContent = "this server has no scenarios API yet";
      return;
    }
    const body = {
      name: fd.get("name"), model: fd.get("model"),
      horizon_s: Number(fd.get("horizon_s")), step_s: Number(fd.get("step_s")), seed: Number(fd.get("seed")),
      interventions: this.interventions,
    };
    try {
      const sc = await postJSON("/api/v1/scenarios", body);
      msg.textContent = "created";
      if (sc && sc.id) {
        this.items.set(sc.id, sc);
        await this.run(sc.id);
      }
    } catch (err) {
      msg.textContent = `refused: ${err.message}`;
    }
  }

  async run(id) {
    this.active = id;
    const path = `/api/v1/scenarios/${encodeURIComponent(id)}`;
    this.items.set(id, { ...this.items.get(id), id, status: "queued", progress: { fraction: 0 } });
    this.renderList();
    this.renderProgress();
    try {
      await postJSON(`${path}/run`);
    } catch (err) {
      $("scenario-msg").textContent = `run refused: ${err.message}`;
      const s = await getJSON(path).catch(() => null);
      this.items.set(id, s || { ...this.items.get(id), status: "failed" });
      this.renderList();
      this.renderProgress();
      return;
    }
    // The stream tells of the progress; ask now and then as well, in case it
    // is reconnecting.
    while (this.active === id && !FINISHED.has(this.items.get(id)?.status)) {
      const s = await getJSON(path).catch(() => null);
      if (!s) break;
      this.update(s);
      if (!FINISHED.has(s.status)) await new Promise((r) => setTimeout(r, 3000));
    }
  }

  // compare loads a finished run's KPIs and its difference per H3 cell.
  async compare(id) {
    this.active = id;
    this.renderProgress();
    const s = this.items.get(id) || {};
    const model = s.spec?.model || "traffic";
    const metric = model === "flood" ? "depth" : "delay";
    const base = `/api/v1/scenarios/${encodeURIComponent(id)}`;
    try {
      const [res, h3] = await Promise.all([getJSON(`${base}/results`), getJSON(`${base}/h3?metric=${metric}&res=9`)]);
      // Differences at the level of rounding (the same sums in another
      // order) are none: they must not be stretched over the whole ramp.
      const cells = (h3.cells || []).filter((c) => c.cell);
      const scale = cells.reduce((m, c) => Math.max(m, Math.abs(c.baseline || 0), Math.abs(c.scenario || 0)), 0);
      for (const c of cells) if (!(Math.abs(c.diff) > 1e-9 * scale)) c.diff = 0;
      const max = cells.reduce((m, c) => Math.max(m, Math.abs(c.diff)), 0);
      this.result = { id, name: s.name || id, metric, kpis: res.kpis || [], curves: res.curves || [], cells, max, version: this.version + 1 };
    } catch (err) {
      $("scenario-msg").textContent = `results: ${err.message}`;
      return;
    }
    this.renderCompare();
    this.changed();
    this.app.changed(); // the legend
  }

  renderCompare() {
    const r = this.result;
    $("scenario-compare").hidden = !r;
    if (!r) return;
    $("scenario-compare-title").textContent = `${r.name} against the baseline`;
    $("scenario-kpis").replaceChildren(
      el("tr", {}, el("th", {}, "KPI"), el("th", {}, "baseline"), el("th", {}, "scenario"), el("th", {}, "difference")),
      ...r.kpis.map((k) => el("tr", { class: verdict(k) },
        el("td", {}, k.name.replace(/_/g, " "), k.unit ? el("span", { class: "muted" }, ` ${k.unit}`) : null),
        el("td", {}, fmt(k.baseline)), el("td", {}, fmt(k.scenario)),
        el("td", {}, changed(k) ? `${k.diff > 0 ? "+" : ""}${fmt(k.diff)}${Number.isFinite(k.diff_pct) ? ` (${k.diff_pct > 0 ? "+" : ""}${k.diff_pct.toFixed(1)}%)` : ""}` : "0"))));
    // The KPIs over time: the scenario against the baseline, one chart each.
    const box = $("scenario-curves");
    box.replaceChildren(...r.curves.map((c) => el("figure", {},
      el("figcaption", {}, c.name.replace(/_/g, " "), c.unit ? el("span", { class: "muted" }, ` ${c.unit}`) : null),
      el("canvas", { class: "curve", "data-name": c.name }))));
    for (const [i, c] of r.curves.entries()) {
      lineChart(box.children[i].querySelector("canvas"), c.times_s, [
        { label: "baseline", values: c.baseline, colour: "#8894aa" },
        { label: "scenario", values: c.scenario, colour: "#ffb547", width: 2 },
      ]);
    }
  }

  setDiff(on) {
    this.showDiff = on;
    $("scenario-diff-toggle").checked = on;
    this.changed();
    this.app.changed();
  }
}

// verdict names a KPI row's class: better, worse or same, by which way is better.
function verdict(k) {
  if (!changed(k) || !k.better) return "same";
  return (k.better === "lower") === k.diff < 0 ? "better" : "worse";
}

// changed says whether a KPI differs by more than rounding.
function changed(k) {
  return Math.abs(k.diff) > 1e-9 * Math.max(Math.abs(k.baseline || 0), Math.abs(k.scenario || 0));
}

function fmt(v) {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

// fraction reads a scenario's progress: a number, or {fraction, phase, …}.
function fraction(p) {
  if (typeof p === "number") return p;
  return p && Number.isFinite(p.fraction) ? p.fraction : 0;
}
