package unit

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		unit      string
		v         float64
		canonical string
		want      float64
	}{
		{"Cel", 21.5, "Cel", 21.5},
		{"°C", 21.5, "Cel", 21.5},
		{"degC", -3, "Cel", -3},
		{"C", 0, "Cel", 0},
		{"celsius", 4, "Cel", 4},
		{"degF", 32, "Cel", 0},
		{"°F", 212, "Cel", 100},
		{"F", -40, "Cel", -40},
		{"K", 273.15, "Cel", 0},
		{"K", 0, "Cel", -273.15},
		{"km/h", 100, "m/s", 27.777777777777778},
		{"kmh", 36, "m/s", 10},
		{"mph", 60, "m/s", 26.8224},
		{"kn", 1, "m/s", 0.5144444444444445},
		{"knots", 10, "m/s", 5.144444444444445},
		{"m/s", 3, "m/s", 3},
		{"km", 1.5, "m", 1500},
		{"cm", 250, "m", 2.5},
		{"mm", 12, "m", 0.012},
		{"ft", 1, "m", 0.3048},
		{"in", 12, "m", 0.3048},
		{"mi", 1, "m", 1609.344},
		{"hPa", 1013.25, "Pa", 101325},
		{"kPa", 101.325, "Pa", 101325},
		{"bar", 1.01325, "Pa", 101325},
		{"mbar", 1013.25, "Pa", 101325},
		{"atm", 1, "Pa", 101325},
		{"psi", 14.695948775513449, "Pa", 101325},
		{"mmHg", 1, "Pa", 133.322387415}, // conventional millimetre of mercury, not the torr
		{"ug/m3", 12.5, "ug/m3", 12.5},
		{"µg/m³", 12.5, "ug/m3", 12.5},
		{"μg/m3", 12.5, "ug/m3", 12.5},
		{"ug/m^3", 12.5, "ug/m3", 12.5},
		{"mg/m3", 0.0125, "ug/m3", 12.5},
		{"ppm", 415, "ppm", 415},
		{"ppb", 40, "ppm", 0.04},
		{"%", 45, "%", 45},
		{"/", 0.45, "%", 45},
		{"/100", 45, "%", 45},
		{"%RH", 60, "%RH", 60},
		{"J", 1, "J", 1},
		{"Wh", 1, "J", 3600},
		{"kWh", 1.5, "J", 5.4e6},
		{"MJ", 2, "J", 2e6},
		{"W", 5, "W", 5},
		{"kW", 2.5, "W", 2500},
		{"MW", 1, "W", 1e6},
		{"mW", 1, "W", 0.001},
		{"m3", 2, "m3", 2},
		{"l", 1000, "m3", 1},
		{"L", 500, "m3", 0.5},
		{"l/s", 1000, "m3/s", 1},
		{"L/min", 60000, "m3/s", 1},
		{"mm/h", 7.5, "mm/h", 7.5},
		{"in/h", 1, "mm/h", 25.4},
		{"count", 17, "count", 17},
		{"1", 17, "count", 17},
		{"beats", 70, "beats", 70},
		{"lx", 300, "lx", 300},
		{"dB", 55, "dB", 55},
		{"dB(A)", 55, "dB", 55},
		{"min", 2, "s", 120},
		{"h", 1, "s", 3600},
		{"ms", 1500, "s", 1.5},
		{"rad", math.Pi, "deg", 180},
		{"deg", 90, "deg", 90},
		{"lat", 60.17, "lat", 60.17},
		{"KiB", 2, "B", 2048},
		// case-insensitive where only one entry matches
		{"KM/H", 36, "m/s", 10},
		{"hpa", 10, "Pa", 1000},
		{"CEL", 5, "Cel", 5},
		{"Kwh", 1, "J", 3.6e6},
		{" km / h ", 36, "m/s", 10},
	}
	for _, tt := range tests {
		t.Run(tt.unit, func(t *testing.T) {
			canonical, got, err := Normalize(tt.unit, tt.v)
			if err != nil {
				t.Fatalf("Normalize(%q, %v): %v", tt.unit, tt.v, err)
			}
			if canonical != tt.canonical || !close(got, tt.want) {
				t.Errorf("Normalize(%q, %v) = %q %v, want %q %v", tt.unit, tt.v, canonical, got, tt.canonical, tt.want)
			}
		})
	}
}

func close(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// Common conversions are exact, not merely close.
func TestNormalizeExact(t *testing.T) {
	for _, tt := range []struct {
		unit string
		v    float64
		want float64
	}{
		{"degF", 32, 0}, {"degF", 212, 100}, {"km/h", 36, 10}, {"hPa", 1013.25, 101325}, {"kWh", 1, 3.6e6},
	} {
		if _, got, _ := Normalize(tt.unit, tt.v); got != tt.want {
			t.Errorf("Normalize(%q, %v) = %v, want exactly %v", tt.unit, tt.v, got, tt.want)
		}
	}
}

func TestNormalizeEmpty(t *testing.T) {
	canonical, v, err := Normalize("", 42)
	if err != nil || canonical != "" || v != 42 {
		t.Errorf(`Normalize("", 42) = %q %v %v, want "" 42 nil`, canonical, v, err)
	}
}

func TestUnknownUnit(t *testing.T) {
	for _, u := range []string{"furlong", "mw", "s ", "S", "t", "T", "xyz/m3"} {
		_, _, err := Normalize(u, 1)
		switch u {
		case "s ", "S", "t", "T": // exact spellings are fine
			if err != nil {
				t.Errorf("Normalize(%q): %v", u, err)
			}
			continue
		}
		if !errors.Is(err, ErrUnknownUnit) {
			t.Errorf("Normalize(%q) error = %v, want ErrUnknownUnit", u, err)
			continue
		}
		if !strings.Contains(err.Error(), u) {
			t.Errorf("error %q does not name the unit %q", err, u)
		}
	}
}

// Spellings that differ only in case and belong to different units are only
// accepted exactly.
func TestAmbiguousCase(t *testing.T) {
	for _, tt := range []struct{ unit, canonical string }{
		{"mW", "W"}, {"MW", "W"}, {"s", "s"}, {"S", "S"}, {"t", "kg"}, {"T", "T"}, {"h", "s"}, {"H", "H"},
	} {
		c, err := Lookup(tt.unit)
		if err != nil || c.Canonical != tt.canonical {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tt.unit, c.Canonical, err, tt.canonical)
		}
	}
	_, w1, _ := Normalize("mW", 1)
	_, w2, _ := Normalize("MW", 1)
	if w1 != 0.001 || w2 != 1e6 {
		t.Errorf("mW, MW = %v, %v W", w1, w2)
	}
	for _, u := range []string{"mw", "Mw"} {
		if _, err := Lookup(u); !errors.Is(err, ErrUnknownUnit) {
			t.Errorf("Lookup(%q) error = %v, want ErrUnknownUnit", u, err)
		}
	}
}

// Property: for every unit in the table, Inverse(Normalize(v)) == v (to float
// precision), and the canonical unit converts to itself.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range Units() {
		for _, s := range append([]string{c.Symbol}, c.Aliases...) {
			for range 200 {
				v := (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(12)-4))
				canonical, n, err := Normalize(s, v)
				if err != nil {
					t.Fatalf("Normalize(%q): %v", s, err)
				}
				if canonical != c.Canonical {
					t.Fatalf("Normalize(%q) canonical = %q, want %q", s, canonical, c.Canonical)
				}
				back, err := Inverse(s, n)
				if err != nil {
					t.Fatal(err)
				}
				tol := 1e-12 * math.Max(math.Abs(v), math.Abs(c.Shift)+1)
				if math.Abs(back-v) > tol {
					t.Fatalf("%s: %v -> %v %s -> %v", s, v, n, canonical, back)
				}
				if _, again, _ := Normalize(canonical, n); again != n {
					t.Fatalf("canonical %s is not an identity: %v -> %v", canonical, n, again)
				}
			}
		}
	}
}

func TestFactor(t *testing.T) {
	c, err := Lookup("km/h")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Factor(), 1/3.6; !close(got, want) {
		t.Errorf("km/h factor = %v, want %v", got, want)
	}
	if c.Identity() {
		t.Error("km/h is not an identity")
	}
}

// Every canonical unit is in the table as the identity of its quantity, and each
// quantity has exactly one canonical unit.
func TestTableConsistent(t *testing.T) {
	canon := map[string]string{}
	for _, c := range Units() {
		if prev, ok := canon[c.Quantity]; ok && prev != c.Canonical {
			t.Errorf("%s has two canonical units: %s and %s", c.Quantity, prev, c.Canonical)
		}
		canon[c.Quantity] = c.Canonical
		cc, err := Lookup(c.Canonical)
		if err != nil || !cc.Identity() || cc.Canonical != c.Canonical {
			t.Errorf("canonical %s of %s: %+v %v", c.Canonical, c.Symbol, cc, err)
		}
		if c.Mul == 0 || c.Div == 0 || math.IsNaN(c.Factor()) {
			t.Errorf("%s: bad factor %v/%v", c.Symbol, c.Mul, c.Div)
		}
	}
}

func TestUnitsIsACopy(t *testing.T) {
	u := Units()
	u[0].Symbol = "x"
	u[0].Aliases[0] = "y"
	if v := Units(); v[0].Symbol == "x" || v[0].Aliases[0] == "y" {
		t.Error("Units returned the table itself")
	}
}

// The package documentation lists every accepted spelling (the lead renders
// docs/ingest.md from it).
func TestDocListsEveryUnit(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(strings.ReplaceAll(string(b), "//", "")), " ")
	for _, c := range Units() {
		for _, s := range append([]string{c.Symbol}, c.Aliases...) {
			if !strings.Contains(doc, s) {
				t.Errorf("doc.go does not list %q (%s)", s, c.Quantity)
			}
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	units := []string{"Cel", "km/h", "hPa", "ug/m3", "%RH", "degF"}
	for i := 0; b.Loop(); i++ {
		if _, _, err := Normalize(units[i%len(units)], 21.5); err != nil {
			b.Fatal(err)
		}
	}
}
