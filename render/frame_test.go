package render

import (
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// The worked example of docs/stream.md, byte for byte.
func TestFrameWorkedExample(t *testing.T) {
	f := &Frame{Type: FramePositions, Metric: NoMetric, Seq: 42, TimeMS: 1700000000000,
		Slots: []uint32{1, 7}, East: []float32{12.5, -300}, North: []float32{-40, 1024.25}}
	got, err := AppendFrame(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	want := "43545746" + "01" + "01" + "ffff" + // magic, version, type, metric
		"2a00000000000000" + // seq 42
		"0068e5cf8b010000" + // 1700000000000 ms
		"02000000" + "00000000" + // count, reserved
		"01000000" + "07000000" + // slots
		"00004841" + "000096c3" + // east 12.5, -300
		"000020c2" + "00088044" // north -40, 1024.25
	if h := hex.EncodeToString(got); h != want {
		t.Fatalf("got  %s\nwant %s", h, want)
	}
	v := &Frame{Type: FrameValues, Metric: 0, Seq: 42, TimeMS: 1700000000000, Slots: []uint32{3}, Values: []float32{17.5}}
	got, err = AppendFrame(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	want = "43545746" + "01" + "02" + "0000" + "2a00000000000000" + "0068e5cf8b010000" + "01000000" + "00000000" + "03000000" + "00008c41"
	if h := hex.EncodeToString(got); h != want {
		t.Fatalf("got  %s\nwant %s", h, want)
	}
}

func TestFrameRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 17, 1000} {
		for _, typ := range []FrameType{FramePositions, FrameValues} {
			f := &Frame{Type: typ, Metric: NoMetric, Seq: rng.Uint64(), TimeMS: rng.Int64(), Slots: make([]uint32, n)}
			for i := range n {
				f.Slots[i] = rng.Uint32()
				if typ == FramePositions {
					f.East = append(f.East, float32(rng.NormFloat64()*5000))
					f.North = append(f.North, float32(rng.NormFloat64()*5000))
				} else {
					f.Values = append(f.Values, float32(rng.NormFloat64()))
				}
			}
			if typ == FrameValues {
				f.Metric = uint16(rng.IntN(8))
			}
			prefix := []byte("xy")
			b, err := AppendFrame(prefix, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(b)-2 != FrameSize(typ, n) || string(b[:2]) != "xy" {
				t.Fatalf("%s %d: %d bytes, want %d after the prefix", typ, n, len(b)-2, FrameSize(typ, n))
			}
			got, err := DecodeFrame(b[2:])
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 { // nil and empty columns are the same frame
				for _, fr := range []*Frame{got, f} {
					fr.Slots, fr.East, fr.North, fr.Values = nil, nil, nil, nil
				}
			}
			if !reflect.DeepEqual(got, f) {
				t.Fatalf("%s %d: round trip differs\ngot  %+v\nwant %+v", typ, n, got, f)
			}
		}
	}
}

func TestFrameErrors(t *testing.T) {
	good, _ := AppendFrame(nil, &Frame{Type: FrameValues, Metric: 1, Slots: []uint32{1}, Values: []float32{float32(math.NaN())}})
	bad := func(mod func(b []byte) []byte) []byte { return mod(append([]byte(nil), good...)) }
	for name, b := range map[string][]byte{
		"short":   good[:10],
		"magic":   bad(func(b []byte) []byte { b[0] = 'x'; return b }),
		"version": bad(func(b []byte) []byte { b[4] = 9; return b }),
		"type":    bad(func(b []byte) []byte { b[5] = 9; return b }),
		"count":   bad(func(b []byte) []byte { b[24] = 2; return b }),
		"huge":    bad(func(b []byte) []byte { b[27] = 0xff; return b }),
		"tail":    append(append([]byte(nil), good...), 0),
	} {
		if _, err := DecodeFrame(b); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v, want ErrBadFrame", name, err)
		}
	}
	for name, f := range map[string]*Frame{
		"type":           {Type: 7},
		"ragged":         {Type: FramePositions, Metric: NoMetric, Slots: []uint32{1}, East: []float32{1}},
		"values column":  {Type: FramePositions, Metric: NoMetric, Slots: []uint32{1}, East: []float32{1}, North: []float32{1}, Values: []float32{1}},
		"positions meta": {Type: FramePositions, Slots: nil},
		"values nometa":  {Type: FrameValues, Metric: NoMetric},
	} {
		if _, err := AppendFrame(nil, f); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v, want ErrBadFrame", name, err)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	b, _ := AppendFrame(nil, &Frame{Type: FramePositions, Metric: NoMetric, Seq: 1, Slots: []uint32{1, 2}, East: []float32{1, 2}, North: []float32{3, 4}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			return
		}
		again, err := AppendFrame(nil, fr)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(b) {
			t.Fatal("decode then encode changed the bytes")
		}
	})
}

func BenchmarkAppendFrame(b *testing.B) {
	const n = 250
	f := &Frame{Type: FramePositions, Metric: NoMetric, Slots: make([]uint32, n), East: make([]float32, n), North: make([]float32, n)}
	var buf []byte
	b.ReportAllocs()
	b.SetBytes(int64(FrameSize(FramePositions, n)))
	for b.Loop() {
		buf, _ = AppendFrame(buf[:0], f)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entities/s")
}
