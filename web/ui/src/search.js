// Search by name or id: the collections of the OGC API with a CQL2 filter
// (case-insensitive name, or id containing the text), a few hits each.

import { getJSON } from "./api.js";
import { el, centroid } from "./panels.js";

const SEARCHED = ["buildings", "roads", "sensors", "vehicles", "stops", "zones", "storeys", "geofences"];

export class Search {
  constructor(app) {
    this.app = app;
    this.input = document.getElementById("search");
    this.list = document.getElementById("search-results");
    this.hits = [];
    this.active = -1;
    this.timer = 0;
    this.abort = null;
    this.collections = getJSON("/collections").then((c) => new Set(c.collections.map((x) => x.id))).catch(() => new Set());
    this.input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.run(this.input.value.trim()), 200);
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        this.move(e.key === "ArrowDown" ? 1 : -1);
      } else if (e.key === "Enter") {
        e.preventDefault();
        const h = this.hits[Math.max(0, this.active)];
        if (h) this.choose(h);
      } else if (e.key === "Escape") {
        this.close();
        this.input.blur();
      }
    });
  }

  focus() {
    this.input.focus();
    this.input.select();
  }

  close() {
    this.list.hidden = true;
    this.active = -1;
  }

  async run(q) {
    this.abort?.abort();
    if (q.length < 2) return this.close();
    const ctl = (this.abort = new AbortController());
    const have = await this.collections;
    const lit = q.replace(/'/g, "''").replace(/[%_\\]/g, (c) => "\\" + c);
    const filter = `CASEI(name) LIKE CASEI('%${lit}%') OR id LIKE '%${lit}%'`;
    const colls = SEARCHED.filter((c) => have.has(c));
    const results = await Promise.all(colls.map((c) =>
      getJSON(`/collections/${c}/items?limit=5&filter=${encodeURIComponent(filter)}`, ctl.signal).then((fc) => fc.features || []).catch(() => [])));
    if (ctl.signal.aborted) return;
    this.hits = results.flat().slice(0, 20);
    this.active = this.hits.length ? 0 : -1;
    this.render();
  }

  render() {
    this.list.hidden = false;
    if (!this.hits.length) {
      this.list.replaceChildren(el("li", { class: "muted" }, "nothing matches"));
      return;
    }
    this.list.replaceChildren(...this.hits.map((f, i) => el("li", {
      "aria-selected": i === this.active ? "true" : "false",
      onmousedown: (e) => { e.preventDefault(); this.choose(f); },
    }, f.properties?.name || f.id, el("small", {}, `${f.properties?.kind || ""} ${f.properties?.name ? f.id : ""}`))));
  }

  move(d) {
    if (!this.hits.length) return;
    this.active = (this.active + d + this.hits.length) % this.hits.length;
    this.render();
  }

  choose(f) {
    this.close();
    this.input.blur();
    const c = centroid(f.geometry);
    if (c) this.app.flyTo(c[0], c[1], Math.max(this.app.view.zoom, 17));
    this.app.select(f.id, null, false);
  }
}
