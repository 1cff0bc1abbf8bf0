package crs

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/paulmach/orb"
	proj "github.com/twpayne/go-proj/v11"
)

// ErrTransform is returned when a coordinate cannot be transformed (outside the
// area where the projection is defined, or not finite).
var ErrTransform = errors.New("crs: coordinate cannot be transformed")

// Transformer converts coordinates of one reference system to WGS84 lon/lat
// (OGC:CRS84) and back. Axis order is always normalised for visualisation:
// x = easting (or longitude), y = northing (or latitude), whatever the EPSG
// definition says (EPSG:3035 and 6677 are northing-first, EPSG:4326 lat-first).
//
// Heights are never transformed: a z passed in flat arrays is left as it is, so
// for a compound system such as EPSG:7415 (RD New + NAP) the horizontal part goes
// to lon/lat and the height stays in the vertical system's metres (NAP).
//
// A Transformer is safe for concurrent use. It owns its own PROJ context, and
// go-proj holds that context's mutex for every call, so calls on one Transformer
// run one at a time while different Transformers run in parallel. Goroutines that
// need parallel throughput on one system should each call New.
type Transformer struct {
	code string
	ctx  *proj.Context
	pj   *proj.PJ // source -> CRS84, normalised axis order
}

// New makes a Transformer for the system name (anything Parse accepts). An
// unparsable name, or a code PROJ does not know, is ErrUnknownCRS.
func New(name string) (*Transformer, error) {
	code, err := Parse(name)
	if err != nil {
		return nil, err
	}
	ctx := proj.NewContext()
	src, err := ctx.New(code)
	if err != nil || !src.IsCRS() {
		return nil, fmt.Errorf("%w %q (%s): %v", ErrUnknownCRS, name, code, err)
	}
	pj, err := ctx.NewCRSToCRS(code, CRS84, nil)
	if err != nil {
		return nil, fmt.Errorf("%w %q (%s): no transformation to WGS84: %v", ErrUnknownCRS, name, code, err)
	}
	norm, err := pj.NormalizeForVisualization()
	if err != nil {
		return nil, fmt.Errorf("%w %q (%s): normalise axis order: %v", ErrUnknownCRS, name, code, err)
	}
	return &Transformer{code: code, ctx: ctx, pj: norm}, nil
}

var cache sync.Map // canonical code -> *Transformer

// For returns the shared, cached Transformer of name; the first call for a
// system makes it. See Transformer for what sharing means for concurrency.
func For(name string) (*Transformer, error) {
	code, err := Parse(name)
	if err != nil {
		return nil, err
	}
	if t, ok := cache.Load(code); ok {
		return t.(*Transformer), nil
	}
	t, err := New(code)
	if err != nil {
		return nil, err
	}
	got, _ := cache.LoadOrStore(code, t)
	return got.(*Transformer), nil
}

// Code is the canonical code of the source system, e.g. "EPSG:7415".
func (t *Transformer) Code() string { return t.code }

// ToLonLat transforms one point of the source system to WGS84 lon/lat.
func (t *Transformer) ToLonLat(p orb.Point) (orb.Point, error) {
	return t.one(proj.DirectionFwd, p)
}

// FromLonLat transforms one WGS84 lon/lat to the source system.
func (t *Transformer) FromLonLat(p orb.Point) (orb.Point, error) {
	return t.one(proj.DirectionInv, p)
}

func (t *Transformer) one(dir proj.Direction, p orb.Point) (orb.Point, error) {
	c, err := t.pj.Trans(dir, proj.NewCoord(p[0], p[1], 0, 0))
	if err != nil {
		return orb.Point{}, fmt.Errorf("%w: %s %v: %v", ErrTransform, t.code, p, err)
	}
	q := orb.Point{c[0], c[1]}
	if err := t.check(dir, q, p); err != nil {
		return orb.Point{}, err
	}
	return q, nil
}

// ToLonLatFlat transforms, in place, points stored flat with the given stride
// (2 for x,y; 3 for x,y,z): x,y become lon,lat; anything after them is kept.
func (t *Transformer) ToLonLatFlat(flat []float64, stride int) error {
	return t.flat(proj.DirectionFwd, flat, stride)
}

// FromLonLatFlat is the inverse of ToLonLatFlat.
func (t *Transformer) FromLonLatFlat(flat []float64, stride int) error {
	return t.flat(proj.DirectionInv, flat, stride)
}

func (t *Transformer) flat(dir proj.Direction, flat []float64, stride int) error {
	if stride < 2 || len(flat)%stride != 0 {
		return fmt.Errorf("crs: flat coordinates: length %d, stride %d", len(flat), stride)
	}
	if len(flat) == 0 {
		return nil
	}
	// z is not handed to PROJ (zIndex -1): heights are kept as they are.
	if err := t.pj.TransFlatCoords(dir, flat, stride, -1, -1); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrTransform, t.code, err)
	}
	for i := 0; i < len(flat); i += stride {
		if err := t.check(dir, orb.Point{flat[i], flat[i+1]}, orb.Point{math.NaN(), math.NaN()}); err != nil {
			return fmt.Errorf("point %d: %w", i/stride, err)
		}
	}
	return nil
}

// check rejects PROJ's failure values (HUGE_VAL) and lon/lat outside WGS84.
func (t *Transformer) check(dir proj.Direction, q, in orb.Point) error {
	bad := math.IsNaN(q[0]) || math.IsNaN(q[1]) || math.IsInf(q[0], 0) || math.IsInf(q[1], 0) ||
		math.Abs(q[0]) > 1e15 || math.Abs(q[1]) > 1e15
	if !bad && dir == proj.DirectionFwd {
		bad = q[0] < -180 || q[0] > 180 || q[1] < -90 || q[1] > 90
	}
	if bad {
		return fmt.Errorf("%w: %s: %v gives %v", ErrTransform, t.code, in, q)
	}
	return nil
}
