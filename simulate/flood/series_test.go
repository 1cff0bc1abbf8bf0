package flood

import (
	"errors"
	"math"
	"testing"
)

func TestSeriesAtAndIntegral(t *testing.T) {
	s := Series{Times: []float64{10, 20, 40}, Values: []float64{0, 10, 10}}
	for _, tc := range []struct{ t, want float64 }{{0, 0}, {10, 0}, {15, 5}, {20, 10}, {30, 10}, {99, 10}} {
		if got := s.At(tc.t); got != tc.want {
			t.Errorf("At(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
	for _, tc := range []struct{ a, b, want float64 }{
		{0, 10, 0}, {10, 20, 50}, {15, 20, 37.5}, {10, 40, 250}, {40, 50, 100}, {0, 50, 350}, {12, 12, 0}, {20, 10, 0},
	} {
		if got := s.Integral(tc.a, tc.b); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Integral(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	// Splitting an interval anywhere adds up to the whole.
	whole := s.Integral(3, 47)
	var parts float64
	for a := 3.0; a < 47; a += 0.37 {
		parts += s.Integral(a, math.Min(a+0.37, 47))
	}
	if math.Abs(parts-whole) > 1e-9 {
		t.Errorf("parts %v, whole %v", parts, whole)
	}
	if c := Constant(3); c.Integral(-5, 5) != 30 {
		t.Errorf("Constant integral %v", c.Integral(-5, 5))
	}
}

func TestValidateRejects(t *testing.T) {
	base := func() Config {
		c := DefaultConfig()
		c.DEM = bumpyBowl(t, 5, 5, 1)
		return c
	}
	if c := base(); c.Validate() != nil {
		t.Fatalf("base config: %v", c.Validate())
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"no dem", func(c *Config) { c.DEM = nil }},
		{"alpha", func(c *Config) { c.Alpha = 0 }},
		{"alpha > 1", func(c *Config) { c.Alpha = 1.5 }},
		{"theta", func(c *Config) { c.Theta = 1.2 }},
		{"manning", func(c *Config) { c.Manning = math.NaN() }},
		{"interval", func(c *Config) { c.Interval = -1 }},
		{"thresholds", func(c *Config) { c.Thresholds = []float64{0.3, 0.1} }},
		{"rain series", func(c *Config) { c.Rain = []Rain{{Intensity: Series{Times: []float64{1, 0}, Values: []float64{1, 1}}}} }},
		{"rain negative", func(c *Config) { c.Rain = []Rain{{Intensity: Constant(-1)}} }},
		{"rain mask", func(c *Config) { c.Rain = []Rain{{Mask: make([]bool, 3), Intensity: Constant(1)}} }},
		{"inflow cell", func(c *Config) { c.Inflows = []Inflow{{Cells: []Cell{{9, 9}}, Discharge: Constant(1)}} }},
		{"edge depth", func(c *Config) { c.Edges.West = Edge{Kind: FixedDepth} }},
		{"edge kind", func(c *Config) { c.Edges.North = Edge{Kind: 7} }},
		{"manning grid shape", func(c *Config) { c.ManningGrid = bumpyBowl(t, 4, 5, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.edit(&c)
			if err := c.Validate(); !errors.Is(err, ErrConfig) && !errors.Is(err, ErrOutside) {
				t.Errorf("Validate = %v, want ErrConfig", err)
			}
			if _, err := New(c); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}
