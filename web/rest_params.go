package web

import (
	"net/url"
	"strconv"
	"strings"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/uber/h3-go/v4"
)

// Limits of the REST API's selections, so that one request cannot ask for
// unbounded work.
const (
	maxKinds = 64
	maxIDs   = 1000
	// maxVertices bounds a within or intersects geometry: every candidate is
	// tested against all of its edges.
	maxVertices = 20000
	// maxRingK bounds ring=cell,k: 3k(k+1)+1 cells, 7651 at 50.
	maxRingK = 50
	// maxNearestK bounds k of /api/v1/nearest.
	maxNearestK = 1000
)

// The selection parameters the REST reads share, in the order the OpenAPI
// document lists them. Each endpoint takes those that make sense for it.
const (
	pKind       = "kind"
	pID         = "id"
	pBBox       = "bbox"
	pWithin     = "within"
	pIntersects = "intersects"
	pNear       = "near"
	pCells      = "cells"
	pRing       = "ring"
	pWhere      = "where"
	pAt         = "at"
	pLimit      = "limit"
	pCursor     = "cursor"
)

// entitiesParams are the query parameters of GET /api/v1/entities.
var entitiesParams = []string{pKind, pID, pBBox, pWithin, pIntersects, pNear, pCells, pRing, pWhere, pLimit, pCursor, pAt}

// renamed gives a parser's error the name the REST API uses for the parameter
// (the OGC parsers say datetime and h3 where it says at and cells).
func renamed(name string, err *ParamError) *ParamError {
	if err != nil {
		err.Name = name
	}
	return err
}

// parseAt reads the as-of instant of a REST read.
func parseAt(name, s string) (int64, *ParamError) {
	at, err := parseInstant(s)
	return at, renamed(name, err)
}

// parseSelection reads into q whichever selection parameters v holds: kind, id,
// bbox, within, intersects, near, cells, ring, where and at. The caller has
// already refused the parameters its endpoint does not take (checkParams).
func parseSelection(v url.Values, q *twin.Query) *ParamError {
	var err *ParamError
	// each runs parse on the single value of name, if given.
	each := func(name string, parse func(string) *ParamError) {
		if err != nil {
			return
		}
		s, ok, e := single(v, name)
		switch {
		case e != nil:
			err = e
		case ok:
			err = parse(s)
		}
	}
	each(pBBox, func(s string) (e *ParamError) { q.BBox, e = parseBBox(s); return })
	each(pWithin, func(s string) (e *ParamError) { q.Within, e = parseGeometry(pWithin, []byte(s), true); return })
	each(pIntersects, func(s string) (e *ParamError) { q.Intersects, e = parseGeometry(pIntersects, []byte(s), false); return })
	each(pNear, func(s string) (e *ParamError) { q.Near, e = parseNear(s); return })
	each(pRing, func(s string) (e *ParamError) { q.Cells, e = parseRing(s); return })
	each(pAt, func(s string) (e *ParamError) { q.At, e = parseAt(pAt, s); return })
	if err != nil {
		return err
	}
	if len(v[pCells]) > 0 {
		if len(v[pRing]) > 0 {
			return paramErrorf(pRing, "give cells or ring, not both")
		}
		if q.Cells, err = parseCells(v[pCells]); err != nil {
			return renamed(pCells, err)
		}
	}
	if q.Kinds, err = parseKinds(pKind, splitList(v[pKind])); err != nil {
		return err
	}
	if q.IDs, err = parseIDs(pID, v[pID]); err != nil {
		return err
	}
	q.Where, err = parseWhere(v[pWhere])
	return err
}

// splitList flattens repeated and comma-separated values.
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

// parseKinds checks kind names: lower-case letters, digits and underscores, as
// the twin names them (building, building_part).
func parseKinds(name string, ss []string) ([]twin.Kind, *ParamError) {
	if len(ss) > maxKinds {
		return nil, paramErrorf(name, "%d kinds; at most %d", len(ss), maxKinds)
	}
	var out []twin.Kind
	for _, s := range ss {
		if !validKind(s) {
			return nil, paramErrorf(name, "%q is not a kind: want a lower-case singular name such as building or sensor", clip(s))
		}
		out = append(out, twin.Kind(s))
	}
	return out, nil
}

func validKind(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// parseIDs checks entity ids. They are not split on commas: an id may hold one.
func parseIDs(name string, ss []string) ([]twin.ID, *ParamError) {
	if len(ss) > maxIDs {
		return nil, paramErrorf(name, "%d ids; at most %d", len(ss), maxIDs)
	}
	var out []twin.ID
	for _, s := range ss {
		if s == "" || len(s) > twin.MaxIDLen {
			return nil, paramErrorf(name, "an id has 1..%d bytes", twin.MaxIDLen)
		}
		out = append(out, twin.ID(s))
	}
	return out, nil
}

// parseGeometry reads a GeoJSON geometry; polygonal asks for a Polygon or
// MultiPolygon (within needs an area to be inside of).
func parseGeometry(name string, b []byte, polygonal bool) (orb.Geometry, *ParamError) {
	g, err := geojson.UnmarshalGeometry(b)
	if err != nil || g == nil || g.Geometry() == nil {
		return nil, paramErrorf(name, "not a GeoJSON geometry such as {\"type\":\"Polygon\",\"coordinates\":[[[lon,lat],...]]}")
	}
	geom := g.Geometry()
	switch geom.(type) {
	case orb.Polygon, orb.MultiPolygon:
	case orb.Point, orb.MultiPoint, orb.LineString, orb.MultiLineString:
		if polygonal {
			return nil, paramErrorf(name, "a %s has no inside; want a Polygon or MultiPolygon", geom.GeoJSONType())
		}
	default:
		return nil, paramErrorf(name, "a %s is not taken here; want a Point, LineString, Polygon or one of their Multi forms", geom.GeoJSONType())
	}
	if n := vertices(geom); n == 0 {
		return nil, paramErrorf(name, "the %s is empty", geom.GeoJSONType())
	} else if n > maxVertices {
		return nil, paramErrorf(name, "%d vertices; at most %d (simplify it, or send several queries)", n, maxVertices)
	}
	if err := twin.ValidGeometry(geom); err != nil {
		return nil, paramErrorf(name, "%v", err)
	}
	if p, ok := geom.(orb.Polygon); ok && len(p[0]) < 4 {
		return nil, paramErrorf(name, "the outer ring has %d positions; a closed ring needs at least 4", len(p[0]))
	}
	return geom, nil
}

func vertices(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(g)
	case orb.LineString:
		return len(g)
	case orb.MultiLineString:
		n := 0
		for _, l := range g {
			n += len(l)
		}
		return n
	case orb.Polygon:
		n := 0
		for _, r := range g {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			n += vertices(p)
		}
		return n
	}
	return 0
}

// parseRing reads cell,k: the cells within grid distance k of cell.
func parseRing(s string) ([]h3.Cell, *ParamError) {
	cs, ks, ok := strings.Cut(s, ",")
	if !ok {
		return nil, paramErrorf(pRing, "%q: want cell,k such as 8a1fb46622dffff,2", clip(s))
	}
	c, err := parseCell(pRing, strings.TrimSpace(cs))
	if err != nil {
		return nil, err
	}
	k, aerr := strconv.Atoi(strings.TrimSpace(ks))
	if aerr != nil || k < 0 || k > maxRingK {
		return nil, paramErrorf(pRing, "k %q: want a whole number 0..%d", clip(ks), maxRingK)
	}
	return geo.Ring(c, k), nil
}

// parseCell reads one H3 cell index.
func parseCell(name, s string) (h3.Cell, *ParamError) {
	c := h3.Cell(h3.IndexFromString(s))
	if !isHex(s) || !c.IsValid() {
		return 0, paramErrorf(name, "%q is not an H3 cell index (hexadecimal, e.g. 8a1fb46622dffff)", clip(s))
	}
	return c, nil
}

// parseInt reads a whole number in lo..hi.
func parseInt(name, s string, lo, hi int) (int, *ParamError) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > hi {
		return 0, paramErrorf(name, "%q: want a whole number %d..%d", clip(s), lo, hi)
	}
	return n, nil
}

// parsePoint reads lon,lat.
func parsePoint(name, s string) (orb.Point, *ParamError) {
	if n := strings.Count(s, ",") + 1; n != 2 {
		return orb.Point{}, paramErrorf(name, "has %d values; want 2: lon,lat", n)
	}
	f, err := parseNumbers(name, s, []string{"lon", "lat"})
	if err != nil {
		return orb.Point{}, err
	}
	if f[0] < -180 || f[0] > 180 || f[1] < -90 || f[1] > 90 {
		return orb.Point{}, paramErrorf(name, "%v,%v is not a lon,lat within -180..180, -90..90", f[0], f[1])
	}
	return orb.Point{f[0], f[1]}, nil
}
