package osm

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"

	"citytwin/geo/roadnet"
	"citytwin/twin"
)

// Source is the provenance source and op source of everything this package makes.
const Source = "osm"

// Errors of the importer.
var (
	ErrFormat  = errors.New("osm: unknown format (want OSM XML or PBF, optionally gzip or bzip2)")
	ErrOptions = errors.New("osm: bad options")
)

// Options configure Read.
type Options struct {
	// Name names the input in provenance notes, e.g. "helsinki_centre.osm.pbf".
	Name string
	// NonMotor imports footways, cycleways, paths, pedestrian streets, steps and
	// bridleways as roads (motor=false) and graph edges (Motor false).
	NonMotor bool
	// Procs is the number of PBF decoding goroutines; 0 means GOMAXPROCS.
	Procs int
}

// DefaultOptions imports everything with one PBF decoder per CPU.
func DefaultOptions() Options { return Options{NonMotor: true} }

// Validate reports bad options.
func (o Options) Validate() error {
	if o.Procs < 0 || o.Procs > 256 {
		return fmt.Errorf("%w: procs %d out of 0..256", ErrOptions, o.Procs)
	}
	return nil
}

// Reject is an element that was not imported, and why.
type Reject struct {
	Type   string // "node", "way" or "relation"
	ID     int64
	Reason string
}

func (r Reject) String() string { return fmt.Sprintf("%s/%d: %s", r.Type, r.ID, r.Reason) }

// Stats summarise an import.
type Stats struct {
	Format                 string // "xml" or "pbf"
	Nodes, Ways, Relations int    // elements read
	// Bounds is the extent the file declares (<bounds> or the PBF header), the
	// zero Bound when it declares none; NodeBound is the extent of its nodes.
	Bounds, NodeBound orb.Bound
	// ClippedRoads counts roads with nodes missing from the file (cut off by
	// the extract): they are imported as the pieces between the missing nodes.
	ClippedRoads int
	Duration     time.Duration
}

// Result is what Read makes of a file.
type Result struct {
	// Ops are upserts in a deterministic order: buildings (ways, then
	// relations), building parts, road segments, POIs; each group in file order.
	Ops     []twin.Op
	Graph   *roadnet.Graph // the routable road graph of the road segments
	Counts  map[twin.Kind]int
	Rejects []Reject
	Stats   Stats
}

// keptWay is a way the importer turns into an entity.
type keptWay struct {
	id      int64
	version int
	time    time.Time
	tags    osm.Tags
	nodes   []int64
}

// keptRelation is a multipolygon relation of a building or building part.
type keptRelation struct {
	id      int64
	version int
	time    time.Time
	tags    osm.Tags
	members osm.Members
}

// reader is the state of one Read.
type reader struct {
	opts      Options
	nodes     nodeStore
	ways      *wayStore
	buildings []keptWay
	parts     []keptWay
	roads     []keptWay
	relations []keptRelation
	pois      []twin.Op
	res       *Result
}

// Read decodes OSM XML or PBF (told apart by their first bytes; gzip and bzip2
// compression are undone) and turns it into twin ops and a road graph. Elements
// that cannot be imported are listed in Result.Rejects; an error means the input
// could not be read at all.
func Read(ctx context.Context, r io.Reader, opts Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	br := bufio.NewReaderSize(r, 1<<16)
	format, in, err := detect(br)
	if err != nil {
		return nil, err
	}
	rd := &reader{opts: opts, ways: newWayStore(),
		res: &Result{Counts: make(map[twin.Kind]int), Stats: Stats{Format: format}}}
	rd.res.Stats.NodeBound = orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	if err := rd.scan(ctx, format, in); err != nil {
		return nil, err
	}
	if rd.nodes.len() == 0 {
		rd.res.Stats.NodeBound = orb.Bound{}
	}
	if err := rd.build(ctx); err != nil {
		return nil, err
	}
	rd.res.Stats.Duration = time.Since(start)
	return rd.res, nil
}

// detect tells the format from the first bytes, undoing compression once.
func detect(br *bufio.Reader) (string, *bufio.Reader, error) {
	head, _ := br.Peek(8)
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", nil, fmt.Errorf("osm: gzip: %w", err)
		}
		br = bufio.NewReaderSize(zr, 1<<16)
	case bytes.HasPrefix(head, []byte("BZh")):
		br = bufio.NewReaderSize(bzip2.NewReader(br), 1<<16)
	}
	head, _ = br.Peek(512)
	text := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(text) > 0 && text[0] == '<' {
		return "xml", br, nil
	}
	// PBF: a 4-byte big-endian BlobHeader length (at most 64 KiB) and the
	// BlobHeader's field 1 (type, a string), "OSMHeader" or "OSMData".
	if len(head) >= 5 {
		if n := binary.BigEndian.Uint32(head); n > 0 && n <= 64<<10 && head[4] == 0x0a {
			return "pbf", br, nil
		}
	}
	return "", nil, ErrFormat
}

// scanner is what osmxml and osmpbf scanners have in common.
type scanner interface {
	Scan() bool
	Object() osm.Object
	Err() error
	Close() error
}

func (rd *reader) scan(ctx context.Context, format string, in io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var sc scanner
	if format == "pbf" {
		procs := rd.opts.Procs
		if procs == 0 {
			procs = runtime.GOMAXPROCS(0)
		}
		pbf := osmpbf.New(ctx, in, procs)
		h, err := pbf.Header()
		if err != nil {
			pbf.Close()
			return fmt.Errorf("osm: read pbf header: %w", err)
		}
		if b := h.Bounds; b != nil {
			rd.res.Stats.Bounds = orb.Bound{Min: fixedPoint(b.MinLon, b.MinLat), Max: fixedPoint(b.MaxLon, b.MaxLat)}
		}
		sc = pbf
	} else {
		sc = osmxml.New(ctx, in)
	}
	defer sc.Close()
	st := &rd.res.Stats
	for n := 0; sc.Scan(); n++ {
		if n&4095 == 0 && ctx.Err() != nil {
			break
		}
		switch o := sc.Object().(type) {
		case *osm.Bounds:
			st.Bounds = orb.Bound{Min: fixedPoint(o.MinLon, o.MinLat), Max: fixedPoint(o.MaxLon, o.MaxLat)}
		case *osm.Node:
			st.Nodes++
			rd.node(o)
		case *osm.Way:
			st.Ways++
			rd.way(o)
		case *osm.Relation:
			st.Relations++
			rd.relation(o)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("osm: read %s: %w", format, err)
	}
	rd.nodes.prepare()
	return nil
}

func (rd *reader) reject(typ string, id int64, format string, args ...any) {
	rd.res.Rejects = append(rd.res.Rejects, Reject{Type: typ, ID: id, Reason: fmt.Sprintf(format, args...)})
}

func (rd *reader) node(n *osm.Node) {
	if !validLonLat(n.Lon, n.Lat) {
		rd.reject("node", int64(n.ID), "coordinate %v,%v is not a WGS84 lon/lat", n.Lon, n.Lat)
		return
	}
	rd.nodes.add(int64(n.ID), n.Lon, n.Lat)
	p := fixedPoint(n.Lon, n.Lat)
	b := &rd.res.Stats.NodeBound
	b.Min[0], b.Min[1] = min(b.Min[0], p[0]), min(b.Min[1], p[1])
	b.Max[0], b.Max[1] = max(b.Max[0], p[0]), max(b.Max[1], p[1])
	if len(n.Tags) > 0 && isPOI(n.Tags) {
		rd.poi(n)
	}
}

func validLonLat(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90 // false for NaN
}

func (rd *reader) way(w *osm.Way) {
	ids := make([]int64, len(w.Nodes))
	for i, wn := range w.Nodes {
		ids[i] = int64(wn.ID)
	}
	rd.ways.add(int64(w.ID), ids)
	if len(w.Tags) == 0 {
		return
	}
	k := keptWay{id: int64(w.ID), version: w.Version, time: w.Timestamp, tags: w.Tags, nodes: ids}
	switch {
	case isBuilding(w.Tags):
		rd.buildings = append(rd.buildings, k)
	case isPart(w.Tags):
		rd.parts = append(rd.parts, k)
	}
	if c, ok := roadClasses[w.Tags.Find("highway")]; ok && (c.motor || rd.opts.NonMotor) && w.Tags.Find("area") != "yes" {
		rd.roads = append(rd.roads, k)
	}
}

func (rd *reader) relation(r *osm.Relation) {
	if r.Tags.Find("type") != "multipolygon" || !isBuilding(r.Tags) && !isPart(r.Tags) {
		return
	}
	rd.relations = append(rd.relations, keptRelation{id: int64(r.ID), version: r.Version,
		time: r.Timestamp, tags: r.Tags, members: r.Members})
}

func isBuilding(t osm.Tags) bool {
	v := t.Find("building")
	return v != "" && v != "no"
}

func isPart(t osm.Tags) bool {
	v := t.Find("building:part")
	return v != "" && v != "no"
}

// props turns tags into properties: string values, keys as in OSM; empty keys,
// keys over 256 bytes and repeated keys (the first wins) are dropped.
func props(tags osm.Tags, extra int) twin.Properties {
	ps := make(twin.Properties, 0, len(tags)+extra)
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 256 {
			continue
		}
		ps = append(ps, twin.Prop{Key: t.Key, Value: twin.StringValue(t.Value)})
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	w := 0
	for i := range ps {
		if i > 0 && ps[i].Key == ps[w-1].Key {
			continue
		}
		ps[w] = ps[i]
		w++
	}
	return ps[:w]
}

func (rd *reader) provenance(typ string, id int64, version int, t time.Time) []twin.Provenance {
	name := rd.opts.Name
	if name == "" {
		name = "-"
	}
	if !t.IsZero() {
		t = t.UTC()
	}
	return []twin.Provenance{{Source: Source, Time: t, Note: fmt.Sprintf("%s %s/%d v%d", name, typ, id, version)}}
}

func (rd *reader) emit(e *twin.Entity) {
	rd.res.Ops = append(rd.res.Ops, twin.Op{Type: twin.OpUpsert, Source: Source, Entity: e})
	rd.res.Counts[e.Kind]++
}

// build turns the kept elements into entities and the road graph.
func (rd *reader) build(ctx context.Context) error {
	blds, err := rd.buildBuildings(ctx)
	if err != nil {
		return err
	}
	if err := rd.buildParts(ctx, blds); err != nil {
		return err
	}
	if err := rd.buildRoads(ctx); err != nil {
		return err
	}
	for _, op := range rd.pois {
		rd.res.Ops = append(rd.res.Ops, op)
		rd.res.Counts[op.Entity.Kind]++
	}
	return nil
}
