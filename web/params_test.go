package web

import (
	"errors"
	"math"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

func TestParseItemsParams(t *testing.T) {
	at := time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC).UnixNano()
	cell := h3.Cell(h3.IndexFromString("8a1f1d48a2e7fff"))
	if !cell.IsValid() {
		t.Fatal("test cell is not valid")
	}
	where, _ := twin.ParseFilter("height>=10")
	tests := []struct {
		query string
		want  twin.Query
	}{
		{"", twin.Query{Limit: 10}},
		{"limit=1", twin.Query{Limit: 1}},
		{"limit=10000", twin.Query{Limit: 10000}},
		{"bbox=13.4,52.5,13.5,52.6", twin.Query{Limit: 10, BBox: []orb.Bound{{Min: orb.Point{13.4, 52.5}, Max: orb.Point{13.5, 52.6}}}}},
		{"bbox=13.4, 52.5, 13.5, 52.6", twin.Query{Limit: 10, BBox: []orb.Bound{{Min: orb.Point{13.4, 52.5}, Max: orb.Point{13.5, 52.6}}}}},
		{"bbox=13.4,52.5,0,13.5,52.6,100", twin.Query{Limit: 10, BBox: []orb.Bound{{Min: orb.Point{13.4, 52.5}, Max: orb.Point{13.5, 52.6}}}}},
		{"bbox=-180,-90,180,90", twin.Query{Limit: 10, BBox: []orb.Bound{{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}}}},
		{"bbox=179,-17,-179,-16", twin.Query{Limit: 10, BBox: []orb.Bound{
			{Min: orb.Point{179, -17}, Max: orb.Point{180, -16}},
			{Min: orb.Point{-180, -17}, Max: orb.Point{-179, -16}},
		}}},
		{"datetime=2024-05-01T09:30:00Z", twin.Query{Limit: 10, At: at}},
		{"datetime=2024-05-01t11:30:00%2B02:00", twin.Query{Limit: 10, At: at}},
		{"datetime=1970-01-01T00:00:00Z", twin.Query{Limit: 10, At: -1}},
		{"datetime=2024-05-01T09:30:00Z/..", twin.Query{Limit: 10, At: at, Until: math.MaxInt64}},
		{"datetime=../2024-05-01T09:30:00Z", twin.Query{Limit: 10, At: math.MinInt64, Until: at}},
		{"cursor=2s", twin.Query{Limit: 10, After: "2s"}},
		{"where=height>%3D10", twin.Query{Limit: 10, Where: []twin.Filter{where}}},
		{"near=13.4,52.5,250", twin.Query{Limit: 10, Near: &twin.Circle{Center: orb.Point{13.4, 52.5}, Radius: 250}}},
		{"h3=8a1f1d48a2e7fff", twin.Query{Limit: 10, Cells: []h3.Cell{cell}}},
		{"h3=8a1f1d48a2e7fff,8a1f1d48a2e7fff&h3=0x8a1f1d48a2e7fff", twin.Query{Limit: 10, Cells: []h3.Cell{cell, cell, cell}}},
		{"f=json", twin.Query{Limit: 10}},
		{"f=GeoJSON", twin.Query{Limit: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseItemsParams(v, twin.KindBuilding)
			if err != nil {
				t.Fatalf("ParseItemsParams(%q): %v", tt.query, err)
			}
			tt.want.Kinds = []twin.Kind{twin.KindBuilding}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseItemsParams(%q)\n got %+v\nwant %+v", tt.query, got, tt.want)
			}
		})
	}
}

func TestParseItemsParamsErrors(t *testing.T) {
	tests := []struct {
		query  string
		name   string // the parameter the error must name
		reason string // a part of the reason
	}{
		{"bbxo=1,2,3,4", "bbxo", "unknown parameter"},
		{"lmit=5&bbxo=1", "bbxo", `also unknown: "lmit"`},
		{"bbox=1,2,3", "bbox", "has 3 values; want 4"},
		{"bbox=1,2,3,4,5", "bbox", "has 5 values"},
		{"bbox=", "bbox", "has 1 values"},
		{"bbox=a,2,3,4", "bbox", `minLon "a" is not a finite number`},
		{"bbox=1,2,NaN,4", "bbox", `maxLon "NaN" is not a finite number`},
		{"bbox=1,2,3,Inf", "bbox", `maxLat "Inf" is not a finite number`},
		{"bbox=13,52.6,14,52.4", "bbox", "minLat 52.6 is greater than maxLat 52.4"},
		{"bbox=-181,0,1,1", "bbox", "minLon -181 is out of range -180..180"},
		{"bbox=0,0,181,1", "bbox", "maxLon 181 is out of range"},
		{"bbox=0,-91,1,1", "bbox", "minLat -91 is out of range -90..90"},
		{"bbox=0,0,1,95", "bbox", "maxLat 95 is out of range"},
		{"bbox=0,0,10,1,1,5", "bbox", "minHeight 10 is greater than maxHeight 5"},
		{"bbox=1,2,3,4&bbox=1,2,3,4", "bbox", "given 2 times"},
		{"limit=0", "limit", "0 is out of range 1..10000"},
		{"limit=10001", "limit", "10001 is out of range"},
		{"limit=-3", "limit", "out of range"},
		{"limit=ten", "limit", `"ten" is not an integer`},
		{"limit=1.5", "limit", "not an integer"},
		{"limit=", "limit", "not an integer"},
		{"datetime=yesterday", "datetime", "not an RFC 3339 instant"},
		{"datetime=2024-05-01", "datetime", "is a date"},
		{"datetime=2024-13-01T00:00:00Z", "datetime", "not an RFC 3339 instant"},
		{"datetime=2024-05-02T00:00:00Z/2024-05-01T00:00:00Z", "datetime", "ends before it starts"},
		{"datetime=2024-05-01T00:00:00Z/2024-05-02T00:00:00Z/..", "datetime", "neither"},
		{"datetime=../..", "datetime", "neither an RFC 3339 instant nor an interval"},
		{"datetime=a/b", "datetime", "neither"},
		{"datetime=1500-01-01T00:00:00Z", "datetime", "range of the twin's clock"},
		{"cursor=!!", "cursor", "not a cursor this server issued"},
		{"cursor=zzzzzzzzzzzzzz", "cursor", "not a cursor"},
		{"where=", "where", "want key=value"},
		{"where=%3Dfoo", "where", "want key=value"},
		{"near=1,2", "near", "has 2 values; want 3"},
		{"near=1,2,x", "near", `radius_m "x" is not a finite number`},
		{"near=200,2,3", "near", "lon 200 is out of range"},
		{"near=1,-100,3", "near", "lat -100 is out of range"},
		{"near=1,2,-3", "near", "radius_m -3 is out of range"},
		{"h3=zz", "h3", `"zz" is not an H3 cell index`},
		{"h3=8a1f1d48a2e7fff,", "h3", `"" is not an H3 cell index`},
		{"h3=ffffffffffffffff", "h3", "not an H3 cell index"},
		{"f=html", "f", `format "html" is not offered here`},
		{"f=xml", "f", "want json or geojson"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseItemsParams(v, twin.KindBuilding)
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseItemsParams(%q) = %v, want a *ParamError", tt.query, err)
			}
			if pe.Name != tt.name || !strings.Contains(pe.Reason, tt.reason) {
				t.Errorf("ParseItemsParams(%q) = %s: %s\nwant %s: …%s…", tt.query, pe.Name, pe.Reason, tt.name, tt.reason)
			}
		})
	}
}

func TestParseItemsParamsCap(t *testing.T) {
	v := url.Values{"limit": {"5000"}}
	q, err := parseItemsParams(v, twin.KindRoad, pageLimits{def: 10, max: 100})
	if err != nil {
		t.Fatal(err)
	}
	if q.Limit != 100 {
		t.Errorf("limit 5000 with a cap of 100 gave %d, want 100 (capped, not an error)", q.Limit)
	}
}

func TestParseItemsParamsLimits(t *testing.T) {
	many := strings.Repeat("where=a&", maxFilters+1)
	v, _ := url.ParseQuery(many)
	if _, err := ParseItemsParams(v, twin.KindBuilding); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("%d filters: err = %v, want at most %d", maxFilters+1, err, maxFilters)
	}
	cells := strings.TrimSuffix(strings.Repeat("8a1f1d48a2e7fff,", maxCells+1), ",")
	if _, err := ParseItemsParams(url.Values{"h3": {cells}}, twin.KindBuilding); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("%d cells: err = %v, want more than %d", maxCells+1, err, maxCells)
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", 100)
	got := clip(long)
	if len(got) > 70 || !strings.HasSuffix(got, "…") {
		t.Errorf("clip(200 bytes) = %q", got)
	}
	if !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("clip cut a rune: %q", got)
	}
	if clip("short") != "short" {
		t.Error("clip changed a short string")
	}
}
