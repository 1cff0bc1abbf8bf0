package render

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"math"

	"github.com/paulmach/orb"
)

// Plots for reports: self-contained SVG, no fonts or scripts to fetch.

// LineSeries is one line of a chart.
type LineSeries struct {
	Name   string
	Values []float64 // one per LineChart.Times
}

// LineChart is a chart of series over time (seconds).
type LineChart struct {
	Title  string
	Unit   string
	Times  []float64
	Series []LineSeries
}

// Plot size and the colours of the series (baseline grey-blue, scenario
// orange: told apart by people with either common colour-vision deficiency).
const (
	plotW, plotH                     = 720, 360
	padL, padR, padT, padB           = 70, 20, 40, 45
	errPlotEmpty                     = "render: nothing to plot"
	plotFont                         = "font-family=\"system-ui,sans-serif\""
	colourAxis, colourGrid, colourBg = "#444", "#ddd", "#fff"
)

var seriesColours = []string{"#4477aa", "#ee7733", "#228833", "#aa3377"}

// ErrPlot reports a plot that cannot be drawn.
var ErrPlot = errors.New(errPlotEmpty)

// LineChartSVG draws the chart: time in minutes along x, the unit up y, a
// legend of the series.
func LineChartSVG(c LineChart) ([]byte, error) {
	n := len(c.Times)
	if n == 0 || len(c.Series) == 0 {
		return nil, ErrPlot
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		if len(s.Values) != n {
			return nil, fmt.Errorf("%w: series %s has %d values for %d times", ErrPlot, s.Name, len(s.Values), n)
		}
		for _, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if lo > hi {
		return nil, ErrPlot
	}
	lo = math.Min(lo, 0)
	if hi <= lo {
		hi = lo + 1
	}
	ticks := niceTicks(lo, hi, 5)
	lo, hi = ticks[0], ticks[len(ticks)-1]
	t0, t1 := 0.0, c.Times[n-1]
	if t1 <= t0 {
		t1 = t0 + 1
	}
	x := func(t float64) float64 { return padL + (t-t0)/(t1-t0)*(plotW-padL-padR) }
	y := func(v float64) float64 { return plotH - padB - (v-lo)/(hi-lo)*(plotH-padT-padB) }
	var b bytes.Buffer
	header(&b, c.Title)
	for _, tv := range ticks {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`, padL, plotW-padR, y(tv), y(tv), colourGrid)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" %s fill="%s">%s</text>`, padL-6, y(tv)+4, plotFont, colourAxis, fmtNum(tv))
	}
	for _, tv := range niceTicks(t0/60, t1/60, 6) {
		if tv*60 > t1+1e-9 {
			continue
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11" %s fill="%s">%s</text>`, x(tv*60), plotH-padB+16, plotFont, colourAxis, fmtNum(tv))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12" %s fill="%s">minutes</text>`, (plotW+padL)/2, plotH-8, plotFont, colourAxis)
	fmt.Fprintf(&b, `<text x="14" y="%d" font-size="12" %s fill="%s" transform="rotate(-90 14 %d)" text-anchor="middle">%s</text>`, plotH/2, plotFont, colourAxis, plotH/2, html.EscapeString(c.Unit))
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s"/>`, padL, plotW-padR, plotH-padB, plotH-padB, colourAxis)
	for i, s := range c.Series {
		col := seriesColours[i%len(seriesColours)]
		b.WriteString(`<polyline fill="none" stroke-width="2" stroke="` + col + `" points="`)
		for k, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			fmt.Fprintf(&b, "%.1f,%.1f ", x(c.Times[k]), y(v))
		}
		b.WriteString(`"/>`)
		lx := padL + 10 + i*140
		fmt.Fprintf(&b, `<rect x="%d" y="24" width="14" height="4" fill="%s"/><text x="%d" y="30" font-size="12" %s fill="%s">%s</text>`, lx, col, lx+18, plotFont, colourAxis, html.EscapeString(s.Name))
	}
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

// MapCell is a polygon (WGS84) with a value.
type MapCell struct {
	Polygon orb.Polygon
	Value   float64
}

// CellMap is a map of cells coloured by value on a diverging scale centred on
// zero: blue below, red above, white at zero.
type CellMap struct {
	Title string
	Cells []MapCell
}

// CellMapSVG draws the map in an equirectangular projection scaled by the
// cosine of the mean latitude, with a colour bar.
func CellMapSVG(m CellMap) ([]byte, error) {
	if len(m.Cells) == 0 {
		return nil, ErrPlot
	}
	var bound orb.Bound
	first := true
	maxAbs := 0.0
	for _, c := range m.Cells {
		if len(c.Polygon) == 0 {
			continue
		}
		if first {
			bound, first = c.Polygon.Bound(), false
		} else {
			bound = bound.Union(c.Polygon.Bound())
		}
		if !math.IsNaN(c.Value) && !math.IsInf(c.Value, 0) {
			maxAbs = math.Max(maxAbs, math.Abs(c.Value))
		}
	}
	if first {
		return nil, ErrPlot
	}
	if maxAbs == 0 {
		maxAbs = 1
	}
	k := math.Cos((bound.Min[1] + bound.Max[1]) / 2 * math.Pi / 180)
	w, h := (bound.Max[0]-bound.Min[0])*k, bound.Max[1]-bound.Min[1]
	size := math.Max(w, h)
	if size == 0 {
		size = 1e-6
	}
	side := float64(plotH - padT - 20)
	x := func(p orb.Point) float64 { return 20 + (p[0]-bound.Min[0])*k/size*side }
	y := func(p orb.Point) float64 { return padT + (bound.Max[1]-p[1])/size*side }
	var b bytes.Buffer
	header(&b, m.Title)
	for _, c := range m.Cells {
		if len(c.Polygon) == 0 || math.IsNaN(c.Value) {
			continue
		}
		b.WriteString(`<path stroke="#999" stroke-width="0.3" fill="` + diverging(c.Value/maxAbs) + `" d="`)
		for _, ring := range c.Polygon {
			for i, p := range ring {
				cmd := 'L'
				if i == 0 {
					cmd = 'M'
				}
				fmt.Fprintf(&b, "%c%.1f %.1f", cmd, x(p), y(p))
			}
			b.WriteByte('Z')
		}
		b.WriteString(`"/>`)
	}
	// Colour bar.
	bx := plotW - padR - 30
	for i := 0; i < 100; i++ {
		v := 1 - float64(i)/50
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="3" fill="%s"/>`, bx, padT+i*3, diverging(v))
	}
	for _, v := range []float64{1, 0, -1} {
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" %s fill="%s">%s</text>`, bx-4, float64(padT)+(1-v)*150+4, plotFont, colourAxis, fmtNum(v*maxAbs))
	}
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

func header(b *bytes.Buffer, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`, plotW, plotH, plotW, plotH)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="%s"/>`, plotW, plotH, colourBg)
	fmt.Fprintf(b, `<text x="%d" y="16" font-size="14" font-weight="600" %s fill="#222">%s</text>`, padL/2, plotFont, html.EscapeString(title))
}

// diverging maps v in [-1, 1] to blue–white–red.
func diverging(v float64) string {
	v = math.Max(-1, math.Min(1, v))
	mix := func(a, b float64, t float64) int { return int(math.Round(a + (b-a)*t)) }
	if v >= 0 {
		return fmt.Sprintf("#%02x%02x%02x", mix(255, 178, v), mix(255, 24, v), mix(255, 43, v))
	}
	return fmt.Sprintf("#%02x%02x%02x", mix(255, 33, -v), mix(255, 102, -v), mix(255, 172, -v))
}

// niceTicks are round values from at most lo to at least hi, about n of them.
func niceTicks(lo, hi float64, n int) []float64 {
	span := hi - lo
	if span <= 0 {
		span = 1
	}
	step := math.Pow(10, math.Floor(math.Log10(span/float64(n))))
	for _, m := range []float64{1, 2, 5, 10} {
		if span/(step*m) <= float64(n) {
			step *= m
			break
		}
	}
	var out []float64
	for v := math.Floor(lo/step) * step; ; v += step {
		out = append(out, v)
		if v >= hi-1e-9*step {
			break
		}
	}
	return out
}

// fmtNum prints a tick value compactly.
func fmtNum(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.3gk", v/1e3)
	case a == 0:
		return "0"
	case a < 0.01:
		return fmt.Sprintf("%.1e", v)
	}
	return fmt.Sprintf("%.4g", v)
}
