package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/datasets/datasetstest"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// encodeStd is what the server sent before the feature encoder: encoding/json
// without HTML escaping.
func encodeStd(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// checkSame encodes the features of entities both ways, as a
// FeatureCollection and as an entityPage, one at a time and as Feature
// values, and fails on the first byte that differs.
func checkSame(t *testing.T, entities []twin.Entity, next string) {
	t.Helper()
	features := make([]Feature, len(entities))
	for i := range entities {
		features[i] = featureOf(&entities[i])
	}
	fc := FeatureCollection{Type: "FeatureCollection", NumberMatched: len(entities) * 3, NumberReturned: len(entities),
		TimeStamp: "2024-05-01T08:00:00.5Z", Links: []Link{{Href: "http://x/a?b=<c>&d", Rel: "self", Type: ContentTypeGeoJSON}, {Href: "h", Rel: "next", Title: "T\u2028"}}}

	want, err := encodeStd(entityPage{FeatureCollection: FeatureCollection{Type: fc.Type, Features: features,
		NumberMatched: fc.NumberMatched, NumberReturned: fc.NumberReturned, TimeStamp: fc.TimeStamp, Links: fc.Links}, Next: next})
	got, gerr := appendEntityCollection(nil, &fc, entities, next)
	compare(t, "entity page", got, gerr, want, err)

	fc.Features = features
	got, gerr = appendJSON(nil, &entityPage{FeatureCollection: fc, Next: next})
	compare(t, "feature page", got, gerr, want, err)

	want, err = encodeStd(fc)
	got, gerr = appendJSON(nil, fc)
	compare(t, "feature collection", got, gerr, want, err)

	for i := range features {
		want, err := encodeStd(features[i])
		got, gerr := appendJSON(nil, &features[i])
		compare(t, "feature "+string(features[i].ID), got, gerr, want, err)
	}
}

// compare wants the same bytes, or the feature encoder to give up (and leave
// it to encoding/json) where encoding/json fails.
func compare(t *testing.T, what string, got []byte, gerr error, want []byte, werr error) {
	t.Helper()
	switch {
	case werr != nil && gerr == nil:
		t.Fatalf("%s: encoding/json fails (%v), the feature encoder wrote %s", what, werr, got)
	case werr != nil:
		if !errors.Is(gerr, errFeatureEncoding) {
			t.Fatalf("%s: error %v, want errFeatureEncoding", what, gerr)
		}
	case gerr != nil:
		t.Fatalf("%s: %v; encoding/json wrote %s", what, gerr, want)
	case !bytes.Equal(got, want):
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: differs at byte %d:\ngot  …%s\nwant …%s", what, i, excerpt(got, i), excerpt(want, i))
	}
}

func excerpt(b []byte, i int) string {
	return string(b[max(0, i-60):min(len(b), i+60)])
}

// strangeStrings hold everything a JSON string encoder can get wrong.
var strangeStrings = []string{
	"", "a", `"`, `\`, "<", ">", "&", "<script>&amp;</script>", "\x00", "\x1f", "\x7f", "\b\f\n\r\t",
	"\u2028", "\u2029", "\u2027\u202a", "é", "日本語", "😀", "\xff", "a\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	"\ufffd", "osm:way/123", "Straße 5", "tab\there", `quote"d`,
}

type gen struct{ r *rand.Rand }

func (g gen) str() string {
	if g.r.IntN(3) == 0 {
		return strings.Repeat("x", g.r.IntN(4)) + "id-" + fmt.Sprint(g.r.IntN(1000))
	}
	var sb strings.Builder
	for range g.r.IntN(4) {
		sb.WriteString(strangeStrings[g.r.IntN(len(strangeStrings))])
		if g.r.IntN(2) == 0 {
			sb.WriteByte(byte(g.r.IntN(256)))
		}
	}
	return sb.String()
}

// float is a finite float of every shape encoding/json formats differently.
func (g gen) float() float64 {
	switch g.r.IntN(10) {
	case 0:
		return 0
	case 1:
		return math.Copysign(0, -1)
	case 2:
		return float64(g.r.IntN(2000) - 1000)
	case 3:
		return (g.r.Float64() - 0.5) * 1e-6 * math.Pow(10, -float64(g.r.IntN(20)))
	case 4:
		return (g.r.Float64() - 0.5) * 1e21 * math.Pow(10, float64(g.r.IntN(280)))
	case 5:
		return math.Float64frombits(g.r.Uint64()&^(0x7ff<<52) | uint64(g.r.IntN(0x7ff))<<52) // any finite
	case 6:
		return []float64{1e-6, 1e21, 9.999999999999999e20, 9.99999e-7, math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1}[g.r.IntN(7)]
	}
	return (g.r.Float64()*2 - 1) * 180
}

func (g gen) point() orb.Point { return orb.Point{g.float(), g.float()} }

func (g gen) points(min int) []orb.Point {
	n := min + g.r.IntN(6)
	if n == 0 && g.r.IntN(2) == 0 {
		return nil
	}
	ps := make([]orb.Point, n)
	for i := range ps {
		ps[i] = g.point()
	}
	return ps
}

func (g gen) polygon() orb.Polygon {
	n := g.r.IntN(4) // outer ring and holes
	if n == 0 && g.r.IntN(2) == 0 {
		return nil
	}
	p := make(orb.Polygon, n)
	for i := range p {
		p[i] = orb.Ring(g.points(0))
	}
	return p
}

func (g gen) geometry(depth int) orb.Geometry {
	switch g.r.IntN(11) {
	case 0:
		return nil
	case 1:
		return g.point()
	case 2:
		return orb.MultiPoint(g.points(0))
	case 3:
		return orb.LineString(g.points(0))
	case 4:
		n := g.r.IntN(4)
		var ml orb.MultiLineString
		if n > 0 || g.r.IntN(2) == 0 {
			ml = make(orb.MultiLineString, n)
		}
		for i := range ml {
			ml[i] = g.points(0)
		}
		return ml
	case 5:
		return orb.Ring(g.points(0))
	case 6:
		return g.polygon()
	case 7:
		n := g.r.IntN(4)
		var mp orb.MultiPolygon
		if n > 0 || g.r.IntN(2) == 0 {
			mp = make(orb.MultiPolygon, n)
		}
		for i := range mp {
			mp[i] = g.polygon()
		}
		return mp
	case 8:
		a, b := g.point(), g.point()
		return orb.Bound{Min: a, Max: b}
	case 9:
		if depth > 2 {
			return g.point()
		}
		n := g.r.IntN(4)
		var c orb.Collection
		if n > 0 || g.r.IntN(2) == 0 {
			c = make(orb.Collection, n)
		}
		for i := range c {
			c[i] = g.geometry(depth + 1)
		}
		return c
	}
	// A building: a ring with holes, in lon/lat.
	lon, lat := g.r.Float64()*360-180, g.r.Float64()*180-90
	p := orb.Polygon{square(lon, lat, 0.001)}
	for range g.r.IntN(3) {
		p = append(p, square(lon+0.0002, lat+0.0002, 0.0001))
	}
	return p
}

func (g gen) value() twin.Value {
	switch g.r.IntN(5) {
	case 0:
		return twin.Value{}
	case 1:
		return twin.BoolValue(g.r.IntN(2) == 0)
	case 2:
		return twin.StringValue(g.str())
	case 3:
		// The twin keeps non-finite numbers as given; they are written as null.
		return twin.NumberValue([]float64{math.NaN(), math.Inf(1), math.Inf(-1)}[g.r.IntN(3)])
	}
	return twin.NumberValue(g.float())
}

func (g gen) time() time.Time {
	t := time.Unix(g.r.Int64N(4e9)-1e9, g.r.Int64N(1e9)*int64(g.r.IntN(2)))
	switch g.r.IntN(4) {
	case 0:
		return t.UTC()
	case 1:
		return t.In(time.FixedZone("x", (g.r.IntN(48)-24)*1800))
	case 2:
		return t.In(time.FixedZone("far", 25*3600)) // refused by MarshalJSON
	}
	return t
}

// serverKeys collide with the members featureOf adds.
var serverKeys = []string{propKind, propVersion, propValidFrom, propHeight, propMinHeight, propLevels, propMoving, "a", "zz", "", "\u2028", "<"}

func (g gen) entity() twin.Entity {
	e := twin.Entity{
		ID:        twin.ID(g.str()),
		Kind:      twin.Kind([]string{"building", "road", "sensor", "bus_stop"}[g.r.IntN(4)]),
		Geometry:  g.geometry(0),
		Version:   g.r.Uint64N(1 << uint(g.r.IntN(64))),
		ValidFrom: time.Unix(0, g.r.Int64()),
		Moving:    g.r.IntN(3) == 0,
	}
	if g.r.IntN(2) == 0 {
		e.Height, e.MinHeight, e.Levels = math.Abs(g.float()), math.Abs(g.float()), g.r.IntN(40)
	}
	m := make(map[string]twin.Value)
	for range g.r.IntN(8) {
		k := g.str()
		if g.r.IntN(3) == 0 {
			k = serverKeys[g.r.IntN(len(serverKeys))]
		}
		m[k] = g.value()
	}
	for k, v := range m {
		e.Props = append(e.Props, twin.Prop{Key: k, Value: v})
	}
	slices.SortFunc(e.Props, func(a, b twin.Prop) int { return strings.Compare(a.Key, b.Key) })
	for range g.r.IntN(3) {
		e.Links = append(e.Links, twin.Link{Rel: g.str(), To: twin.ID(g.str())})
	}
	for range g.r.IntN(3) {
		p := twin.Provenance{Source: g.str(), Time: g.time()}
		if g.r.IntN(2) == 0 {
			p.Note = g.str()
		}
		e.Provenance = append(e.Provenance, p)
	}
	return e
}

// TestFeatureEncoderMatchesEncodingJSON is the property test: random entities
// (every geometry type, holes, multis, collections, nil and empty slices,
// every float shape, strange strings, properties named as the server's
// members) give the bytes encoding/json gives.
func TestFeatureEncoderMatchesEncodingJSON(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(7, 11))}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		es := make([]twin.Entity, g.r.IntN(4))
		for j := range es {
			es[j] = g.entity()
		}
		next := ""
		if g.r.IntN(2) == 0 {
			next = g.str()
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkSame(t, es, next) })
		if t.Failed() {
			return
		}
	}
}

// TestFeatureEncoderPropertyMaps covers features the handlers edit after
// featureOf (history marks tombstones, nearest adds distances) and values of
// types encoding/json alone knows.
func TestFeatureEncoderPropertyMaps(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(3, 5))}
	values := []func() any{
		func() any { return nil }, func() any { return true }, func() any { return g.float() },
		func() any { return g.str() }, func() any { return g.value() }, func() any { return g.r.IntN(100) },
		func() any { return uint64(g.r.Uint64()) }, func() any { return g.r.Int64() }, func() any { return twin.Kind(g.str()) },
		func() any { return twin.ID(g.str()) }, func() any { return math.NaN() },
		func() any { return []int{1} }, func() any { return map[string]any{"a": 1} }, func() any { return float32(1.5) },
	}
	for i := range 2000 {
		e := g.entity()
		f := featureOf(&e)
		exotic := false // a type only encoding/json writes: the encoder gives up
		for range g.r.IntN(3) {
			k := g.r.IntN(len(values))
			exotic = exotic || k >= len(values)-3
			f.Properties[g.str()] = values[k]()
		}
		if g.r.IntN(4) == 0 {
			f.Properties = nil
		}
		if g.r.IntN(2) == 0 {
			f.Links = []Link{{Href: g.str(), Rel: g.str(), Type: g.str(), Title: g.str()}}
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want, err := encodeStd(f)
			got, gerr := appendJSON(nil, f)
			if exotic && err == nil {
				if !errors.Is(gerr, errFeatureEncoding) && !bytes.Equal(got, want) {
					t.Fatalf("exotic values: got %s (%v), want %s or errFeatureEncoding", got, gerr, want)
				}
				return
			}
			compare(t, "feature", got, gerr, want, err)
			fc := FeatureCollection{Type: "FeatureCollection", Features: []Feature{f}}
			want, err = encodeStd(&fc)
			got, gerr = appendJSON(nil, &fc)
			compare(t, "collection", got, gerr, want, err)
		})
		if t.Failed() {
			return
		}
	}
}

// TestFeatureEncoderNotFinite checks that what encoding/json refuses (a NaN
// coordinate, a height of +Inf) is left to it, and that the server then
// answers as before: 500.
func TestFeatureEncoderNotFinite(t *testing.T) {
	for _, e := range []twin.Entity{
		{ID: "a", Kind: "building", Geometry: orb.Point{math.NaN(), 1}},
		{ID: "b", Kind: "building", Geometry: orb.LineString{{1, 2}, {math.Inf(1), 2}}},
		{ID: "c", Kind: "building", Height: math.Inf(1)},
		{ID: "d", Kind: "building", Provenance: []twin.Provenance{{Source: "s", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}},
	} {
		checkSame(t, []twin.Entity{e}, "")
	}
}

// TestFeatureEncoderFixture encodes every entity of the test fixture and of a
// small generated city, now and in the past, both ways.
func TestFeatureEncoderFixture(t *testing.T) {
	f := newFixture(t)
	for _, at := range []int64{0, t0.UnixNano(), t1.UnixNano(), t2.UnixNano()} {
		res, err := f.store.Query(context.Background(), twin.Query{At: at})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Entities) == 0 {
			t.Fatalf("at %d: no entities", at)
		}
		checkSame(t, res.Entities, "")
	}

	cfg := datasets.Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses = 300, 100, 20, 5
	store, _ := datasetstest.Twin(t, cfg)
	res, err := store.Query(context.Background(), twin.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entities) < 300 {
		t.Fatalf("%d entities in the city", len(res.Entities))
	}
	checkSame(t, res.Entities, "abc")
}

// TestAppendJSONString compares the string escaper with encoding/json's, with
// and without HTML escaping, on every byte and on the strange strings.
func TestAppendJSONString(t *testing.T) {
	var cases []string
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"b")
	}
	for _, r := range []rune{0x7f, 0x80, 0x7ff, 0x800, 0x2028, 0x2029, 0xfffd, 0xffff, 0x10000, 0x10ffff} {
		cases = append(cases, string(r))
	}
	cases = append(cases, strangeStrings...)
	for _, s := range cases {
		html, _ := json.Marshal(s)
		if got := appendJSONString(nil, s, true); !bytes.Equal(got, html) {
			t.Errorf("html %q: got %s, want %s", s, got, html)
		}
		plain, _ := encodeStd(s)
		if got := append(appendJSONString(nil, s, false), '\n'); !bytes.Equal(got, plain) {
			t.Errorf("%q: got %s, want %s", s, got, plain)
		}
	}
}

// FuzzFeatureEncoder feeds entities made from fuzzed bytes: a string for ids,
// keys and values, floats from raw bits, a choice of geometry.
func FuzzFeatureEncoder(f *testing.F) {
	for _, s := range strangeStrings {
		f.Add(s, s, uint64(0), uint64(0), uint8(0))
	}
	f.Add("osm:way/123", "name", math.Float64bits(13.4), math.Float64bits(52.5), uint8(6))
	f.Add("a", "height", math.Float64bits(1e21), math.Float64bits(1e-7), uint8(3))
	f.Add("b", "kind", math.Float64bits(math.NaN()), math.Float64bits(-0.0), uint8(1))
	f.Fuzz(func(t *testing.T, id, key string, x, y uint64, shape uint8) {
		fx, fy := math.Float64frombits(x), math.Float64frombits(y)
		p := orb.Point{fx, fy}
		ring := orb.Ring{p, {fy, fx}, p}
		geoms := []orb.Geometry{nil, p, orb.MultiPoint{p}, orb.LineString{p, p}, orb.MultiLineString{{p}, nil},
			ring, orb.Polygon{ring, ring}, orb.MultiPolygon{{ring}, nil}, orb.Bound{Min: p, Max: p}, orb.Collection{p, orb.Collection{}, ring}}
		e := twin.Entity{
			ID: twin.ID(id), Kind: twin.Kind(key), Geometry: geoms[int(shape)%len(geoms)],
			Height: fx, Levels: int(int8(shape)), Version: x, ValidFrom: time.Unix(0, int64(y)),
			Links:      []twin.Link{{Rel: key, To: twin.ID(id)}},
			Provenance: []twin.Provenance{{Source: id, Time: time.Unix(int64(x>>34), 0), Note: key}},
		}
		props := map[string]twin.Value{key: twin.StringValue(id), id: twin.NumberValue(fy), "moving": twin.BoolValue(shape&1 == 0)}
		for k, v := range props {
			e.Props = append(e.Props, twin.Prop{Key: k, Value: v})
		}
		slices.SortFunc(e.Props, func(a, b twin.Prop) int { return strings.Compare(a.Key, b.Key) })
		checkSame(t, []twin.Entity{e}, key)
	})
}

// BenchmarkFeatureEncoder encodes a page of 100 features of the demo city
// with the feature encoder and, as the baseline, as the server did before:
// featureOf and encoding/json.
//
//	go test -run '^$' -bench FeatureEncoder ./web/
func BenchmarkFeatureEncoder(b *testing.B) {
	store, _ := benchCity(b, datasets.Demo())
	res, err := store.Query(context.Background(), twin.Query{Kinds: []twin.Kind{twin.KindBuilding, twin.KindRoad}, Limit: 100})
	if err != nil {
		b.Fatal(err)
	}
	fc := FeatureCollection{Type: "FeatureCollection", NumberMatched: res.Matched, NumberReturned: len(res.Entities),
		TimeStamp: "2024-05-01T08:00:00Z", Links: []Link{{Href: "http://localhost/api/v1/entities?limit=100", Rel: "self"}}}
	run := func(b *testing.B, encode func() ([]byte, error)) {
		var n int
		b.ReportAllocs()
		for b.Loop() {
			out, err := encode()
			if err != nil {
				b.Fatal(err)
			}
			n = len(out)
		}
		b.ReportMetric(float64(b.N*len(res.Entities))/b.Elapsed().Seconds(), "features/s")
		b.ReportMetric(float64(n)/float64(len(res.Entities)), "bytes/feature")
	}
	b.Run("encoding-json", func(b *testing.B) {
		run(b, func() ([]byte, error) {
			page := fc
			page.Features = make([]Feature, len(res.Entities))
			for i := range res.Entities {
				page.Features[i] = featureOf(&res.Entities[i])
			}
			return encodeStd(&page)
		})
	})
	b.Run("append", func(b *testing.B) {
		var buf []byte
		run(b, func() ([]byte, error) {
			var err error
			buf, err = appendEntityCollection(buf[:0], &fc, res.Entities, "")
			return buf, err
		})
	})
}
