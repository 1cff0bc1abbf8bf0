package web

import (
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"testing"

	"citytwin/render"
	"citytwin/twin/series"
)

// format=binary holds the same cells, values and counts as the JSON answer,
// in render's layout.
func TestH3Binary(t *testing.T) {
	rf := newRESTFixture(t)
	cells := 0
	for _, q := range []string{"res=8&metric=pm25", "res=9&metric=pm25&agg=max", "res=7&metric=pm25&agg=sum&from=2020-01-01T00:00:00Z", "res=8&metric=nothing"} {
		js := rf.get(t, "/api/v1/h3?"+q)
		bin := rf.get(t, "/api/v1/h3?"+q+"&format=binary")
		if js.status != 200 || bin.status != 200 || bin.header.Get("Content-Type") != ContentTypeH3Layer {
			t.Fatalf("%s: %d, binary %d %s %s", q, js.status, bin.status, bin.header.Get("Content-Type"), bin.body)
		}
		if explicit := rf.get(t, "/api/v1/h3?"+q+"&format=json"); string(explicit.body) != string(js.body) {
			t.Errorf("%s: format=json differs from the default", q)
		}
		var want []struct {
			Cell  string   `json:"cell"`
			Value *float64 `json:"value"`
			Count int      `json:"count"`
		}
		if err := json.Unmarshal(js.body, &want); err != nil {
			t.Fatal(err)
		}
		l, err := render.DecodeH3Layer(bin.body)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		v, _ := url.ParseQuery(q)
		if l.Metric != v.Get("metric") || strconv.Itoa(l.Res) != v.Get("res") {
			t.Errorf("%s: header %+v", q, l)
		}
		agg := series.Avg
		if a := v.Get("agg"); a != "" {
			agg, _ = series.ParseAgg(a)
		}
		if l.Agg != agg || l.Windowed != v.Has("from") {
			t.Errorf("%s: agg %v windowed %v", q, l.Agg, l.Windowed)
		}
		if len(l.Cells) != len(want) {
			t.Fatalf("%s: %d cells, JSON %d", q, len(l.Cells), len(want))
		}
		cells += len(l.Cells)
		for i, c := range l.Cells {
			w := want[i]
			if strconv.FormatUint(uint64(c.Cell), 16) != w.Cell || c.Count != w.Count {
				t.Errorf("%s: cell %d: %x %d, want %s %d", q, i, uint64(c.Cell), c.Count, w.Cell, w.Count)
			}
			if w.Value == nil && !math.IsNaN(c.Value) || w.Value != nil && c.Value != float64(float32(*w.Value)) {
				t.Errorf("%s: cell %d: value %v, want %v", q, i, c.Value, w.Value)
			}
		}
	}
	if cells == 0 {
		t.Fatal("no cells to compare")
	}
	wantProblem(t, rf.get(t, "/api/v1/h3?res=8&metric=pm25&format=csv"), 400, "format")
	wantProblem(t, rf.get(t, "/api/v1/h3?res=8&metric=pm25&format=binary&format=json"), 400, "format")
}
