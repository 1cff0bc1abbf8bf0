// window.__ct: what the end-to-end tests (and a curious operator in the
// console) read of the page: readiness and first paint, the live points, a
// pick that finds an object on screen, and the frame-apply benchmark.

import { decodeFrame, encodeFrame, FRAME_POSITIONS } from "./frames.js";
import { PointStore, KIND_VEHICLE } from "./points.js";

export function installProbe(app) {
  window.__ct = {
    app,
    status() {
      const s = app.stream;
      return {
        firstPaint: app.firstPaint,
        marks: Object.fromEntries(Object.entries(app.marks || {}).map(([k, v]) => [k, Math.round(v)])),
        frames: app.frameCount,
        points: app.points.length,
        pointsVersion: app.points.version,
        streamFrames: s.stats.frames,
        mode: s.mode,
        shown: app.state.at,
        loaded: [...app.loaded],
        h3: app.h3 ? app.h3.length : 0,
        layersLoaded: layersLoaded(app),
        alerts: app.alerts.items.length,
        selected: app.state.selected,
      };
    },
    // positions of the moving points: {id: [east, north]}
    moving() {
      const p = app.points, out = {};
      for (let i = 0; i < p.length; i++) {
        if (p.kinds[i] !== KIND_VEHICLE) continue;
        out[app.stream.ids[p.slotOf[i]]] = [p.positions[3 * i], p.positions[3 * i + 1]];
      }
      return out;
    },
    // settled resolves when every layer has its data and two frames have
    // been drawn since.
    settled(timeoutMs = 10000) {
      const t0 = performance.now();
      const late = () => performance.now() - t0 > timeoutMs;
      return new Promise((resolve) => {
        // First the layers of the newest state must reach deck.gl (a render),
        // then their data must arrive, then two frames draw it. deck.gl
        // draws only on a change, so a still scene is asked to draw.
        app.invalidate();
        const f0 = app.frameCount;
        const rendered = () => {
          if (app.frameCount > f0 || late()) return loaded();
          if (!app.holding()) app.deck.redraw("probe");
          requestAnimationFrame(rendered);
        };
        const loaded = () => {
          if (layersLoaded(app) || late()) {
            const f = app.frameCount;
            const wait = () => {
              if (app.frameCount >= f + 2 || late()) return resolve(layersLoaded(app));
              app.deck.redraw("probe");
              requestAnimationFrame(wait);
            };
            wait();
          } else setTimeout(loaded, 50);
        };
        requestAnimationFrame(rendered);
      });
    },
    // pickable finds a point of the screen where layer draws an object,
    // scanning a grid from the centre out; {x, y, id} in CSS pixels or null.
    pickable(layer, kind) {
      const w = app.deck.width, h = app.deck.height;
      const pts = [];
      for (let gy = 0.15; gy <= 0.85; gy += 0.035) for (let gx = 0.2; gx <= 0.8; gx += 0.025) pts.push([gx * w, gy * h]);
      pts.sort((a, b) => Math.hypot(a[0] - w / 2, a[1] - h / 2) - Math.hypot(b[0] - w / 2, b[1] - h / 2));
      for (const [x, y] of pts) {
        // As a click picks (main.js): the topmost object within 3 px.
        const info = app.deck.pickObject({ x, y, radius: 3 });
        const o = info && app.objectAt(info);
        if (o && o.id && o.layer === layer && (!kind || o.kind === kind)) return { x, y, id: o.id };
      }
      return null;
    },
    // bench feeds rounds synthetic positions frames of n entities through the
    // stream's decode and apply path, and (draw) through deck.gl to the screen;
    // it reports milliseconds per update.
    async bench(n = 100000, rounds = 20, drawRounds = 5) {
      const slots = new Uint32Array(n);
      for (let i = 0; i < n; i++) slots[i] = i;
      const frames = [];
      for (let r = 0; r < Math.min(rounds, 4); r++) {
        const e = new Float32Array(n), no = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          e[i] = (Math.random() - 0.5) * 4000;
          no[i] = (Math.random() - 0.5) * 3000;
        }
        frames.push(encodeFrame(FRAME_POSITIONS, r + 1, Date.now(), slots, e, no));
      }
      const store = new PointStore(n);
      store.colourOf = app.points.colourOf;
      for (let i = 0; i < n; i++) store.add(i, KIND_VEHICLE);
      const apply = [];
      for (let r = 0; r < rounds; r++) {
        const buf = frames[r % frames.length];
        const t0 = performance.now();
        store.applyPositions(decodeFrame(buf));
        apply.push(performance.now() - t0);
      }
      const out = { n, rounds, apply: stats(apply) };
      if (drawRounds > 0) {
        const live = app.points;
        app.points = store;
        const drawn = [];
        try {
          for (let r = 0; r < drawRounds; r++) {
            const t0 = performance.now();
            store.applyPositions(decodeFrame(frames[r % frames.length]));
            app.invalidate();
            await nextRender(app);
            drawn.push(performance.now() - t0);
          }
        } finally {
          app.points = live;
          app.pointsData = null;
          app.invalidate();
        }
        out.applyAndDraw = stats(drawn);
      }
      return out;
    },
  };
}

// layersLoaded: the layers deck.gl draws (not the ones just handed to it) have
// all their data.
function layersLoaded(app) {
  const lm = app.deck.layerManager;
  if (!lm) return false;
  const top = lm.getLayers().filter((l) => !l.parent && l.props.visible);
  return top.length > 0 && top.every((l) => l.isLoaded);
}

// nextRender resolves once deck.gl has drawn a frame after the layers that an
// invalidate() just asked for were given to it. (Waiting for a moment with
// nothing pending would starve while the stream invalidates between slow
// frames.)
function nextRender(app) {
  const given = app.layersGiven + 1;
  let f = null;
  return new Promise((resolve) => {
    const wait = () => {
      if (f == null && app.layersGiven >= given) f = app.frameAtGiven;
      if (f != null && app.frameCount > f) return resolve();
      requestAnimationFrame(wait);
    };
    requestAnimationFrame(wait);
  });
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { mean: round(mean), p50: round(s[Math.floor(s.length / 2)]), max: round(s[s.length - 1]) };
}

const round = (x) => Math.round(x * 1000) / 1000;
