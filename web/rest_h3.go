package web

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"citytwin/geo"
	"citytwin/render"
	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Paths of the H3 endpoints.
const (
	h3Path      = "/api/v1/h3"
	h3CellsPath = "/api/v1/h3/cells"
)

// pointRes is the resolution of the cell a point is counted in; coarser cells
// are its ancestors, as in twin.Store.AggregateCells (H3 cells do not nest
// exactly, so near an edge the ancestor is not always the cell that holds the
// point at the coarser resolution).
const pointRes = 15

// maxCoverCells bounds the answer of /api/v1/h3/cells.
const maxCoverCells = 10_000

var (
	h3Params      = []string{"res", "metric", "agg", "from", "to", pKind, pID, pBBox, pWithin, pIntersects, pNear, pCells, pRing, pWhere, pAt}
	h3CellsParams = []string{pBBox, "res"}
)

// h3Query is a parsed /api/v1/h3 request. windowed is set when from or to
// was given: then each entity contributes its observations in [From, To)
// rather than its newest value.
type h3Query struct {
	agg      twin.Aggregate
	windowed bool
}

// parseH3 reads res (0..15, required), metric (required), agg (default avg),
// from and to, and the selection.
func parseH3(v url.Values) (h3Query, *ParamError) {
	var hq h3Query
	if err := checkParams(v, h3Params); err != nil {
		return hq, err
	}
	var err *ParamError
	if hq.agg.Res, err = parseRes(v); err != nil {
		return hq, err
	}
	if hq.agg.Metric, err = parseMetric(v); err != nil {
		return hq, err
	}
	if hq.agg.Agg, err = parseAgg(v); err != nil {
		return hq, err
	}
	if err = parseWindow(v, &hq.agg); err != nil {
		return hq, err
	}
	hq.windowed = v.Has("from") || v.Has("to")
	if hq.windowed && hq.agg.Agg.NeedsValues() {
		return hq, paramErrorf("agg", "percentiles over a time window are not offered per cell; use count, sum, avg, min or max, or drop from and to for the newest values")
	}
	if err = parseSelection(v, &hq.agg.Query); err != nil {
		return hq, err
	}
	if hq.windowed && hq.agg.To == 0 && hq.agg.Query.At != 0 && hq.agg.Query.At < math.MaxInt64 {
		hq.agg.To = hq.agg.Query.At + 1
	}
	if hq.agg.To != 0 && hq.agg.From >= hq.agg.To {
		return hq, paramErrorf("to", "is not after from")
	}
	return hq, nil
}

func parseRes(v url.Values) (int, *ParamError) {
	s, ok, err := single(v, "res")
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, paramErrorf("res", "missing; give an H3 resolution 0..15 (8 is about 0.7 km²)")
	}
	return parseInt("res", s, 0, 15)
}

// cellValue is one element of the answer of /api/v1/h3.
type cellValue struct {
	Cell  h3.Cell
	Value float64
	Count int
}

// h3Aggregate serves GET /api/v1/h3: a metric summarised per H3 cell.
func (s *Server) h3Aggregate(w http.ResponseWriter, r *http.Request) {
	v, ok := query(w, r)
	if !ok {
		return
	}
	asBinary, perr := parseH3Format(v)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	hq, perr := parseH3(v)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	var (
		out []cellValue
		err error
	)
	if hq.windowed {
		out, err = s.windowedCells(r, hq.agg)
	} else {
		var cs []twin.CellValue
		cs, err = s.store.AggregateCells(r.Context(), hq.agg)
		out = make([]cellValue, len(cs))
		for i, c := range cs {
			out[i] = cellValue(c)
		}
	}
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	if asBinary {
		s.writeH3Binary(w, r, hq, out)
		return
	}
	b := make([]byte, 0, 16+len(out)*56)
	b = append(b, '[')
	for i, c := range out {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"cell":"`...)
		b = strconv.AppendUint(b, uint64(c.Cell), 16)
		b = append(b, `","value":`...)
		b = appendFloat(b, c.Value)
		b = append(b, `,"count":`...)
		b = appendInt(b, int64(c.Count))
		b = append(b, '}')
	}
	b = append(b, "]\n"...)
	writeBytes(w, ContentTypeJSON, http.StatusOK, b)
}

// ContentTypeH3Layer is the media type of format=binary of /api/v1/h3
// (render.AppendH3Layer; docs/api.md has the layout).
const ContentTypeH3Layer = "application/octet-stream"

// parseH3Format reads format (json, the default, or binary) and takes it
// out of v, so that parseH3 sees the selection only.
func parseH3Format(v url.Values) (bool, *ParamError) {
	f, ok, err := single(v, "format")
	v.Del("format")
	switch {
	case err != nil:
		return false, err
	case !ok || f == "json":
		return false, nil
	case f == "binary":
		return true, nil
	}
	return false, paramErrorf("format", "%q: json or binary", clip(f))
}

// writeH3Binary answers with the cells in render's binary H3 layer.
func (s *Server) writeH3Binary(w http.ResponseWriter, r *http.Request, hq h3Query, out []cellValue) {
	l := render.H3Layer{Res: hq.agg.Res, Metric: hq.agg.Metric, Agg: hq.agg.Agg, Windowed: hq.windowed, Cells: make([]twin.CellValue, len(out))}
	for i, c := range out {
		l.Cells[i] = twin.CellValue(c)
	}
	b, err := render.AppendH3Layer(nil, &l)
	if err != nil {
		s.log.Error("encode h3 layer", "path", r.URL.Path, "query", r.URL.RawQuery, "err", err)
		writeProblem(w, internalProblem(r))
		return
	}
	writeBytes(w, ContentTypeH3Layer, http.StatusOK, b)
}

// windowedCells aggregates each entity's observations in the window, then the
// entities of each cell: their place (point, or centre of the bound) as of
// Query.At. The twin has no per-cell window aggregate, so this composes
// AggregateEntities with a query for the places; percentiles cannot be composed
// that way and are refused by parseH3.
func (s *Server) windowedCells(r *http.Request, a twin.Aggregate) ([]cellValue, error) {
	per := a
	switch a.Agg {
	case series.Avg, series.Count:
		per.Agg = series.Sum // with Count, enough for both
	}
	es, err := s.store.AggregateEntities(r.Context(), per)
	if err != nil || len(es) == 0 {
		return nil, err
	}
	q := a.Query
	q.IDs, q.Limit, q.After = make([]twin.ID, len(es)), 0, ""
	for i, e := range es {
		q.IDs[i] = e.ID
	}
	res, err := s.store.Query(r.Context(), q)
	if err != nil {
		return nil, err
	}
	cellOf := make(map[twin.ID]h3.Cell, len(res.Entities))
	for i := range res.Entities {
		if p, ok := anchorOf(res.Entities[i].Geometry); ok {
			cellOf[res.Entities[i].ID] = geo.Parent(geo.Cell(p, pointRes), a.Res)
		}
	}
	type acc struct {
		value    float64
		count, n int // observations, entities
	}
	cells := make(map[h3.Cell]*acc)
	for _, e := range es {
		c, ok := cellOf[e.ID]
		if !ok || c == 0 {
			continue
		}
		x := cells[c]
		if x == nil {
			x = &acc{value: e.Value}
			cells[c] = x
		} else {
			switch a.Agg {
			case series.Min:
				x.value = min(x.value, e.Value)
			case series.Max:
				x.value = max(x.value, e.Value)
			default:
				x.value += e.Value
			}
		}
		x.count += e.Count
		x.n++
	}
	out := make([]cellValue, 0, len(cells))
	for c, x := range cells {
		v := x.value
		switch a.Agg {
		case series.Avg:
			v /= float64(x.count)
		case series.Count:
			v = float64(x.count)
		}
		out = append(out, cellValue{Cell: c, Value: v, Count: x.n})
	}
	slices.SortFunc(out, func(x, y cellValue) int { return cmpCell(x.Cell, y.Cell) })
	return out, nil
}

func cmpCell(a, b h3.Cell) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// anchorOf is where an entity is counted: its point, or the centre of its
// bound.
func anchorOf(g orb.Geometry) (orb.Point, bool) {
	switch g := g.(type) {
	case nil:
		return orb.Point{}, false
	case orb.Point:
		return g, true
	}
	return g.Bound().Center(), true
}

// h3Cells serves GET /api/v1/h3/cells: the cells at res that cover a bbox.
func (s *Server) h3Cells(w http.ResponseWriter, r *http.Request) {
	v, ok := query(w, r)
	if !ok {
		return
	}
	res, cells, perr := parseH3Cells(v)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	b := make([]byte, 0, 32+len(cells)*19)
	b = append(b, `{"res":`...)
	b = appendInt(b, int64(res))
	b = append(b, `,"cells":[`...)
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = strconv.AppendUint(b, uint64(c), 16)
		b = append(b, '"')
	}
	b = append(b, "]}\n"...)
	writeBytes(w, ContentTypeJSON, http.StatusOK, b)
}

// parseH3Cells reads bbox and res (both required) and covers the box, refusing
// covers of more than maxCoverCells before computing them.
func parseH3Cells(v url.Values) (int, []h3.Cell, *ParamError) {
	if err := checkParams(v, h3CellsParams); err != nil {
		return 0, nil, err
	}
	res, err := parseRes(v)
	if err != nil {
		return 0, nil, err
	}
	s, ok, err := single(v, pBBox)
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, paramErrorf(pBBox, "missing; give minLon,minLat,maxLon,maxLat")
	}
	boxes, err := parseBBox(s)
	if err != nil {
		return 0, nil, err
	}
	area := 0.0
	for _, b := range boxes {
		area += geo.Area(b)
	}
	if est := area / h3.HexagonAreaAvgM2(res); est > maxCoverCells {
		return 0, nil, paramErrorf(pBBox, "needs about %.0f cells at res %d; at most %d: use a smaller box or a coarser res", est, res, maxCoverCells)
	}
	var out []h3.Cell
	for _, b := range boxes {
		cs, cerr := geo.CoverPolygon(b, res)
		if cerr != nil {
			return 0, nil, paramErrorf(pBBox, "%v", cerr)
		}
		out = append(out, cs...)
	}
	slices.SortFunc(out, cmpCell)
	out = slices.Compact(out)
	if len(out) > maxCoverCells {
		return 0, nil, paramErrorf(pBBox, "needs %d cells at res %d; at most %d: use a smaller box or a coarser res", len(out), res, maxCoverCells)
	}
	return res, out, nil
}
