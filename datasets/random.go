package datasets

import (
	"math"
	"math/rand/v2"
)

// Streams of randomness. Every part of the generator draws from its own PCG
// stream, keyed by the seed and a salt (and, for things made in parallel, by the
// index of the thing), so that the output never depends on scheduling.
const (
	saltLayout   = 0x6c61796f7574 // "layout"
	saltDistrict = 0x6469737472   // "distr"
	saltLot      = 0x6c6f74       // "lot"
	saltPick     = 0x7069636b     // "pick"
	saltSensor   = 0x73656e73     // "sens"
	saltVehicle  = 0x76656869     // "vehi"
	saltRoute    = 0x726f757465   // "route"
	saltSignal   = 0x7369676e     // "sign"
	saltMotion   = 0x6d6f7465     // "mote"
	saltWeather  = 0x77656174     // "weat"
)

// mix64 is the splitmix64 finaliser: a cheap, well-spread hash of x.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash2 combines two keys.
func hash2(a, b uint64) uint64 { return mix64(a ^ mix64(b+0x9e3779b97f4a7c15)) }

// newRand returns a generator for the stream (seed, salt, index).
func newRand(seed, salt, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(hash2(seed, salt), index))
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// between draws uniformly from [lo, hi).
func between(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// intBetween draws uniformly from [lo, hi].
func intBetween(r *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// pickWeighted returns an index into weights with probability proportional to
// its weight; weights must not all be zero.
func pickWeighted(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// cumulative is a table for drawing indices in proportion to weights.
type cumulative struct {
	items []int
	cum   []float64
}

func (c *cumulative) add(item int, w float64) {
	if w <= 0 {
		return
	}
	last := 0.0
	if n := len(c.cum); n > 0 {
		last = c.cum[n-1]
	}
	c.items = append(c.items, item)
	c.cum = append(c.cum, last+w)
}

func (c *cumulative) empty() bool { return len(c.items) == 0 }

// draw returns an item; the table must not be empty.
func (c *cumulative) draw(r *rand.Rand) int {
	x := r.Float64() * c.cum[len(c.cum)-1]
	lo, hi := 0, len(c.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if c.cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return c.items[lo]
}

// round1 rounds to one decimal, so that generated sizes read naturally.
func round1(x float64) float64 { return math.Round(x*10) / 10 }
