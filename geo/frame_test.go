package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestFrameRoundTrip(t *testing.T) {
	r := newRand(13)
	for i := 0; i < 10000; i++ {
		origin := orb.Point{360*r.Float64() - 180, 170*r.Float64() - 85}
		f := NewFrame(origin)
		p := destination(origin, 2*math.Pi*r.Float64(), 30000*r.Float64())
		x, y := f.ToLocal(p)
		q := f.ToLonLat(x, y)
		dLon := math.Abs(q[0] - p[0])
		dLon = math.Min(dLon, 360-dLon)
		if dLon > 1e-9 || math.Abs(q[1]-p[1]) > 1e-9 {
			t.Fatalf("origin %v: %v -> (%v, %v) -> %v", origin, p, x, y, q)
		}
	}
}

// The documented accuracy: the east scale is off by about tan(lat0)·Δlat.
func TestFrameAccuracy(t *testing.T) {
	r := newRand(14)
	for i := 0; i < 10000; i++ {
		origin := orb.Point{360*r.Float64() - 180, 140*r.Float64() - 70}
		f := NewFrame(origin)
		d := 10000 * r.Float64()
		p := destination(origin, 2*math.Pi*r.Float64(), d)
		x, y := f.ToLocal(p)
		got := math.Hypot(x, y)
		dLat := math.Abs(p[1]-origin[1]) * degToRad
		budget := d*(math.Abs(math.Tan(origin[1]*degToRad))*dLat+dLat*dLat+1e-6) + 1e-6
		if math.Abs(got-d) > budget {
			t.Fatalf("origin %v, %v m: local %v (err %v, budget %v)", origin, d, got, got-d, budget)
		}
	}
	// East is x, north is y.
	f := NewFrame(orb.Point{24.94, 60.17})
	if x, y := f.ToLocal(destination(f.Origin, 0, 1000)); math.Abs(x) > 1e-6 || math.Abs(y-1000) > 1e-3 {
		t.Errorf("1 km north = (%v, %v)", x, y)
	}
	// A great circle setting off east bends towards the equator:
	// d²·tan(lat)/2R = 0.14 m after 1 km at 60°N.
	if x, y := f.ToLocal(destination(f.Origin, math.Pi/2, 1000)); math.Abs(x-1000) > 0.01 || math.Abs(y+0.137) > 0.001 {
		t.Errorf("1 km east = (%v, %v)", x, y)
	}
}

func TestFrameAntimeridianAndPole(t *testing.T) {
	f := NewFrame(orb.Point{179.99, -16.5}) // Fiji
	x, _ := f.ToLocal(orb.Point{-179.99, -16.5})
	if x < 2000 || x > 2200 {
		t.Errorf("east across the antimeridian: x = %v, want ~2130", x)
	}
	if q := f.ToLonLat(x, 0); math.Abs(q[0]+179.99) > 1e-9 {
		t.Errorf("back across the antimeridian: %v", q)
	}
	pole := NewFrame(orb.Point{0, 90})
	x, y := pole.ToLocal(orb.Point{10, 89.99})
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) {
		t.Errorf("pole frame gave (%v, %v)", x, y)
	}
}

func TestFrameProjectGeometry(t *testing.T) {
	bs := helsinkiBuildings(t)
	f := NewFrame(orb.Point{24.944, 60.171})
	for _, b := range bs {
		poly := orb.Polygon{b.ring}
		local := f.Project(poly).(orb.Polygon)
		// Areas in metres match the spherical area to the frame's accuracy.
		if &local[0][0] == &poly[0][0] {
			t.Fatal("Project must not alias its input")
		}
		back := f.Unproject(local).(orb.Polygon)
		for i, p := range back[0] {
			if math.Abs(p[0]-b.ring[i][0]) > 1e-9 || math.Abs(p[1]-b.ring[i][1]) > 1e-9 {
				t.Fatalf("building %d vertex %d: %v -> %v", b.id, i, b.ring[i], p)
			}
		}
	}
	all := orb.Collection{
		orb.Point{24.95, 60.17}, orb.MultiPoint{{24.95, 60.17}}, orb.LineString{{24.95, 60.17}, {24.96, 60.18}},
		orb.MultiLineString{{{24.95, 60.17}}}, orb.Ring{{24.95, 60.17}}, orb.MultiPolygon{{{{24.95, 60.17}}}},
		orb.Bound{Min: orb.Point{24.95, 60.17}, Max: orb.Point{24.96, 60.18}},
	}
	got := f.Unproject(f.Project(all)).(orb.Collection)
	for i := range all {
		if got[i].GeoJSONType() != all[i].GeoJSONType() {
			t.Errorf("member %d: type %s, want %s", i, got[i].GeoJSONType(), all[i].GeoJSONType())
		}
		if !got[i].Bound().Pad(1e-9).Contains(all[i].Bound().Min) || !got[i].Bound().Pad(1e-9).Contains(all[i].Bound().Max) {
			t.Errorf("member %d: bound %v, want %v", i, got[i].Bound(), all[i].Bound())
		}
	}
	if f.Project(nil) != nil {
		t.Error("Project(nil) should be nil")
	}
}
