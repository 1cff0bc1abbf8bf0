// The live points: every entity of the stream that has a position (vehicles
// moving, sensors and stops standing), kept densely in typed arrays that are
// handed to deck.gl as binary attributes. A slot (the stream's number for an
// entity) maps to an index in those arrays; removing swaps the last point in,
// so the arrays stay dense and the hot path (a positions frame) is one loop
// over typed arrays with no object per entity.

import { FRAME_POSITIONS } from "./frames.js";

export const KIND_OTHER = 0;
export const KIND_VEHICLE = 1;
export const KIND_SENSOR = 2;
export const KIND_STOP = 3;

export function kindCode(kind) {
  switch (kind) {
    case "vehicle": return KIND_VEHICLE;
    case "sensor": return KIND_SENSOR;
    case "stop": return KIND_STOP;
    default: return KIND_OTHER;
  }
}

export class PointStore {
  constructor(capacity = 1024) {
    this.length = 0;
    this.version = 0; // bumped on every change, for deck.gl's updateTriggers
    this.time = 0; // Unix ms of the newest positions frame
    this.indexOfSlot = new Int32Array(1024).fill(-1);
    this.kindVisible = new Float32Array(4).fill(1);
    this.alloc(capacity);
    // colourOf(kind, value) → packed RGBA; set by the owner (palette).
    this.colourOf = () => 0xffffffff;
  }

  alloc(capacity) {
    const old = this.positions ? this : null;
    const positions = new Float32Array(capacity * 3);
    const colours = new Uint8Array(capacity * 4);
    const values = new Float32Array(capacity).fill(NaN);
    const kinds = new Uint8Array(capacity);
    const slotOf = new Uint32Array(capacity);
    const visible = new Float32Array(capacity);
    if (old) {
      visible.set(old.visible.subarray(0, old.length));
      positions.set(old.positions.subarray(0, old.length * 3));
      colours.set(old.colours.subarray(0, old.length * 4));
      values.set(old.values.subarray(0, old.length));
      kinds.set(old.kinds.subarray(0, old.length));
      slotOf.set(old.slotOf.subarray(0, old.length));
    }
    this.positions = positions;
    this.colours = colours;
    this.colours32 = new Uint32Array(colours.buffer); // one write per colour (RGBA, little-endian)
    this.values = values;
    this.kinds = kinds;
    this.slotOf = slotOf;
    this.visible = visible; // 1 or 0 by kind: deck.gl's DataFilterExtension reads it
    this.capacity = capacity;
  }

  index(slot) {
    return slot < this.indexOfSlot.length ? this.indexOfSlot[slot] : -1;
  }

  // add makes room for slot (or finds it) and returns its index.
  add(slot, kind) {
    if (slot >= this.indexOfSlot.length) {
      const m = new Int32Array(Math.max(slot + 1, this.indexOfSlot.length * 2)).fill(-1);
      m.set(this.indexOfSlot);
      this.indexOfSlot = m;
    }
    let i = this.indexOfSlot[slot];
    if (i >= 0) {
      if (kind !== undefined && this.kinds[i] !== kind) {
        this.kinds[i] = kind;
        this.visible[i] = this.kindVisible[kind];
        this.colours32[i] = this.colourOf(kind, this.values[i]);
      }
      return i;
    }
    if (this.length === this.capacity) this.alloc(this.capacity * 2);
    i = this.length++;
    this.indexOfSlot[slot] = i;
    this.slotOf[i] = slot;
    this.kinds[i] = kind ?? KIND_OTHER;
    this.visible[i] = this.kindVisible[this.kinds[i]];
    this.values[i] = NaN;
    this.positions[3 * i] = 0;
    this.positions[3 * i + 1] = 0;
    this.positions[3 * i + 2] = 0;
    this.colours32[i] = this.colourOf(this.kinds[i], NaN);
    this.version++;
    return i;
  }

  remove(slot) {
    const i = this.index(slot);
    if (i < 0) return;
    const last = --this.length;
    if (i !== last) {
      this.positions.copyWithin(3 * i, 3 * last, 3 * last + 3);
      this.colours32[i] = this.colours32[last];
      this.values[i] = this.values[last];
      this.kinds[i] = this.kinds[last];
      this.visible[i] = this.visible[last];
      this.slotOf[i] = this.slotOf[last];
      this.indexOfSlot[this.slotOf[i]] = i;
    }
    this.indexOfSlot[slot] = -1;
    this.version++;
  }

  clear() {
    for (let i = 0; i < this.length; i++) this.indexOfSlot[this.slotOf[i]] = -1;
    this.length = 0;
    this.version++;
  }

  setPosition(slot, east, north) {
    const i = this.index(slot);
    if (i < 0) return;
    this.positions[3 * i] = east;
    this.positions[3 * i + 1] = north;
    this.version++;
  }

  // applyPositions is the hot path: one positions frame into the arrays.
  applyPositions(f) {
    if (f.type !== FRAME_POSITIONS) return;
    const { slots, a: east, b: north, count } = f;
    const pos = this.positions;
    for (let k = 0; k < count; k++) {
      const slot = slots[k];
      let i = slot < this.indexOfSlot.length ? this.indexOfSlot[slot] : -1;
      if (i < 0) i = this.add(slot, KIND_OTHER);
      pos[3 * i] = east[k];
      pos[3 * i + 1] = north[k];
    }
    if (f.time > this.time) this.time = f.time;
    this.version++;
  }

  // applyValues takes a values frame of the metric that colours the points.
  applyValues(f) {
    const { slots, a, count } = f;
    const vals = this.values, kinds = this.kinds, c32 = this.colours32, colourOf = this.colourOf;
    for (let k = 0; k < count; k++) {
      const slot = slots[k];
      const i = slot < this.indexOfSlot.length ? this.indexOfSlot[slot] : -1;
      if (i < 0) continue;
      vals[i] = a[k];
      c32[i] = colourOf(kinds[i], a[k]);
    }
    this.version++;
  }

  // showKind shows or hides the points of one kind.
  showKind(kind, on) {
    this.kindVisible[kind] = on ? 1 : 0;
    for (let i = 0; i < this.length; i++) if (this.kinds[i] === kind) this.visible[i] = this.kindVisible[kind];
    this.version++;
  }

  recolour() {
    for (let i = 0; i < this.length; i++) this.colours32[i] = this.colourOf(this.kinds[i], this.values[i]);
    this.version++;
  }
}
