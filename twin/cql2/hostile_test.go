package cql2

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// TestHostileInputs checks that filters at the limits parse and match quickly.
func TestHostileInputs(t *testing.T) {
	var ring strings.Builder
	ring.WriteString("S_EQUALS(geometry, POLYGON((")
	n := 3500
	for i := range n {
		a := float64(i) / float64(n) * 6.283
		fmt.Fprintf(&ring, "%.4f %.4f, ", 1+math.Cos(a), 1+math.Sin(a))
	}
	fmt.Fprintf(&ring, "%.4f %.4f)))", 2.0, 1.0)
	inputs := []string{
		ring.String(),
		"name LIKE '" + strings.Repeat("%a", 20000) + "'",
		"a IN (" + strings.Repeat("1, ", MaxList-1) + "1)",
		strings.Repeat("NOT ", MaxDepth) + "a = 1",
		strings.Repeat("(", MaxDepth) + "a = 1" + strings.Repeat(")", MaxDepth),
		"a = '" + strings.Repeat("x", MaxLen-10) + "'",
		strings.Repeat("a", MaxLen-8) + " IS NULL",
	}
	e := &twin.Entity{ID: "x", Geometry: orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}},
		Props: mustProps(t, map[string]any{"name": strings.Repeat("a", 1000) + "b", "a": 2.0})}
	for i, s := range inputs {
		start := time.Now()
		x, err := Parse(s)
		if err != nil {
			t.Errorf("#%d: %v", i, err)
			continue
		}
		x.Match(e)
		if d := time.Since(start); d > time.Second {
			t.Errorf("#%d took %v", i, d)
		}
	}
}
