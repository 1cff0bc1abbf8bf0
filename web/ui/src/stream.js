// The websocket client of /api/v1/stream (docs/stream.md): JSON control and
// event messages, binary columnar frames applied straight into the PointStore.

import { decodeFrame, FRAME_POSITIONS, FRAME_VALUES } from "./frames.js";
import { kindCode } from "./points.js";
import { streamURL } from "./api.js";

const R = 6371008.8; // metres, the radius geo.Frame uses

// LocalFrame converts between lon/lat and the stream's metre offsets from its
// origin (equirectangular at the origin's latitude).
export class LocalFrame {
  constructor(origin) {
    this.origin = origin;
    this.kx = (R * Math.cos((origin[1] * Math.PI) / 180) * Math.PI) / 180; // metres per degree of longitude
    this.ky = (R * Math.PI) / 180;
  }
  toMetres(lon, lat) {
    return [(lon - this.origin[0]) * this.kx, (lat - this.origin[1]) * this.ky];
  }
  toLonLat(east, north) {
    return [this.origin[0] + east / this.kx, this.origin[1] + north / this.ky];
  }
}

export class StreamClient {
  // points: the PointStore; handlers: callbacks named after the messages.
  constructor(points, handlers) {
    this.points = points;
    this.on = handlers;
    this.frame = null; // LocalFrame of hello.origin
    this.ids = []; // slot → entity id
    this.kinds = []; // slot → kind
    this.slotOfId = new Map();
    this.sub = null; // the subscription, sent again after a reconnect
    this.mode = "live";
    this.at = null; // Unix ms shown: the newest frame's time
    this.fenceSeq = 0;
    this.state = "connecting";
    this.stats = { frames: 0, applyMs: 0, lastApplyMs: 0 };
    this.pendingSeeks = 0; // seeks and lives sent whose snapshot has not come
    this.scenarios = false; // whether to follow the scenarios' progress
  }

  connect() {
    this.setState("connecting");
    const ws = new WebSocket(streamURL());
    ws.binaryType = "arraybuffer";
    ws.onmessage = (ev) => (typeof ev.data === "string" ? this.message(JSON.parse(ev.data)) : this.binary(ev.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.setState("disconnected");
      setTimeout(() => this.connect(), 2000);
    };
    ws.onerror = () => {}; // onclose follows and reconnects
    this.ws = ws;
  }

  setState(s) {
    this.state = s;
    this.on.state?.(s);
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  subscribe(sub) {
    this.sub = sub;
    this.send({ type: "subscribe", ...sub });
  }

  viewport(bbox, zoom) {
    if (!this.sub) return;
    this.sub = { ...this.sub, bbox, zoom };
    this.send({ type: "viewport", bbox, zoom: Math.max(0, Math.min(24, Math.round(zoom))) });
  }

  // seek shows the view as it was at atMs; with speed (twin seconds per
  // second) it plays forward until it reaches the present.
  seek(atMs, speed) {
    const msg = { type: "seek", at: new Date(atMs).toISOString() };
    if (speed) msg.speed = speed;
    this.pendingSeeks++;
    this.send(msg);
  }

  live() {
    this.pendingSeeks++;
    this.send({ type: "live" });
  }

  // watchScenarios asks for the scenarios' progress, now and after a reconnect.
  watchScenarios() {
    if (this.scenarios) return;
    this.scenarios = true;
    this.send({ type: "scenarios" });
  }

  entity(slot) {
    return { id: this.ids[slot], kind: this.kinds[slot] };
  }

  message(m) {
    switch (m.type) {
      case "hello":
        this.frame = new LocalFrame(m.origin);
        this.limits = m.limits;
        this.setState("open");
        this.pendingSeeks = 0;
        this.on.hello?.(m);
        if (this.sub) this.send({ type: "subscribe", ...this.sub });
        this.send({ type: "alerts" });
        this.send({ type: "fences", after: this.fenceSeq });
        if (this.scenarios) this.send({ type: "scenarios" });
        break;
      case "snapshot":
        if (this.pendingSeeks > 0) this.pendingSeeks--;
        this.points.clear();
        this.ids = [];
        this.kinds = [];
        this.slotOfId.clear();
        this.mode = m.mode;
        if (m.mode === "playback" && m.at) this.at = Date.parse(m.at);
        this.enter(m);
        this.on.snapshot?.(m);
        break;
      case "enter":
      case "update":
        this.enter(m);
        this.on.change?.();
        break;
      case "leave":
        for (const slot of m.slots) {
          this.points.remove(slot);
          this.slotOfId.delete(this.ids[slot]);
          this.ids[slot] = undefined;
        }
        this.on.change?.();
        break;
      case "live":
        this.mode = "live";
        this.on.live?.(m);
        break;
      case "alerts":
        this.on.alerts?.(m.features || []);
        break;
      case "alert":
        this.on.alert?.(m.feature);
        break;
      case "fence":
        for (const e of m.events || []) this.fenceSeq = Math.max(this.fenceSeq, e.seq);
        this.on.fence?.(m.events || []);
        break;
      case "scenarios":
        this.on.scenarios?.(m.scenarios || []);
        break;
      case "scenario":
        this.on.scenario?.(m.scenario);
        break;
      case "error":
        if (m.field === "at" || m.field === "speed") this.pendingSeeks = Math.max(0, this.pendingSeeks - 1);
        this.on.error?.(m);
        break;
      default: // missed, gap, resumed, pong: nothing to show
    }
  }

  enter(m) {
    for (const e of m.entities || []) {
      this.ids[e.slot] = e.id;
      this.kinds[e.slot] = e.kind;
      this.slotOfId.set(e.id, e.slot);
      this.points.add(e.slot, kindCode(e.kind));
    }
    const feats = m.features || [], slots = m.featureSlots || [];
    for (let k = 0; k < feats.length; k++) {
      const g = feats[k].geometry;
      if (g && g.type === "Point" && this.frame) {
        const [x, y] = this.frame.toMetres(g.coordinates[0], g.coordinates[1]);
        this.points.setPosition(slots[k], x, y);
      }
    }
  }

  binary(buf) {
    const t0 = performance.now();
    let f;
    try {
      f = decodeFrame(buf);
    } catch (err) {
      this.on.error?.({ message: String(err) });
      return;
    }
    if (f.type === FRAME_POSITIONS) this.points.applyPositions(f);
    else if (f.type === FRAME_VALUES && f.metric === 0) this.points.applyValues(f);
    if (f.time) this.at = f.time;
    const dt = performance.now() - t0;
    this.stats.frames++;
    this.stats.applyMs += dt;
    this.stats.lastApplyMs = dt;
    this.on.frame?.(f);
  }
}
