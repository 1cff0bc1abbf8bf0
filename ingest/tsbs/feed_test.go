package tsbs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"citytwin/ingest"
	"citytwin/twin"
)

// point is a row to write in both formats. A "" value is blanked: an empty
// value in timescaledb, left out in line protocol.
type point struct {
	meas string
	t    int64
	tags []kv // the truck's attributes, in header order
	vals []kv // the measurement's fields, in header order
}

type kv struct{ k, v string }

const t0 = int64(1451606400000000000)
const tick = int64(10_000_000_000)

func truckAttrs(name string) []kv {
	return []kv{{"name", name}, {"fleet", "South"}, {"driver", "Trish"}, {"model", "H-2"},
		{"device_version", "v2.3"}, {"load_capacity", "1500"}, {"fuel_capacity", "150"},
		{"nominal_fuel_consumption", "12"}}
}

func reading(name string, t int64, lat, lon string) point {
	return point{meas: "readings", t: t, tags: truckAttrs(name), vals: []kv{{"latitude", lat}, {"longitude", lon},
		{"elevation", "124"}, {"velocity", "0"}, {"heading", "221"}, {"grade", "0"}, {"fuel_consumption", "25.5"}}}
}

func diagnostic(name string, t int64) point {
	return point{meas: "diagnostics", t: t, tags: truckAttrs(name), vals: []kv{{"fuel_state", "0.9"}, {"current_load", "3000"}, {"status", "2"}}}
}

// with returns p with key (a tag or a field) set to v.
func (p point) with(key, v string) point {
	p.tags, p.vals = slices.Clone(p.tags), slices.Clone(p.vals)
	for _, s := range [][]kv{p.tags, p.vals} {
		for i := range s {
			if s[i].k == key {
				s[i].v = v
				return p
			}
		}
	}
	panic("no key " + key)
}

func (p point) timescaledb() string {
	var b strings.Builder
	b.WriteString("tags")
	for _, t := range p.tags {
		fmt.Fprintf(&b, ",%s=%s", t.k, t.v)
	}
	fmt.Fprintf(&b, "\n%s,%d", p.meas, p.t)
	for _, f := range p.vals {
		b.WriteString("," + f.v)
	}
	return b.String()
}

func (p point) influx() string {
	var tags, fields []string
	for _, t := range p.tags {
		if t.v == "" {
			continue
		}
		if strings.HasSuffix(t.k, "capacity") || strings.HasSuffix(t.k, "consumption") {
			fields = append(fields, t.k+"="+t.v)
		} else {
			tags = append(tags, ","+t.k+"="+t.v)
		}
	}
	for _, f := range p.vals {
		if f.v != "" {
			v := f.v
			if f.k == "status" {
				v += "i"
			}
			fields = append(fields, f.k+"="+v)
		}
	}
	return fmt.Sprintf("%s%s %s %d", p.meas, strings.Join(tags, ""), strings.Join(fields, ","), p.t)
}

func render(ps []point, influx bool) string {
	var b strings.Builder
	if !influx {
		b.WriteString(iotHeader)
	}
	for _, p := range ps {
		if influx {
			b.WriteString(p.influx())
		} else {
			b.WriteString(p.timescaledb())
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// where is the file:line a dead letter of row i names: its tags line, or its
// data line.
func where(influx bool, i int, data bool) string {
	if influx {
		return fmt.Sprintf("f:%d", i+1)
	}
	if data {
		return fmt.Sprintf("f:%d", 6+2*i)
	}
	return fmt.Sprintf("f:%d", 5+2*i)
}

// wantStats are the counts a case checks (maps compared when not nil).
type wantStats struct {
	rows, obs, positions, badPositions, entities, patches, disagreements, blankFields, blankTags int64
	rejected                                                                                     map[string]int64
}

func checkStats(t *testing.T, got Stats, want wantStats) {
	t.Helper()
	g := wantStats{got.Rows, got.Observations, got.Positions, got.BadPositions, got.Entities, got.Patches,
		got.Disagreements, got.BlankFields, got.BlankTags, got.Rejected}
	if len(g.rejected) == 0 {
		g.rejected = nil
	}
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("stats\n got %+v\nwant %+v", g, want)
	}
}

// applyAll applies a result's ops to a fresh store that keeps everything.
func applyAll(t testing.TB, ops []twin.Op) *twin.Store {
	t.Helper()
	cfg := twin.DefaultConfig()
	cfg.Retention = 0
	s, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ops...); err != nil {
		t.Fatal(err)
	}
	return s
}

// observations are the observations of some ops, sorted.
func observations(ops []twin.Op) []twin.Observation {
	var out []twin.Observation
	for _, op := range ops {
		out = append(out, op.Observations...)
	}
	slices.SortFunc(out, func(a, b twin.Observation) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Metric, b.Metric), cmp.Compare(a.T, b.T), cmp.Compare(a.V, b.V))
	})
	return out
}

func positions(ops []twin.Op) []twin.Position {
	var out []twin.Position
	for _, op := range ops {
		out = append(out, op.Positions...)
	}
	slices.SortFunc(out, func(a, b twin.Position) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.T, b.T))
	})
	return out
}

// entities are the upserted entities, and the patches, as text.
func entityOps(ops []twin.Op) []string {
	var out []string
	for _, op := range ops {
		switch op.Type {
		case twin.OpUpsert:
			e := op.Entity
			out = append(out, fmt.Sprintf("upsert %s %s %v t=%d", e.ID, e.Kind, e.Props.Map(), op.T))
		case twin.OpPatch:
			out = append(out, fmt.Sprintf("patch %s %v t=%d", op.ID, op.Patch.Map(), op.T))
		}
	}
	return out
}

func TestFeedDamage(t *testing.T) {
	r0 := reading("truck_0", t0, "52.31854", "4.72037")
	d0 := diagnostic("truck_0", t0)
	r1 := reading("truck_1", t0, "10", "20")
	tests := []struct {
		name   string
		points []point
		want   wantStats
		dead   []string // where and the start of the reason, per dead letter
		check  func(t *testing.T, res result, influx bool)
	}{
		{
			name:   "clean",
			points: []point{r0, d0, r1},
			want:   wantStats{rows: 3, obs: 17, positions: 2, entities: 2},
		},
		{
			name:   "row without name is a dead letter, the rest is kept",
			points: []point{r0, d0.with("name", ""), r1},
			want:   wantStats{rows: 3, obs: 14, positions: 2, entities: 2, rejected: map[string]int64{RejectNoName: 1}},
			dead:   []string{"1 tags|no name: the row has no name tag"},
		},
		{
			name:   "nameless first row creates nothing",
			points: []point{r0.with("name", ""), d0},
			want:   wantStats{rows: 2, obs: 3, entities: 1, rejected: map[string]int64{RejectNoName: 1}},
			dead:   []string{"0 tags|no name"},
		},
		{
			name:   "blanked field is absent",
			points: []point{r0.with("velocity", ""), d0.with("status", "")},
			want:   wantStats{rows: 2, obs: 8, positions: 1, entities: 1, blankFields: 2},
			check: func(t *testing.T, res result, influx bool) {
				for _, o := range observations(res.ops) {
					if o.Metric == "velocity" || o.Metric == "status" {
						t.Errorf("blanked field observed: %+v", o)
					}
				}
			},
		},
		{
			name:   "blanked latitude or longitude: observed, no position",
			points: []point{r0.with("latitude", ""), r0.with("longitude", "").with("name", "truck_0"), r1},
			want:   wantStats{rows: 3, obs: 19, positions: 1, entities: 2, blankFields: 2},
		},
		{
			name:   "position outside WGS84: observed, not placed",
			points: []point{r0.with("latitude", "91"), r1.with("longitude", "-180.5")},
			want:   wantStats{rows: 2, obs: 14, badPositions: 2, entities: 2},
		},
		{
			name:   "blanked tag keeps the row; a later row fills it once",
			points: []point{r0.with("fleet", "").with("load_capacity", ""), d0.with("fleet", ""), d0, r0, d0.with("fleet", "")},
			want:   wantStats{rows: 5, obs: 23, positions: 2, entities: 1, patches: 2, blankTags: 4},
			check: func(t *testing.T, res result, influx bool) {
				got := entityOps(res.ops)
				want := []string{
					"upsert tsbs:truck/truck_0 vehicle map[device_version:v2.3 driver:Trish fuel_capacity:150 model:H-2 name:truck_0 nominal_fuel_consumption:12] t=1451606400000000000",
					"patch tsbs:truck/truck_0 map[load_capacity:1500] t=1451606400000000000",
					"patch tsbs:truck/truck_0 map[fleet:South] t=1451606400000000000",
				}
				if !slices.Equal(got, want) {
					t.Errorf("entity ops\n got %q\nwant %q", got, want)
				}
			},
		},
		{
			name:   "disagreeing attributes are counted, never applied",
			points: []point{r0, d0.with("driver", "Seth").with("load_capacity", "2000"), r0.with("model", "F-150")},
			want:   wantStats{rows: 3, obs: 17, positions: 2, entities: 1, disagreements: 3},
			check: func(t *testing.T, res result, influx bool) {
				if got := entityOps(res.ops); len(got) != 1 {
					t.Errorf("entity ops %q, want one upsert", got)
				}
				s := applyAll(t, res.ops)
				e, err := s.Get("tsbs:truck/truck_0")
				if err != nil {
					t.Fatal(err)
				}
				if v, _ := e.Props.Get("driver"); v.String() != "Trish" {
					t.Errorf("driver %v, want the first row's Trish", v)
				}
			},
		},
		{
			name: "out-of-order rows keep their own times",
			points: []point{reading("truck_0", t0+2*tick, "1", "1"), reading("truck_0", t0, "2", "2"),
				reading("truck_0", t0+tick, "3", "3")},
			want: wantStats{rows: 3, obs: 21, positions: 3, entities: 1},
			check: func(t *testing.T, res result, influx bool) {
				s := applyAll(t, res.ops)
				pts, err := s.Range("tsbs:truck/truck_0", "latitude", 0, math.MaxInt64)
				if err != nil {
					t.Fatal(err)
				}
				if len(pts) != 3 || pts[0].T != t0 || pts[0].V != 2 || pts[2].T != t0+2*tick || pts[2].V != 1 {
					t.Errorf("latitude channel %+v, want the three points in time order", pts)
				}
				e, _ := s.Get("tsbs:truck/truck_0")
				if p, ok := e.Geometry.(interface{ Y() float64 }); !ok || p.Y() != 1 {
					t.Errorf("position %v, want the newest (latitude 1)", e.Geometry)
				}
			},
		},
		{
			name:   "unparsable number is a dead letter naming the field",
			points: []point{r0, r0.with("heading", "22x1"), d0.with("current_load", "-"), r1},
			want:   wantStats{rows: 4, obs: 14, positions: 2, entities: 2, rejected: map[string]int64{RejectBadNumber: 2}},
			dead:   []string{"1 data|bad number \"heading\"", "2 data|bad number \"current_load\""},
		},
		{
			name:   "unparsable numeric attribute is a dead letter naming it",
			points: []point{r0.with("fuel_capacity", "lots"), r1},
			want:   wantStats{rows: 2, obs: 7, positions: 1, entities: 1, rejected: map[string]int64{RejectBadNumber: 1}},
			// timescaledb: the tags line; line protocol: the line
			dead: []string{"0 tags|bad number \"fuel_capacity\""},
		},
	}
	for _, tt := range tests {
		for _, influx := range []bool{false, true} {
			format := map[bool]string{false: "timescaledb", true: "influx"}[influx]
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				for _, batch := range []int{1, 2, 4096} {
					opts := DefaultOptions()
					opts.BatchRows = batch
					res := feedBytes(t, []byte(render(tt.points, influx)), "f", opts)
					checkStats(t, res.stats, tt.want)
					if len(res.dead) != len(tt.dead) {
						t.Fatalf("batch %d: %d dead letters %+v, want %d", batch, len(res.dead), res.dead, len(tt.dead))
					}
					for i, d := range tt.dead {
						var row int
						var line, reason string
						fmt.Sscanf(d, "%d %s", &row, &line)
						line, _, _ = strings.Cut(line, "|")
						reason = d[strings.Index(d, "|")+1:]
						dl := res.dead[i]
						if w := where(influx, row, line == "data"); dl.Where != w || !strings.HasPrefix(dl.Reason, reason) || dl.Source != "tsbs" {
							t.Errorf("dead letter %+v, want where %s reason %q…", dl, w, reason)
						}
						if want := strings.Split(render(tt.points[row:row+1], influx), "\n"); !strings.Contains(dl.Raw, want[len(want)-2]) {
							t.Errorf("dead letter raw %q, want the row's input", dl.Raw)
						}
					}
					applyAll(t, res.ops) // every batch applies: entities come before their values
					if tt.check != nil && batch == 4096 {
						tt.check(t, res, influx)
					}
				}
			})
		}
	}
}

// Both formats of the same points give the same ops.
func TestFeedFormatsAgree(t *testing.T) {
	ps := []point{
		reading("truck_0", t0, "52.31854", "4.72037"),
		diagnostic("truck_0", t0).with("fleet", ""),
		reading("truck_1", t0, "10", "").with("model", ""),
		diagnostic("truck_1", t0+tick).with("current_load", ""),
		diagnostic("truck_0", t0+tick),
		reading("truck_1", t0-tick, "-10.5", "-20.25"),
		reading("truck_2", t0, "1", "2").with("name", ""),
		reading("truck_1", t0+tick, "11", "21"),
	}
	a := feedBytes(t, []byte(render(ps, false)), "f", DefaultOptions())
	b := feedBytes(t, []byte(render(ps, true)), "f", DefaultOptions())
	compareResults(t, a, b)
}

func compareResults(t *testing.T, a, b result) {
	t.Helper()
	if oa, ob := observations(a.ops), observations(b.ops); !slices.Equal(oa, ob) {
		t.Errorf("observations differ: %d and %d", len(oa), len(ob))
	}
	if pa, pb := positions(a.ops), positions(b.ops); !slices.Equal(pa, pb) {
		t.Errorf("positions differ: %d and %d", len(pa), len(pb))
	}
	if ea, eb := entityOps(a.ops), entityOps(b.ops); !slices.Equal(ea, eb) {
		t.Errorf("entity ops differ:\n%q\n%q", ea, eb)
	}
	sa, sb := a.stats, b.stats
	if fmt.Sprint(sa) != fmt.Sprint(sb) {
		t.Errorf("stats differ:\n%+v\n%+v", sa, sb)
	}
}

func TestFeedEntity(t *testing.T) {
	text := iotHeader + tags0 + "\n" + read0 + "\n"
	res := feedBytes(t, []byte(text), "iot.txt", DefaultOptions())
	up := res.ops[0]
	if up.Type != twin.OpUpsert || up.Source != "tsbs" || up.T != t0 {
		t.Fatalf("first op %+v, want the upsert", up)
	}
	e := up.Entity
	if e.ID != "tsbs:truck/truck_0" || e.Kind != twin.KindVehicle || !e.Moving || e.Geometry != nil {
		t.Errorf("entity %+v", e)
	}
	if len(e.Provenance) != 1 || e.Provenance[0].Source != "tsbs" || e.Provenance[0].Note != "iot.txt:5" || !e.Provenance[0].Time.Equal(twin.Time(t0)) {
		t.Errorf("provenance %+v", e.Provenance)
	}
	for k, want := range map[string]string{"fleet": "South", "driver": "Trish", "model": "H-2", "device_version": "v2.3", "name": "truck_0"} {
		if v, _ := e.Props.Get(k); v.Type() != twin.String || v.String() != want {
			t.Errorf("prop %s = %v, want string %s", k, v, want)
		}
	}
	for k, want := range map[string]float64{"load_capacity": 1500, "fuel_capacity": 150, "nominal_fuel_consumption": 12} {
		if v, _ := e.Props.Get(k); v.Type() != twin.Number || v.String() != fmt.Sprint(want) {
			t.Errorf("prop %s = %v, want number %v", k, v, want)
		}
	}
	var metrics []string
	for _, o := range observations(res.ops) {
		metrics = append(metrics, o.Metric)
	}
	want := []string{"elevation", "fuel_consumption", "grade", "heading", "latitude", "longitude", "velocity"}
	if !slices.Equal(metrics, want) {
		t.Errorf("metrics %v, want %v", metrics, want)
	}
	if ps := positions(res.ops); len(ps) != 1 || ps[0].Point[0] != 4.72037 || ps[0].Point[1] != 52.31854 {
		t.Errorf("positions %+v, want lon 4.72037 lat 52.31854", ps)
	}
}

func TestFeedHost(t *testing.T) {
	tsdb := "tags,hostname string,region string,datacenter string,rack string,os string,arch string,team string,service string,service_version string,service_environment string\n" +
		"cpu,usage_user,usage_system,usage_idle,usage_nice,usage_iowait,usage_irq,usage_softirq,usage_steal,usage_guest,usage_guest_nice\n\n" +
		"tags,hostname=host_0,region=eu-central-1,datacenter=eu-central-1a,rack=6,os=Ubuntu15.10,arch=x86,team=SF,service=19,service_version=1,service_environment=test\n" +
		"cpu,1451606400000000000,58,2,24,61,22,63,6,44,80,38\n" +
		"tags,hostname=,region=eu-central-1,datacenter=eu-central-1a,rack=6,os=Ubuntu15.10,arch=x86,team=SF,service=19,service_version=1,service_environment=test\n" +
		"cpu,1451606400000000000,58,2,24,61,22,63,6,44,80,38\n"
	lp := "cpu,hostname=host_0,region=eu-central-1,datacenter=eu-central-1a,rack=6,os=Ubuntu15.10,arch=x86,team=SF,service=19,service_version=1,service_environment=test usage_user=58i,usage_system=2i,usage_idle=24i,usage_nice=61i,usage_iowait=22i,usage_irq=63i,usage_softirq=6i,usage_steal=44i,usage_guest=80i,usage_guest_nice=38i 1451606400000000000\n" +
		"cpu,region=eu-central-1,datacenter=eu-central-1a,rack=6,os=Ubuntu15.10,arch=x86,team=SF,service=19,service_version=1,service_environment=test usage_user=58i,usage_system=2i,usage_idle=24i,usage_nice=61i,usage_iowait=22i,usage_irq=63i,usage_softirq=6i,usage_steal=44i,usage_guest=80i,usage_guest_nice=38i 1451606400000000000\n"
	a := feedBytes(t, []byte(tsdb), "f", DefaultOptions())
	b := feedBytes(t, []byte(lp), "f", DefaultOptions())
	compareResults(t, a, b)
	checkStats(t, a.stats, wantStats{rows: 2, obs: 10, entities: 1, rejected: map[string]int64{RejectNoName: 1}})
	if !strings.Contains(a.dead[0].Reason, "no hostname tag") {
		t.Errorf("dead letter %+v", a.dead[0])
	}
	e := a.ops[0].Entity
	if e.ID != "tsbs:host/host_0" || e.Kind != "host" || e.Moving || e.Geometry != nil {
		t.Errorf("entity %+v", e)
	}
	if v, _ := e.Props.Get("rack"); v.Type() != twin.String || v.String() != "6" {
		t.Errorf("rack %v, want the string 6", v)
	}
	s := applyAll(t, a.ops)
	if got := s.Metrics("tsbs:host/host_0"); len(got) != 10 || !strings.HasPrefix(got[0], "usage_") {
		t.Errorf("metrics %v", got)
	}
}

func TestFeedUnknownMeasurement(t *testing.T) {
	lp := "mem,hostname=host_0 used=1i 1451606400000000000\n" + lp0 + "\n"
	res := feedBytes(t, []byte(lp), "f", DefaultOptions())
	checkStats(t, res.stats, wantStats{rows: 2, obs: 7, positions: 1, entities: 1, rejected: map[string]int64{RejectMeasurement: 1}})
	if len(res.dead) != 1 || res.dead[0].Where != "f:1" {
		t.Errorf("dead letters %+v", res.dead)
	}
}

// Fields and tags outside the TSBS schema are kept: numeric fields as channels,
// tags as string attributes.
func TestFeedExtraKeys(t *testing.T) {
	lp := "readings,name=truck_0,colour=red velocity=3,oil=0.5 1451606400000000000\n"
	res := feedBytes(t, []byte(lp), "f", DefaultOptions())
	checkStats(t, res.stats, wantStats{rows: 1, obs: 2, entities: 1, blankFields: 6, blankTags: 7})
	if v, _ := res.ops[0].Entity.Props.Get("colour"); v.String() != "red" {
		t.Errorf("props %v", res.ops[0].Entity.Props)
	}
	if got := observations(res.ops); len(got) != 2 || got[0].Metric != "oil" {
		t.Errorf("observations %+v", got)
	}
}

func TestFeedUnsupportedHeader(t *testing.T) {
	for _, text := range []string{
		"tags,host string\ncpu,usage_user\n\n",
		"tags,name string\nmem,used\n\n",
		"tags,hostname string\nreadings,latitude\n\n",
	} {
		r, err := NewReader(strings.NewReader(text), "f")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewFeed(r, DefaultOptions()); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%q: err = %v, want ErrUnsupported", text, err)
		}
		r.Close()
	}
}

func TestFeedOptions(t *testing.T) {
	r, err := NewReader(strings.NewReader(lp0), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, o := range []Options{{BatchRows: 0, Source: "tsbs"}, {BatchRows: 10}, {BatchRows: 1 << 21, Source: "x"}} {
		if _, err := NewFeed(r, o); err == nil {
			t.Errorf("NewFeed(%+v) succeeded", o)
		}
	}
	opts := DefaultOptions()
	opts.Source = "replay"
	opts.BatchRows = 1
	var dead []ingest.DeadLetter
	opts.DeadLetter = func(d ingest.DeadLetter) { dead = append(dead, d) }
	f, err := NewFeed(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range b.Ops {
		if op.Source != "replay" {
			t.Errorf("op source %q", op.Source)
		}
	}
	if b.Rows != 1 || b.Line != 1 {
		t.Errorf("batch rows %d line %d", b.Rows, b.Line)
	}
	if _, err := f.Next(context.Background()); err != io.EOF {
		t.Errorf("second Next = %v, want io.EOF", err)
	}
	if _, err := f.Next(context.Background()); err != io.EOF {
		t.Errorf("third Next = %v, want io.EOF again", err)
	}
}

func TestFeedContext(t *testing.T) {
	var text strings.Builder
	for range 5000 {
		text.WriteString(lp0 + "\n")
	}
	r, err := NewReader(strings.NewReader(text.String()), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := NewFeed(r, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next on a cancelled context = %v", err)
	}
}

// A read error ends the feed after the rows before it.
func TestFeedReadError(t *testing.T) {
	boom := errors.New("boom")
	r, err := NewReader(io.MultiReader(strings.NewReader(lp0+"\n"+lp0+"\n"), errReader{boom}), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := NewFeed(r, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Next(context.Background())
	if err != nil || b.Rows != 2 {
		t.Fatalf("first batch: %d rows, %v; want 2 rows", b.Rows, err)
	}
	if _, err := f.Next(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("second Next = %v, want the read error", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Batches say how far they got, in rows and lines, whatever the Reader buffered.
func TestFeedBatchLines(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		lines      []int64
	}{
		{"influx", strings.Repeat(lp0+"\n", 5), []int64{2, 4, 5}},
		{"timescaledb", iotHeader + strings.Repeat(tags0+"\n"+read0+"\n", 5), []int64{8, 12, 14}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.text), "f")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			opts := DefaultOptions()
			opts.BatchRows = 2
			f, err := NewFeed(r, opts)
			if err != nil {
				t.Fatal(err)
			}
			var lines []int64
			rows := 0
			for {
				b, err := f.Next(context.Background())
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				lines = append(lines, b.Line)
				rows += b.Rows
			}
			if !slices.Equal(lines, tt.lines) || rows != 5 {
				t.Errorf("batches end on lines %v with %d rows, want %v and 5", lines, rows, tt.lines)
			}
		})
	}
}
