package web

import (
	"errors"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"citytwin/render"
	"citytwin/twin/series"
)

// Paths and media types of the vector tiles.
const (
	tilesPath        = "/tiles"
	ContentTypeMVT   = "application/vnd.mapbox-vector-tile"
	tileCacheControl = "no-cache" // live: keep, but ask again (the ETag makes that cheap)
	// Tiles as of a past instant change only when history is written
	// backwards; clients may keep them a while.
	tileAtCacheControl = "public, max-age=300"
)

var (
	tileParams   = []string{pAt}
	tileH3Params = []string{pAt, "metric", "agg", "res"}
)

// tileRequest is a parsed tile path.
type tileRequest struct {
	layer   string
	z, x, y int
}

// parseTilePath reads {layer}/{z}/{x}/{y}.mvt. An unknown layer is reported
// with ok false and no error (it is a 404, not a 400).
func parseTilePath(layer, zs, xs, ys string) (req tileRequest, known bool, perr *ParamError) {
	if !slices.Contains(render.TileLayerNames(), layer) {
		return req, false, nil
	}
	req.layer = layer
	ys, ok := strings.CutSuffix(ys, ".mvt")
	if !ok {
		return req, true, paramErrorf("y", "%q: the row ends in .mvt, as in /tiles/%s/15/18653/9484.mvt", clip(ys), layer)
	}
	num := func(name, s string, hi int) (int, *ParamError) { return tileNumber(name, s, 8, hi) }
	var err *ParamError
	if req.z, err = num("z", zs, render.TileMaxZoom); err != nil {
		return req, true, err
	}
	last := 1<<req.z - 1
	if req.x, err = num("x", xs, last); err != nil {
		return req, true, err
	}
	if req.y, err = num("y", ys, last); err != nil {
		return req, true, err
	}
	return req, true, nil
}

// parseTileOptions reads at, and for the h3 layer metric, agg and res.
func parseTileOptions(layer string, v url.Values) (render.TileOptions, *ParamError) {
	o := render.TileOptions{Agg: series.Avg, Res: render.ResAuto}
	known := tileParams
	if layer == render.LayerH3 {
		known = tileH3Params
	}
	if err := checkParams(v, known); err != nil {
		return o, err
	}
	if s, ok, err := single(v, pAt); err != nil {
		return o, err
	} else if ok {
		if o.At, err = parseAt(pAt, s); err != nil {
			return o, err
		}
	}
	if layer != render.LayerH3 {
		return o, nil
	}
	var err *ParamError
	if o.Metric, err = parseMetric(v); err != nil {
		return o, err
	}
	if o.Agg, err = parseAgg(v); err != nil {
		return o, err
	}
	if s, ok, err := single(v, "res"); err != nil {
		return o, err
	} else if ok && s != "auto" {
		if o.Res, err = parseInt("res", s, 0, 15); err != nil {
			return o, err
		}
	}
	return o, nil
}

// tile serves GET /tiles/{layer}/{z}/{x}/{y}.mvt.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) {
	req, known, perr := parseTilePath(r.PathValue("layer"), r.PathValue("z"), r.PathValue("x"), r.PathValue("y"))
	if !known {
		writeProblem(w, notFound(r, "there is no tile layer "+quote(r.PathValue("layer"))+"; the layers are "+strings.Join(render.TileLayerNames(), ", ")))
		return
	}
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	o, perr := parseTileOptions(req.layer, r.URL.Query())
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	o.Gzip = acceptsGzip(r)
	renderTile := func() ([]byte, error) {
		return render.Tile(r.Context(), s.store, req.layer, req.z, req.x, req.y, o)
	}
	var body []byte
	var etag, cacheControl string
	if o.At != 0 || s.tiles == nil || s.tiles.max <= 0 {
		b, err := renderTile()
		if err != nil {
			s.tileError(w, r, err)
			return
		}
		body, etag, cacheControl = b, tileETag(b), tileAtCacheControl
		if o.At == 0 {
			cacheControl = tileCacheControl
		}
	} else {
		key := tileKey{layer: uint8(slices.Index(render.TileLayerNames(), req.layer)), z: uint8(req.z), x: uint32(req.x), y: uint32(req.y), gzip: o.Gzip}
		if req.layer == render.LayerH3 {
			key.metric, key.agg, key.res = o.Metric, uint8(o.Agg), int8(render.H3Res(req.z, o.Res))
		}
		e, err := s.tiles.get(r.Context(), key, renderTile)
		if err != nil {
			s.tileError(w, r, err)
			return
		}
		body, etag, cacheControl = e.body, e.etag, tileCacheControl
	}
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheControl)
	h.Set("Vary", "Accept-Encoding")
	if inm := r.Header.Get("If-None-Match"); inm != "" && tileETagMatch(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if o.Gzip {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", ContentTypeMVT)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// tileError answers a failed render.
func (s *Server) tileError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, render.ErrTileCoords), errors.Is(err, render.ErrTileOptions):
		writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "Invalid tile", Status: http.StatusBadRequest, Detail: err.Error(), Instance: r.URL.RequestURI()})
	case errors.Is(err, render.ErrUnknownLayer):
		writeProblem(w, notFound(r, err.Error()))
	default:
		s.queryError(w, r, err)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") || strings.Contains(params, "q=0.")
		}
	}
	return false
}

// tileETag is a strong validator of a tile's bytes.
func tileETag(b []byte) string {
	h := fnv.New64a()
	_, _ = h.Write(b)
	return `"` + strconv.FormatUint(h.Sum64(), 36) + `"`
}

func tileETagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// tileJSON serves GET /tiles/{layer}.json: TileJSON 3.0.0 of one layer.
func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("name"), ".json")
	var info *render.TileLayer
	for _, l := range render.TileLayers() {
		if l.Name == name {
			info = &l
		}
	}
	if !ok || info == nil {
		writeProblem(w, notFound(r, "there is no tile layer "+quote(r.PathValue("name"))+"; /tiles/{layer}.json describes one of "+strings.Join(render.TileLayerNames(), ", ")))
		return
	}
	v := r.URL.Query()
	if _, err := parseTileOptions(name, v); err != nil {
		writeProblem(w, paramProblem(r, err))
		return
	}
	bounds := []float64{-180, -85.0511, 180, 85.0511}
	ext, err := s.extents.get(r.Context(), s.store, s.cfg.ExtentTTL, s.now())
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	first := true
	for _, k := range info.Kinds {
		e, found := ext[k]
		if !found || e.Spatial == nil || len(e.Spatial.BBox) == 0 {
			continue
		}
		b := e.Spatial.BBox[0]
		if b[0] > b[2] { // across the antimeridian: all longitudes
			b[0], b[2] = -180, 180
		}
		if first {
			bounds, first = []float64{b[0], b[1], b[2], b[3]}, false
			continue
		}
		bounds[0], bounds[1] = min(bounds[0], b[0]), min(bounds[1], b[1])
		bounds[2], bounds[3] = max(bounds[2], b[2]), max(bounds[3], b[3])
	}
	template := s.base(r) + tilesPath + "/" + name + "/{z}/{x}/{y}.mvt"
	if q := v.Encode(); q != "" {
		template += "?" + q
	}
	fields := obj{}
	for k, d := range info.Fields {
		fields[k] = d
	}
	center := []float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, float64(max(info.MinZoom, 14))}
	s.writeJSON(w, r, ContentTypeJSON, obj{
		"tilejson":    "3.0.0",
		"name":        "citytwin " + name,
		"description": info.Description,
		"version":     "1.0.0",
		"scheme":      "xyz",
		"tiles":       []string{template},
		"minzoom":     info.MinZoom,
		"maxzoom":     info.MaxZoom,
		"bounds":      bounds,
		"center":      center,
		"vector_layers": []obj{{"id": name, "description": info.Description, "minzoom": info.MinZoom, "maxzoom": info.MaxZoom,
			"fields": fields}},
	})
}

// tileNumber reads one number of a tile path: plain decimal digits (at most
// digits of them, no leading zero) up to hi.
func tileNumber(name, s string, digits, hi int) (int, *ParamError) {
	if s == "" || len(s) > digits || strings.TrimLeft(s, "0123456789") != "" || len(s) > 1 && s[0] == '0' {
		return 0, paramErrorf(name, "%q is not a tile number", clip(s))
	}
	n, _ := strconv.Atoi(s)
	if n > hi {
		return 0, paramErrorf(name, "%d is beyond %d", n, hi)
	}
	return n, nil
}
