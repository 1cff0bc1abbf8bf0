package senml

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

func TestDecodePlain(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	one := `{"id":"sensor:aq-18","t":"2026-11-27T09:00:00Z",
	         "metrics":{"pm25":12.5,"Temperature":{"v":70,"u":"degF"},"door":true,"status":"ok","mode":{"vs":"eco"},"fan":{"vb":false}},
	         "lat":60.17,"lon":24.94}`
	r, err := DecodePlain([]byte(one), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rejects) != 0 {
		t.Fatal(r.Rejects)
	}
	got, pos := flatten(t, r, "test")
	sameObs(t, got, []obs{
		{"sensor:aq-18", "temperature", t0, 21.11111111111111}, // metrics in byte order of their keys
		{"sensor:aq-18", "door", t0, 1},
		{"sensor:aq-18", "fan", t0, 0},
		{"sensor:aq-18", "pm25", t0, 12.5},
	})
	if len(pos) != 1 || pos[0] != (twin.Position{ID: "sensor:aq-18", T: t0.UnixNano(), Point: orb.Point{24.94, 60.17}}) {
		t.Errorf("positions = %v", pos)
	}
	if r.Units["temperature"] != "degF" {
		t.Errorf("units = %v", r.Units)
	}
	ps := r.Props["sensor:aq-18"]
	if v, _ := ps.Get("status"); v.String() != "ok" {
		t.Errorf("props = %v", ps)
	}
	if v, _ := ps.Get("mode"); v.String() != "eco" {
		t.Errorf("props = %v", ps)
	}
}

func TestDecodePlainForms(t *testing.T) {
	t0 := now.Add(-time.Hour)
	unix := strconv.FormatInt(t0.Unix(), 10)
	tests := []struct {
		name string
		data string
		want []obs
	}{
		{"default id, no time", `{"metrics":{"pm25":1}}`, []obs{{"sensor:aq-17", "pm25", now, 1}}},
		{"unix seconds", `{"t":` + unix + `,"metrics":{"pm25":1}}`, []obs{{"sensor:aq-17", "pm25", t0, 1}}},
		{"fractional seconds", `{"t":` + unix + `.25,"metrics":{"pm25":1}}`, []obs{{"sensor:aq-17", "pm25", t0.Add(250 * time.Millisecond), 1}}},
		{"unqualified id", `{"id":"aq-9","metrics":{"pm25":1}}`, []obs{{"sensor:aq-9", "pm25", now, 1}}},
		{"array", `[{"id":"a:1","metrics":{"x":1}},{"id":"a:2","metrics":{"x":2}}]`,
			[]obs{{"a:1", "x", now, 1}, {"a:2", "x", now, 2}}},
		{"ndjson", "{\"id\":\"a:1\",\"metrics\":{\"x\":1}}\n\n{\"id\":\"a:2\",\"metrics\":{\"x\":2}}\n[{\"id\":\"a:3\",\"metrics\":{\"x\":3}}]\n",
			[]obs{{"a:1", "x", now, 1}, {"a:2", "x", now, 2}, {"a:3", "x", now, 3}}},
		{"pretty single object", "{\n  \"id\": \"a:1\",\n  \"metrics\": {\"x\": 1}\n}\n", []obs{{"a:1", "x", now, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodePlain([]byte(tt.data), testOpts())
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Rejects) != 0 {
				t.Fatal(r.Rejects)
			}
			got, _ := flatten(t, r, "test")
			sameObs(t, got, tt.want)
		})
	}
}

func TestDecodePlainRejects(t *testing.T) {
	tests := []struct {
		name    string
		record  string
		keep    []obs    // what of the record is kept
		rejects []string // reasons, in order
	}{
		{"bad time string", `{"t":"yesterday","metrics":{"x":1}}`, nil, []string{"RFC 3339"}},
		{"bad time type", `{"t":true,"metrics":{"x":1}}`, nil, []string{"want an RFC 3339"}},
		{"future", `{"t":"2030-01-01T00:00:00Z","metrics":{"x":1}}`, nil, []string{"ahead of now"}},
		{"before 1970", `{"t":-5,"metrics":{"x":1}}`, nil, []string{"before 1970"}},
		{"ms by mistake", `{"t":1795770000000,"metrics":{"x":1}}`, nil, []string{"ahead of now"}},
		{"empty id", `{"id":"","metrics":{"x":1}}`, nil, []string{"id is empty"}},
		{"space in id", `{"id":"a b","metrics":{"x":1}}`, nil, []string{"space"}},
		{"no metrics", `{"id":"a:1"}`, nil, []string{"no metrics"}},
		{"lat type", `{"lat":"60","lon":24,"metrics":{"x":1}}`, nil, []string{"cannot unmarshal"}},
		{"one bad metric", `{"metrics":{"x":1,"y":null,"z":{"v":1,"u":"furlong"},"w":[1],"v":{"u":"Cel"},"u":1e999}}`,
			[]obs{{"sensor:aq-17", "x", now, 1}},
			[]string{"out of range", "no value", "array", "null", "unknown unit"}},
		{"bad metric name", `{"metrics":{"a:b":1,"c d":2,"ok":3}}`, []obs{{"sensor:aq-17", "ok", now, 3}}, []string{"metric name", "metric name"}},
		{"two values", `{"metrics":{"x":{"v":1,"vs":"a"}}}`, nil, []string{"more than one"}},
		{"lone lat", `{"lat":60,"metrics":{"x":1}}`, []obs{{"sensor:aq-17", "x", now, 1}}, []string{"lat without a lon"}},
		{"lat range", `{"lat":95,"lon":24,"metrics":{"x":1}}`, []obs{{"sensor:aq-17", "x", now, 1}}, []string{"out of range", "lon without a lat"}},
		{"not an object", `7`, nil, []string{"cannot unmarshal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := `[{"id":"g:1","metrics":{"x":1}},` + tt.record + `,{"id":"g:2","metrics":{"x":2}}]`
			r, err := DecodePlain([]byte(data), testOpts())
			if err != nil {
				t.Fatal(err)
			}
			got, _ := flatten(t, r, "test")
			want := append([]obs{{"g:1", "x", now, 1}}, tt.keep...)
			want = append(want, obs{"g:2", "x", now, 2})
			// ops are grouped by entity in order of appearance
			sameObs(t, got, want)
			if len(r.Rejects) != len(tt.rejects) {
				t.Fatalf("rejects = %v, want %q", r.Rejects, tt.rejects)
			}
			for i, rj := range r.Rejects {
				if rj.Index != 1 || !strings.Contains(rj.Reason, tt.rejects[i]) {
					t.Errorf("reject %d = %v, want record 1 with %q", i, rj, tt.rejects[i])
				}
			}
		})
	}
}

func TestDecodePlainErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		opts Options
		want error
	}{
		{"empty", "  \n", testOpts(), ErrNotPlain},
		{"number", `12`, testOpts(), ErrNotPlain},
		{"garbage", `{nope`, testOpts(), ErrNotJSON},
		{"broken array", `[{"metrics":{"x":1}}`, testOpts(), ErrNotJSON},
		{"too large", `{"metrics":{"x":1}}`, Options{Now: now, MaxBytes: 5}, ErrTooLarge},
		{"too many", `[{"id":"a:1","metrics":{"x":1}},{"id":"a:1","metrics":{"x":1}}]`, Options{Now: now, MaxRecords: 1}, ErrTooManyRecords},
		{"too many lines", "{\"id\":\"a:1\",\"metrics\":{\"x\":1}}\n{\"id\":\"a:1\",\"metrics\":{\"x\":1}}", Options{Now: now, MaxRecords: 1}, ErrTooManyRecords},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodePlain([]byte(tt.data), tt.opts); !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecodePlainNoEntity(t *testing.T) {
	r, err := DecodePlain([]byte(`{"metrics":{"x":1}}`), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Ops) != 0 || len(r.Rejects) != 1 || !strings.Contains(r.Rejects[0].Reason, "no id") {
		t.Errorf("result = %+v", r)
	}
}
