package twin_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// randomOps makes ops of every type with every kind of field set, as the log
// must carry them.
func randomOps(rng *rand.Rand, n int) []twin.Op {
	id := func() twin.ID { return twin.ID("e:" + strconv.Itoa(rng.IntN(50))) }
	tm := func() int64 { return 1_700_000_000_000_000_000 + rng.Int64N(1e15) }
	pt := func() orb.Point { return orb.Point{rng.Float64()*360 - 180, rng.Float64()*170 - 85} }
	props := func() twin.Properties {
		var ps twin.Properties
		for k := range rng.IntN(5) {
			var v twin.Value
			switch rng.IntN(4) {
			case 0:
				v = twin.NumberValue(rng.NormFloat64())
			case 1:
				v = twin.StringValue("s" + strconv.Itoa(rng.IntN(9)))
			case 2:
				v = twin.BoolValue(rng.IntN(2) == 0)
			}
			ps = append(ps, twin.Prop{Key: "k" + strconv.Itoa(k), Value: v})
		}
		return ps
	}
	ops := make([]twin.Op, n)
	for i := range ops {
		op := twin.Op{Type: twin.OpType(1 + rng.IntN(5)), T: tm(), Source: "src" + strconv.Itoa(rng.IntN(3))}
		switch op.Type {
		case twin.OpUpsert:
			e := &twin.Entity{ID: id(), Kind: twin.KindBuilding, Height: rng.Float64() * 50, MinHeight: 1, Levels: rng.IntN(9), Props: props()}
			switch rng.IntN(3) {
			case 0:
				e.Geometry = pt()
			case 1:
				p := pt()
				e.Geometry = orb.Polygon{{p, {p[0] + 0.001, p[1]}, {p[0], p[1] + 0.001}, p}}
			}
			if rng.IntN(2) == 0 {
				e.Links = []twin.Link{{Rel: "in", To: id()}}
				e.Provenance = []twin.Provenance{{Source: "osm", Time: time.Unix(0, tm()).UTC(), Note: "file:12"}, {Source: "x"}}
			}
			op.Entity = e
		case twin.OpPatch:
			op.ID, op.Patch = id(), props()
		case twin.OpDelete:
			op.ID = id()
		case twin.OpObserve:
			for range 1 + rng.IntN(20) {
				op.Observations = append(op.Observations, twin.Observation{ID: id(), Metric: "m" + strconv.Itoa(rng.IntN(3)), T: tm(), V: rng.NormFloat64()})
			}
		case twin.OpMove:
			for range 1 + rng.IntN(20) {
				op.Positions = append(op.Positions, twin.Position{ID: id(), T: tm(), Point: pt()})
			}
		}
		ops[i] = op
	}
	return ops
}

func TestCodecRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		ops := randomOps(rng, rng.IntN(30))
		data, err := twin.EncodeOps([]byte("xx"), ops)
		if err != nil {
			t.Fatal(err)
		}
		got, err := twin.DecodeOps(data[2:])
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(ops) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, ops) {
			t.Fatalf("round %d: decoded ops differ\n got %+v\nwant %+v", round, got, ops)
		}
	}
}

func TestCodecRejectsDamage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data, err := twin.EncodeOps(nil, randomOps(rng, 40))
	if err != nil {
		t.Fatal(err)
	}
	for cut := range len(data) {
		if _, err := twin.DecodeOps(data[:cut]); !errors.Is(err, twin.ErrBadRecord) {
			t.Fatalf("cut at %d of %d: err = %v, want ErrBadRecord", cut, len(data), err)
		}
	}
	if _, err := twin.DecodeOps(append(data, 0)); !errors.Is(err, twin.ErrBadRecord) {
		t.Fatalf("trailing byte: err = %v", err)
	}
}

// demoOps are the ops of the synthetic demo city and a few ticks of its live
// stream: real-shaped seeds for the fuzzer.
func demoOps(tb testing.TB) [][]twin.Op {
	tb.Helper()
	city, err := datasets.Generate(context.Background(), datasets.Demo(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]twin.Op
	var ups []twin.Op
	for e := range city.Entities() {
		ups = append(ups, twin.Op{Type: twin.OpUpsert, T: time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC).UnixNano(), Source: "synth", Entity: &e})
		if len(ups) == 50 {
			out = append(out, ups)
			ups = nil
		}
	}
	if len(ups) > 0 {
		out = append(out, ups)
	}
	st, err := datasets.NewStream(city, datasets.StreamConfig{Seed: 1, Interval: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	for i := range 3 {
		out = append(out, st.Tick(t0.Add(time.Duration(i)*time.Second)))
	}
	return out
}

func FuzzDecodeOps(f *testing.F) {
	all := demoOps(f)
	for i, ops := range all {
		if i%10 != 0 && i < len(all)-3 {
			continue
		}
		data, err := twin.EncodeOps(nil, ops)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := twin.DecodeOps(data)
		if err != nil {
			return
		}
		// What decodes must encode to something that decodes to the same ops.
		again, err := twin.EncodeOps(nil, ops)
		if err != nil {
			return // e.g. a geometry WKB reads but orb cannot write
		}
		ops2, err := twin.DecodeOps(again)
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if len(ops2) != len(ops) {
			t.Fatalf("%d ops, then %d", len(ops), len(ops2))
		}
		for i := range ops {
			if ops[i].Type != ops2[i].Type || ops[i].T != ops2[i].T || len(ops[i].Observations) != len(ops2[i].Observations) {
				t.Fatalf("op %d changed", i)
			}
			for j, o := range ops[i].Observations {
				if o2 := ops2[i].Observations[j]; o2.ID != o.ID || o2.T != o.T || math.Float64bits(o2.V) != math.Float64bits(o.V) {
					t.Fatalf("op %d observation %d changed", i, j)
				}
			}
		}
	})
}
