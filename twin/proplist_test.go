package twin

import (
	"errors"
	"slices"
	"testing"
)

func TestPropertyReaders(t *testing.T) {
	ps, err := PropertiesOf(map[string]any{"r": 12.5, "rs": " 7 ", "bad": "seven", "b": true, "s": "  x ", "nul": nil})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key  string
		want float64
		ok   bool
		err  bool
	}{{"r", 12.5, true, false}, {"rs", 7, true, false}, {"bad", 0, false, true}, {"b", 0, false, true}, {"missing", 0, false, false}, {"nul", 0, false, false}} {
		f, ok, err := ps.Float(c.key)
		if f != c.want || ok != c.ok || (err != nil) != c.err {
			t.Errorf("Float(%s) = %v %v %v", c.key, f, ok, err)
		}
	}
	if s, ok, err := ps.Text("s"); s != "x" || !ok || err != nil {
		t.Errorf("Text(s) = %q %v %v", s, ok, err)
	}
	if _, _, err := ps.Text("r"); err == nil {
		t.Error("Text of a number")
	}
	if got := SplitList(" a, ,b ,, c", ","); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("SplitList %q", got)
	}
	if ks, err := ParseKinds("vehicle, sensor,vehicle"); err != nil || !slices.Equal(ks, []Kind{"vehicle", "sensor"}) {
		t.Errorf("ParseKinds %v %v", ks, err)
	}
	if _, err := ParseKinds("Vehicle"); !errors.Is(err, ErrBadKind) {
		t.Errorf("ParseKinds(Vehicle): %v", err)
	}
	if fs, err := ParseFilters("route=42; speed>3"); err != nil || len(fs) != 2 || fs[1].Key != "speed" {
		t.Errorf("ParseFilters %+v %v", fs, err)
	}
	if _, err := ParseFilters("route=42;=3"); !errors.Is(err, ErrBadFilter) {
		t.Errorf("ParseFilters bad: %v", err)
	}
}
