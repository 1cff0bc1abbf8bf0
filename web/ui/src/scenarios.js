// The planners' panel: the scenarios the server has, with their progress, and
// a small form that creates one from the live state (a road closed, rain over
// the area in view) and runs it. Until the server has the scenarios API the
// panel says so instead of asking.

import { getJSON, postJSON, hasRoute } from "./api.js";
import { el } from "./panels.js";

const $ = (id) => document.getElementById(id);

export class Scenarios {
  constructor(app) {
    this.app = app;
    this.available = false;
    $("scenario-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.create(new FormData(e.target));
    });
    this.refresh();
    setInterval(() => this.available && this.refresh(), 5000);
  }

  async refresh() {
    const list = $("scenario-list");
    this.available = await hasRoute("/api/v1/scenarios");
    if (!this.available) {
      list.replaceChildren(el("li", { class: "muted" }, "no scenarios yet — this server does not run simulations"));
      return;
    }
    try {
      const { scenarios = [] } = await getJSON("/api/v1/scenarios");
      list.replaceChildren(...(scenarios.length ? scenarios.map((s) => el("li", {},
        el("strong", {}, s.name || s.id), " ", el("span", { class: "muted" }, [s.status, s.progress?.phase].filter(Boolean).join(" · ")), " ",
        el("progress", { max: "1", value: String(fraction(s.progress)) }),
        s.status === "created" || s.status === "failed" || s.status === "cancelled" ? el("button", { onclick: () => this.run(s.id) }, "run") : null))
        : [el("li", { class: "muted" }, "no scenarios yet")]));
    } catch {
      list.replaceChildren(el("li", { class: "muted" }, "no scenarios yet"));
    }
  }

  // closeRoad fills the form with a road picked on the map.
  closeRoad(id) {
    $("scenario-new").open = true;
    $("scenario-form").elements.close_road.value = id;
  }

  async create(fd) {
    const msg = $("scenario-msg");
    if (!this.available) {
      msg.textContent = "this server has no scenarios API yet";
      return;
    }
    const interventions = [];
    if (fd.get("close_road")) interventions.push({ type: "close_road", id: fd.get("close_road") });
    const rain = Number(fd.get("rain"));
    if (rain > 0) interventions.push({ type: "rain", area: this.app.viewPolygon(), mm_per_h: rain });
    const body = {
      name: fd.get("name"), model: fd.get("model"),
      horizon_s: Number(fd.get("horizon_s")), step_s: Number(fd.get("step_s")), seed: Number(fd.get("seed")),
      interventions,
    };
    try {
      const sc = await postJSON("/api/v1/scenarios", body);
      if (sc && sc.id) await this.run(sc.id);
      msg.textContent = "created";
    } catch (err) {
      msg.textContent = `refused: ${err.message}`;
    }
    this.refresh();
  }

  async run(id) {
    try {
      await postJSON(`/api/v1/scenarios/${encodeURIComponent(id)}/run`);
    } catch (err) {
      $("scenario-msg").textContent = `run refused: ${err.message}`;
    }
    this.refresh();
  }
}

// fraction reads a scenario's progress: a number, or {fraction, phase, …}.
function fraction(p) {
  if (typeof p === "number") return p;
  return p && Number.isFinite(p.fraction) ? p.fraction : 0;
}
