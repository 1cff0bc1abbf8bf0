package geo

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
)

// sharedPath finds the shared data directory, which sits beside the repo root
// (the shared folder beside the repository), by walking up from the test's directory.
// Without it the test skips, unless CI=true, where missing data is a failure.
func sharedPath(t testing.TB, parts ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			p := filepath.Join(append([]string{cand}, parts...)...)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("shared data %v not found above the test directory", parts)
	}
	t.Skipf("shared data %v not found; skipping", parts)
	return ""
}

// building is an OSM building way: its outer ring and its node ids.
type building struct {
	id    int64
	ring  orb.Ring
	nodes []int64
}

var (
	helsinkiOnce sync.Once
	helsinki     []building
	helsinkiErr  error
)

// helsinkiBuildings reads the closed building ways of the Helsinki extract.
// The XML is osmium's one-element-per-line output, so a line scanner is
// enough here (the real decoder lives in ingest/osm).
func helsinkiBuildings(t testing.TB) []building {
	t.Helper()
	path := sharedPath(t, "datasets", "osm", "helsinki_centre.osm")
	helsinkiOnce.Do(func() { helsinki, helsinkiErr = readBuildings(path) })
	if helsinkiErr != nil {
		t.Fatal(helsinkiErr)
	}
	// 433 ways are tagged building; 385 of them are closed rings.
	if len(helsinki) != 385 {
		t.Fatalf("read %d closed building rings, want 385", len(helsinki))
	}
	return helsinki
}

func attr(line, name string) string {
	i := strings.Index(line, " "+name+"=\"")
	if i < 0 {
		return ""
	}
	rest := line[i+len(name)+3:]
	return rest[:strings.IndexByte(rest, '"')]
}

func readBuildings(path string) ([]building, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	nodes := make(map[int64]orb.Point)
	var out []building
	var cur *building
	isBuilding := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "<node "):
			id, _ := strconv.ParseInt(attr(line, "id"), 10, 64)
			lat, _ := strconv.ParseFloat(attr(line, "lat"), 64)
			lon, _ := strconv.ParseFloat(attr(line, "lon"), 64)
			nodes[id] = orb.Point{lon, lat}
		case strings.HasPrefix(line, "<way "):
			id, _ := strconv.ParseInt(attr(line, "id"), 10, 64)
			cur = &building{id: id}
			isBuilding = false
		case cur != nil && strings.HasPrefix(line, "<nd "):
			ref, _ := strconv.ParseInt(attr(line, "ref"), 10, 64)
			cur.nodes = append(cur.nodes, ref)
		case cur != nil && strings.HasPrefix(line, "<tag ") && attr(line, "k") == "building":
			isBuilding = true
		case cur != nil && strings.HasPrefix(line, "</way>"):
			n := len(cur.nodes)
			if isBuilding && n >= 4 && cur.nodes[0] == cur.nodes[n-1] {
				for _, ref := range cur.nodes {
					if p, ok := nodes[ref]; ok {
						cur.ring = append(cur.ring, p)
					}
				}
				if len(cur.ring) == n {
					out = append(out, *cur)
				}
			}
			cur = nil
		}
	}
	return out, sc.Err()
}

// newRand returns a deterministic generator: tests must fail the same way twice.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// destination walks dist metres from p on the initial bearing (radians from
// north), on the sphere: an independent way to make points at known range.
func destination(p orb.Point, bearing, dist float64) orb.Point {
	lat1, lon1 := p[1]*degToRad, p[0]*degToRad
	d := dist / EarthRadius
	lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(bearing))
	lon2 := lon1 + math.Atan2(math.Sin(bearing)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
	return orb.Point{normLon(lon2 * radToDeg), lat2 * radToDeg}
}

// randomPolygon returns a star-shaped polygon of n vertices around c with
// radii in [rmin, rmax] degrees: simple, often concave.
func randomPolygon(r *rand.Rand, c orb.Point, n int, rmin, rmax float64) orb.Ring {
	ring := make(orb.Ring, 0, n+1)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * (float64(i) + 0.8*r.Float64()) / float64(n)
		rad := rmin + (rmax-rmin)*r.Float64()
		ring = append(ring, orb.Point{c[0] + rad*math.Cos(a), c[1] + rad*math.Sin(a)})
	}
	return append(ring, ring[0])
}

// bruteDistanceToPath is the oracle for distances to segments: each
// lon/lat segment is sampled densely and the best sample refined by
// golden-section search, with Distance as the only metric.
func bruteDistanceToPath(p orb.Point, ps []orb.Point, closed bool) float64 {
	best := math.Inf(1)
	seg := func(a, b orb.Point) {
		const n = 64
		bi := 0
		bd := math.Inf(1)
		for i := 0; i <= n; i++ {
			if d := Distance(p, lerp(a, b, float64(i)/n)); d < bd {
				bi, bd = i, d
			}
		}
		lo, hi := math.Max(0, float64(bi-1)/n), math.Min(1, float64(bi+1)/n)
		for k := 0; k < 60; k++ {
			m1, m2 := lo+(hi-lo)*0.382, lo+(hi-lo)*0.618
			if Distance(p, lerp(a, b, m1)) < Distance(p, lerp(a, b, m2)) {
				hi = m2
			} else {
				lo = m1
			}
		}
		bd = math.Min(bd, Distance(p, lerp(a, b, (lo+hi)/2)))
		best = math.Min(best, bd)
	}
	for i := 1; i < len(ps); i++ {
		seg(ps[i-1], ps[i])
	}
	if closed && len(ps) > 1 {
		seg(ps[len(ps)-1], ps[0])
	}
	if len(ps) == 1 {
		best = Distance(p, ps[0])
	}
	return best
}
