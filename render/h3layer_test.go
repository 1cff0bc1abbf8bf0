package render_test

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"citytwin/geo"
	"citytwin/render"
	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

func TestH3LayerRoundTrip(t *testing.T) {
	var cells []twin.CellValue
	for i := range 100 {
		c := geo.Cell(orb.Point{13.3 + float64(i)*0.001, 52.5}, 9)
		cells = append(cells, twin.CellValue{Cell: c, Value: float64(i) * 1.5, Count: i})
	}
	cases := []struct {
		name string
		l    render.H3Layer
	}{
		{"empty", render.H3Layer{Res: 0, Metric: "", Agg: series.Count}},
		{"pm25", render.H3Layer{Res: 9, Metric: "pm25", Agg: series.Avg, Cells: cells}},
		{"windowed, 8-byte name", render.H3Layer{Res: 15, Metric: "no2_µg/m", Agg: series.P95, Windowed: true, Cells: cells[:3]}},
		{"odd values", render.H3Layer{Res: 8, Metric: "x", Agg: series.Max, Cells: []twin.CellValue{
			{Cell: cells[0].Cell, Value: math.NaN(), Count: 1}, {Cell: cells[1].Cell, Value: 1e300, Count: math.MaxUint32}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := render.AppendH3Layer([]byte("x"), &c.l)
			if err != nil {
				t.Fatal(err)
			}
			b = b[1:]
			// The layout, read by hand as a browser would.
			le := binary.LittleEndian
			n := len(c.l.Cells)
			p := 16 + (len(c.l.Metric)+7)/8*8
			if string(b[:4]) != "CTH3" || b[4] != 1 || int(b[5]) != c.l.Res || series.Agg(b[6]) != c.l.Agg ||
				(b[7] == 1) != c.l.Windowed || int(le.Uint32(b[8:])) != n || int(le.Uint16(b[12:])) != len(c.l.Metric) ||
				string(b[16:16+len(c.l.Metric)]) != c.l.Metric || len(b) != p+16*n || p%8 != 0 {
				t.Fatalf("header % x", b[:min(len(b), 32)])
			}
			for i, cv := range c.l.Cells {
				if h3.Cell(le.Uint64(b[p+8*i:])) != cv.Cell || le.Uint32(b[p+12*n+4*i:]) != uint32(cv.Count) {
					t.Fatalf("cell %d", i)
				}
				if v := math.Float32frombits(le.Uint32(b[p+8*n+4*i:])); v != float32(cv.Value) && !(math.IsNaN(cv.Value) && v != v) {
					t.Fatalf("value %d: %v, want %v", i, v, cv.Value)
				}
			}
			got, err := render.DecodeH3Layer(b)
			if err != nil {
				t.Fatal(err)
			}
			if got.Res != c.l.Res || got.Metric != c.l.Metric || got.Agg != c.l.Agg || got.Windowed != c.l.Windowed || len(got.Cells) != n {
				t.Fatalf("decoded %+v", got)
			}
			for i := range got.Cells {
				g, w := got.Cells[i], c.l.Cells[i]
				if g.Cell != w.Cell || g.Count != w.Count || g.Value != float64(float32(w.Value)) && !math.IsNaN(w.Value) {
					t.Fatalf("cell %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestH3LayerErrors(t *testing.T) {
	for _, l := range []render.H3Layer{{Res: 16}, {Agg: 9}, {Cells: []twin.CellValue{{Count: -1}}}, {Metric: string(make([]byte, 70000))}} {
		if _, err := render.AppendH3Layer(nil, &l); !errors.Is(err, render.ErrH3Layer) {
			t.Errorf("%v: %v", l.Res, err)
		}
	}
	good, _ := render.AppendH3Layer(nil, &render.H3Layer{Res: 8, Metric: "pm25", Cells: []twin.CellValue{{Cell: 1, Value: 2, Count: 3}}})
	for name, mutate := range map[string]func(b []byte) []byte{
		"short":    func(b []byte) []byte { return b[:10] },
		"magic":    func(b []byte) []byte { b[0] = 'X'; return b },
		"version":  func(b []byte) []byte { b[4] = 2; return b },
		"res":      func(b []byte) []byte { b[5] = 16; return b },
		"flags":    func(b []byte) []byte { b[7] = 2; return b },
		"count":    func(b []byte) []byte { b[8] = 2; return b },
		"truncate": func(b []byte) []byte { return b[:len(b)-1] },
	} {
		b := mutate(append([]byte(nil), good...))
		if _, err := render.DecodeH3Layer(b); !errors.Is(err, render.ErrH3Layer) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDecodeH3Layer(f *testing.F) {
	seed, _ := render.AppendH3Layer(nil, &render.H3Layer{Res: 8, Metric: "pm25", Agg: series.Avg, Cells: []twin.CellValue{{Cell: 0x88283082a3fffff, Value: 12.5, Count: 3}}})
	f.Add(seed)
	f.Add([]byte("CTH3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := render.DecodeH3Layer(b)
		if err != nil {
			return
		}
		again, err := render.AppendH3Layer(nil, &l)
		if err != nil {
			t.Fatal(err)
		}
		if l2, err := render.DecodeH3Layer(again); err != nil || len(l2.Cells) != len(l.Cells) || l2.Metric != l.Metric {
			t.Fatalf("re-encoded: %v", err)
		}
	})
}
