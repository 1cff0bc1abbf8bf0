// Colours of the command centre. Each layer has its own family so that an
// operator (and the end-to-end test, which looks at pixels) tells them apart:
// buildings cool blue-grey to white, roads warm by class, vehicles cyan,
// sensors green → red by their reading, the H3 heatmap violet → amber.

import { KIND_VEHICLE, KIND_SENSOR, KIND_STOP } from "./points.js";

export const BACKGROUND = [11, 16, 32];
export const VEHICLE = [0, 229, 255];
export const STOP = [255, 255, 255];
export const SELECTED = [255, 64, 160];

export const ROAD_CLASSES = [
  ["motorway", [255, 120, 60]],
  ["trunk", [255, 140, 70]],
  ["primary", [255, 170, 70]],
  ["secondary", [240, 200, 90]],
  ["tertiary", [210, 200, 130]],
  ["residential", [150, 150, 165]],
  ["service", [110, 110, 125]],
  ["other", [90, 90, 105]],
];
const roadColour = new Map(ROAD_CLASSES);

export function roadColor(cls) {
  if (cls && cls.endsWith("_link")) cls = cls.slice(0, -5);
  return roadColour.get(cls) ?? (cls === "unclassified" || cls === "living_street" || cls === "road" ? roadColour.get("residential") : roadColour.get("other"));
}

export function roadWidth(cls) {
  switch (cls) {
    case "motorway": case "trunk": return 14;
    case "primary": return 11;
    case "secondary": return 9;
    case "tertiary": return 7;
    case "residential": case "unclassified": case "living_street": return 5;
    default: return 3;
  }
}

// Congestion 0..1 on a road: green, amber, red.
export function congestionColor(c) {
  return lerp3([60, 200, 90], [250, 190, 40], [235, 50, 40], clamp01(c));
}

export const LANDUSE = [38, 52, 48];
export const WATER = [24, 52, 96];

export const BUILDING_USES = [
  ["residential", [120, 150, 200]],
  ["office", [150, 190, 255]],
  ["retail", [190, 160, 255]],
  ["commercial", [190, 160, 255]],
  ["industrial", [140, 160, 170]],
  ["public", [130, 210, 220]],
  ["other", [170, 180, 200]],
];
const buildingUse = new Map(BUILDING_USES);

export function buildingUseColor(use) {
  return buildingUse.get(use) ?? buildingUse.get("other");
}

// Heights 0..80 m: slate to near white.
export function buildingHeightColor(h) {
  return lerp3([70, 90, 130], [120, 160, 220], [225, 235, 255], clamp01((h ?? 10) / 80));
}

// The heatmap ramp (violet → magenta → amber), for H3 cells.
export function heatColor(t, alpha = 190) {
  const c = lerp3([70, 30, 140], [200, 50, 130], [255, 200, 60], clamp01(t));
  return [c[0], c[1], c[2], alpha];
}

// The difference ramp (blue → grey → red) for t in -1..1: less, the same, more.
export function divergingColor(t, alpha = 200) {
  const u = clamp01((t + 1) / 2);
  const c = u < 0.5 ? lerp3([40, 110, 240], [80, 150, 235], [150, 155, 165], u * 2) : lerp3([150, 155, 165], [245, 150, 60], [240, 50, 50], (u - 0.5) * 2);
  return [c[0], c[1], c[2], alpha];
}

// Rain areas drawn for a scenario.
export const RAIN_FILL = [70, 140, 255, 70];
export const RAIN_LINE = [120, 180, 255, 255];

// The reading ramp (green → yellow → red), for sensors and buildings by metric.
export function readingColor(t) {
  return lerp3([40, 200, 100], [250, 220, 50], [240, 50, 50], clamp01(t));
}

// Typical ranges of the demo's metrics; anything else scales to what it sees.
const DOMAINS = {
  pm25: [0, 50], pm10: [0, 80], no2: [0, 120], o3: [0, 180], temperature: [-10, 35],
  humidity: [0, 100], noise: [30, 90], speed: [0, 20], occupancy: [0, 1], co2: [350, 1500],
};

export function metricDomain(metric, values) {
  if (DOMAINS[metric]) return DOMAINS[metric];
  let lo = Infinity, hi = -Infinity;
  if (values) for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return Number.isFinite(lo) && hi > lo ? [lo, hi] : [0, 100];
}

// pointColourer returns the packed-RGBA colour function of the live points
// for the metric whose values colour the sensors: a lookup table of 256 steps,
// so the per-value cost is a multiply and an array read.
export function pointColourer(metric) {
  const [lo, hi] = metricDomain(metric);
  const lut = new Uint32Array(256);
  for (let i = 0; i < 256; i++) lut[i] = pack(readingColor(i / 255), 255);
  const vehicle = pack(VEHICLE, 255), stop = pack(STOP, 230), idle = pack([120, 200, 140], 255), other = pack([200, 200, 200], 255);
  const scale = 255 / (hi - lo);
  return (kind, v) => {
    if (kind === KIND_VEHICLE) return vehicle;
    if (kind === KIND_SENSOR) {
      if (v !== v) return idle; // NaN: no reading yet
      const t = (v - lo) * scale;
      return lut[t <= 0 ? 0 : t >= 255 ? 255 : t | 0];
    }
    if (kind === KIND_STOP) return stop;
    return other;
  };
}

export function pack(rgb, a) {
  return (rgb[0] | (rgb[1] << 8) | (rgb[2] << 16) | (a << 24)) >>> 0;
}

export function css(rgb) {
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

function clamp01(t) {
  return t < 0 || t !== t ? 0 : t > 1 ? 1 : t;
}

function lerp3(a, b, c, t) {
  const [p, q, u] = t < 0.5 ? [a, b, t * 2] : [b, c, (t - 0.5) * 2];
  return [Math.round(p[0] + (q[0] - p[0]) * u), Math.round(p[1] + (q[1] - p[1]) * u), Math.round(p[2] + (q[2] - p[2]) * u)];
}

// A road closed or a substation cut in the scenario being built: signal red.
export const CUT = [255, 59, 48, 230];
// Substations to click while cutting one: electric yellow.
export const SUBSTATION = [255, 214, 10, 255];
