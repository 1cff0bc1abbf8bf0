package csv

import (
	"bufio"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func read(t *testing.T, in string, opts Options) Result {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = testNow
	}
	res, err := Read(context.Background(), strings.NewReader(in), opts)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	for i := range res.Ops {
		if err := res.Ops[i].Validate(); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
	}
	return res
}

func TestReadGood(t *testing.T) {
	sensor := Options{DefaultKind: twin.KindSensor}
	tests := []struct {
		name  string
		in    string
		opts  Options
		ids   []twin.ID
		geoms []orb.Geometry
	}{
		{"comma", "id,lat,lon\na,57.1,-2.1\nb,57.2,-2.2\n", sensor,
			[]twin.ID{"a", "b"}, []orb.Geometry{orb.Point{-2.1, 57.1}, orb.Point{-2.2, 57.2}}},
		{"semicolon", "id;latitude;longitude\na;57.1;-2.1\n", sensor,
			[]twin.ID{"a"}, []orb.Geometry{orb.Point{-2.1, 57.1}}},
		{"tab", "ID\tY\tX\na\t57.1\t-2.1\n", sensor,
			[]twin.ID{"a"}, []orb.Geometry{orb.Point{-2.1, 57.1}}},
		{"BOM and CRLF", "\ufeffid,lat,lng\r\na,1,2\r\n", sensor,
			[]twin.ID{"a"}, []orb.Geometry{orb.Point{2, 1}}},
		{"quoted delimiter in header and cells", "\"id\",\"lat\",\"lon\",\"name, long\"\n\"a\",\"1\",\"2\",\"x, \"\"y\"\"\"\n", sensor,
			[]twin.ID{"a"}, []orb.Geometry{orb.Point{2, 1}}},
		{"semicolon with commas in quotes", "id;lat;lon;note\na;1;2;\"x,y,z,w\"\n", sensor,
			[]twin.ID{"a"}, []orb.Geometry{orb.Point{2, 1}}},
		{"wkt polygon", "fid,kind,WKT\n7,building,\"POLYGON((0 0,1 0,1 1,0 1,0 0))\"\n", Options{},
			[]twin.ID{"7"}, []orb.Geometry{orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}}},
		{"ewkt srid 4326", "id;the_geom\na;\"SRID=4326;POINT(3 4)\"\n", Options{Comma: ';', DefaultKind: "poi"},
			[]twin.ID{"a"}, []orb.Geometry{orb.Point{3, 4}}},
		{"wkt wins over lat/lon", "id,lat,lon,geom\na,9,9,\"LINESTRING(1 2,3 4)\"\n", sensor,
			[]twin.ID{"a"}, []orb.Geometry{orb.LineString{{1, 2}, {3, 4}}}},
		{"overrides", "sensor;breite;laenge;kind\n17;57.1;-2.1;\n", Options{IDColumn: "SENSOR", LatColumn: "breite", LonColumn: "laenge", DefaultKind: "sensor", IDPrefix: "aq:"},
			[]twin.ID{"aq:17"}, []orb.Geometry{orb.Point{-2.1, 57.1}}},
		{"wkt override", "id,shape,lat,lon\na,POINT(5 6),1,2\n", Options{WKTColumn: "shape", DefaultKind: "poi"},
			[]twin.ID{"a"}, []orb.Geometry{orb.Point{5, 6}}},
		{"no geometry allowed", "id,lat,lon\na,,\n", Options{AllowNoGeometry: true, DefaultKind: "zone"},
			[]twin.ID{"a"}, []orb.Geometry{nil}},
		{"comma overrides sniffing", "id|lat|lon;x\na|1|2\n", Options{Comma: '|', LonColumn: "lon;x", DefaultKind: "poi"},
			[]twin.ID{"a"}, []orb.Geometry{orb.Point{2, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := read(t, tc.in, tc.opts)
			if len(res.Rejects) != 0 {
				t.Fatalf("rejects: %+v", res.Rejects)
			}
			if got, want := len(res.Ops), len(tc.ids); got != want {
				t.Fatalf("got %d ops, want %d", got, want)
			}
			for i, op := range res.Ops {
				if got, want := op.Entity.ID, tc.ids[i]; got != want {
					t.Errorf("id %d: got %q, want %q", i, got, want)
				}
				if got, want := op.Entity.Geometry, tc.geoms[i]; !orb.Equal(orOrb(got), orOrb(want)) {
					t.Errorf("geometry %d: got %v, want %v", i, got, want)
				}
			}
		})
	}
}

// orOrb lets orb.Equal compare nil geometries.
func orOrb(g orb.Geometry) orb.Geometry {
	if g == nil {
		return orb.Collection{}
	}
	return g
}

func TestReadFields(t *testing.T) {
	in := "id,kind,lat,lon,height,min_height,levels,name,count,ratio,flag,zip,empty,note\n" +
		"b1,building,57.1,-2.1,12.5,3,4,Town House,42,-1.5e3,TRUE,007,,NaN\n"
	res := read(t, in, Options{Source: "test.csv"})
	if len(res.Ops) != 1 {
		t.Fatalf("rejects: %+v", res.Rejects)
	}
	e := res.Ops[0].Entity
	if e.Kind != twin.KindBuilding || e.Height != 12.5 || e.MinHeight != 3 || e.Levels != 4 {
		t.Errorf("got kind %q height %v min %v levels %d", e.Kind, e.Height, e.MinHeight, e.Levels)
	}
	want := map[string]any{"name": "Town House", "count": 42.0, "ratio": -1500.0, "flag": true, "zip": "007", "note": "NaN"}
	if got := e.Props.Map(); len(got) != len(want) {
		t.Errorf("props: got %v, want %v", got, want)
	} else {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("prop %s: got %#v, want %#v", k, got[k], v)
			}
		}
	}
	if got, want := e.Provenance[0], (twin.Provenance{Source: "test.csv", Time: testNow, Note: "line 2"}); got != want {
		t.Errorf("provenance: got %+v, want %+v", got, want)
	}
	if got, want := res.Ops[0].T, testNow.UnixNano(); got != want {
		t.Errorf("T: got %d, want %d", got, want)
	}
}

func TestReadRejects(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		opts   Options
		line   int
		column string
		reason string // a substring
	}{
		{"ragged short", "id,lat,lon\na,1,2\nb,1\n", Options{}, 3, "", "2 fields, the header has 3"},
		{"ragged long", "id,lat,lon\na,1,2\n\nb,1,2,3\n", Options{}, 4, "", "4 fields"},
		{"bare quote", "id,lat,lon\na,1,2\nb\"x,1,2\n", Options{}, 3, "", "bare \""},
		{"no id", "id,lat,lon\n,1,2\n", Options{}, 2, "id", "no id"},
		{"no kind", "id,lat,lon\na,1,2\n", Options{DefaultKind: "-"}, 2, "kind", "no kind"},
		{"lat out of range", "id,lat,lon\na,91,2\n", Options{}, 2, "lat", "outside ±90"},
		{"lon out of range", "id,lat,lon\na,1,-180.5\n", Options{}, 2, "lon", "outside ±180"},
		{"lat not a number", "id,lat,lon\na,57,1\nb,north,2\n", Options{}, 3, "lat", "not a finite number"},
		{"lat NaN", "id,lat,lon\na,NaN,2\n", Options{}, 2, "lat", "not a finite number"},
		{"lon infinite", "id,lat,lon\na,1,Inf\n", Options{}, 2, "lon", "not a finite number"},
		{"lat only", "id,lat,lon\na,1,\n", Options{}, 2, "lon", "empty, but the lat is not"},
		{"empty geometry", "id,lat,lon\na,,\n", Options{}, 2, "lat/lon", "no geometry"},
		{"empty wkt", "id,wkt\na,\n", Options{}, 2, "wkt", "no geometry"},
		{"bad wkt", "id,wkt\na,POINT(1 2)\nb,\"POLYGON((0 0,1 0\"\n", Options{}, 3, "wkt", "not WKT"},
		{"wkt out of range", "id,wkt\na,POINT(500000 6000000)\n", Options{}, 2, "wkt", "not a WGS84 lon/lat"},
		{"other srid", "id;wkt\na;\"SRID=27700;POINT(1 2)\"\n", Options{}, 2, "wkt", "only 4326"},
		{"bad height", "id,lat,lon,height\na,1,2,tall\n", Options{}, 2, "height", "finite number"},
		{"negative height", "id,lat,lon,height\na,1,2,-3\n", Options{}, 2, "", "height"},
		{"fractional levels", "id,lat,lon,levels\na,1,2,2.5\n", Options{}, 2, "levels", "whole number"},
		{"bad kind", "id,lat,lon,kind\na,1,2,Big House\n", Options{}, 2, "", "bad kind"},
		{"multi-line quoted cell then ragged", "id,lat,lon,note\na,1,2,\"two\nlines\"\nb,1,2\n", Options{}, 4, "", "3 fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.DefaultKind == "" {
				tc.opts.DefaultKind = "poi"
			} else if tc.opts.DefaultKind == "-" {
				tc.opts.DefaultKind = ""
			}
			res := read(t, tc.in, tc.opts)
			if len(res.Rejects) != 1 {
				t.Fatalf("got rejects %+v, want one", res.Rejects)
			}
			rj := res.Rejects[0]
			if rj.Line != tc.line || rj.Column != tc.column || !strings.Contains(rj.Reason, tc.reason) {
				t.Errorf("got line %d column %q reason %q; want line %d column %q reason with %q",
					rj.Line, rj.Column, rj.Reason, tc.line, tc.column, tc.reason)
			}
			if !strings.HasPrefix(rj.Reason, "line ") {
				t.Errorf("reason %q does not name the line", rj.Reason)
			}
			if got, want := len(res.Ops)+len(res.Rejects), res.Total; got != want {
				t.Errorf("ops+rejects %d, total %d", got, want)
			}
			for i, idx := range res.Index {
				if idx == rj.Index {
					t.Errorf("row %d both kept (op %d) and rejected", idx, i)
				}
			}
		})
	}
}

func TestReadFileErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts Options
		want error
	}{
		{"empty", "", Options{}, ErrNoHeader},
		{"BOM only", "\ufeff", Options{}, ErrNoHeader},
		{"no geometry columns", "id,name\na,b\n", Options{}, ErrNoGeometry},
		{"lat without lon", "id,lat,name\na,1,b\n", Options{}, ErrNoGeometry},
		{"no id column", "name,lat,lon\na,1,2\n", Options{}, ErrNoIDColumn},
		{"id override missing", "id,lat,lon\na,1,2\n", Options{IDColumn: "sensor"}, ErrNoColumn},
		{"wkt override missing", "id,lat,lon\na,1,2\n", Options{WKTColumn: "shape"}, ErrNoColumn},
		{"lat override missing", "id,lat,lon\na,1,2\n", Options{LatColumn: "breite"}, ErrNoColumn},
		{"duplicate column", "id,lat,lon,name,name\na,1,2,x,y\n", Options{}, ErrHeader},
		{"too many rows", "id,lat,lon\na,1,2\nb,1,2\nc,1,2\n", Options{MaxFeatures: 2}, ErrTooMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(context.Background(), strings.NewReader(tc.in), tc.opts)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestReadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Read(ctx, strings.NewReader("id,lat,lon\na,1,2\n"), Options{DefaultKind: "poi"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		header string
		want   rune
	}{
		{"id,lat,lon", ','},
		{"id;lat;lon", ';'},
		{"id\tlat\tlon", '\t'},
		{"\"a,b\";c;d", ';'},
		{"single", ','},
		{"a;b,c", ','}, // a tie goes to ','
		{"a\tb;c", ';'},
	}
	for _, tc := range tests {
		got := sniff(bufio.NewReader(strings.NewReader(tc.header + "\nx;y,z\tw\n")))
		if got != tc.want {
			t.Errorf("sniff(%q): got %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestLooksNumeric(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-1": true, "+2.5": true, ".5": true, "5.": true, "1e3": true, "1.5E-3": true, "0.25": true,
		"007": false, "NaN": false, "Inf": false, "0x10": false, "1_000": false, "1e": false, "-": false, ".": false,
		"1,5": false, "12a": false, "": false, "e5": false,
	} {
		if got := looksNumeric(s); got != want {
			t.Errorf("looksNumeric(%q) = %v, want %v", s, got, want)
		}
	}
}
