package cityjson

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"citytwin/geo/crs"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Options set how a file becomes entities.
type Options struct {
	Source   string    // provenance source; default "cityjson"
	IDPrefix string    // put in front of every object id; default "cityjson:"
	Now      time.Time // valid-from of the versions; default time.Now()
	// DefaultCRS is used when the file names no metadata.referenceSystem.
	// Without either the file is refused (ErrNoCRS), never placed at a guess.
	DefaultCRS string
	MaxBytes   int64 // Read refuses larger input; default 1 GiB
	// Progress, if set, is called now and then, from the goroutine that called
	// Read or Decode, with the bytes of the input parsed so far and its size:
	// every 256 city objects of a document or lines of a stream, and with
	// done == total once the objects are made. Parsing is about a third of the
	// time; deriving the footprints, the rest, is reported when it ends.
	Progress func(done, total int64)
}

// Reject is a city object (or a CityJSONSeq line) that did not become an entity.
type Reject struct {
	ID     string `json:"id,omitempty"`
	Line   int    `json:"line,omitempty"` // CityJSONSeq line, 1-based; 0 for a document
	Reason string `json:"reason"`
}

// Metadata says what the file is.
type Metadata struct {
	Version string         // "1.0", "1.1", "2.0"
	Seq     bool           // read as CityJSONSeq
	CRS     string         // canonical code, e.g. "EPSG:7415"
	Extent  []float64      // metadata.geographicalExtent as written (source system)
	Raw     map[string]any // the metadata object as written
}

// Object is one city object with what was derived from it.
type Object struct {
	ID         string
	Type       string    // CityJSON type: Building, BuildingPart, Road, "+Extension", ...
	Kind       twin.Kind // building, building_part, road, water_body, ...
	Parents    []string
	Children   []string
	Attributes map[string]any
	Geometries []Geometry // every geometry and LoD, in file order

	// Footprint is WGS84 lon/lat: Polygon or MultiPolygon for surfaces and
	// solids, MultiPoint or MultiLineString for points and lines; nil when the
	// object has no geometry of its own or of its children. See footprint.go.
	Footprint orb.Geometry
	// Ground and Top are absolute heights (the source's vertical system, e.g.
	// NAP metres) of the ground under the object and of its highest point.
	Ground, Top float64
	// Height is Top - Ground, MinHeight the bottom of the object above the
	// ground, RoofHeight the height of the roof itself (highest minus lowest roof
	// point, as OSM roof:height); all metres, 0 when unknown. HeightSource says
	// where they came from: "3dbag", "geometry", "children" or "".
	Height, MinHeight, RoofHeight float64
	HeightSource                  string
	LoD                           string // LoD of the geometry the values come from

	hasHeight bool
	raw       *objectJSON // until build
	base, n   int         // the object's vertex block in the pool
}

// Result is what a file gave.
type Result struct {
	Meta    Metadata
	Model   *Model
	Objects []Object // sorted by id
	Ops     []twin.Op
	Rejects []Reject
}

// Errors for input that is not CityJSON at all.
var (
	ErrNotCityJSON = errors.New("cityjson: not a CityJSON document or CityJSONSeq")
	ErrVersion     = errors.New("cityjson: unsupported version")
	ErrNoCRS       = errors.New("cityjson: no metadata.referenceSystem and no default CRS")
	ErrTooLarge    = errors.New("cityjson: input too large")
)

// Read reads a CityJSON document or a CityJSONSeq stream.
func Read(ctx context.Context, r io.Reader, opts Options) (*Result, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 30
	}
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cityjson: read: %w", err)
	}
	if int64(len(data)) > opts.MaxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, opts.MaxBytes)
	}
	return Decode(ctx, data, opts)
}

// Decode reads a CityJSON document (1.0, 1.1, 2.0) or a CityJSONSeq stream (a
// CityJSON header line, then one CityJSONFeature a line) from data. Objects
// that cannot be used are rejected one by one; the rest are kept.
func Decode(ctx context.Context, data []byte, opts Options) (*Result, error) {
	if opts.Source == "" {
		opts.Source = "cityjson"
	}
	if opts.IDPrefix == "" {
		opts.IDPrefix = "cityjson:"
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	sc := scanner{b: data, intern: map[string]any{}}
	if opts.Progress != nil {
		sc.progress = func(i int) { opts.Progress(int64(i), int64(len(data))) }
	}
	pre := startPrebuild()
	sc.onObject = pre.add
	head, err := sc.doc()
	sc.onObject = nil
	pre.close()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotCityJSON, err)
	}
	if head.Type != "CityJSON" {
		return nil, fmt.Errorf("%w: type %q", ErrNotCityJSON, head.Type)
	}
	v := head.Version
	if !(v == "1.0" || strings.HasPrefix(v, "1.0.") || v == "1.1" || strings.HasPrefix(v, "1.1.") || v == "2.0" || strings.HasPrefix(v, "2.0.")) {
		return nil, fmt.Errorf("%w %q: want 1.0, 1.1 or 2.0", ErrVersion, v)
	}
	res := &Result{Meta: Metadata{Version: v, Raw: head.Metadata}}
	name := opts.DefaultCRS
	if rs, ok := head.Metadata["referenceSystem"].(string); ok && rs != "" {
		name = rs
	}
	if name == "" {
		return nil, ErrNoCRS
	}
	tr, err := crs.For(name)
	if err != nil {
		return nil, fmt.Errorf("cityjson: metadata.referenceSystem: %w", err)
	}
	res.Meta.CRS = tr.Code()
	if ext, ok := head.Metadata["geographicalExtent"].([]any); ok {
		for _, x := range ext {
			if f, ok := x.(float64); ok {
				res.Meta.Extent = append(res.Meta.Extent, f)
			}
		}
	}

	b := builder{opts: &opts, size: len(data), res: res, model: &Model{CRS: tr.Code()}, tr: tr}
	if head.Transform != nil {
		b.scale, b.translate = head.Transform.Scale, head.Transform.Translate
		b.model.Origin = head.Transform.Translate
	} else {
		b.scale = [3]float64{1, 1, 1}
		if len(res.Meta.Extent) == 6 {
			b.model.Origin = [3]float64{res.Meta.Extent[0], res.Meta.Extent[1], res.Meta.Extent[2]}
		}
	}
	for _, s := range b.scale {
		if !(s > 0) {
			return nil, fmt.Errorf("%w: transform scale %v must be positive", ErrNotCityJSON, b.scale)
		}
	}
	if t := head.GeometryTemplates; t != nil {
		b.templates = t
		for i, v := range t.VerticesTemplates {
			if len(v) != 3 {
				return nil, fmt.Errorf("%w: vertices-templates %d has %d coordinates", ErrNotCityJSON, i, len(v))
			}
			b.tplVerts = append(b.tplVerts, v...)
		}
	}
	res.Model = b.model

	if err := b.block(ctx, head, 0); err != nil {
		return nil, err
	}
	// More values after the header: CityJSONSeq features, one a line. A bad
	// line is rejected and reading goes on at the next line.
	if sc.peek() != 0 && streamLines {
		if _, err := b.stream(ctx, &sc); err != nil {
			return nil, err
		}
	}
	line := 1
	for sc.peek() != 0 {
		res.Meta.Seq = true
		line++
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if line%256 == 0 {
			b.progress(sc.i)
		}
		f, err := sc.doc()
		if err != nil {
			res.Rejects = append(res.Rejects, Reject{ID: f.ID, Line: line, Reason: err.Error()})
			for sc.i < len(sc.b) && sc.b[sc.i] != '\n' {
				sc.i++
			}
			continue
		}
		if f.Type != "CityJSONFeature" {
			res.Rejects = append(res.Rejects, Reject{ID: f.ID, Line: line, Reason: fmt.Sprintf("type %q, want CityJSONFeature", f.Type)})
			continue
		}
		if err := b.block(ctx, f, line); err != nil {
			return nil, err
		}
	}
	b.finish(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.progress(len(data))
	sort.SliceStable(res.Rejects, func(i, j int) bool {
		if res.Rejects[i].Line != res.Rejects[j].Line {
			return res.Rejects[i].Line < res.Rejects[j].Line
		}
		return res.Rejects[i].ID < res.Rejects[j].ID
	})
	return res, nil
}

// progress reports the bytes of the input done (see Options.Progress).
func (b *builder) progress(done int) {
	if b.opts.Progress != nil {
		b.opts.Progress(int64(done), int64(b.size))
	}
}

// builder collects objects from the document or from the features of a stream.
type builder struct {
	opts      *Options
	size      int // of the input
	res       *Result
	model     *Model
	tr        *crs.Transformer
	scale     [3]float64
	translate [3]float64
	templates *templatesJSON
	tplVerts  []float64
	objs      map[string]*Object
	lines     map[string]int
	canon     []int32    // see canonical
	lonLat    lonLatFlat // see grid
}

// block adds one vertex block and its objects (the whole document, or one
// feature).
func (b *builder) block(ctx context.Context, d *docJSON, line int) error {
	b.grow(len(d.Vertices) / 6) // about 6 bytes a coordinate or more
	all, err := parseVertices(d.Vertices, b.model.Vertices)
	return b.addBlock(ctx, d, line, all, err)
}

// blockParsed is block for a feature whose vertices were parsed ahead (see
// stream): verts, or vErr.
func (b *builder) blockParsed(ctx context.Context, d *docJSON, line int, verts []float64, vErr error) error {
	if vErr != nil {
		return b.addBlock(ctx, d, line, nil, vErr)
	}
	b.grow(len(verts))
	return b.addBlock(ctx, d, line, append(b.model.Vertices, verts...), nil)
}

// grow makes room for n more coordinates in the pool, doubling it when a
// stream's features outgrow it: append's growth of large slices is slower,
// and each step copies the pool.
func (b *builder) grow(n int) {
	if cap(b.model.Vertices)-len(b.model.Vertices) < n {
		v := make([]float64, len(b.model.Vertices), max(2*cap(b.model.Vertices), len(b.model.Vertices)+n))
		copy(v, b.model.Vertices)
		b.model.Vertices = v
	}
}

// addBlock adds a block whose vertices, appended to the pool, are all (or
// did not parse: err).
func (b *builder) addBlock(ctx context.Context, d *docJSON, line int, all []float64, err error) error {
	base := b.model.NumVertices()
	if err != nil {
		if line == 0 {
			return fmt.Errorf("%w: vertices: %v", ErrNotCityJSON, err)
		}
		b.res.Rejects = append(b.res.Rejects, Reject{ID: d.ID, Line: line, Reason: "vertices: " + err.Error()})
		return nil
	}
	off := [3]float64{b.translate[0] - b.model.Origin[0], b.translate[1] - b.model.Origin[1], b.translate[2] - b.model.Origin[2]}
	for i := 3 * base; i < len(all); i += 3 {
		all[i] = all[i]*b.scale[0] + off[0]
		all[i+1] = all[i+1]*b.scale[1] + off[1]
		all[i+2] = all[i+2]*b.scale[2] + off[2]
	}
	b.model.Vertices = all
	n := len(all)/3 - base
	if b.objs == nil {
		b.objs = map[string]*Object{}
		b.lines = map[string]int{}
	}
	i := 0
	for id, oj := range d.CityObjects {
		if i++; i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if oj == nil {
			b.res.Rejects = append(b.res.Rejects, Reject{ID: id, Line: line, Reason: "city object is null"})
			continue
		}
		if _, dup := b.objs[id]; dup {
			b.res.Rejects = append(b.res.Rejects, Reject{ID: id, Line: line, Reason: "duplicate city object id"})
			continue
		}
		o := &Object{ID: id, Type: oj.Type, Kind: KindOf(oj.Type), Parents: oj.Parents, Children: oj.Children, Attributes: oj.Attributes}
		if oj.Type == "" {
			b.res.Rejects = append(b.res.Rejects, Reject{ID: id, Line: line, Reason: "city object has no type"})
			continue
		}
		if err := b.instances(o, oj, base, n); err != nil {
			b.res.Rejects = append(b.res.Rejects, Reject{ID: id, Line: line, Reason: err.Error()})
			continue
		}
		b.objs[id] = o
		b.lines[id] = line
	}
	return nil
}

// instances materialises the GeometryInstances of an object now, as they add
// to the vertex pool; the other geometries are built later, in parallel, by
// build. o.Geometries gets one slot per geometry.
func (b *builder) instances(o *Object, oj *objectJSON, base, n int) error {
	o.raw, o.base, o.n = oj, base, n
	o.Geometries = make([]Geometry, len(oj.Geometry))
	for gi := range oj.Geometry {
		g := &oj.Geometry[gi]
		if g.Type != "GeometryInstance" {
			continue
		}
		if b.templates == nil {
			return fmt.Errorf("geometry %d: GeometryInstance without geometry-templates", gi)
		}
		s := scanner{b: g.Boundaries}
		ref, err := s.ring(false)
		if err == nil && len(ref) != 1 {
			err = fmt.Errorf("boundaries has %d vertices, want 1 reference point", len(ref))
		}
		if err == nil && ref[0] >= n {
			err = fmt.Errorf("%w %d: %d vertices", errBadIndex, ref[0], n)
		}
		if err == nil {
			o.Geometries[gi], err = instantiate(g, b.templates, b.tplVerts, &b.model.Vertices, b.model.Vertex(base+ref[0]))
		}
		if err != nil {
			return fmt.Errorf("geometry %d: %w", gi, err)
		}
	}
	return nil
}

// build makes the geometries instances left; it only reads shared state.
func build(o *Object) error {
	for gi := range o.raw.Geometry {
		g := &o.raw.Geometry[gi]
		if g.Type == "GeometryInstance" {
			continue
		}
		geom, ok := o.raw.built(gi, o.base, o.n)
		if !ok {
			var err error
			if geom, err = buildGeometry(g, o.base, o.n); err != nil {
				return fmt.Errorf("geometry %d: %w", gi, err)
			}
		}
		o.Geometries[gi] = geom
	}
	o.raw = nil
	return nil
}

// finish derives footprints and heights, fills parents from children, and
// makes the ops. Objects are independent here, so build, derive and op run on
// all cores. The shared vertex index and grid, which derive only reads, are
// made while the geometries are built.
func (b *builder) finish(ctx context.Context) {
	ids := make([]string, 0, len(b.objs))
	for id := range b.objs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	objs := make([]*Object, len(ids))
	for k, id := range ids {
		objs[k] = b.objs[id]
	}
	var shared sync.WaitGroup
	shared.Go(func() {
		b.canonical()
		b.grid()
	})
	errs := make([]error, len(ids))
	parallel(ctx, len(ids), func(k int) {
		errs[k] = build(objs[k])
	})
	shared.Wait()
	// Objects with geometry of their own get their op right away; the others
	// wait for their children.
	note := b.note()
	ops := make([]twin.Op, len(ids))
	opErrs := make([]error, len(ids))
	parallel(ctx, len(ids), func(k int) {
		if errs[k] != nil {
			return
		}
		o := objs[k]
		if errs[k] = b.derive(o); errs[k] == nil && len(o.Geometries) > 0 {
			ops[k], opErrs[k] = b.opOf(o, note)
		}
	})
	for k, err := range errs {
		if err != nil {
			b.res.Rejects = append(b.res.Rejects, Reject{ID: ids[k], Line: b.lines[ids[k]], Reason: err.Error()})
			delete(b.objs, ids[k])
			objs[k] = nil
		}
	}
	// Objects without geometry of their own (3DBAG buildings) take their
	// children's footprints and heights.
	var parents []int
	for k, o := range objs {
		if o == nil || len(o.Geometries) > 0 {
			continue
		}
		b.fromChildren(o)
		attrHeights(o)
		parents = append(parents, k)
	}
	parallel(ctx, len(parents), func(i int) {
		k := parents[i]
		ops[k], opErrs[k] = b.opOf(objs[k], note)
	})
	for k, o := range objs {
		if o == nil {
			continue
		}
		if opErrs[k] != nil {
			b.res.Rejects = append(b.res.Rejects, Reject{ID: ids[k], Line: b.lines[ids[k]], Reason: opErrs[k].Error()})
			continue
		}
		if b.res.Objects == nil { // nil when there are none, as before
			b.res.Objects = make([]Object, 0, len(objs)-k)
			b.res.Ops = make([]twin.Op, 0, len(objs)-k)
		}
		b.res.Objects = append(b.res.Objects, *o)
		b.res.Ops = append(b.res.Ops, ops[k])
	}
}

// opOf is the op of an object, or why it has none.
func (b *builder) opOf(o *Object, note string) (twin.Op, error) {
	if o.Footprint == nil {
		return twin.Op{}, fmt.Errorf("%w: no geometry of its own or of its children", errEmptyGeometry)
	}
	return b.op(o, note)
}

// parallel runs fn(0..n-1) on up to GOMAXPROCS goroutines and waits for them;
// it stops handing out work when ctx is done.
func parallel(ctx context.Context, n int, fn func(k int)) {
	workers := min(runtime.GOMAXPROCS(0), n/32+1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= n || k%64 == 0 && ctx.Err() != nil {
					return
				}
				fn(k)
			}
		}()
	}
	wg.Wait()
}
