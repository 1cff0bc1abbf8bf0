package fleet_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"citytwin/twin/fleet"
)

// All 1,300 generated queries parse, with parameters of the shape TSBS gives
// each type.
func TestParseQueryFile(t *testing.T) {
	lines := queryFile(t)
	if len(lines) != 1300 {
		t.Fatalf("%d lines, want 1300", len(lines))
	}
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	end := time.Date(2016, 1, 2, 0, 0, 1, 0, time.UTC).UnixNano()
	fleets := map[string]bool{"East": true, "West": true, "North": true, "South": true}
	window := map[fleet.Type]time.Duration{
		fleet.StationaryTrucksType:    10 * time.Minute,
		fleet.LongDrivingSessionsType: 4 * time.Hour,
		fleet.LongDailySessionsType:   24 * time.Hour,
	}
	threshold := map[fleet.Type]int{fleet.LongDrivingSessionsType: 22, fleet.LongDailySessionsType: 60}
	seen := map[string]bool{}
	for _, l := range lines {
		q := l.Query
		seen[q.Fleet] = true
		switch q.Type {
		case fleet.SingleLastLocType:
			if len(q.Names) != 1 || !strings.HasPrefix(q.Names[0], "truck_") || q.Fleet != "" {
				t.Errorf("%s %d: %+v", q.Type, l.Seq, q)
			}
		case fleet.LastLocType, fleet.LowFuelType, fleet.HighLoadType, fleet.StationaryTrucksType,
			fleet.LongDrivingSessionsType, fleet.LongDailySessionsType:
			if !fleets[q.Fleet] || len(q.Names) != 0 {
				t.Errorf("%s %d: fleet %q", q.Type, l.Seq, q.Fleet)
			}
		default:
			if q.Fleet != "" || len(q.Names) != 0 || q.Window != (fleet.Window{}) {
				t.Errorf("%s %d: parameters %+v for a query of all the data", q.Type, l.Seq, q)
			}
		}
		if w, ok := window[q.Type]; ok {
			if got := time.Duration(q.Window.To - q.Window.From); got != w || q.Window.From < start || q.Window.To > end || q.Window.From%1000 != 0 {
				t.Errorf("%s %d: window %v from %v, want %v within the data, in µs", q.Type, l.Seq, got, time.Unix(0, q.Window.From).UTC(), w)
			}
		}
		if n := threshold[q.Type]; q.MoreThan != n {
			t.Errorf("%s %d: threshold %d, want %d", q.Type, l.Seq, q.MoreThan, n)
		}
		if th, ok := threshold[q.Type]; ok {
			rest := map[int]float64{22: 5, 60: 35}[th]
			if got := fleet.SessionThreshold(q.Window.To-q.Window.From, rest); got != th {
				t.Errorf("SessionThreshold = %d, want %d", got, th)
			}
		}
	}
	if len(seen) != 5 { // four fleets and none
		t.Errorf("fleets %v", seen)
	}
}

func TestParseSQL(t *testing.T) {
	q, err := fleet.ParseSQL("SELECT t.name AS name, t.driver AS driver, r.*\nFROM tags t INNER JOIN LATERAL\n(SELECT longitude, latitude\nFROM readings r\nWHERE r.tags_id=t.id\nORDER BY time DESC LIMIT 1)  r ON true\nWHERE t.name IN ('truck_1', 'truck_2','it''s')")
	if err != nil {
		t.Fatal(err)
	}
	if q.Type != fleet.SingleLastLocType || strings.Join(q.Names, "|") != "truck_1|truck_2|it's" {
		t.Errorf("%+v", q)
	}
	for _, bad := range []string{
		"",
		"SELECT 1",
		"SELECT t.name AS name, t.driver AS driver, r.* FROM tags t INNER JOIN LATERAL (SELECT longitude, latitude FROM readings r WHERE r.tags_id=t.id ORDER BY time DESC LIMIT 1) r ON true WHERE t.name IS NOT NULL AND t.fleet = 'South'; DROP TABLE tags",
		"SELECT t.name AS name, t.driver AS driver, r.* FROM tags t INNER JOIN LATERAL (SELECT longitude, latitude FROM readings r WHERE r.tags_id=t.id ORDER BY time DESC LIMIT 1) r ON true WHERE t.name IS NOT NULL AND t.fleet = South",
		"SELECT t.name AS name, t.driver AS driver FROM tags t INNER JOIN readings r ON r.tags_id = t.id WHERE time >= '2016-01-01 10:00:00 +0000' AND time < '2016-01-01 09:00:00 +0000' AND t.name IS NOT NULL AND t.fleet = 'West' GROUP BY 1, 2 HAVING avg(r.velocity) < 1",
		"SELECT t.name AS name, t.driver AS driver FROM tags t INNER JOIN readings r ON r.tags_id = t.id WHERE time >= 'yesterday' AND time < '2016-01-01 09:00:00 +0000' AND t.name IS NOT NULL AND t.fleet = 'West' GROUP BY 1, 2 HAVING avg(r.velocity) < 1",
	} {
		if q, err := fleet.ParseSQL(bad); !errors.Is(err, fleet.ErrBadQuery) {
			t.Errorf("%.60q: %+v, %v; want ErrBadQuery", bad, q, err)
		}
	}
}

func TestParseLineTypeMustAgree(t *testing.T) {
	line := `{"query_type": "low-fuel", "seq": 0, "query": "SELECT t.name AS name, t.driver AS driver, r.* FROM tags t INNER JOIN LATERAL (SELECT longitude, latitude FROM readings r WHERE r.tags_id=t.id ORDER BY time DESC LIMIT 1) r ON true WHERE t.name IS NOT NULL AND t.fleet = 'South'"}`
	if _, err := fleet.ParseLine([]byte(line)); !errors.Is(err, fleet.ErrBadQuery) {
		t.Errorf("a last-loc SQL labelled low-fuel: %v", err)
	}
	good := strings.Replace(line, "low-fuel", "last-loc", 1)
	if l, err := fleet.ParseLine([]byte(good)); err != nil || l.Query.Fleet != "South" {
		t.Errorf("%+v, %v", l, err)
	}
}

func FuzzParseSQL(f *testing.F) {
	f.Add("SELECT t.name AS name, t.driver AS driver, r.* FROM tags t INNER JOIN LATERAL (SELECT longitude, latitude FROM readings r WHERE r.tags_id=t.id ORDER BY time DESC LIMIT 1) r ON true WHERE t.name IN ('truck_35')")
	f.Add("SELECT t.name AS name, t.driver AS driver FROM tags t INNER JOIN readings r ON r.tags_id = t.id WHERE time >= '2016-01-01 23:44:53.646325 +0000' AND time < '2016-01-01 23:54:53.646325 +0000' AND t.name IS NOT NULL AND t.fleet = 'West' GROUP BY 1, 2 HAVING avg(r.velocity) < 1")
	f.Fuzz(func(t *testing.T, sql string) {
		q, err := fleet.ParseSQL(sql)
		if err != nil {
			return
		}
		if q.Type < fleet.LastLocType || q.Type > fleet.BreakdownFrequencyType {
			t.Fatalf("type %v", q.Type)
		}
		if q.Window != (fleet.Window{}) && q.Window.From >= q.Window.To {
			t.Fatalf("empty window %+v", q.Window)
		}
	})
}
