package web

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

func TestRESTSeries(t *testing.T) {
	rf := newRESTFixture(t)
	obs := rf.obs["sensor:aq-2"]
	type points struct {
		Entity string  `json:"entity"`
		Metric string  `json:"metric"`
		Points [][]any `json:"points"`
		T      []int64 `json:"t"`
		V      []float64
		Next   string `json:"next"`
	}
	decode := func(target string) points {
		t.Helper()
		r := rf.get(t, target)
		var p points
		if err := json.Unmarshal(r.body, &p); err != nil || r.status != 200 {
			t.Fatalf("%s: %d %s", target, r.status, r.body)
		}
		return p
	}
	base := "/api/v1/entities/sensor:aq-2/series/pm25"
	check := func(name string, p points, want []twin.Observation) {
		t.Helper()
		if len(p.Points) != len(want) {
			t.Fatalf("%s: %d points, want %d", name, len(p.Points), len(want))
		}
		for i, o := range want {
			if p.Points[i][0] != rfc(time.Unix(0, o.T)) || p.Points[i][1] != o.V {
				t.Errorf("%s: point %d = %v, want %s %v", name, i, p.Points[i], rfc(time.Unix(0, o.T)), o.V)
			}
		}
	}
	p := decode(base)
	if p.Entity != "sensor:aq-2" || p.Metric != "pm25" {
		t.Errorf("head %+v", p)
	}
	check("all", p, obs)
	check("range", decode(base+"?from="+rfc(t0.Add(20*time.Minute))+"&to="+rfc(t0.Add(50*time.Minute))), obs[2:5])
	check("last", decode(base+"?last=3"), obs[9:])
	check("last before", decode(base+"?last=2&before="+rfc(t0.Add(30*time.Minute))), obs[1:3])
	check("as of", decode(base+"?at="+rfc(t0.Add(30*time.Minute))), obs[:4])
	check("last as of", decode(base+"?last=2&at="+rfc(t0.Add(30*time.Minute))), obs[2:4])
	// Paging a long range by limit.
	var got []twin.Observation
	for target := base + "?limit=5"; target != ""; {
		p := decode(target)
		for _, pt := range p.Points {
			ts, _ := time.Parse(time.RFC3339Nano, pt[0].(string))
			got = append(got, twin.Observation{ID: "sensor:aq-2", Metric: "pm25", T: ts.UnixNano(), V: pt[1].(float64)})
		}
		target = ""
		if p.Next != "" {
			target = p.Next[len("http://"+hostOf(rf.base)):]
		}
	}
	if !slices.Equal(got, obs) {
		t.Errorf("paged %v\nwant %v", got, obs)
	}
	c := decode(base + "?format=columns&last=2")
	if !slices.Equal(c.T, []int64{obs[10].T / 1e6, obs[11].T / 1e6}) || !slices.Equal(c.V, []float64{obs[10].V, obs[11].V}) || c.Points != nil {
		t.Errorf("columns %+v", c)
	}
	wantProblem(t, rf.get(t, "/api/v1/entities/sensor:aq-2/series/no2"), 404, "")
	wantProblem(t, rf.get(t, "/api/v1/entities/nope/series/pm25"), 404, "")
	wantProblem(t, rf.get(t, base+"?last=2&from="+rfc(t0)), 400, "last")
	wantProblem(t, rf.get(t, base+"?before="+rfc(t0)), 400, "before")
	wantProblem(t, rf.get(t, base+"?from="+rfc(t1)+"&to="+rfc(t0)), 400, "to")
	wantProblem(t, rf.get(t, base+"?format=csv"), 400, "format")
	wantProblem(t, rf.get(t, base+"?last=0"), 400, "last")
}

// latestAt is the oracle: the newest reading of each sensor at or before at.
func (rf *restFixture) latestAt(at time.Time) map[twin.ID]twin.Observation {
	out := map[twin.ID]twin.Observation{}
	for id, obs := range rf.obs {
		for _, o := range obs {
			if o.T <= at.UnixNano() {
				out[id] = o
			}
		}
	}
	return out
}

func TestRESTLatest(t *testing.T) {
	rf := newRESTFixture(t)
	type values struct {
		Metric         string `json:"metric"`
		NumberReturned int    `json:"numberReturned"`
		Values         []struct {
			ID string  `json:"id"`
			T  string  `json:"t"`
			V  float64 `json:"v"`
		} `json:"values"`
	}
	box := orb.Bound{Min: orb.Point{13.399, 52.4999}, Max: orb.Point{13.431, 52.5095}}
	for _, at := range []time.Time{{}, t0.Add(25 * time.Minute), t0.Add(-time.Minute)} {
		target := "/api/v1/latest?metric=pm25&kind=sensor&bbox=13.399,52.4999,13.431,52.5095"
		oracleAt := tNow
		if !at.IsZero() {
			target += "&at=" + rfc(at)
			oracleAt = at
		}
		want := rf.latestAt(oracleAt)
		for id := range want {
			if !geo.Intersects(rf.live(t, id).Geometry, box) {
				delete(want, id)
			}
		}
		r := rf.get(t, target)
		var v values
		if err := json.Unmarshal(r.body, &v); err != nil || r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if v.NumberReturned != len(want) || len(v.Values) != len(want) {
			t.Fatalf("at %v: %d values, want %d: %s", at, len(v.Values), len(want), r.body)
		}
		for _, x := range v.Values {
			o := want[twin.ID(x.ID)]
			if x.T != rfc(time.Unix(0, o.T)) || x.V != o.V {
				t.Errorf("%s: %s %v, want %v", x.ID, x.T, x.V, o)
			}
		}
	}
	r := rf.get(t, "/api/v1/latest?metric=pm25&id=sensor:aq-1&format=columns")
	if want := `{"metric":"pm25","numberReturned":1,"id":["sensor:aq-1"],"t":[` + strconv.FormatInt(t0.Add(110*time.Minute).UnixMilli(), 10) + `],"v":[21]}` + "\n"; string(r.body) != want {
		t.Errorf("columns %s, want %s", r.body, want)
	}
	wantProblem(t, rf.get(t, "/api/v1/latest?kind=sensor"), 400, "metric")
	wantProblem(t, rf.get(t, "/api/v1/latest?metric=pm25&format=csv"), 400, "format")
}

func TestRESTAggregate(t *testing.T) {
	rf := newRESTFixture(t)
	type result struct {
		By     string `json:"by"`
		Values []struct {
			ID    string  `json:"id"`
			T     string  `json:"t"`
			Value float64 `json:"value"`
			Count int     `json:"count"`
		} `json:"values"`
	}
	from, to := t0.Add(15*time.Minute), t0.Add(75*time.Minute)
	window := func(o twin.Observation) bool { return o.T >= from.UnixNano() && o.T < to.UnixNano() }
	// Per entity: avg and max of each sensor's readings in the window.
	for _, agg := range []string{"avg", "max", "count", "p50"} {
		r := rf.get(t, "/api/v1/aggregate?metric=pm25&kind=sensor&by=entity&agg="+agg+"&from="+rfc(from)+"&to="+rfc(to))
		var res result
		if err := json.Unmarshal(r.body, &res); err != nil || r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if len(res.Values) != len(rf.obs) {
			t.Fatalf("%s: %d entities, want %d", agg, len(res.Values), len(rf.obs))
		}
		for _, x := range res.Values {
			var vs []float64
			for _, o := range rf.obs[twin.ID(x.ID)] {
				if window(o) {
					vs = append(vs, o.V)
				}
			}
			want := oracleAgg(agg, vs)
			if math.Abs(x.Value-want) > 1e-9 || x.Count != len(vs) {
				t.Errorf("%s %s: %v (%d), want %v (%d)", agg, x.ID, x.Value, x.Count, want, len(vs))
			}
		}
	}
	// Per 30-minute bucket over all sensors.
	r := rf.get(t, "/api/v1/aggregate?metric=pm25&by=time&step=30m&agg=sum&from="+rfc(from)+"&to="+rfc(to))
	var res result
	if err := json.Unmarshal(r.body, &res); err != nil || r.status != 200 || res.By != "time" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	buckets := map[string]float64{}
	for _, obs := range rf.obs {
		for _, o := range obs {
			if window(o) {
				start := o.T - o.T%int64(30*time.Minute)
				buckets[rfc(time.Unix(0, start))] += o.V
			}
		}
	}
	if len(res.Values) != len(buckets) {
		t.Fatalf("%d buckets, want %d", len(res.Values), len(buckets))
	}
	for _, x := range res.Values {
		if math.Abs(x.Value-buckets[x.T]) > 1e-9 {
			t.Errorf("bucket %s: %v, want %v", x.T, x.Value, buckets[x.T])
		}
	}
	wantProblem(t, rf.get(t, "/api/v1/aggregate?metric=pm25&by=time"), 400, "step")
	wantProblem(t, rf.get(t, "/api/v1/aggregate?metric=pm25&step=1h"), 400, "step")
	wantProblem(t, rf.get(t, "/api/v1/aggregate?metric=pm25&agg=mean"), 400, "agg")
	wantProblem(t, rf.get(t, "/api/v1/aggregate?metric=pm25&by=cell"), 400, "by")
}

// oracleAgg computes an aggregate by hand; percentiles by nearest rank.
func oracleAgg(agg string, vs []float64) float64 {
	s := slices.Clone(vs)
	sort.Float64s(s)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	switch agg {
	case "avg":
		return sum / float64(len(s))
	case "sum":
		return sum
	case "count":
		return float64(len(s))
	case "min":
		return s[0]
	case "max":
		return s[len(s)-1]
	case "p50":
		return s[int(math.Ceil(0.5*float64(len(s))))-1]
	case "p95":
		return s[int(math.Ceil(0.95*float64(len(s))))-1]
	}
	panic(agg)
}

func TestRESTH3(t *testing.T) {
	rf := newRESTFixture(t)
	type cell struct {
		Cell  string  `json:"cell"`
		Value float64 `json:"value"`
		Count int     `json:"count"`
	}
	for _, tc := range []struct {
		res      int
		agg, win string
		at       time.Time
	}{
		{8, "avg", "", time.Time{}}, {9, "max", "", time.Time{}}, {7, "count", "", time.Time{}}, {8, "p95", "", time.Time{}},
		{9, "avg", "", t0.Add(25 * time.Minute)},
		{8, "avg", "window", time.Time{}}, {9, "sum", "window", time.Time{}}, {8, "min", "window", time.Time{}}, {8, "count", "window", time.Time{}},
	} {
		t.Run(fmt.Sprintf("res%d %s %s %v", tc.res, tc.agg, tc.win, tc.at.IsZero()), func(t *testing.T) {
			target := fmt.Sprintf("/api/v1/h3?res=%d&metric=pm25&agg=%s&kind=sensor", tc.res, tc.agg)
			oracleAt := tNow
			if !tc.at.IsZero() {
				target += "&at=" + rfc(tc.at)
				oracleAt = tc.at
			}
			from, to := t0.Add(15*time.Minute), t0.Add(75*time.Minute)
			if tc.win != "" {
				target += "&from=" + rfc(from) + "&to=" + rfc(to)
			}
			// Brute force: the cell of each sensor's point, then the aggregate by
			// hand. The twin counts a point in the ancestors of its finest cell,
			// which near an edge is not always the cell at res that holds it (H3
			// cells do not nest exactly).
			byCell := map[h3.Cell][]float64{}
			entities := map[h3.Cell]int{}
			for id, obs := range rf.obs {
				c := pointCell(rf.live(t, id).Geometry.(orb.Point), tc.res)
				var vs []float64
				for _, o := range obs {
					if tc.win == "" && o.T <= oracleAt.UnixNano() {
						vs = []float64{o.V} // the newest
					}
					if tc.win != "" && o.T >= from.UnixNano() && o.T < to.UnixNano() {
						vs = append(vs, o.V)
					}
				}
				if len(vs) > 0 {
					byCell[c] = append(byCell[c], vs...)
					entities[c]++
				}
			}
			r := rf.get(t, target)
			var got []cell
			if err := json.Unmarshal(r.body, &got); err != nil || r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if len(got) != len(byCell) {
				t.Fatalf("%d cells, want %d: %s", len(got), len(byCell), r.body)
			}
			for i, g := range got {
				c := h3.Cell(h3.IndexFromString(g.Cell))
				want := byCell[c]
				if want == nil {
					t.Fatalf("cell %s has no sensor", g.Cell)
				}
				wantV := oracleAgg(tc.agg, want)
				if math.Abs(g.Value-wantV) > 1e-9 || g.Count != entities[c] {
					t.Errorf("cell %s: %v (%d), want %v (%d)", g.Cell, g.Value, g.Count, wantV, entities[c])
				}
				if i > 0 && h3.Cell(h3.IndexFromString(got[i-1].Cell)) >= c {
					t.Errorf("cells not sorted")
				}
			}
		})
	}
	wantProblem(t, rf.get(t, "/api/v1/h3?metric=pm25"), 400, "res")
	wantProblem(t, rf.get(t, "/api/v1/h3?res=16&metric=pm25"), 400, "res")
	wantProblem(t, rf.get(t, "/api/v1/h3?res=8&metric=pm25&agg=p50&from="+rfc(t0)), 400, "agg")

	// Cells covering a box: every sensor in the box is in one of them.
	r := rf.get(t, "/api/v1/h3/cells?bbox=13.399,52.4999,13.431,52.5095&res=9")
	var cs struct {
		Res   int      `json:"res"`
		Cells []string `json:"cells"`
	}
	if err := json.Unmarshal(r.body, &cs); err != nil || r.status != 200 || cs.Res != 9 || len(cs.Cells) == 0 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for id := range rf.obs {
		c := geo.Cell(rf.live(t, id).Geometry.(orb.Point), 9).String()
		if !slices.Contains(cs.Cells, c) {
			c = pointCell(rf.live(t, id).Geometry.(orb.Point), 9).String()
		}
		if !slices.Contains(cs.Cells, c) {
			t.Errorf("%s in %s, not in the cover", id, c)
		}
	}
	wantProblem(t, rf.get(t, "/api/v1/h3/cells?bbox=-180,-90,180,90&res=9"), 400, "bbox")
	wantProblem(t, rf.get(t, "/api/v1/h3/cells?res=9"), 400, "bbox")
}

// pointCell is the cell at res the twin counts a point in: the ancestor of its
// finest (res 15) cell.
func pointCell(p orb.Point, res int) h3.Cell { return geo.Parent(geo.Cell(p, 15), res) }
