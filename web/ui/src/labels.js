// Map labels: the names of roads, waterways and named areas, from the
// server's labels tiles (/tiles/labels/…: a point per name per tile with its
// angle, class and rank, docs/tiles.md), drawn as text in Inter, the font the
// page bundles (style.css) rather than one from anywhere else.

import { MVTLayer } from "@deck.gl/geo-layers";
import { TextLayer } from "@deck.gl/layers";
import { CollisionFilterExtension } from "@deck.gl/extensions";

// What the labels are drawn in. deck.gl draws the glyphs once into an atlas
// per font: it must not be made before the real font has arrived, or it
// would be made from a fallback (and kept).
const FONT_FAMILY = "Inter";
const FONT_WEIGHT = 600;
const FONT = `${FONT_WEIGHT} 16px ${FONT_FAMILY}`;
let font = "unloaded"; // "loading", then "ready"

// A signed distance field, so that the text gets a halo; buffer and radius
// leave room for it around each glyph (atlas pixels of a 64 px font).
const FONT_SETTINGS = { sdf: true, fontSize: 64, buffer: 10, radius: 12, cutoff: 0.25, smoothing: 0.1 };
const HALO = [6, 10, 22, 235];
const HALO_WIDTH = 6; // atlas pixels: about 1/10 of the text's size

const COLOUR = { road: [236, 240, 248, 255], water: [140, 196, 255, 255], park: [150, 220, 160, 255], area: [200, 206, 222, 255] };

// Where labels overlap, the more important (lower rank, docs/tiles.md) stays.
// The collision filter tells labels apart by their index in a layer and
// weighs priorities within a layer: the labels of the tiles in view are
// gathered into one text layer, not drawn by one layer per tile.
const collision = new CollisionFilterExtension();
let shown = []; // the features of the tiles in view, in lon/lat

// labelLayers returns the labels' layers for app (the tiles, which draw
// nothing, and the text), or none until the font is loaded (app redraws
// then). common are the tile layers' shared props.
export function labelLayers(app, common) {
  if (font !== "ready") {
    if (font === "unloaded") {
      font = "loading";
      // A font that fails to load leaves labels in the fallback font rather
      // than none.
      document.fonts.load(FONT).catch(() => []).then(() => {
        font = "ready";
        app.invalidate();
      });
    }
    return [];
  }
  const s = app.state;
  const visible = s.layers.labels;
  const scale = s.wall ? 1.6 : 1;
  const { bearing = 0, pitch = 0 } = app.view;
  const turn = [Math.round(bearing), Math.round(pitch)];
  const tiles = new MVTLayer({
    ...common, id: "labels", data: `${location.origin}/tiles/labels/{z}/{x}/{y}.mvt`, minZoom: 10, maxZoom: 16,
    visible, pickable: false, binary: false,
    renderSubLayers: () => null,
    onViewportLoad: (loaded) => {
      shown = loaded.flatMap((t) => t.dataInWGS84 || []);
      app.invalidate();
    },
  });
  const text = new TextLayer({
    id: "labels-text", data: shown, visible, pickable: false,
    getPosition: (f) => f.geometry.coordinates,
    getText: (f) => f.properties.name,
    getAngle: (f) => screenAngle(f.properties.angle || 0, turn[0], turn[1]),
    getSize: (f) => scale * size(f.properties),
    getColor: (f) => colour(f.properties),
    fontFamily: FONT_FAMILY,
    fontWeight: FONT_WEIGHT,
    fontSettings: FONT_SETTINGS,
    characterSet: "auto",
    outlineWidth: HALO_WIDTH,
    outlineColor: HALO,
    sizeUnits: "pixels",
    billboard: true,
    getTextAnchor: "middle",
    getAlignmentBaseline: "center",
    // An invisible box behind each label: the collision map is drawn from
    // it, solid, rather than from the glyphs alone, whose gaps would let
    // labels overlap (and hide a label whose middle falls between letters).
    background: true,
    getBackgroundColor: [0, 0, 0, 0],
    backgroundPadding: [3, 1],
    extensions: [collision],
    collisionGroup: "labels",
    getCollisionPriority: (f) => 100 - 10 * (f.properties.rank || 8),
    // A label claims twice its size: a less important one whose middle
    // falls in that is hidden, so that neighbours keep apart.
    collisionTestProps: { sizeScale: 2 },
    updateTriggers: { getAngle: turn, getSize: scale },
    parameters: { depthCompare: "always", depthWriteEnabled: false },
  });
  return [tiles, text];
}

// screenAngle turns a label's angle on the map (degrees counter-clockwise
// from east) into the angle its text is drawn at on screen, as deck.gl draws
// text facing the viewer: the map turned by the bearing and its north–south
// foreshortened by the pitch; still upright.
function screenAngle(angle, bearing, pitch) {
  const t = ((angle + bearing) * Math.PI) / 180;
  let a = (Math.atan2(Math.sin(t) * Math.cos((pitch * Math.PI) / 180), Math.cos(t)) * 180) / Math.PI;
  if (a > 90) a -= 180;
  else if (a <= -90) a += 180;
  return a;
}

function size(p) {
  if (p.kind !== "road") return 13;
  return p.rank <= 3 ? 15 : p.rank <= 5 ? 14 : 12.5;
}

function colour(p) {
  if (p.kind === "road") return COLOUR.road;
  if (p.kind === "water" || p.class === "water" || p.class === "river") return COLOUR.water;
  if (p.class === "park" || p.class === "forest" || p.class === "wood") return COLOUR.park;
  return COLOUR.area;
}
