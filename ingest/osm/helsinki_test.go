package osm

import (
	"context"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"citytwin/datasets"
	"citytwin/geo"
	"citytwin/geo/roadnet"
	"citytwin/twin"
)

// helsinki returns the path of a shared Helsinki file, skipping without it.
func helsinki(tb testing.TB, ext string) string {
	tb.Helper()
	dir, ok := datasets.SharedDir()
	if !ok {
		tb.Skip("no shared datasets")
	}
	p := filepath.Join(dir, "datasets", "osm", "helsinki_centre"+ext)
	if _, err := os.Stat(p); err != nil {
		tb.Skip(err)
	}
	return p
}

var (
	readOnce  sync.Map // path → *readResult
	bruteOnce sync.Once
	brute     bruteCounts
)

type readResult struct {
	once sync.Once
	res  *Result
	err  error
}

// readFile reads a file once per test binary.
func readFile(tb testing.TB, path string) *Result {
	tb.Helper()
	v, _ := readOnce.LoadOrStore(path, &readResult{})
	rr := v.(*readResult)
	rr.once.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			rr.err = err
			return
		}
		defer f.Close()
		opts := DefaultOptions()
		opts.Name = filepath.Base(path)
		rr.res, rr.err = Read(context.Background(), f, opts)
	})
	if rr.err != nil {
		tb.Fatal(rr.err)
	}
	return rr.res
}

// bruteCounts are facts computed straight from the XML with encoding/xml, as an
// oracle independent of the importer.
type bruteCounts struct {
	nodes, ways, relations int
	buildingWays           int // building=* other than "no"
	buildingRelations      int
	highwayWays            int
	// completeBuildingWays are building ways that are closed, have at least 4
	// node references and all of whose nodes are in the file.
	completeBuildingWays int
}

func bruteForce(tb testing.TB, path string) bruteCounts {
	tb.Helper()
	bruteOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		dec := xml.NewDecoder(f)
		have := map[int64]bool{}
		var (
			elem string
			tags map[string]string
			refs []int64
		)
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			switch t := tok.(type) {
			case xml.StartElement:
				switch t.Name.Local {
				case "node", "way", "relation":
					elem, tags, refs = t.Name.Local, map[string]string{}, nil
					if elem == "node" {
						for _, a := range t.Attr {
							if a.Name.Local == "id" {
								id, _ := strconv.ParseInt(a.Value, 10, 64)
								have[id] = true
							}
						}
					}
				case "tag":
					var k, v string
					for _, a := range t.Attr {
						switch a.Name.Local {
						case "k":
							k = a.Value
						case "v":
							v = a.Value
						}
					}
					tags[k] = v
				case "nd":
					for _, a := range t.Attr {
						if a.Name.Local == "ref" {
							id, _ := strconv.ParseInt(a.Value, 10, 64)
							refs = append(refs, id)
						}
					}
				}
			case xml.EndElement:
				b := tags["building"] != "" && tags["building"] != "no"
				switch t.Name.Local {
				case "node":
					brute.nodes++
				case "way":
					brute.ways++
					if tags["highway"] != "" {
						brute.highwayWays++
					}
					if b {
						brute.buildingWays++
						complete := len(refs) >= 4 && refs[0] == refs[len(refs)-1]
						for _, r := range refs {
							complete = complete && have[r]
						}
						if complete {
							brute.completeBuildingWays++
						}
					}
				case "relation":
					brute.relations++
					if b {
						brute.buildingRelations++
					}
				}
			}
		}
	})
	return brute
}

func entity(res *Result, id twin.ID) *twin.Entity {
	for _, op := range res.Ops {
		if op.Entity.ID == id {
			return op.Entity
		}
	}
	return nil
}

func TestHelsinkiFacts(t *testing.T) {
	for _, ext := range []string{".osm.pbf", ".osm"} {
		t.Run(ext, func(t *testing.T) {
			res := readFile(t, helsinki(t, ext))
			bf := bruteForce(t, helsinki(t, ".osm"))
			// SOURCES.md: 24260 nodes, 5130 ways, 620 relations; 433 building ways,
			// 67 building relations, 2650 highway ways.
			st := res.Stats
			if st.Nodes != 24260 || st.Ways != 5130 || st.Relations != 620 {
				t.Errorf("read %d/%d/%d nodes/ways/relations, want 24260/5130/620", st.Nodes, st.Ways, st.Relations)
			}
			if bf.buildingWays != 433 || bf.buildingRelations != 67 || bf.highwayWays != 2650 {
				t.Errorf("oracle: %d building ways, %d building relations, %d highways; SOURCES.md says 433, 67, 2650",
					bf.buildingWays, bf.buildingRelations, bf.highwayWays)
			}
			want := orb.Bound{Min: orb.Point{24.9351762, 60.164155}, Max: orb.Point{24.9534145, 60.179113}}
			for i, got := range []orb.Point{st.Bounds.Min, st.Bounds.Max} {
				w := [2]orb.Point{want.Min, want.Max}[i]
				if math.Abs(got[0]-w[0]) > 2e-7 || math.Abs(got[1]-w[1]) > 2e-7 {
					t.Errorf("bounds corner %d: got %v, want %v", i, got, w)
				}
			}
			if !want.Pad(1e-6).Contains(st.NodeBound.Min) || !want.Pad(1e-6).Contains(st.NodeBound.Max) {
				t.Errorf("node bound %v outside the declared bounds %v", st.NodeBound, want)
			}
			// Every building way is a building or a reject, and exactly the complete
			// ones are buildings.
			ways, rejected := 0, 0
			for _, op := range res.Ops {
				if op.Entity.Kind == twin.KindBuilding && op.Entity.ID[:8] == "osm:way/" {
					ways++
				}
			}
			for _, r := range res.Rejects {
				if r.Type == "way" && len(r.Reason) > 9 && r.Reason[:9] == "building:" {
					rejected++
				}
			}
			if ways != bf.completeBuildingWays || ways+rejected != bf.buildingWays {
				t.Errorf("%d building ways imported + %d rejected, want %d complete of %d", ways, rejected, bf.completeBuildingWays, bf.buildingWays)
			}
			for i, op := range res.Ops {
				if err := op.Validate(); err != nil {
					t.Fatalf("op %d: %v", i, err)
				}
			}
		})
	}
}

func TestHelsinkiLandmarks(t *testing.T) {
	res := readFile(t, helsinki(t, ".osm.pbf"))
	// Helsinki Cathedral: 60°10′13″N 24°57′08″E (Wikipedia, "Helsinki Cathedral").
	cat := entity(res, "osm:way/419479428")
	if cat == nil {
		t.Fatal("no Helsinki Cathedral (way 419479428)")
	}
	if v, _ := cat.Props.Get("name"); v.String() != "Helsingin tuomiokirkko" {
		t.Errorf("cathedral name %q", v)
	}
	c, _ := planar.CentroidArea(cat.Geometry)
	if d := geo.Distance(c, orb.Point{24.95222, 60.17028}); d > 60 {
		t.Errorf("cathedral centroid %v is %.0f m from its published position", c, d)
	}
	if cat.Kind != twin.KindBuilding || cat.Provenance[0].Note != "helsinki_centre.osm.pbf way/419479428 v28" {
		t.Errorf("cathedral: kind %s provenance %+v", cat.Kind, cat.Provenance)
	}
	// SOURCES.md: tallest by levels is way 123525580 "Hotelli Torni", 13 levels
	// (its height tag says 70 m).
	torni := entity(res, "osm:way/123525580")
	if torni == nil || torni.Levels != 13 || torni.Height != 70 {
		t.Fatalf("Hotelli Torni: %+v", torni)
	}
	holes, parts, linked := 0, 0, 0
	for _, op := range res.Ops {
		e := op.Entity
		switch g := e.Geometry.(type) {
		case orb.Polygon:
			if e.Kind == twin.KindBuilding && len(g) > 1 {
				holes++
			}
		case orb.MultiPolygon:
			for _, p := range g {
				if e.Kind == twin.KindBuilding && len(p) > 1 {
					holes++
				}
			}
		}
		if e.Kind == twin.KindBuildingPart {
			parts++
			if len(e.Links) == 1 {
				linked++
				if b := entity(res, e.Links[0].To); b == nil || b.Kind != twin.KindBuilding {
					t.Errorf("%s part_of %s, not a building", e.ID, e.Links[0].To)
				}
			}
		}
	}
	if holes == 0 {
		t.Error("no building multipolygon with a hole")
	}
	if parts == 0 || linked < parts/2 {
		t.Errorf("%d of %d building parts linked to a building", linked, parts)
	}
	t.Logf("%d buildings with holes, %d of %d parts linked, counts %v, %d rejects", holes, linked, parts, res.Counts, len(res.Rejects))
}

func TestHelsinkiParity(t *testing.T) {
	x := readFile(t, helsinki(t, ".osm"))
	p := readFile(t, helsinki(t, ".osm.pbf"))
	if len(x.Ops) != len(p.Ops) {
		t.Fatalf("xml %d ops, pbf %d", len(x.Ops), len(p.Ops))
	}
	for i := range x.Ops {
		a, b := *x.Ops[i].Entity, *p.Ops[i].Entity
		a.Provenance, b.Provenance = nil, nil // the notes name different files
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("op %d differs:\nxml %+v\npbf %+v", i, a, b)
		}
		if !x.Ops[i].Entity.Provenance[0].Time.Equal(p.Ops[i].Entity.Provenance[0].Time) {
			t.Fatalf("op %d: times differ", i)
		}
	}
	if !reflect.DeepEqual(x.Rejects, p.Rejects) || !reflect.DeepEqual(x.Counts, p.Counts) {
		t.Error("rejects or counts differ")
	}
	if !reflect.DeepEqual(x.Graph.Nodes, p.Graph.Nodes) || !reflect.DeepEqual(x.Graph.Edges, p.Graph.Edges) {
		t.Error("road graphs differ")
	}
}

func TestHelsinkiRoadGraph(t *testing.T) {
	res := readFile(t, helsinki(t, ".osm.pbf"))
	g := res.Graph
	for name, gr := range map[string]*roadnet.Graph{"all": g, "motor": g.Filter(func(e *roadnet.Edge) bool { return e.Motor })} {
		used := map[int32]bool{} // nodes with an edge of this network
		for _, e := range gr.Edges {
			used[e.From], used[e.To] = true, true
		}
		scc := gr.LargestComponent()
		if len(scc) < len(used)*7/10 {
			t.Errorf("%s: largest strongly connected component %d of %d nodes", name, len(scc), len(used))
		}
		t.Logf("%s: %d nodes, %d edges, largest SCC %d", name, len(used), len(gr.Edges), len(scc))
	}
	// Helsinki Central Station (60.1712 N, 24.9414 E) to Senate Square
	// (60.1694 N, 24.9522 E), both from Wikipedia.
	a, b := orb.Point{24.9414, 60.1712}, orb.Point{24.9522, 60.1694}
	from, to := g.Nearest(a), g.Nearest(b)
	if d := geo.Distance(g.Nodes[from].Point, a) + geo.Distance(g.Nodes[to].Point, b); d > 200 {
		t.Fatalf("nearest junctions %.0f m off", d)
	}
	path, secs, err := g.ShortestPath(from, to)
	if err != nil {
		t.Fatal(err)
	}
	length := 0.0
	for _, e := range path {
		length += e.LengthM
	}
	straight := geo.Distance(g.Nodes[from].Point, g.Nodes[to].Point)
	if length < straight || length > 2*straight {
		t.Errorf("path %.0f m for %.0f m straight", length, straight)
	}
	if secs <= 0 || length/secs > 60/3.6 {
		t.Errorf("path %.0f m in %.0f s", length, secs)
	}
	t.Logf("station → senate square: %d edges, %.0f m (straight %.0f m), %.0f s", len(path), length, straight, secs)
	// Every road entity is in the graph with its true length.
	lengths := map[string]float64{}
	for _, e := range g.Edges {
		lengths[e.Road] = e.LengthM
	}
	for _, op := range res.Ops {
		if op.Entity.Kind != twin.KindRoad {
			continue
		}
		v, _ := op.Entity.Props.Get("length_m")
		l, _ := v.Number()
		ls := op.Entity.Geometry.(orb.LineString)
		if got, ok := lengths[string(op.Entity.ID)]; !ok || got != l || math.Abs(geo.Distance(ls[0], ls[len(ls)-1])) > l+1e-6 {
			t.Fatalf("%s: length %v, graph %v", op.Entity.ID, l, got)
		}
	}
}

func TestApplyToTwin(t *testing.T) {
	res := readFile(t, helsinki(t, ".osm.pbf"))
	s, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(res.Ops...); err != nil {
		t.Fatal(err)
	}
	if got := s.Counts(); !reflect.DeepEqual(got, res.Counts) {
		t.Errorf("store counts %v, want %v", got, res.Counts)
	}
}
