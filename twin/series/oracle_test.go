package series

import (
	"math"
	"math/big"
	"slices"
	"sort"
	"testing"
)

// oracle is the brute-force model a Series must agree with: a sorted slice.
type oracle struct{ pts []Point }

func (o *oracle) append(t int64, v float64) {
	i := sort.Search(len(o.pts), func(i int) bool { return o.pts[i].T >= t })
	if i < len(o.pts) && o.pts[i].T == t {
		o.pts[i].V = v
		return
	}
	o.pts = slices.Insert(o.pts, i, Point{t, v})
}

func (o *oracle) trim(before int64) int {
	n := 0
	for n < len(o.pts) && o.pts[n].T < before {
		n++
	}
	o.pts = o.pts[n:]
	return n
}

func (o *oracle) rangePts(from, to int64) []Point {
	var out []Point
	for _, p := range o.pts {
		if p.T >= from && p.T < to {
			out = append(out, p)
		}
	}
	return out
}

func (o *oracle) at(t int64) (Point, bool) {
	var best Point
	found := false
	for _, p := range o.pts {
		if p.T <= t {
			best, found = p, true
		}
	}
	return best, found
}

func (o *oracle) lastN(n int, before int64) []Point {
	var all []Point
	for _, p := range o.pts {
		if p.T < before {
			all = append(all, p)
		}
	}
	if n <= 0 || len(all) == 0 {
		return nil
	}
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all
}

// floorStart is floor(t/step)*step computed exactly, clamped to int64.
func floorStart(t, step int64) int64 {
	q := new(big.Int).Div(big.NewInt(t), big.NewInt(step)) // Euclidean: floor for step > 0
	q.Mul(q, big.NewInt(step))
	if !q.IsInt64() {
		return math.MinInt64
	}
	return q.Int64()
}

func (o *oracle) aggregate(from, to, step int64) []Bucket {
	if step <= 0 || from >= to {
		return nil
	}
	var out []Bucket
	for _, p := range o.rangePts(from, to) {
		if math.IsNaN(p.V) {
			continue
		}
		start := floorStart(p.T, step)
		if len(out) == 0 || out[len(out)-1].Start != start {
			out = append(out, Bucket{Start: start, Min: p.V, Max: p.V})
		}
		b := &out[len(out)-1]
		b.Count++
		b.Sum += p.V
		b.Min = math.Min(b.Min, p.V)
		b.Max = math.Max(b.Max, p.V)
		b.Values = append(b.Values, p.V) // always: sumOK needs them
	}
	return out
}

// sumOK reports whether got is a correct float64 sum of vals in some order:
// within the rounding error any summation order may make, and exactly the
// IEEE 754 result when infinities are added. Sums near overflow are not
// checked: their result depends on the order.
func sumOK(got float64, vals []float64) bool {
	var abs float64
	posInf, negInf := false, false
	exact := new(big.Float).SetPrec(2048)
	for _, v := range vals {
		switch {
		case math.IsInf(v, 1):
			posInf = true
		case math.IsInf(v, -1):
			negInf = true
		default:
			abs += math.Abs(v)
			exact.Add(exact, big.NewFloat(v))
		}
	}
	if abs > math.MaxFloat64/4 || math.IsInf(abs, 0) {
		return true
	}
	switch {
	case posInf && negInf:
		return math.IsNaN(got)
	case posInf:
		return math.IsInf(got, 1)
	case negInf:
		return math.IsInf(got, -1)
	}
	want, _ := exact.Float64()
	tol := float64(len(vals)+1) * 0x1p-52 * abs
	return math.Abs(got-want) <= tol
}

// sameFloat reports bitwise equality, with all NaNs equal.
func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

// closeFloat allows for summation order: sums from block summaries add in a
// different order than the oracle's.
func closeFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return sameFloat(a, b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	d := math.Abs(a - b)
	return d <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func samePoints(t *testing.T, what string, got, want []Point) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d points, want %d\ngot  %v\nwant %v", what, len(got), len(want), clip(got), clip(want))
	}
	for i := range got {
		if got[i].T != want[i].T || math.Float64bits(got[i].V) != math.Float64bits(want[i].V) {
			t.Fatalf("%s: point %d: got %v, want %v", what, i, got[i], want[i])
		}
	}
}

func clip(p []Point) []Point {
	if len(p) > 12 {
		return p[:12]
	}
	return p
}

// sameBuckets compares buckets; want carries values always, got only when
// withValues.
func sameBuckets(t *testing.T, what string, got, want []Bucket, withValues bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d buckets, want %d\ngot  %+v\nwant %+v", what, len(got), len(want), got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Start != w.Start || g.Count != w.Count || !sumOK(g.Sum, w.Values) ||
			g.Min != w.Min || g.Max != w.Max {
			t.Fatalf("%s: bucket %d: got %+v, want %+v", what, i, g, w)
		}
		if !withValues {
			if g.Values != nil {
				t.Fatalf("%s: bucket %d has values unasked", what, i)
			}
			continue
		}
		if len(g.Values) != len(w.Values) {
			t.Fatalf("%s: bucket %d: %d values, want %d", what, i, len(g.Values), len(w.Values))
		}
		for j := range g.Values {
			if !sameFloat(g.Values[j], w.Values[j]) {
				t.Fatalf("%s: bucket %d value %d: got %v, want %v", what, i, j, g.Values[j], w.Values[j])
			}
		}
	}
}

// allPoints reads every point of s through Range.
func allPoints(s *Series) []Point {
	pts := s.Points(math.MinInt64, math.MaxInt64)
	if l, ok := s.Last(); ok && l.T == math.MaxInt64 { // beyond any exclusive end
		pts = append(pts, l)
	}
	return pts
}

// checkInvariants verifies the structure: blocks sorted and disjoint, head
// after them, counts and summaries consistent.
func checkInvariants(t *testing.T, s *Series) {
	t.Helper()
	n := len(s.head)
	data := 0
	for i := range s.blocks {
		b := &s.blocks[i]
		pts, err := DecodeBlock(nil, b.data)
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if len(pts) != b.count || pts[0] != b.first && !sameFloat(pts[0].V, b.first.V) || pts[len(pts)-1].T != b.last.T {
			t.Fatalf("block %d: header %+v disagrees with %d decoded points", i, b, len(pts))
		}
		if i > 0 && s.blocks[i-1].last.T >= b.first.T {
			t.Fatalf("block %d overlaps block %d", i, i-1)
		}
		var sum Summary
		for _, p := range pts {
			sum.Add(p.V)
		}
		if sum.Count != b.valid || !closeFloat(sum.Sum, b.sum) || sum.Count > 0 && (sum.Min != b.min || sum.Max != b.max) {
			t.Fatalf("block %d summary %+v, recomputed %+v", i, b, sum)
		}
		n += b.count
		data += b.bytes()
	}
	if len(s.blocks) > 0 && len(s.head) > 0 && s.head[0].T <= s.blocks[len(s.blocks)-1].last.T {
		t.Fatalf("head starts at %d, not after the last block's %d", s.head[0].T, s.blocks[len(s.blocks)-1].last.T)
	}
	for i := 1; i < len(s.head); i++ {
		if s.head[i].T <= s.head[i-1].T {
			t.Fatalf("head not strictly ascending at %d", i)
		}
	}
	if n != s.n {
		t.Fatalf("n = %d, points held %d", s.n, n)
	}
	if data != s.dataBytes {
		t.Fatalf("dataBytes = %d, blocks hold %d", s.dataBytes, data)
	}
}
