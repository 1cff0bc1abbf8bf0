package csv

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

const (
	aberdeenFile   = "datasets/sensors/aberdeen_sds011_2019-05-13_2019-05-19.csv"
	merewetherFile = "datasets/dem/merewether_houses.csv"
)

// The Aberdeen file is sensor.community SDS011 readings: ';'-separated,
// sensor_id;sensor_type;location;lat;lon;timestamp;P1;durP1;ratioP1;P2;durP2;ratioP2.
// Each row is a reading, so ids repeat; as upserts, the last row of an id wins.
func TestAberdeen(t *testing.T) {
	path := sharedtest.File(t, aberdeenFile)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Read(context.Background(), f, Options{Source: "aberdeen", IDColumn: "sensor_id", DefaultKind: twin.KindSensor, IDPrefix: "sensor:", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}

	// The oracle: split the file by hand.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if got, want := lines[0], "sensor_id;sensor_type;location;lat;lon;timestamp;P1;durP1;ratioP1;P2;durP2;ratioP2"; got != want {
		t.Fatalf("header changed: %q", got)
	}
	ids := map[twin.ID]bool{}
	last := map[twin.ID]string{} // "lat;lon" of the id's last row
	for _, l := range lines[1:] {
		f := strings.Split(l, ";")
		id := twin.ID("sensor:" + f[0])
		ids[id] = true
		last[id] = f[3] + ";" + f[4]
	}
	if got, want := res.Total, len(lines)-1; got != want {
		t.Errorf("total: got %d, want %d rows", got, want)
	}
	if got, want := len(res.Ops)+len(res.Rejects), res.Total; got != want {
		t.Errorf("ops %d + rejects %d != total %d", len(res.Ops), len(res.Rejects), want)
	}

	// The brief's box, Aberdeen city, holds most sensors; the file also has
	// sensors in Aberdeenshire (Stonehaven at 56.96 N, Ellon, Peterhead way at
	// 57.5 N), real places the importer must keep. Every point must lie in the
	// region; those outside the city are only counted.
	city := orb.Bound{Min: orb.Point{-2.3, 57.0}, Max: orb.Point{-1.9, 57.3}}
	region := orb.Bound{Min: orb.Point{-2.6, 56.9}, Max: orb.Point{-1.7, 57.6}}
	got := map[twin.ID]bool{}
	outside := map[twin.ID]orb.Point{}
	for i, op := range res.Ops {
		e := op.Entity
		p, ok := e.Geometry.(orb.Point)
		if !ok || !region.Contains(p) {
			t.Errorf("row %d (%s): %v is not in the Aberdeen region", res.Index[i], e.ID, e.Geometry)
		}
		if !city.Contains(p) {
			outside[e.ID] = p
		}
		if e.Kind != twin.KindSensor {
			t.Errorf("row %d: kind %q", res.Index[i], e.Kind)
		}
		if v, ok := e.Props.Get("sensor_type"); !ok || v.String() != "SDS011" {
			t.Errorf("row %d: sensor_type %v", res.Index[i], v)
		}
		got[e.ID] = true
	}
	for _, rj := range res.Rejects {
		if rj.Reason == "" || rj.Line < 2 {
			t.Errorf("reject without reason or line: %+v", rj)
		}
		if rj.ID != "" { // a rejected row still names its sensor
			got[twin.ID("sensor:"+rj.ID)] = true
		}
	}
	if len(got) != len(ids) {
		t.Errorf("distinct ids: got %d, want %d", len(got), len(ids))
	}
	// Applied in order, the last upsert of an id is its state: sensor 22068
	// moved during the week.
	final := map[twin.ID]orb.Point{}
	for _, op := range res.Ops {
		final[op.Entity.ID] = op.Entity.Geometry.(orb.Point)
	}
	for id, p := range final {
		if got, want := strconv.FormatFloat(p[1], 'f', -1, 64)+";"+strconv.FormatFloat(p[0], 'f', -1, 64), last[id]; !sameLatLon(got, want) {
			t.Errorf("%s: last position %s, want %s", id, got, want)
		}
	}
	t.Logf("%d sensors outside the city box: %v", len(outside), outside)
	t.Logf("%d rows, %d ops, %d rejects, %d sensors", res.Total, len(res.Ops), len(res.Rejects), len(ids))
}

// The Merewether houses are footprint vertices in projected metres (x, y in
// MGA zone 56), one vertex a row. x and y are taken as lon and lat, and every
// row is rejected for being outside WGS84 degrees: a projected file never
// slips in as points near (0, 0) or wrapped around the globe.
func TestMerewether(t *testing.T) {
	path := sharedtest.File(t, merewetherFile)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Read(context.Background(), f, Options{IDColumn: "house", DefaultKind: twin.KindBuilding, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total == 0 || len(res.Ops) != 0 || len(res.Rejects) != res.Total {
		t.Fatalf("got %d rows, %d ops, %d rejects; want every row rejected", res.Total, len(res.Ops), len(res.Rejects))
	}
	for _, rj := range res.Rejects {
		if rj.Column != "y" || !strings.Contains(rj.Reason, "outside ±90") {
			t.Fatalf("reject %+v: want column y, outside ±90", rj)
		}
	}
}

// headLines is the first n lines of a shared file, for fuzz seeds.
func headLines(tb testing.TB, rel string, n int) string {
	tb.Helper()
	f, err := os.Open(sharedtest.File(tb, rel))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	for i := 0; i < n && sc.Scan(); i++ {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// sameLatLon compares "lat;lon" texts as numbers ("57.110" is 57.11).
func sameLatLon(a, b string) bool {
	pa, pb := strings.Split(a, ";"), strings.Split(b, ";")
	for i := range 2 {
		x, err1 := strconv.ParseFloat(pa[i], 64)
		y, err2 := strconv.ParseFloat(pb[i], 64)
		if err1 != nil || err2 != nil || x != y {
			return false
		}
	}
	return true
}
