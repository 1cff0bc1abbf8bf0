// The deck.gl layers of the command centre, built from the app's state on
// every redraw (deck.gl diffs them; only what changed is updated on the GPU).
// Ground layers (land use, water, the heatmap, roads) are drawn in order
// without depth writes, so that coplanar polygons never flicker; buildings
// and the live points are drawn with depth, storeys over their building.

import { COORDINATE_SYSTEM } from "@deck.gl/core";
import { ScatterplotLayer, PolygonLayer, PathLayer, GeoJsonLayer } from "@deck.gl/layers";
import { MVTLayer, H3HexagonLayer } from "@deck.gl/geo-layers";
import { DataFilterExtension } from "@deck.gl/extensions";
import { MVTLoader } from "@loaders.gl/mvt";
import { authHeaders } from "./api.js";
import * as pal from "./palette.js";
import { labelLayers } from "./labels.js";

// Toggled layers stay in the list with visible: false, so that deck.gl keeps
// their tiles and turning them on again is instant.

// The layers an operator toggles, in legend order, with their key.
export const LAYERS = [
  { id: "buildings", label: "Buildings", key: "1" },
  { id: "roads", label: "Roads", key: "2" },
  { id: "vehicles", label: "Vehicles", key: "3" },
  { id: "sensors", label: "Sensors", key: "4" },
  { id: "h3", label: "Heatmap (H3)", key: "5" },
  { id: "landuse", label: "Land use & water", key: "6" },
  { id: "storeys", label: "Storeys (BIM)", key: "7" },
  { id: "labels", label: "Labels", key: "8" },
];

const GROUND = { depthCompare: "always", depthWriteEnabled: false };
const filter = new DataFilterExtension({ filterSize: 1 });

function tiles(layer) {
  return `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt`;
}

// worker: false keeps loaders.gl from fetching its worker from a CDN; the
// tiles are parsed on the main thread (MVTLoader). One object, so that
// deck.gl sees no change of props between redraws.
const LOAD_OPTIONS = { worker: false, fetch: { headers: authHeaders() } };

// buildLayers returns the layers for app (see main.js for its fields).
export function buildLayers(app) {
  const s = app.state;
  const on = s.layers;
  const out = [];
  // maxRequests: 0 asks for every tile in view at once (the browser still
  // keeps to its connections); throttled, each batch waited for a frame.
  const common = { extent: app.extent, maxZoom: 16, maxRequests: 0, loaders: [MVTLoader], loadOptions: LOAD_OPTIONS, uniqueIdProperty: "id" };
  if (!app.sized()) return out;

  // Land use, water and the heatmap come after the first meaningful paint
  // (buildings, roads, live points): they are context, and on a slow machine
  // every layer costs tiles to fetch and parse and pixels to fill.
  const later = app.firstPaint != null;
  if (later) {
    out.push(new MVTLayer({
      ...common, id: "landuse", data: tiles("landuse"), minZoom: 10, maxZoom: 14, visible: on.landuse,
      getFillColor: pal.LANDUSE, stroked: false, parameters: GROUND,
    }));
    out.push(new MVTLayer({
      ...common, id: "water", data: tiles("water"), minZoom: 8, maxZoom: 14, visible: on.landuse,
      getFillColor: pal.WATER, getLineColor: pal.WATER, lineWidthMinPixels: 2, parameters: GROUND,
    }));
  }
  if (app.h3 && later) {
    const h = app.h3;
    const [lo, hi] = h.domain;
    out.push(new H3HexagonLayer({
      id: "h3", data: { length: h.length }, pickable: true, extruded: false, opacity: 0.45, visible: on.h3,
      getHexagon: (_, { index }) => h.hex[index],
      getFillColor: (_, { index }) => {
        const v = h.values[index];
        return v === v ? pal.heatColor((v - lo) / (hi - lo || 1)) : [0, 0, 0, 0];
      },
      updateTriggers: { getFillColor: h.version, getHexagon: h.version },
      parameters: GROUND,
    }));
  }
  const sc = app.scenarios;
  if (sc && sc.result && sc.result.cells.length) {
    // The scenario against the baseline per H3 cell, on a diverging ramp.
    const r = sc.result;
    out.push(new H3HexagonLayer({
      id: "scenario-diff", data: r.cells, extruded: false, opacity: 0.6, visible: sc.showDiff, pickable: true,
      getHexagon: (c) => c.cell,
      getFillColor: (c) => pal.divergingColor(c.diff / (r.max || 1)),
      updateTriggers: { getFillColor: r.version },
      parameters: GROUND,
    }));
  }
  {
    const byCongestion = s.roadColour === "congestion";
    const style = {
      lineWidthUnits: "meters", lineWidthMinPixels: 1.5, lineCapRounded: true, lineJointRounded: true,
      getLineColor: (f) => {
        const p = f.properties;
        if (byCongestion && p.congestion !== undefined) return pal.congestionColor(p.congestion);
        return pal.roadColor(p.class);
      },
      getLineWidth: (f) => pal.roadWidth(f.properties.class),
      updateTriggers: { getLineColor: [s.roadColour] },
      highlightColor: [...pal.SELECTED, 255],
      parameters: GROUND,
    };
    out.push(new MVTLayer({
      ...common, ...style, id: "roads", data: tiles("roads"), minZoom: 12, maxZoom: 15, pickable: true, visible: on.roads,
      highlightedFeatureId: app.selectedLayer === "roads" ? s.selected : null,
      onViewportLoad: () => app.tilesLoaded("roads"),
    }));
  }
  {
    const mode = s.buildingColour;
    const vals = app.buildingValues;
    const withStoreys = app.storeyBuildings;
    const style = {
      extruded: true, stroked: false,
      getElevation: (f) => f.properties.height ?? 3 * (f.properties.levels || 3),
      getFillColor: (f) => {
        const p = f.properties;
        const alpha = withStoreys.has(p.id) && on.storeys ? 60 : 255;
        switch (mode) {
          case "use": return [...pal.buildingUseColor(p.class), alpha];
          case "levels": return [...pal.buildingHeightColor((p.levels ?? 3) * 3.2), alpha];
          case "metric": {
            const v = vals.map.get(p.id);
            if (v === undefined) return [90, 96, 110, alpha];
            return [...pal.readingColor((v - vals.domain[0]) / (vals.domain[1] - vals.domain[0] || 1)), alpha];
          }
          default: return [...pal.buildingHeightColor(p.height), alpha];
        }
      },
      updateTriggers: { getFillColor: [mode, vals.version, app.storeyVersion, on.storeys] },
      material: { ambient: 0.45, diffuse: 0.55, shininess: 24, specularColor: [50, 55, 70] },
      highlightColor: [...pal.SELECTED, 255],
    };
    out.push(new MVTLayer({
      ...common, ...style, id: "buildings", data: tiles("buildings"), minZoom: 13, pickable: true, visible: on.buildings,
      highlightedFeatureId: app.selectedLayer === "buildings" ? s.selected : null,
      onViewportLoad: () => app.tilesLoaded("buildings"),
    }));
  }
  if (on.storeys && app.storeys.length) {
    // The storeys stand inside their building, whose translucent shell (above)
    // still writes depth: tested against it, they would hide behind its roof
    // and walls. They are drawn over it, without a depth test.
    out.push(new PolygonLayer({
      id: "storeys", data: app.storeys, pickable: true, extruded: true, wireframe: true,
      parameters: { depthCompare: "always" },
      getPolygon: (d) => d.polygon,
      getElevation: (d) => d.height,
      getFillColor: (d) => (d.level % 2 ? [255, 190, 90, 150] : [255, 150, 60, 150]),
      getLineColor: [40, 20, 0, 255],
      highlightColor: [...pal.SELECTED, 255],
      highlightedObjectIndex: app.selectedLayer === "storeys" ? app.storeys.findIndex((d) => d.id === s.selected) : -1,
    }));
  }
  if (sc) out.push(...interventionLayers(sc));
  // Names on the map (labels.js), after the first paint like land use.
  if (app.firstPaint != null) out.push(...labelLayers(app, common));
  const pts = app.points;
  if (pts.length && app.stream.frame) {
    const sel = app.selectedLayer === "live" ? pts.index(app.stream.slotOfId.get(s.selected) ?? -1) : -1;
    out.push(new ScatterplotLayer({
      id: "live", pickable: true, visible: on.vehicles || on.sensors,
      data: pointsData(app),
      coordinateSystem: COORDINATE_SYSTEM.METER_OFFSETS,
      coordinateOrigin: [app.stream.frame.origin[0], app.stream.frame.origin[1], 0],
      radiusUnits: "pixels", getRadius: s.wall ? 8 : 5, radiusMinPixels: 2,
      stroked: true, getLineColor: [8, 12, 24, 255], lineWidthUnits: "pixels", getLineWidth: 1,
      extensions: [filter], filterRange: [0.5, 1.5],
      highlightColor: [...pal.SELECTED, 255], highlightedObjectIndex: sel,
      parameters: { depthCompare: "less-equal" },
    }));
  }
  return out;
}

// interventionLayers draws the scenario being built: rain areas, and the area
// being drawn with its points.
function interventionLayers(sc) {
  const areas = sc.interventions.filter((iv) => iv.type === "rain");
  const out = [];
  // The roads closed and substations cut, marked where they are.
  const marked = sc.interventions.filter((iv) => iv.id && sc.shapes.has(iv.id)).map((iv) => ({ type: "Feature", geometry: sc.shapes.get(iv.id), properties: { id: iv.id } }));
  if (marked.length) {
    out.push(new GeoJsonLayer({
      id: "scenario-marked", data: marked, stroked: true, filled: true, pointType: "circle",
      getLineColor: pal.CUT, getFillColor: pal.CUT, lineWidthUnits: "pixels", getLineWidth: 6, getPointRadius: 9, pointRadiusUnits: "pixels",
      updateTriggers: { getLineColor: sc.version }, parameters: { depthCompare: "always" },
    }));
  }
  if (sc.mode === "cut" && sc.substations.length) {
    out.push(new GeoJsonLayer({
      id: "scenario-substations", data: sc.substations, pickable: true, pointType: "circle",
      getFillColor: pal.SUBSTATION, getLineColor: [20, 16, 0, 255], stroked: true, lineWidthUnits: "pixels", getLineWidth: 2,
      getPointRadius: 8, pointRadiusUnits: "pixels", updateTriggers: { getFillColor: sc.version }, parameters: { depthCompare: "always" },
    }));
  }
  if (areas.length) {
    out.push(new PolygonLayer({
      id: "scenario-areas", data: areas, getPolygon: (iv) => iv.area.coordinates[0],
      getFillColor: pal.RAIN_FILL, getLineColor: pal.RAIN_LINE, lineWidthMinPixels: 2,
      updateTriggers: { getPolygon: sc.version }, parameters: GROUND,
    }));
  }
  if (sc.draft.length) {
    out.push(new PathLayer({
      id: "scenario-draft", data: [sc.draft.length > 2 ? [...sc.draft, sc.draft[0]] : sc.draft], getPath: (p) => p,
      getColor: pal.RAIN_LINE, widthUnits: "pixels", getWidth: 2, updateTriggers: { getPath: sc.version }, parameters: GROUND,
    }));
    out.push(new ScatterplotLayer({
      id: "scenario-draft-points", data: sc.draft, getPosition: (p) => p, radiusUnits: "pixels", getRadius: 5,
      getFillColor: pal.RAIN_LINE, updateTriggers: { getPosition: sc.version }, parameters: GROUND,
    }));
  }
  return out;
}

// pointsData wraps the point store's arrays as deck.gl binary attributes: a new
// object (so deck.gl uploads the buffers again) only when the store changed.
function pointsData(app) {
  const pts = app.points;
  if (app.pointsData && app.pointsData.version === pts.version && app.pointsData.buffer === pts.positions.buffer) return app.pointsData;
  const n = pts.length;
  app.pointsData = {
    version: pts.version,
    buffer: pts.positions.buffer,
    length: n,
    attributes: {
      getPosition: { value: pts.positions.subarray(0, 3 * n), size: 3 },
      getFillColor: { value: pts.colours.subarray(0, 4 * n), size: 4, normalized: true },
      getFilterValue: { value: pts.visible.subarray(0, n), size: 1 },
    },
  };
  return app.pointsData;
}
