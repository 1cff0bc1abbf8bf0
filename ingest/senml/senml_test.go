package senml

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func testOpts() Options {
	return Options{Entity: "sensor:aq-17", Source: "test", Now: now}
}

// obs is an observation written compactly for comparisons.
type obs struct {
	id, metric string
	t          time.Time
	v          float64
}

func (o obs) String() string {
	return fmt.Sprintf("%s %s %s %.6g", o.id, o.metric, o.t.UTC().Format(time.RFC3339Nano), o.v)
}

// flatten lists the observations and positions of ops, and checks that every op
// is valid and carries the source.
func flatten(tb testing.TB, r Result, source string) (os []obs, ps []twin.Position) {
	tb.Helper()
	for i := range r.Ops {
		op := &r.Ops[i]
		if err := op.Validate(); err != nil {
			tb.Fatalf("op %d does not validate: %v", i, err)
		}
		if op.Source != source {
			tb.Fatalf("op %d source %q, want %q", i, op.Source, source)
		}
		for _, o := range op.Observations {
			os = append(os, obs{string(o.ID), o.Metric, time.Unix(0, o.T), o.V})
		}
		ps = append(ps, op.Positions...)
	}
	return os, ps
}

func sameObs(tb testing.TB, got, want []obs) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d observations %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.id != w.id || g.metric != w.metric || !g.t.Equal(w.t) || math.Abs(g.v-w.v) > 1e-9*math.Max(1, math.Abs(w.v)) {
			tb.Errorf("observation %d = %v, want %v", i, g, w)
		}
	}
}

func sec(f float64) time.Time {
	s := math.Floor(f)
	return time.Unix(int64(s), int64(math.Round((f-s)*1e9))).UTC()
}

func TestDecodeRFCExamples(t *testing.T) {
	const dev = "urn:dev:ow:10e2073a01080063"
	tests := []struct {
		name    string
		pack    string
		want    []obs
		pos     []twin.Position
		rejects int
	}{
		{
			name: "5.1.2 multiple datapoints",
			pack: `[{"bn":"urn:dev:ow:10e2073a01080063:","n":"voltage","u":"V","v":120.1},
			        {"n":"current","u":"A","v":1.2}]`,
			want: []obs{{dev, "voltage", now, 120.1}, {dev, "current", now, 1.2}},
		},
		{
			name: "5.1.3 multiple measurements",
			pack: `[{"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},
			        {"n":"current","t":-5,"v":1.2},{"n":"current","t":-4,"v":1.3},{"n":"current","t":-3,"v":1.4},
			        {"n":"current","t":-2,"v":1.5},{"n":"current","t":-1,"v":1.6},{"n":"current","v":1.7}]`,
			want: []obs{
				{"urn:dev:ow:10e2073a0108006", "voltage", sec(1.276020076001e+09), 120.1},
				{"urn:dev:ow:10e2073a0108006", "current", sec(1.276020071001e+09), 1.2},
				{"urn:dev:ow:10e2073a0108006", "current", sec(1.276020072001e+09), 1.3},
				{"urn:dev:ow:10e2073a0108006", "current", sec(1.276020073001e+09), 1.4},
				{"urn:dev:ow:10e2073a0108006", "current", sec(1.276020074001e+09), 1.5},
				{"urn:dev:ow:10e2073a0108006", "current", sec(1.276020075001e+09), 1.6},
				{"urn:dev:ow:10e2073a0108006", "current", sec(1.276020076001e+09), 1.7},
			},
		},
		{
			name: "5.1.4 resolved data",
			pack: `[{"n":"urn:dev:ow:10e2073a01080063:voltage","u":"V","v":120.1,"t":1.320078429e+09},
			        {"n":"urn:dev:ow:10e2073a01080063:current","u":"A","v":1.2,"t":1.320078429e+09}]`,
			want: []obs{{dev, "voltage", sec(1.320078429e+09), 120.1}, {dev, "current", sec(1.320078429e+09), 1.2}},
		},
		{
			name: "5.1.5 multiple data types, location by unit",
			pack: `[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1.320067464e+09,"bu":"%RH","v":20},
			        {"u":"lon","v":24.30621},{"u":"lat","v":60.07965},
			        {"t":60,"v":20.3},{"u":"lon","t":60,"v":24.30622},{"u":"lat","t":60,"v":60.07965},
			        {"u":"%EL","t":150,"v":98}]`,
			want: []obs{
				{dev, "relative_humidity", sec(1.320067464e+09), 20},
				{dev, "relative_humidity", sec(1.320067524e+09), 20.3},
				{dev, "battery", sec(1.320067614e+09), 98},
			},
			pos: []twin.Position{
				{ID: dev, T: sec(1.320067464e+09).UnixNano(), Point: orb.Point{24.30621, 60.07965}},
				{ID: dev, T: sec(1.320067524e+09).UnixNano(), Point: orb.Point{24.30622, 60.07965}},
			},
		},
		{
			name: "5.1.6 collection of resources",
			pack: `[{"bn":"urn:dev:ow:10e2073a01080063:","n":"temp","u":"Cel","v":23.1},
			        {"n":"label","vs":"Machine Room"},{"n":"open","vb":false},{"n":"nfc-reader","vd":"aGkgCg"}]`,
			want: []obs{{dev, "temp", now, 23.1}, {dev, "open", now, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Decode([]byte(tt.pack), testOpts())
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Rejects) != tt.rejects {
				t.Errorf("rejects = %v, want %d", r.Rejects, tt.rejects)
			}
			got, pos := flatten(t, r, "test")
			sameObs(t, got, tt.want)
			if len(pos) != len(tt.pos) {
				t.Fatalf("positions = %v, want %v", pos, tt.pos)
			}
			for i := range pos {
				if pos[i] != tt.pos[i] {
					t.Errorf("position %d = %v, want %v", i, pos[i], tt.pos[i])
				}
			}
		})
	}
}

func TestDecodeProps(t *testing.T) {
	r, err := Decode([]byte(`[{"bn":"urn:dev:ow:10e2073a01080063:","n":"label","vs":"Machine Room"},{"n":"nfc-reader","vd":"aGkgCg"},{"n":"label","vs":"Boiler Room"}]`), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	ps := r.Props["urn:dev:ow:10e2073a01080063"]
	if err := ps.Validate(); err != nil {
		t.Fatal(err)
	}
	if v, _ := ps.Get("label"); v.String() != "Boiler Room" {
		t.Errorf("label = %v, want the later value", v)
	}
	if v, _ := ps.Get("nfc-reader"); v.String() != "aGkgCg" {
		t.Errorf("nfc-reader = %v", v)
	}
	if len(r.Ops) != 0 {
		t.Errorf("string values made ops: %v", r.Ops)
	}
}

func TestDecodeUnitsAndNames(t *testing.T) {
	r, err := Decode([]byte(`[
		{"n":"Temperature","u":"degF","v":212},
		{"n":"wind","u":"km/h","v":36},
		{"n":"pressure","u":"hPa","v":1013.25},
		{"n":"aq-18:PM25","u":"µg/m³","v":7},
		{"n":"osm:way/123:co2","u":"ppb","v":400},
		{"n":"3303/0/5700","v":1},
		{"n":"rain","u":"mm","s":2.5},
		{"bv":100,"n":"level","v":5},
		{"n":"door","vb":true}
	]`), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rejects) != 0 {
		t.Fatalf("rejects: %v", r.Rejects)
	}
	got, _ := flatten(t, r, "test")
	sameObs(t, got, []obs{
		{"sensor:aq-17", "temperature", now, 100},
		{"sensor:aq-17", "wind", now, 10},
		{"sensor:aq-17", "pressure", now, 101325},
		{"sensor:aq-17", "3303/0/5700", now, 1},
		{"sensor:aq-17", "rain_sum", now, 0.0025},
		{"sensor:aq-17", "level", now, 105},
		{"sensor:aq-17", "door", now, 1},
		{"sensor:aq-18", "pm25", now, 7},
		{"osm:way/123", "co2", now, 0.4},
	})
	want := map[string]string{"temperature": "degF", "wind": "km/h", "pressure": "hPa", "pm25": "µg/m³", "co2": "ppb", "rain_sum": "mm"}
	for m, u := range want {
		if r.Units[m] != u {
			t.Errorf("Units[%s] = %q, want %q", m, r.Units[m], u)
		}
	}
	if _, ok := r.Units["door"]; ok {
		t.Error("a metric without a unit has a unit")
	}
}

func TestDecodeIDPrefix(t *testing.T) {
	o := Options{Now: now, IDPrefix: "lora:"}
	r, err := Decode([]byte(`[{"n":"node-3:temp","v":1},{"n":"temp","v":2}]`), o)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := flatten(t, r, "")
	sameObs(t, got, []obs{{"lora:node-3", "temp", now, 1}})
	if len(r.Rejects) != 1 || r.Rejects[0].Index != 1 || !strings.Contains(r.Rejects[0].Reason, "no default entity") {
		t.Errorf("rejects = %v, want record 1 without an entity", r.Rejects)
	}
}

func TestDecodeTimes(t *testing.T) {
	abs := float64(now.Unix()) - 3600
	pack := fmt.Sprintf(`[
		{"n":"a","v":1},
		{"n":"a","t":-60,"v":2},
		{"n":"a","t":%v,"v":3},
		{"bt":%v,"n":"a","t":30.5,"v":4},
		{"bt":0,"n":"a","t":60,"v":5}
	]`, abs, abs)
	r, err := Decode([]byte(pack), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := flatten(t, r, "test")
	sameObs(t, got, []obs{
		{"sensor:aq-17", "a", now, 1},
		{"sensor:aq-17", "a", now.Add(-time.Minute), 2},
		{"sensor:aq-17", "a", now.Add(-time.Hour), 3},
		{"sensor:aq-17", "a", now.Add(-time.Hour + 30500*time.Millisecond), 4},
		{"sensor:aq-17", "a", now.Add(time.Minute), 5},
	})
}

func TestDecodeRejects(t *testing.T) {
	future := float64(now.Add(25 * time.Hour).Unix())
	tests := []struct {
		name   string
		record string
		reason string
	}{
		{"no name", `{"v":1,"bn":""}`, "no name"},
		{"bad name", `{"n":"temp erature","v":1}`, "characters"},
		{"leading dash", `{"n":"-temp","v":1}`, "characters"},
		{"unknown unit", `{"n":"temp","u":"furlong","v":1}`, "unknown unit"},
		{"no value", `{"n":"temp","u":"Cel"}`, "no value"},
		{"two values", `{"n":"temp","v":1,"vs":"x"}`, "more than one"},
		{"overflow", `{"n":"temp","v":1e400}`, "1e400"},
		{"overflow after bv", `{"n":"temp","bv":1.7e308,"v":1.7e308}`, "not finite"},
		{"overflow after conversion", `{"n":"e","u":"MWh","v":1e306}`, "not finite"},
		{"far future", fmt.Sprintf(`{"n":"temp","t":%v,"v":1}`, future), "ahead of now"},
		{"future relative", `{"n":"temp","t":100000,"v":1}`, "ahead of now"},
		{"before 1970", `{"n":"temp","bt":-3e9,"t":-1,"v":1}`, "before 1970"},
		{"huge time", `{"n":"temp","t":1e300,"v":1}`, "ahead of now"},
		{"string time", `{"n":"temp","t":"now","v":1}`, "cannot unmarshal"},
		{"wrong type", `{"n":"temp","v":"1"}`, "cannot unmarshal"},
		{"not an object", `42`, "cannot unmarshal"},
		{"version", `{"bver":11,"n":"temp","v":1}`, "version"},
		{"lat out of range", `{"n":"lat","v":91}`, "out of range"},
		{"lon unit", `{"n":"lon","u":"m","v":24}`, "want degrees"},
		{"lat as string", `{"n":"lat","vs":"60"}`, "numeric"},
		{"lone lat", `{"n":"lat","v":60}`, "lat without a lon"},
		{"long sum metric", `{"n":"` + strings.Repeat("m", 125) + `","s":1}`, "longer than 128"},
		{"long metric", `{"n":"` + strings.Repeat("m", 129) + `","v":1}`, "longer than 128"},
		{"long id", `{"n":"` + strings.Repeat("e", twin.MaxIDLen) + `:m","v":1}`, "longer than"},
		{"no metric, no unit", `{"bn":"dev:x:","v":1}`, "no unit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The last record resets the base fields the bad one may have set.
			pack := `[{"n":"good","v":1},` + tt.record + `,{"bn":"","bt":0,"bv":0,"bver":10,"n":"good","v":2}]`
			r, err := Decode([]byte(pack), testOpts())
			if err != nil {
				t.Fatal(err)
			}
			got, _ := flatten(t, r, "test")
			sameObs(t, got, []obs{{"sensor:aq-17", "good", now, 1}, {"sensor:aq-17", "good", now, 2}})
			if len(r.Rejects) != 1 {
				t.Fatalf("rejects = %v, want one", r.Rejects)
			}
			rj := r.Rejects[0]
			if rj.Index != 1 || !strings.Contains(rj.Reason, tt.reason) {
				t.Errorf("reject = %v, want record 1 with %q", rj, tt.reason)
			}
			if r.Records != 3 {
				t.Errorf("Records = %d, want 3", r.Records)
			}
		})
	}
}

// A record with a value and a sum is all or nothing.
func TestDecodeRejectAddsNothing(t *testing.T) {
	r, err := Decode([]byte(`[{"n":"x","u":"MWh","v":1,"s":1e306}]`), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Ops) != 0 || len(r.Rejects) != 1 || len(r.Units) != 0 {
		t.Errorf("ops %v, rejects %v, units %v: want the record rejected whole", r.Ops, r.Rejects, r.Units)
	}
}

func TestDecodePositions(t *testing.T) {
	r, err := Decode([]byte(`[
		{"bn":"gtfs:vehicle/7:","n":"lat","t":-10,"v":60.1},
		{"n":"lon","t":-10,"v":24.9},
		{"n":"speed","t":-10,"u":"km/h","v":36},
		{"n":"lon","t":-20,"u":"lon","v":24.8},
		{"n":"latitude","t":-20,"u":"deg","v":60.0},
		{"n":"alt","t":-20,"u":"ft","v":100}
	]`), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rejects) != 0 {
		t.Fatal(r.Rejects)
	}
	if len(r.Ops) != 2 || r.Ops[0].Type != twin.OpMove || r.Ops[1].Type != twin.OpObserve {
		t.Fatalf("ops = %v, want a move then an observe", r.Ops)
	}
	want := []twin.Position{
		{ID: "gtfs:vehicle/7", T: now.Add(-20 * time.Second).UnixNano(), Point: orb.Point{24.8, 60.0}},
		{ID: "gtfs:vehicle/7", T: now.Add(-10 * time.Second).UnixNano(), Point: orb.Point{24.9, 60.1}},
	}
	for i, p := range r.Ops[0].Positions {
		if p != want[i] {
			t.Errorf("position %d = %v, want %v", i, p, want[i])
		}
	}
	got, _ := flatten(t, r, "test")
	sameObs(t, got, []obs{
		{"gtfs:vehicle/7", "speed", now.Add(-10 * time.Second), 10},
		{"gtfs:vehicle/7", "alt", now.Add(-20 * time.Second), 30.48},
	})
}

func TestDecodePayloadErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		opts Options
		want error
	}{
		{"empty", ``, testOpts(), ErrNotJSON},
		{"not json", `hello`, testOpts(), ErrNotJSON},
		{"truncated", `[{"n":"a","v":1},{"n":`, testOpts(), ErrNotJSON},
		{"object", `{"n":"a","v":1}`, testOpts(), ErrNotPack},
		{"number", `12`, testOpts(), ErrNotPack},
		{"trailing", `[{"n":"a","v":1}] [1]`, testOpts(), ErrNotJSON},
		{"trailing garbage", `[{"n":"a","v":1}] x`, testOpts(), ErrNotJSON},
		{"must understand", `[{"n":"a","v":1,"crit_" : 1}]`, testOpts(), ErrMustUnderstand},
		{"too large", `[{"n":"a","v":1}]`, Options{Entity: "e:1", Now: now, MaxBytes: 10}, ErrTooLarge},
		{"too many", `[{"n":"a","v":1},{"n":"a","v":2},{"n":"a","v":3}]`, Options{Entity: "e:1", Now: now, MaxRecords: 2}, ErrTooManyRecords},
		{"bad options", `[]`, Options{MaxBytes: -1}, ErrBadOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.data), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Errorf("Decode error = %v, want %v", err, tt.want)
			}
		})
	}
}

// An underscore at the end of a value or inside a key is not a must-understand
// field.
func TestMustUnderstandOnlyKeys(t *testing.T) {
	r, err := Decode([]byte(`[{"n":"a_b","vs":"x_","v_x":3},{"n":"c","vs":"_\":"}]`), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rejects) != 0 {
		t.Error(r.Rejects)
	}
	_, err = Decode([]byte(`[{"n":"a","v":1,"bx_":{"y":1}}]`), testOpts())
	if !errors.Is(err, ErrMustUnderstand) || !strings.Contains(err.Error(), `"bx_"`) {
		t.Errorf("error = %v, want ErrMustUnderstand naming bx_", err)
	}
}

func TestDecodeEmptyPack(t *testing.T) {
	r, err := Decode([]byte(` [ ] `), testOpts())
	if err != nil || len(r.Ops) != 0 || len(r.Rejects) != 0 {
		t.Errorf("Decode([]) = %+v, %v", r, err)
	}
}

func TestDecodeNDJSON(t *testing.T) {
	data := strings.Join([]string{
		`[{"bn":"sensor:aq-1:","n":"pm25","v":1},{"n":"pm10","v":2}]`,
		``,
		`{"n":"pm25","v":3}`,
		`not json`,
		`[{"n":"pm10","v":4},{"n":"x","u":"furlong","v":1}]`,
		`{"n":"pm25","v":5,"x_":1}`,
		`"a string"`,
	}, "\n")
	r, err := DecodeNDJSON([]byte(data), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := flatten(t, r, "test")
	// Base fields do not carry over: line 3 is the default entity.
	sameObs(t, got, []obs{
		{"sensor:aq-1", "pm25", now, 1}, {"sensor:aq-1", "pm10", now, 2},
		{"sensor:aq-17", "pm25", now, 3}, {"sensor:aq-17", "pm10", now, 4},
	})
	want := []Reject{
		{Index: -1, Line: 4},
		{Index: 4, Line: 5, Name: "x"},
		{Index: -1, Line: 6},
		{Index: -1, Line: 7},
	}
	if len(r.Rejects) != len(want) {
		t.Fatalf("rejects = %v, want %v", r.Rejects, want)
	}
	for i, w := range want {
		g := r.Rejects[i]
		if g.Index != w.Index || g.Line != w.Line || g.Name != w.Name {
			t.Errorf("reject %d = %v, want %v", i, g, w)
		}
	}
	if _, err := DecodeNDJSON([]byte("x\ny\n"), testOpts()); !errors.Is(err, ErrNotJSON) {
		t.Errorf("all-garbage NDJSON error = %v, want ErrNotJSON", err)
	}
	many := strings.Repeat(`{"n":"a","v":1}`+"\n", 5)
	if _, err := DecodeNDJSON([]byte(many), Options{Entity: "e:1", Now: now, MaxRecords: 4}); !errors.Is(err, ErrTooManyRecords) {
		t.Errorf("error = %v, want ErrTooManyRecords", err)
	}
}

func TestRejectString(t *testing.T) {
	for _, tt := range []struct {
		r    Reject
		want string
	}{
		{Reject{Index: 2, Name: "temp", Reason: "bad"}, "record 2 (temp): bad"},
		{Reject{Index: 2, Line: 3, Reason: "bad"}, "line 3 record 2: bad"},
		{Reject{Index: -1, Line: 3, Reason: "not JSON"}, "line 3: not JSON"},
	} {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestDefaultOptions(t *testing.T) {
	o := DefaultOptions()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.MaxBytes != 1<<20 || o.MaxRecords != 10_000 || o.MaxFuture != 24*time.Hour {
		t.Errorf("defaults = %+v", o)
	}
	o.Entity = "sensor:aq-1"
	// Now defaults to the time of the call.
	before := time.Now()
	r, err := Decode([]byte(`[{"n":"pm25","v":1}]`), o)
	if err != nil {
		t.Fatal(err)
	}
	if ts := time.Unix(0, r.Ops[0].Observations[0].T); ts.Before(before) || ts.After(time.Now()) {
		t.Errorf("time %v is not now", ts)
	}
	if err := (Options{Entity: twin.ID(strings.Repeat("x", twin.MaxIDLen+1))}).Validate(); !errors.Is(err, ErrBadOptions) {
		t.Errorf("long entity: %v", err)
	}
}

// An NDJSON line that is one record of the wrong shape is rejected as that record.
func TestDecodeNDJSONRecordTypes(t *testing.T) {
	r, err := DecodeNDJSON([]byte("{\"n\":\"a\",\"v\":\"x\"}\n{\"n\":\"a\",\"v\":2}\n"), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := flatten(t, r, "test")
	sameObs(t, got, []obs{{"sensor:aq-17", "a", now, 2}})
	if len(r.Rejects) != 1 || r.Rejects[0].Index != 0 || r.Rejects[0].Line != 1 {
		t.Errorf("rejects = %v", r.Rejects)
	}
}
