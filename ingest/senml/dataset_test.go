package senml

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"citytwin/datasets/sharedtest"
)

// reading is one row of the Aberdeen sensor.community file.
type reading struct {
	sensor   string
	lat, lon string // as written, to keep the file's precision
	t        time.Time
	p1, p2   string // PM10 and PM2.5, µg/m³
}

// readAberdeen reads the header and the first n rows of the Aberdeen SDS011 file.
func readAberdeen(tb testing.TB, n int) []reading {
	tb.Helper()
	path := filepath.Join(sharedtest.Dir(tb), "datasets", "sensors", "aberdeen_sds011_2019-05-13_2019-05-19.csv")
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		tb.Fatal("empty file")
	}
	col := map[string]int{}
	for i, h := range strings.Split(sc.Text(), ";") {
		col[h] = i
	}
	for _, h := range []string{"sensor_id", "lat", "lon", "timestamp", "P1", "P2"} {
		if _, ok := col[h]; !ok {
			tb.Fatalf("column %s missing from the header", h)
		}
	}
	var out []reading
	for len(out) < n && sc.Scan() {
		f := strings.Split(sc.Text(), ";")
		t, err := time.Parse("2006-01-02T15:04:05", f[col["timestamp"]])
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, reading{sensor: f[col["sensor_id"]], lat: f[col["lat"]], lon: f[col["lon"]], t: t,
			p1: f[col["P1"]], p2: f[col["P2"]]})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// senmlPack writes readings as one SenML pack per sensor reading, the way an
// SDS011 gateway would: base name the sensor, base unit µg/m³, lat/lon by name.
func senmlPack(rs []reading) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"bn":"sensor:luftdaten-%s:","bt":%d,"bu":"ug/m3","n":"pm10","v":%s},{"n":"pm25","v":%s},`+
			`{"n":"lat","u":"lat","v":%s},{"n":"lon","u":"lon","v":%s}`, r.sensor, r.t.Unix(), r.p1, r.p2, r.lat, r.lon)
	}
	b.WriteByte(']')
	return b.String()
}

// plainRecords writes readings in the plain form, one object per line.
func plainRecords(rs []reading) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, `{"id":"sensor:luftdaten-%s","t":"%sZ","metrics":{"pm10":{"v":%s,"u":"µg/m³"},"pm25":%s},"lat":%s,"lon":%s}`+"\n",
			r.sensor, r.t.Format("2006-01-02T15:04:05"), r.p1, r.p2, r.lat, r.lon)
	}
	return b.String()
}

// The Aberdeen readings decode to the file's values, in both forms.
func TestDecodeAberdeen(t *testing.T) {
	rs := readAberdeen(t, 500)
	opts := Options{Source: "luftdaten", Now: time.Date(2019, 5, 20, 0, 0, 0, 0, time.UTC)}
	for _, form := range []struct {
		name   string
		decode func() (Result, error)
	}{
		{"senml", func() (Result, error) { return Decode([]byte(senmlPack(rs)), opts) }},
		{"plain", func() (Result, error) { return DecodePlain([]byte(plainRecords(rs)), opts) }},
	} {
		t.Run(form.name, func(t *testing.T) {
			r, err := form.decode()
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Rejects) != 0 {
				t.Fatalf("rejects: %v", r.Rejects[:min(3, len(r.Rejects))])
			}
			got, pos := flatten(t, r, "luftdaten")
			if len(got) != 2*len(rs) || len(pos) != len(rs) {
				t.Fatalf("%d observations and %d positions, want %d and %d", len(got), len(pos), 2*len(rs), len(rs))
			}
			// Index the observations to compare them with the rows.
			type key struct {
				id, metric string
				t          int64
			}
			seen := map[key]float64{}
			for _, o := range got {
				seen[key{o.id, o.metric, o.t.UnixNano()}] = o.v
			}
			for _, rd := range rs {
				id := "sensor:luftdaten-" + rd.sensor
				for metric, s := range map[string]string{"pm10": rd.p1, "pm25": rd.p2} {
					want, _ := strconv.ParseFloat(s, 64)
					if v, ok := seen[key{id, metric, rd.t.UnixNano()}]; !ok || v != want {
						t.Fatalf("%s %s at %s = %v (found %v), want %v", id, metric, rd.t, v, ok, want)
					}
				}
			}
			if r.Units["pm10"] == "" {
				t.Errorf("units = %v", r.Units)
			}
		})
	}
}
