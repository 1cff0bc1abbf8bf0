package web

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"citytwin/twin"
)

var restQuerySeeds = []string{
	"",
	"kind=building,road&kind=sensor&limit=100",
	"id=osm:way/1&id=a,b",
	"bbox=13.4,52.5,13.5,52.6&at=2024-05-01T08:00:00Z",
	"bbox=179,-17,-179,-16",
	"within=%7B%22type%22%3A%22Polygon%22%2C%22coordinates%22%3A%5B%5B%5B13.4%2C52.5%5D%2C%5B13.5%2C52.5%5D%2C%5B13.5%2C52.6%5D%2C%5B13.4%2C52.5%5D%5D%5D%7D",
	"intersects=%7B%22type%22%3A%22LineString%22%2C%22coordinates%22%3A%5B%5B13.4%2C52.5%5D%2C%5B13.5%2C52.6%5D%5D%7D",
	"intersects={\"type\":\"GeometryCollection\",\"geometries\":[]}",
	"near=13.4,52.5,250",
	"cells=8a1f1d48a2e7fff,891f1d48a2fffff",
	"ring=891f1d48a2fffff,3",
	"ring=891f1d48a2fffff,-1",
	"where=height>%3D10&where=use%3Doffice",
	"cursor=2s&limit=10000",
	"at=1970-01-01T00:00:00Z",
	"point=13.4,52.5&k=5",
	"metric=pm25&agg=p95&by=time&step=15m&from=2024-05-01T08:00:00Z&to=2024-05-02T08:00:00Z",
	"res=8&metric=pm25&from=2024-05-01T08:00:00Z",
	"bbox=13.4,52.5,13.41,52.51&res=9",
	"last=10&before=2024-05-01T08:00:00Z&format=columns",
	"%zz=1",
}

// FuzzParseRESTParams checks that the query-string parsers of the REST API
// never panic, that every error is a *ParamError, and that every query the
// entities parser accepts is one the twin accepts too.
func FuzzParseRESTParams(f *testing.F) {
	for _, s := range restQuerySeeds {
		f.Add(s)
	}
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	lim := pageLimits{def: 10, max: MaxPageLimit}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw)
		q, perr := parseEntities(v, lim)
		if perr == nil {
			if q.Limit < 1 || q.Limit > MaxPageLimit {
				t.Fatalf("limit %d", q.Limit)
			}
			if _, err := store.Query(context.Background(), q); errors.Is(err, twin.ErrBadQuery) || errors.Is(err, twin.ErrBadCursor) {
				t.Fatalf("parseEntities(%q) accepted a query the twin refuses: %v", raw, err)
			}
		}
		if _, _, q, perr := parseNearest(v); perr == nil {
			if _, err := store.Nearest(context.Background(), [2]float64{}, 1, q); errors.Is(err, twin.ErrBadQuery) {
				t.Fatalf("parseNearest(%q) accepted a query the twin refuses: %v", raw, err)
			}
		}
		if a, _, perr := parseAggregate(v); perr == nil {
			if _, err := store.AggregateEntities(context.Background(), a); errors.Is(err, twin.ErrBadQuery) {
				t.Fatalf("parseAggregate(%q): %v", raw, err)
			}
		}
		if hq, perr := parseH3(v); perr == nil {
			if _, err := store.AggregateCells(context.Background(), hq.agg); errors.Is(err, twin.ErrBadQuery) {
				t.Fatalf("parseH3(%q): %v", raw, err)
			}
		}
		_, _, _, _ = parseLatest(v)
		_, _ = parseSeries(v)
		_, _, _ = parseH3Cells(v)
	})
}

// FuzzParseQueryBody checks the POST /api/v1/query body parser the same way.
func FuzzParseQueryBody(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"kinds":["sensor"],"ids":["osm:way/1"],"limit":5,"cursor":"2s"}`,
		`{"bbox":[13.4,52.5,13.5,52.6],"at":"2024-05-01T08:00:00Z"}`,
		`{"within":{"type":"Polygon","coordinates":[[[13.4,52.5],[13.5,52.5],[13.5,52.6],[13.4,52.5]]]}}`,
		`{"intersects":{"type":"Point","coordinates":[13.4,52.5]}}`,
		`{"near":{"lon":13.4,"lat":52.5,"radius":100}}`,
		`{"cells":["891f1d48a2fffff"],"where":["use=office"]}`,
		`{"ring":{"cell":"891f1d48a2fffff","k":2}}`,
		`{"near":{"lon":1}}`,
		`{"x":1}`,
		`{"limit":1e400}`,
		`[]`,
		`{} {}`,
	} {
		f.Add([]byte(s))
	}
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := ParseQueryBody(body)
		if err != nil {
			if _, ok := err.(*ParamError); !ok { //nolint:errorlint // the contract is the concrete type
				t.Fatalf("ParseQueryBody(%q) error %T %v, want *ParamError", body, err, err)
			}
			return
		}
		if _, err := store.Query(context.Background(), q); errors.Is(err, twin.ErrBadQuery) || errors.Is(err, twin.ErrBadCursor) {
			t.Fatalf("ParseQueryBody(%q) accepted a query the twin refuses: %v", body, err)
		}
	})
}

// FuzzParsePatch checks the PATCH body parser: no panics, and every patch it
// takes is valid for the twin.
func FuzzParsePatch(f *testing.F) {
	for _, s := range []string{`{"properties":{"a":1,"b":null,"c":"x","d":true}}`, `{"properties":{"height":1}}`, `{"geometry":1}`, `{"properties":{"":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		patch, perr := parsePatch(body)
		if perr != nil {
			return
		}
		if err := (&twin.Op{Type: twin.OpPatch, ID: "x", Patch: patch}).Validate(); err != nil {
			t.Fatalf("parsePatch(%q) = %v, which the twin refuses: %v", body, patch, err)
		}
	})
}
