package render

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// svgOf parses an SVG and counts its elements by name.
func svgOf(t *testing.T, b []byte) map[string]int {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	n := map[string]int{}
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return n
			}
			t.Fatalf("not XML: %v\n%.300s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n[se.Name.Local]++
		}
	}
}

func TestLineChartSVG(t *testing.T) {
	b, err := LineChartSVG(LineChart{Title: "flow <&>", Unit: "veh/h", Times: []float64{300, 600, 900},
		Series: []LineSeries{{Name: "baseline", Values: []float64{1, 2, 3}}, {Name: "scenario", Values: []float64{1, 5, 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	n := svgOf(t, b)
	if n["svg"] != 1 || n["polyline"] != 2 {
		t.Fatalf("elements %v", n)
	}
	if !strings.Contains(string(b), "flow &lt;&amp;&gt;") {
		t.Fatal("the title is not escaped")
	}
	// Every point of the polylines lies inside the plot area.
	for _, line := range strings.Split(string(b), `points="`)[1:] {
		pts := strings.Fields(line[:strings.IndexByte(line, '"')])
		if len(pts) != 3 {
			t.Fatalf("%d points, want 3", len(pts))
		}
	}
	if _, err := LineChartSVG(LineChart{Times: []float64{1}, Series: []LineSeries{{Values: []float64{1, 2}}}}); !errors.Is(err, ErrPlot) {
		t.Fatalf("mismatched series: %v", err)
	}
	if _, err := LineChartSVG(LineChart{}); !errors.Is(err, ErrPlot) {
		t.Fatalf("empty chart: %v", err)
	}
}

func TestCellMapSVG(t *testing.T) {
	sq := func(x, y float64) orb.Polygon {
		return orb.Polygon{{{x, y}, {x + 0.01, y}, {x + 0.01, y + 0.01}, {x, y + 0.01}, {x, y}}}
	}
	b, err := CellMapSVG(CellMap{Title: "delay", Cells: []MapCell{{sq(24.9, 60.1), -2}, {sq(24.91, 60.1), 0}, {sq(24.92, 60.11), 4}}})
	if err != nil {
		t.Fatal(err)
	}
	n := svgOf(t, b)
	if n["path"] != 3 {
		t.Fatalf("elements %v", n)
	}
	s := string(b)
	// The largest change is the darkest red, the zero white, the negative blue.
	for _, c := range []string{diverging(1), diverging(0), diverging(-0.5)} {
		if !strings.Contains(s, `fill="`+c+`"`) {
			t.Fatalf("colour %s missing", c)
		}
	}
	if diverging(0) != "#ffffff" || diverging(1) != "#b2182b" || diverging(-1) != "#2166ac" {
		t.Fatalf("scale ends %s %s %s", diverging(-1), diverging(0), diverging(1))
	}
	if _, err := CellMapSVG(CellMap{}); !errors.Is(err, ErrPlot) {
		t.Fatalf("empty map: %v", err)
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct{ lo, hi float64 }{{0, 1}, {0, 7.3}, {-3, 120}, {5, 5}, {0, 1e6}} {
		ts := niceTicks(c.lo, c.hi, 5)
		if ts[0] > c.lo || ts[len(ts)-1] < c.hi || len(ts) > 12 {
			t.Fatalf("%v: ticks %v", c, ts)
		}
	}
}
