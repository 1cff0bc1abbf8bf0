package crs

import (
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"EPSG:28992", "EPSG:28992"},
		{" epsg:7415 ", "EPSG:7415"},
		{"urn:ogc:def:crs:EPSG::7415", "EPSG:7415"},
		{"urn:ogc:def:crs:EPSG:6.6:28992", "EPSG:28992"},
		{"https://www.opengis.net/def/crs/EPSG/0/28992", "EPSG:28992"},
		{"http://www.opengis.net/def/crs/EPSG/0/7415", "EPSG:7415"},
		{"urn:ogc:def:crs,crs:EPSG::28992,crs:EPSG::5709", "EPSG:28992+5709"},
		{"OGC:CRS84", CRS84},
		{"urn:ogc:def:crs:OGC:1.3:CRS84", CRS84},
		{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", CRS84},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "EPSG:", "EPSG:abc", "EPSG:0", "urn:ogc:def:crs:EPSG:28992", "RD New", "https://example.org/def/crs/EPSG/0/28992", "urn:ogc:def:crs:FOO::1", "EPSG:1234567890"} {
		t.Run("bad/"+bad, func(t *testing.T) {
			if _, err := Parse(bad); !errors.Is(err, ErrUnknownCRS) {
				t.Fatalf("Parse(%q) err = %v, want ErrUnknownCRS", bad, err)
			}
		})
	}
}

func TestNewUnknown(t *testing.T) {
	for _, name := range []string{"EPSG:999999", "EPSG:1", "bogus"} {
		_, err := New(name)
		if !errors.Is(err, ErrUnknownCRS) {
			t.Fatalf("New(%q) err = %v, want ErrUnknownCRS", name, err)
		}
		if err != nil && !contains(err.Error(), name) {
			t.Fatalf("error %q does not name %q", err, name)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// knownPoints are points whose WGS84 position is published. Tolerance is in
// metres on the ground.
var knownPoints = []struct {
	name   string
	crs    string
	xy     orb.Point
	lonLat orb.Point
	tol    float64
	source string
}{
	// Delft, the brief's check point (RD 85000, 447000), confirmed by the
	// RDNAPTRANS-approximating formulas of Schreutelkamp & Strang van Hees,
	// "Benaderingsformules voor de transformatie tussen RD- en WGS84-
	// kaartcoördinaten", Geodesia 2001 (which give 52.00695 N, 4.36768 E).
	{"delft", "EPSG:28992", orb.Point{85000, 447000}, orb.Point{4.3677, 52.0069}, 15, "Schreutelkamp & Strang van Hees 2001"},
	{"delft-compound", "urn:ogc:def:crs:EPSG::7415", orb.Point{85000, 447000}, orb.Point{4.3677, 52.0069}, 15, "as above"},
	// Amersfoort, the RD origin (155000, 463000): phi0 = 52.15517440, lambda0 =
	// 5.38720621 in WGS84 (same paper, the reference point of its formulas).
	{"amersfoort", "https://www.opengis.net/def/crs/EPSG/0/28992", orb.Point{155000, 463000}, orb.Point{5.38720621, 52.15517440}, 2, "Schreutelkamp & Strang van Hees 2001"},
	// swisstopo, "Approximate formulas for the transformation between Swiss
	// projection coordinates and WGS84", worked example: E 2 700 000, N 1 100 000
	// (LV03 y 700 000, x 100 000) -> lambda 8°43'49.79", phi 46°02'38.87".
	{"swisstopo-lv95", "EPSG:2056", orb.Point{2700000, 1100000}, orb.Point{dms(8, 43, 49.79), dms(46, 2, 38.87)}, 2, "swisstopo approximate formulas"},
	{"swisstopo-lv03", "EPSG:21781", orb.Point{700000, 100000}, orb.Point{dms(8, 43, 49.79), dms(46, 2, 38.87)}, 2, "swisstopo approximate formulas"},
	// The following are the natural origins of the projections as defined in the
	// EPSG registry (epsg.org, conversion parameters of each CRS); their datums
	// agree with WGS84 to about a metre.
	// EPSG:25832 ETRS89 / UTM 32N: central meridian 9 E, false easting 500 000.
	{"utm32-etrs89", "EPSG:25832", orb.Point{500000, 0}, orb.Point{9, 0}, 2, "EPSG registry"},
	// EPSG:25833: central meridian 15 E.
	{"utm33-etrs89", "EPSG:25833", orb.Point{500000, 0}, orb.Point{15, 0}, 2, "EPSG registry"},
	// EPSG:3035 LAEA Europe: origin 52 N 10 E, FE 4 321 000, FN 3 210 000; its EPSG
	// axis order is northing first, so this checks axis normalisation too.
	{"laea-europe", "EPSG:3035", orb.Point{4321000, 3210000}, orb.Point{10, 52}, 2, "EPSG registry"},
	// EPSG:3857 Web Mercator: origin 0,0; x = pi*6378137 is the antimeridian.
	{"web-mercator-origin", "EPSG:3857", orb.Point{0, 0}, orb.Point{0, 0}, 0.01, "EPSG registry"},
	{"web-mercator-edge", "EPSG:3857", orb.Point{math.Pi * 6378137 / 2, 0}, orb.Point{90, 0}, 0.01, "EPSG registry"},
	// EPSG:2263 NAD83 / New York Long Island (ftUS): false origin 40°10' N 74° W at
	// easting 984 250 ftUS (300 000 m), northing 0.
	{"ny-long-island", "EPSG:2263", orb.Point{984250, 0}, orb.Point{-74, dms(40, 10, 0)}, 3, "EPSG registry"},
	// EPSG:6677 JGD2011 / Japan Plane Rectangular CS IX: origin 36 N 139°50' E,
	// false easting and northing 0; EPSG axis order X (north) first.
	{"japan-ix", "EPSG:6677", orb.Point{0, 0}, orb.Point{dms(139, 50, 0), 36}, 2, "EPSG registry"},
}

func dms(d, m, s float64) float64 { return d + m/60 + s/3600 }

func TestKnownPoints(t *testing.T) {
	// WGS84 UTM zones: central meridian -183 + 6*zone, false northing 10 000 000 m
	// in the south (EPSG registry, conversions 16001-16060 and 16101-16160).
	pts := knownPoints
	for zone := 1; zone <= 60; zone++ {
		cm := float64(-183 + 6*zone)
		pts = append(pts,
			struct {
				name   string
				crs    string
				xy     orb.Point
				lonLat orb.Point
				tol    float64
				source string
			}{"utm-north", "EPSG:" + itoa(32600+zone), orb.Point{500000, 0}, orb.Point{cm, 0}, 0.01, "EPSG registry"},
			struct {
				name   string
				crs    string
				xy     orb.Point
				lonLat orb.Point
				tol    float64
				source string
			}{"utm-south", "EPSG:" + itoa(32700+zone), orb.Point{500000, 10000000}, orb.Point{cm, 0}, 0.01, "EPSG registry"},
		)
	}
	for _, p := range pts {
		t.Run(p.name+"/"+p.crs, func(t *testing.T) {
			tr, err := For(p.crs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tr.ToLonLat(p.xy)
			if err != nil {
				t.Fatal(err)
			}
			if d := geo.Distance(got, p.lonLat); d > p.tol {
				t.Fatalf("%v -> %v, want %v (%s): %.2f m off", p.xy, got, p.lonLat, p.source, d)
			}
			back, err := tr.FromLonLat(got)
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Hypot(back[0]-p.xy[0], back[1]-p.xy[1]); d > 1e-2 {
				t.Fatalf("round trip %v -> %v -> %v", p.xy, got, back)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestFlatKeepsHeight(t *testing.T) {
	tr, err := For("EPSG:7415")
	if err != nil {
		t.Fatal(err)
	}
	flat := []float64{85000, 447000, 12.5, 155000, 463000, -3}
	if err := tr.ToLonLatFlat(flat, 3); err != nil {
		t.Fatal(err)
	}
	if flat[2] != 12.5 || flat[5] != -3 {
		t.Fatalf("heights changed: %v", flat)
	}
	if d := geo.Distance(orb.Point{flat[0], flat[1]}, orb.Point{4.3677, 52.0069}); d > 15 {
		t.Fatalf("delft at %v, %.1f m off", flat[:2], d)
	}
	if err := tr.FromLonLatFlat(flat, 3); err != nil {
		t.Fatal(err)
	}
	if math.Abs(flat[0]-85000) > 1e-3 || math.Abs(flat[4]-463000) > 1e-3 {
		t.Fatalf("round trip: %v", flat)
	}
	if err := tr.ToLonLatFlat([]float64{1, 2, 3, 4}, 3); err == nil {
		t.Fatal("bad stride accepted")
	}
}

func TestOutsideArea(t *testing.T) {
	tr, err := For("EPSG:3857")
	if err != nil {
		t.Fatal(err)
	}
	if q, err := tr.FromLonLat(orb.Point{0, 91}); !errors.Is(err, ErrTransform) {
		t.Fatalf("lat 91 in web mercator: %v, err = %v, want ErrTransform", q, err)
	}
	if _, err := tr.ToLonLat(orb.Point{math.Inf(1), 0}); !errors.Is(err, ErrTransform) {
		t.Fatalf("inf: err = %v, want ErrTransform", err)
	}
}

func TestForConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr, err := For("EPSG:28992")
			if err != nil {
				t.Error(err)
				return
			}
			for i := 0; i < 200; i++ {
				if _, err := tr.ToLonLat(orb.Point{85000 + float64(i), 447000}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	a, _ := For("EPSG:28992")
	b, _ := For("urn:ogc:def:crs:EPSG::28992")
	if a != b {
		t.Fatal("For does not cache per canonical code")
	}
}

func BenchmarkToLonLatFlat(b *testing.B) {
	tr, err := New("EPSG:28992")
	if err != nil {
		b.Fatal(err)
	}
	const n = 4096
	src := make([]float64, 3*n)
	for i := 0; i < n; i++ {
		src[3*i], src[3*i+1], src[3*i+2] = 80000+float64(i), 440000+float64(i), 1
	}
	buf := make([]float64, len(src))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(buf, src)
		if err := tr.ToLonLatFlat(buf, 3); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "points/s")
}

func BenchmarkToLonLat(b *testing.B) {
	tr, err := New("EPSG:28992")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := tr.ToLonLat(orb.Point{85000 + float64(i%1000), 447000}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
