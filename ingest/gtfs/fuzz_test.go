package gtfs

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"citytwin/datasets/sharedtest"
)

// seedFiles are the first lines of each file of the real feeds, keyed by name.
func seedFiles(f *testing.F, name string) map[string]string {
	data, err := os.ReadFile(sharedtest.File(f, "datasets/gtfs/"+name))
	if err != nil {
		f.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		f.Fatal(err)
	}
	out := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			f.Fatal(err)
		}
		b, _ := io.ReadAll(io.LimitReader(rc, 2048))
		rc.Close()
		if i := bytes.LastIndexByte(b, '\n'); i > 0 {
			b = b[:i+1]
		}
		out[zf.Name] = string(b)
	}
	return out
}

// FuzzReadCSV feeds fuzzed text as each file in turn of an otherwise valid
// feed: the reader must not panic, and what it accepts must make valid
// entities.
func FuzzReadCSV(f *testing.F) {
	base := seedFiles(f, "usf_bullrunner_gtfs.zip")
	names := []string{"agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "calendar.txt", "calendar_dates.txt", "shapes.txt", "frequencies.txt"}
	for i, n := range names {
		if text, ok := base[n]; ok {
			f.Add(uint8(i), text)
		}
	}
	for n, text := range seedFiles(f, "cairns_gtfs.zip") {
		for i, m := range names {
			if m == n {
				f.Add(uint8(i), text)
			}
		}
	}
	f.Add(uint8(1), "\uFEFFstop_id,stop_lat,stop_lon,location_type,parent_station\n\"a,\"\"b\",1,2,1,\n3,,,3,a\n")
	f.Fuzz(func(t *testing.T, which uint8, text string) {
		files := map[string]string{}
		for k, v := range base {
			files[k] = v
		}
		files[names[int(which)%len(names)]] = text
		feed, err := readFiles(context.Background(), zipOpener(t, files))
		if err != nil {
			return
		}
		_, _ = feed.Ops(Options{})
		es, _ := feed.Entities(Options{})
		for _, e := range es {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid entity kept: %v", err)
			}
		}
		for _, tr := range feed.Schedule.Trips {
			for i := 1; i < len(tr.StopTimes); i++ {
				if tr.StopTimes[i].Sequence <= tr.StopTimes[i-1].Sequence {
					t.Fatalf("trip %s: stop_times out of order", tr.ID)
				}
			}
		}
		for id := range feed.Schedule.byStop {
			feed.Schedule.Departures(id, day(2017, 9, 13), 0, 30*3600e9)
		}
	})
}

// FuzzReadZip feeds whole fuzzed archives.
func FuzzReadZip(f *testing.F) {
	data, err := os.ReadFile(sharedtest.File(f, "datasets/gtfs/usf_bullrunner_gtfs.zip"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(makeZip(f, small))
	f.Fuzz(func(t *testing.T, b []byte) {
		feed, err := Read(context.Background(), bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		feed.Entities(Options{})
	})
}
