package render

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"citytwin/twin"
	"citytwin/twin/series"
)

// Errors of Tile.
var (
	ErrUnknownLayer = errors.New("render: unknown layer")
	ErrTileCoords   = errors.New("render: bad tile coordinates")
	ErrTileOptions  = errors.New("render: bad tile options")
)

// TileMaxZoom is the deepest zoom Tile renders; clients over-zoom beyond it.
const TileMaxZoom = 22

// Defaults of TileOptions.
const (
	DefaultTileExtent = 4096
	DefaultTileBuffer = 64 // 4 pixels of a 256-pixel tile: wide lines and labels cross the edge
)

// ResAuto asks the h3 layer to pick the H3 resolution from the zoom (H3AutoRes).
const ResAuto = -1

// TileOptions shape a tile. The zero value is usable: extent 4096, buffer 64,
// now, not gzipped; the h3 layer then needs Metric.
type TileOptions struct {
	// At renders the twin as it was at this instant (Unix nanoseconds); 0 is now.
	At int64
	// Gzip compresses the tile (Content-Encoding: gzip, or MBTiles at rest).
	Gzip bool
	// Extent is the tile's grid (0: 4096); Buffer is how far beyond the tile
	// geometry is kept, in extent units (0: 64).
	Extent, Buffer uint32

	// Metric, Agg and Res select what the h3 layer aggregates: the newest value of
	// Metric per entity (or its numeric property of that name) summarised per H3
	// cell of resolution Res (ResAuto: H3AutoRes of the zoom). The zero Agg is
	// series.Count; the web handler defaults it to avg.
	Metric string
	Agg    series.Agg
	Res    int
}

func (o *TileOptions) normalise() error {
	if o.Extent == 0 {
		o.Extent = DefaultTileExtent
	}
	if o.Buffer == 0 {
		o.Buffer = DefaultTileBuffer
	}
	switch {
	case o.Extent < 256 || o.Extent > 1<<16:
		return fmt.Errorf("%w: extent %d out of 256..65536", ErrTileOptions, o.Extent)
	case o.Buffer > o.Extent:
		return fmt.Errorf("%w: buffer %d beyond the extent", ErrTileOptions, o.Buffer)
	case o.Res < ResAuto || o.Res > 15:
		return fmt.Errorf("%w: h3 resolution %d out of 0..15", ErrTileOptions, o.Res)
	case o.Agg < series.Count || o.Agg > series.P95:
		return fmt.Errorf("%w: unknown aggregate %d", ErrTileOptions, o.Agg)
	}
	return nil
}

// CheckTileCoords reports whether z/x/y names a tile Tile renders.
func CheckTileCoords(z, x, y int) error {
	if z < 0 || z > TileMaxZoom {
		return fmt.Errorf("%w: zoom %d out of 0..%d", ErrTileCoords, z, TileMaxZoom)
	}
	n := 1 << z
	if x < 0 || x >= n || y < 0 || y >= n {
		return fmt.Errorf("%w: %d/%d/%d: x and y must be in 0..%d at zoom %d", ErrTileCoords, z, x, y, n-1, z)
	}
	return nil
}

// Tile renders one layer of tile z/x/y of the twin in store as a Mapbox
// Vector Tile. A tile with nothing in it is an empty tile (zero bytes, or an
// empty gzip stream), which MVT clients accept.
func Tile(ctx context.Context, store *twin.Store, layer string, z, x, y int, opts TileOptions) ([]byte, error) {
	l, ok := mvtLayerByName(layer)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLayer, layer)
	}
	if err := CheckTileCoords(z, x, y); err != nil {
		return nil, err
	}
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	if l.info.Name == LayerH3 && opts.Metric == "" {
		return nil, fmt.Errorf("%w: the h3 layer needs a metric", ErrTileOptions)
	}
	w := newMVTLayerWriter(l.info.Name, opts.Extent)
	defer w.release()
	if z >= l.info.MinZoom {
		f := newMVTFrame(z, x, y, opts.Extent, opts.Buffer)
		if err := l.render(ctx, store, f, w, &opts); err != nil {
			return nil, err
		}
	}
	out := w.appendTo([]byte{})
	if opts.Gzip {
		return mvtGzip(out)
	}
	return out, nil
}

// Layer names.
const (
	LayerBuildings = "buildings"
	LayerRoads     = "roads"
	LayerSensors   = "sensors"
	LayerStops     = "stops"
	LayerVehicles  = "vehicles"
	LayerWater     = "water"
	LayerLanduse   = "landuse"
	LayerH3        = "h3"
	LayerLabels    = "labels"
)

// TileLayer describes a layer for TileJSON and the docs.
type TileLayer struct {
	Name        string
	Description string
	// MinZoom is the first zoom with features (some kinds of feature start
	// later, see docs/tiles.md); MaxZoom the last with new detail.
	MinZoom, MaxZoom int
	// Kinds are the entity kinds the layer shows (none: the h3 layer, which
	// aggregates any).
	Kinds []twin.Kind
	// Fields maps each attribute to its type and meaning, TileJSON's
	// vector_layers[].fields.
	Fields map[string]string
	// Moving is set for a layer whose features move with OpMove.
	Moving bool
}

// TileLayers lists the layers, in drawing order (bottom first).
func TileLayers() []TileLayer {
	out := make([]TileLayer, len(mvtRegistry))
	for i, l := range mvtRegistry {
		out[i] = l.info
		out[i].Kinds = slices.Clone(l.info.Kinds)
	}
	return out
}

// TileLayerNames lists the names of Layers, in the same order.
func TileLayerNames() []string {
	out := make([]string, len(mvtRegistry))
	for i, l := range mvtRegistry {
		out[i] = l.info.Name
	}
	return out
}

// mvtLayer is a registered layer: its description and its renderer.
type mvtLayer struct {
	info TileLayer
	// member reports whether an entity is drawn in the layer (nil: the h3 layer).
	member func(e *twin.Entity) bool
	render func(ctx context.Context, store *twin.Store, f *mvtFrame, w *mvtLayerWriter, o *TileOptions) error
}

func mvtLayerByName(name string) (*mvtLayer, bool) {
	for i := range mvtRegistry {
		if mvtRegistry[i].info.Name == name {
			return &mvtRegistry[i], true
		}
	}
	return nil, false
}

// TileLayersOf returns the names of the layers (h3 aside, which every entity
// with a place may feed) that draw e, for callers that cache tiles and must
// know which ones a change touches.
func TileLayersOf(e *twin.Entity) []string {
	var out []string
	for i := range mvtRegistry {
		if m := mvtRegistry[i].member; m != nil && m(e) {
			out = append(out, mvtRegistry[i].info.Name)
		}
	}
	return out
}

// TileLayersOfKind returns the names of the layers that may draw an entity of kind k.
func TileLayersOfKind(k twin.Kind) []string {
	var out []string
	for i := range mvtRegistry {
		if slices.Contains(mvtRegistry[i].info.Kinds, k) {
			out = append(out, mvtRegistry[i].info.Name)
		}
	}
	return out
}
