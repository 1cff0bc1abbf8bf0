package tsbs

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"citytwin/ingest"
	"citytwin/twin"

	"github.com/klauspost/compress/gzip"
)

// census is a brute-force count of a timescaledb file, straight from its text,
// sharing no code with the Reader or the Feed.
type census struct {
	rows, named      map[string]int // data rows, and those with a name, per measurement
	nameless         map[string]int // rows without a name, per measurement
	fields           map[string]int // fields per row of each measurement (header)
	blankFields      int            // in named rows
	blankTags        int            // in named rows
	positions        int            // named readings with latitude and longitude
	trucks           map[string]bool
	values           map[string]map[string]int // per watched truck, values per field
	watched          map[string]bool
	headerByMeasName map[string][]string // field names per measurement
}

func takeCensus(path string, watch ...string) (*census, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	c := &census{
		rows: map[string]int{}, named: map[string]int{}, nameless: map[string]int{}, fields: map[string]int{},
		trucks: map[string]bool{}, values: map[string]map[string]int{}, watched: map[string]bool{},
		headerByMeasName: map[string][]string{},
	}
	for _, w := range watch {
		c.watched[w] = true
		c.values[w] = map[string]int{}
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	inHeader := true
	name, watched := "", false
	for n := 0; sc.Scan(); n++ {
		line := sc.Text()
		if inHeader {
			if n == 0 {
				continue // the tag columns
			}
			if line == "" {
				inHeader = false
				continue
			}
			cols := strings.Split(line, ",")
			c.headerByMeasName[cols[0]] = cols[1:]
			c.fields[cols[0]] = len(cols) - 1
			continue
		}
		if rest, ok := strings.CutPrefix(line, "tags,"); ok {
			name = ""
			blanks := 0
			for rest != "" {
				var kv string
				kv, rest, _ = strings.Cut(rest, ",")
				k, v, _ := strings.Cut(kv, "=")
				if k == "name" {
					name = v
				} else if v == "" {
					blanks++
				}
			}
			if name != "" {
				c.blankTags += blanks
				if !c.trucks[name] {
					c.trucks[strings.Clone(name)] = true
				}
			}
			watched = c.watched[name]
			continue
		}
		meas, rest, _ := strings.Cut(line, ",")
		c.rows[meas]++
		if name == "" {
			c.nameless[meas]++
			continue
		}
		c.named[meas]++
		_, rest, _ = strings.Cut(rest, ",") // the time
		var lat, lon bool
		for i := 0; rest != "" || i < c.fields[meas]; i++ {
			var v string
			v, rest, _ = strings.Cut(rest, ",")
			switch {
			case v == "":
				c.blankFields++
			case watched:
				c.values[name][c.headerByMeasName[meas][i]]++
			}
			lat = lat || i == 0 && v != ""
			lon = lon || i == 1 && v != ""
		}
		if meas == "readings" && lat && lon {
			c.positions++
		}
	}
	return c, sc.Err()
}

// TestIoTDay reads the whole 1-day IoT file into a store and checks the counts
// against the dataset's documented facts and a brute-force census of its text.
func TestIoTDay(t *testing.T) {
	path := sharedFile(t, iotDay)
	watch := []string{"truck_0", "truck_7", "truck_42", "truck_99"}
	// The census runs beside the feed: the test is long under -race.
	type censusResult struct {
		c   *census
		err error
	}
	done := make(chan censusResult, 1)
	go func() {
		c, err := takeCensus(path, watch...)
		done <- censusResult{c, err}
	}()

	cfg := twin.DefaultConfig()
	cfg.Retention = 0 // keep every point
	store, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	opts := DefaultOptions()
	var dead []ingest.DeadLetter
	opts.DeadLetter = func(d ingest.DeadLetter) { dead = append(dead, d) }
	f, err := NewFeed(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	upserts := map[twin.ID]int{}
	for {
		b, err := f.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range b.Ops {
			if op.Type == twin.OpUpsert {
				upserts[op.Entity.ID]++
			}
		}
		if _, err := store.Apply(b.Ops...); err != nil {
			t.Fatal(err)
		}
	}
	st := f.Stats()
	cr := <-done
	if cr.err != nil {
		t.Fatal(cr.err)
	}
	c := cr.c

	// The documented facts.
	if st.Rows != 1_554_681 || st.Measurements["readings"] != 777_613 || st.Measurements["diagnostics"] != 777_068 {
		t.Errorf("rows %d, per measurement %v; want 1,554,681: 777,613 readings, 777,068 diagnostics", st.Rows, st.Measurements)
	}
	if st.Entities != 100 || len(upserts) != 100 || store.Len() != 100 {
		t.Errorf("%d entities, %d upserted, %d in the store; want 100 trucks", st.Entities, len(upserts), store.Len())
	}
	for id, n := range upserts {
		if n != 1 {
			t.Errorf("%s upserted %d times", id, n)
		}
	}
	if st.RejectedRows() != 1702 || st.Rejected[RejectNoName] != 1702 || len(dead) != 1702 {
		t.Errorf("rejected %v, %d dead letters; want 1,702 rows without name", st.Rejected, len(dead))
	}
	deadBy := map[string]int{}
	for _, d := range dead {
		_, data, _ := strings.Cut(d.Raw, "\n")
		meas, _, _ := strings.Cut(data, ",")
		deadBy[meas]++
		if d.Source != "tsbs" || !strings.HasPrefix(d.Where, iotDay+":") || !strings.HasPrefix(d.Reason, RejectNoName) {
			t.Fatalf("dead letter %+v", d)
		}
	}
	if deadBy["readings"] != 813 || deadBy["diagnostics"] != 889 {
		t.Errorf("dead letters per measurement %v, want 813 readings, 889 diagnostics", deadBy)
	}

	// The census.
	if len(c.trucks) != 100 || c.nameless["readings"] != 813 || c.nameless["diagnostics"] != 889 {
		t.Errorf("census: %d trucks, nameless %v", len(c.trucks), c.nameless)
	}
	if st.BlankFields != int64(c.blankFields) || st.BlankTags != int64(c.blankTags) {
		t.Errorf("blanks: %d fields, %d tags; census %d, %d", st.BlankFields, st.BlankTags, c.blankFields, c.blankTags)
	}
	wantObs := int64(c.named["readings"]*c.fields["readings"] + c.named["diagnostics"]*c.fields["diagnostics"] - c.blankFields)
	if st.Observations != wantObs {
		t.Errorf("%d observations, want (rows with name) × fields − blanked = %d", st.Observations, wantObs)
	}
	if st.Positions != int64(c.positions) || st.BadPositions != 0 {
		t.Errorf("%d positions (%d bad), census %d", st.Positions, st.BadPositions, c.positions)
	}
	if st.Disagreements != 0 {
		t.Errorf("%d disagreements: attributes are constant per truck", st.Disagreements)
	}

	// The store holds every value of the watched trucks.
	for _, name := range watch {
		id := twin.ID("tsbs:truck/" + name)
		for _, meas := range []string{"readings", "diagnostics"} {
			for _, field := range c.headerByMeasName[meas] {
				pts, err := store.Range(id, field, math.MinInt64, math.MaxInt64)
				if err != nil {
					t.Fatalf("%s %s: %v", id, field, err)
				}
				if len(pts) != c.values[name][field] {
					t.Errorf("%s %s: %d points stored, census %d", id, field, len(pts), c.values[name][field])
				}
				for i := 1; i < len(pts); i++ {
					if pts[i].T <= pts[i-1].T {
						t.Fatalf("%s %s: points out of order at %d", id, field, i)
					}
				}
			}
		}
		e, err := store.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"fleet", "driver", "model", "device_version", "load_capacity", "fuel_capacity", "nominal_fuel_consumption"} {
			if _, ok := e.Props.Get(k); !ok {
				t.Errorf("%s lacks attribute %s", id, k)
			}
		}
		if !e.Moving || e.Geometry == nil {
			t.Errorf("%s: moving %v at %v, want a moving truck with a place", id, e.Moving, e.Geometry)
		}
	}
}

// The first hour of the IoT data gives the same ops in both formats.
func TestIoTFirstHourFormatsAgree(t *testing.T) {
	const rows = 64_961
	influx := feedFile(t, sharedFile(t, iotHour), DefaultOptions())
	// The timescaledb file has the same points in the same order: its header
	// (4 lines) and two lines a point.
	text := readLines(t, sharedFile(t, iotDay), 4+2*rows)
	tsdb := feedBytes(t, text, "first-hour", DefaultOptions())
	if influx.stats.Rows != rows || tsdb.stats.Rows != rows {
		t.Fatalf("rows %d and %d, want %d", influx.stats.Rows, tsdb.stats.Rows, rows)
	}
	compareResults(t, influx, tsdb)
	if len(influx.dead) != len(tsdb.dead) || len(influx.dead) == 0 {
		t.Errorf("%d and %d dead letters", len(influx.dead), len(tsdb.dead))
	}
	if influx.stats.Entities != 100 {
		t.Errorf("%d trucks in the first hour, want 100", influx.stats.Entities)
	}
	s := applyAll(t, tsdb.ops)
	if s.Len() != 100 {
		t.Errorf("%d entities in the store", s.Len())
	}
}

// The cpu-only data: 10 hosts, 21,600 rows, 216,000 values, the same in both
// formats.
func TestCPUOnlyFormatsAgree(t *testing.T) {
	influx := feedFile(t, sharedFile(t, cpuInflux), DefaultOptions())
	tsdb := feedFile(t, sharedFile(t, cpuTimescale), DefaultOptions())
	for _, res := range []result{influx, tsdb} {
		st := res.stats
		if st.Rows != 21_600 || st.Entities != 10 || st.Observations != 216_000 || st.RejectedRows() != 0 ||
			st.BlankFields != 0 || st.BlankTags != 0 || st.Positions != 0 || st.Measurements["cpu"] != 21_600 {
			t.Errorf("stats %+v", st)
		}
	}
	compareResults(t, influx, tsdb)
	s := applyAll(t, influx.ops)
	counts := s.Counts()
	if counts["host"] != 10 {
		t.Errorf("kinds %v, want 10 hosts", counts)
	}
	pts, err := s.Range("tsbs:host/host_3", "usage_idle", math.MinInt64, math.MaxInt64)
	if err != nil || len(pts) != 2160 {
		t.Errorf("host_3 usage_idle: %d points, %v; want 2,160", len(pts), err)
	}
}

// Grouping a batch by entity and metric keeps each channel's and each track's
// points in row order: big batches give the twin what one-row batches give it.
func TestIoTBatchingKeepsChannelOrder(t *testing.T) {
	path := sharedFile(t, iotHour)
	type key struct {
		id     twin.ID
		metric string
	}
	sequences := func(ops []twin.Op) (map[key][]twin.Observation, map[twin.ID][]twin.Position) {
		obs, pos := map[key][]twin.Observation{}, map[twin.ID][]twin.Position{}
		for _, op := range ops {
			for _, o := range op.Observations {
				obs[key{o.ID, o.Metric}] = append(obs[key{o.ID, o.Metric}], o)
			}
			for _, p := range op.Positions {
				pos[p.ID] = append(pos[p.ID], p)
			}
		}
		return obs, pos
	}
	one := DefaultOptions()
	one.BatchRows = 1
	obs1, pos1 := sequences(feedFile(t, path, one).ops)
	obsN, posN := sequences(feedFile(t, path, DefaultOptions()).ops)
	if len(obs1) != 1000 || len(pos1) != 100 {
		t.Fatalf("%d channels and %d tracks, want 1000 and 100", len(obs1), len(pos1))
	}
	for k, want := range obs1 {
		if !slices.Equal(obsN[k], want) {
			t.Fatalf("%v: the points differ or are in another order", k)
		}
	}
	for id, want := range pos1 {
		if !slices.Equal(posN[id], want) {
			t.Fatalf("%s: the positions differ or are in another order", id)
		}
	}
}
