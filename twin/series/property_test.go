package series

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// opRunner applies random operations to a Series and an oracle and checks
// that they agree. Its randomness comes from next, so a fuzzer can drive it.
type opRunner struct {
	t    *testing.T
	next func() uint64
	s    *Series
	o    oracle
	now  int64 // the newest in-order time so far
}

func (r *opRunner) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return int(r.next() % uint64(n))
}

// time picks a timestamp: mostly in order at a sensor-like pace, sometimes
// late, duplicated, far away or at the extremes.
func (r *opRunner) time() int64 {
	switch k := r.intn(100); {
	case k < 70:
		r.now += 10e9 + int64(r.intn(3))*1e9 - 1e9
		return r.now
	case k < 80 && len(r.o.pts) > 0: // duplicate
		return r.o.pts[r.intn(len(r.o.pts))].T
	case k < 93: // late, within the recent past
		return r.now - int64(r.intn(2000))*1e9 - int64(r.intn(1000))
	case k < 95: // far future jump
		r.now += int64(r.intn(1<<30)) << 20
		return r.now
	case k < 97:
		return int64(r.next()) // anywhere, negative included
	case k < 98:
		return math.MinInt64 + int64(r.intn(3))
	default:
		return math.MaxInt64 - int64(r.intn(3))
	}
}

func (r *opRunner) value() float64 {
	switch k := r.intn(100); {
	case k < 60:
		return float64(int64(r.intn(20000))-5000) / 100 // two decimals
	case k < 80:
		return math.Float64frombits(r.next()>>12|0x3ff<<52) * 37.1 // full mantissa
	case k < 85:
		return float64(r.intn(5))
	}
	specials := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 1e300, -1e-300,
		math.Float64frombits(0x7ff8000000000123)}
	return specials[r.intn(len(specials))]
}

// window picks a query interval, sometimes unbounded or empty.
func (r *opRunner) window() (int64, int64) {
	a, b := r.time(), r.time()
	switch r.intn(8) {
	case 0:
		a = math.MinInt64
	case 1:
		b = math.MaxInt64
	case 2:
		a, b = math.MinInt64, math.MaxInt64
	}
	if a > b && r.intn(4) != 0 {
		a, b = b, a
	}
	return a, b
}

func (r *opRunner) step() {
	t := r.t
	switch k := r.intn(100); {
	case k < 75:
		tm, v := r.time(), r.value()
		r.s.Append(tm, v)
		r.o.append(tm, v)
	case k < 77:
		before := r.time()
		if got, want := r.s.Trim(before), r.o.trim(before); got != want {
			t.Fatalf("Trim(%d) = %d, want %d", before, got, want)
		}
	case k < 82:
		from, to := r.window()
		samePoints(t, fmt.Sprintf("Range(%d, %d)", from, to), r.s.Points(from, to), r.o.rangePts(from, to))
	case k < 87:
		tm := r.time()
		got, gok := r.s.At(tm)
		want, wok := r.o.at(tm)
		if gok != wok || got.T != want.T || !sameFloat(got.V, want.V) {
			t.Fatalf("At(%d) = %v %v, want %v %v", tm, got, gok, want, wok)
		}
	case k < 91:
		n, before := r.intn(600)-5, r.time()
		if r.intn(3) == 0 {
			before = math.MaxInt64
		}
		samePoints(t, fmt.Sprintf("LastN(%d, %d)", n, before), r.s.LastN(n, before), r.o.lastN(n, before))
	case k < 97:
		from, to := r.window()
		steps := []int64{1, 7, 1e9, 60e9, 3600e9, 86400e9, 1 << 62, math.MaxInt64, 0, -5}
		step := steps[r.intn(len(steps))]
		withValues := r.intn(2) == 0
		sameBuckets(t, fmt.Sprintf("Aggregate(%d, %d, %d, %v)", from, to, step, withValues),
			r.s.Aggregate(from, to, step, withValues), r.o.aggregate(from, to, step), withValues)
	default:
		from, to := r.window()
		keep := r.intn(2) == 0
		got := r.s.Summarize(from, to, keep)
		want := NewSummary(true)
		for _, p := range r.o.rangePts(from, to) {
			want.Add(p.V)
		}
		if got.Count != want.Count || !sumOK(got.Sum, want.values) || got.Count > 0 && (got.Min != want.Min || got.Max != want.Max) ||
			keep && !sameFloat(got.Value(P95), want.Value(P95)) {
			t.Fatalf("Summarize(%d, %d) = %+v, want %+v", from, to, got, want)
		}
	}
}

func (r *opRunner) checkAll() {
	t := r.t
	t.Helper()
	checkInvariants(t, r.s)
	if r.s.Len() != len(r.o.pts) {
		t.Fatalf("Len = %d, want %d", r.s.Len(), len(r.o.pts))
	}
	samePoints(t, "all points", allPoints(r.s), r.o.pts)
	f, ok := r.s.First()
	l, lok := r.s.Last()
	if len(r.o.pts) == 0 {
		if ok || lok {
			t.Fatalf("First/Last of empty series: %v %v, %v %v", f, ok, l, lok)
		}
		return
	}
	if !ok || f.T != r.o.pts[0].T || !sameFloat(f.V, r.o.pts[0].V) {
		t.Fatalf("First = %v, want %v", f, r.o.pts[0])
	}
	if w := r.o.pts[len(r.o.pts)-1]; !lok || l.T != w.T || !sameFloat(l.V, w.V) {
		t.Fatalf("Last = %v, want %v", l, w)
	}
}

func TestSeriesMatchesOracle(t *testing.T) {
	for _, blockPoints := range []int{2, 3, 8, 64, DefaultBlockPoints} {
		for seed := uint64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("block%d/seed%d", blockPoints, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, uint64(blockPoints)))
				s, err := NewWithOptions(Options{BlockPoints: blockPoints})
				if err != nil {
					t.Fatal(err)
				}
				r := &opRunner{t: t, next: rng.Uint64, s: s, now: int64(rng.Uint64()>>2) - 1<<61}
				ops := 4000
				if testing.Short() {
					ops = 1000
				}
				for i := range ops {
					r.step()
					if i%97 == 0 {
						r.checkAll()
					}
				}
				r.checkAll()
				// A clone must agree, and must not share writes.
				c := r.s.Clone()
				samePoints(t, "clone", allPoints(c), r.o.pts)
				c.Append(r.now+1, 1)
				c.Trim(r.now)
				samePoints(t, "original after clone writes", allPoints(r.s), r.o.pts)
			})
		}
	}
}

// FuzzSeriesOps drives random operations from the fuzzer's bytes.
func FuzzSeriesOps(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 64))
	rng := rand.New(rand.NewPCG(7, 7))
	for range 4 {
		seed := make([]byte, 2048)
		for i := range seed {
			seed[i] = byte(rng.Uint32())
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		blockPoints := 2 + int(data[0])%31
		data = data[1:]
		next := func() uint64 {
			var b [8]byte
			n := copy(b[:], data)
			data = data[n:]
			return binary.LittleEndian.Uint64(b[:])
		}
		s, err := NewWithOptions(Options{BlockPoints: blockPoints})
		if err != nil {
			t.Fatal(err)
		}
		r := &opRunner{t: t, next: next, s: s}
		for len(data) > 0 {
			r.step()
		}
		r.checkAll()
	})
}
