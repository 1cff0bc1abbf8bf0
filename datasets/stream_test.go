package datasets

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// monday is a weekday at midnight, local solar time of the demo city (UTC+2).
var monday = time.Date(2025, 3, 3, 0, 0, 0, 0, time.FixedZone("solar+2", 2*3600))

func newTestStream(t testing.TB, cfg StreamConfig) *Stream {
	t.Helper()
	s, err := NewStream(demo(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStreamDeterministic(t *testing.T) {
	run := func(seed uint64) [][]twin.Op {
		cfg := DefaultStreamConfig()
		cfg.Seed = seed
		cfg.SpikeRate, cfg.DropoutRate, cfg.StuckRate = 0.05, 0.05, 0.01
		s := newTestStream(t, cfg)
		var out [][]twin.Op
		for i := range 20 {
			out = append(out, s.Tick(monday.Add(time.Duration(i)*45*time.Second)))
		}
		return out
	}
	a, b := run(1), run(1)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed and ticks, different ops")
	}
	if c := run(2); reflect.DeepEqual(a, c) {
		t.Error("seeds 1 and 2 give the same ops")
	}
}

// means returns the mean of each metric of a sensor type at t, over a few
// minutes of ticks.
func means(s *Stream, t time.Time, typ SensorType) map[string]float64 {
	c := s.city
	sum, n := map[string]float64{}, map[string]int{}
	for i := range 5 {
		for _, op := range s.Tick(t.Add(time.Duration(i) * time.Minute)) {
			for _, o := range op.Observations {
				if c.Sensors[sensorIndex(c, o.ID)].Type == typ {
					sum[o.Metric] += o.V
					n[o.Metric]++
				}
			}
		}
	}
	for k := range sum {
		sum[k] /= float64(n[k])
	}
	return sum
}

var sensorIndexCache = map[twin.ID]int{}

func sensorIndex(c *City, id twin.ID) int {
	if len(sensorIndexCache) == 0 {
		for i, s := range c.Sensors {
			sensorIndexCache[s.ID] = i
		}
	}
	return sensorIndexCache[id]
}

func TestStreamDailyCycle(t *testing.T) {
	cfg := DefaultStreamConfig()
	cfg.DropoutRate, cfg.StuckRate, cfg.SpikeRate = 0, 0, 0
	for day := range 3 {
		d := monday.AddDate(0, 0, day)
		at := func(h int, typ SensorType) map[string]float64 {
			return means(newTestStream(t, cfg), d.Add(time.Duration(h)*time.Hour), typ)
		}
		night, morning, evening := at(3, Traffic), at(8, Traffic), at(17, Traffic)
		if !(morning[MetricVehicleCount] > 3*night[MetricVehicleCount] && evening[MetricVehicleCount] > 3*night[MetricVehicleCount]) {
			t.Errorf("day %d: vehicles per minute at 3, 8, 17 h: %.1f %.1f %.1f", day, night[MetricVehicleCount], morning[MetricVehicleCount], evening[MetricVehicleCount])
		}
		if !(morning[MetricSpeed] < night[MetricSpeed]) {
			t.Errorf("day %d: speed at 8 h %.1f not below 3 h %.1f", day, morning[MetricSpeed], night[MetricSpeed])
		}
		if a, b := at(3, AirQuality)[MetricNO2], at(8, AirQuality)[MetricNO2]; !(b > a) {
			t.Errorf("day %d: no2 at 8 h %.1f not above 3 h %.1f", day, b, a)
		}
		if a, b := at(4, Weather)[MetricTemperature], at(15, Weather)[MetricTemperature]; !(b > a) {
			t.Errorf("day %d: temperature at 15 h %.1f not above 4 h %.1f", day, b, a)
		}
		if a, b := at(3, Energy)[MetricPower], at(11, Energy)[MetricPower]; !(b > a) {
			t.Errorf("day %d: power at 11 h %.0f W not above 3 h %.0f W", day, b, a)
		}
	}
	// Weekends are quieter at the morning peak.
	sat := monday.AddDate(0, 0, 5).Add(8 * time.Hour)
	if a, b := means(newTestStream(t, cfg), sat, Traffic)[MetricVehicleCount], means(newTestStream(t, cfg), monday.Add(8*time.Hour), Traffic)[MetricVehicleCount]; !(a < b) {
		t.Errorf("saturday 8 h: %.1f vehicles, monday %.1f", a, b)
	}
}

func TestStreamValuesInRange(t *testing.T) {
	cfg := DefaultStreamConfig()
	cfg.DropoutRate, cfg.StuckRate, cfg.SpikeRate = 0, 0, 0
	s := newTestStream(t, cfg)
	lastEnergy := map[twin.ID]float64{}
	for i := range 48 {
		for _, op := range s.Tick(monday.Add(time.Duration(i) * 30 * time.Minute)) {
			if err := op.Validate(); err != nil {
				t.Fatal(err)
			}
			for _, o := range op.Observations {
				lo, hi := 0.0, 1e12
				switch o.Metric {
				case MetricOccupancy, MetricHumidity:
					hi = 1
				case MetricTemperature:
					lo, hi = -50, 50
				case MetricWindDirection:
					hi = 360
				case MetricPressure:
					lo, hi = 90000, 110000
				case MetricPM25, MetricPM10, MetricNO2:
					hi = 500
				case MetricSpeed, MetricWindSpeed:
					hi = 40
				}
				if o.V < lo || o.V > hi {
					t.Fatalf("%s %s = %v, want %v..%v", o.ID, o.Metric, o.V, lo, hi)
				}
				if o.Metric == MetricEnergy {
					if o.V < lastEnergy[o.ID] {
						t.Fatalf("%s: energy went down from %v to %v", o.ID, lastEnergy[o.ID], o.V)
					}
					lastEnergy[o.ID] = o.V
				}
			}
		}
	}
}

func TestStreamFaultRates(t *testing.T) {
	const ticks = 120
	clean := DefaultStreamConfig()
	clean.DropoutRate, clean.StuckRate, clean.SpikeRate = 0, 0, 0
	faulty := clean
	faulty.DropoutRate, faulty.SpikeRate = 0.05, 0.02
	a, b := newTestStream(t, clean), newTestStream(t, faulty)
	readings, dropped, values, spikes := 0, 0, 0, 0
	for i := range ticks {
		tt := monday.Add(time.Duration(i) * time.Minute)
		ca, cb := a.Tick(tt)[0].Observations, b.Tick(tt)[0].Observations
		got := map[[2]string]float64{}
		ids := map[twin.ID]bool{}
		for _, o := range cb {
			got[[2]string{string(o.ID), o.Metric}] = o.V
			ids[o.ID] = true
		}
		seen := map[twin.ID]bool{}
		for _, o := range ca {
			if !seen[o.ID] {
				seen[o.ID] = true
				readings++
				if !ids[o.ID] {
					dropped++
				}
			}
			v, ok := got[[2]string{string(o.ID), o.Metric}]
			if !ok {
				continue
			}
			values++
			if v != o.V && o.Metric != MetricEnergy {
				spikes++
			}
		}
	}
	near := func(name string, got, want float64) {
		if math.Abs(got-want) > 0.25*want {
			t.Errorf("%s rate %.4f, want %.4f ± 25%%", name, got, want)
		}
	}
	near("dropout", float64(dropped)/float64(readings), faulty.DropoutRate)
	near("spike", float64(spikes)/float64(values), faulty.SpikeRate)
}

func TestStreamStuck(t *testing.T) {
	cfg := DefaultStreamConfig()
	cfg.DropoutRate, cfg.SpikeRate = 0, 0
	cfg.StuckRate, cfg.StuckFor = 0.01, time.Hour
	s := newTestStream(t, cfg)
	prev := map[[2]string]float64{}
	repeats, total := 0, 0
	for i := range 60 {
		for _, o := range s.Tick(monday.Add(8*time.Hour + time.Duration(i)*time.Minute))[0].Observations {
			if o.Metric != MetricPressure {
				continue
			}
			k := [2]string{string(o.ID), o.Metric}
			if v, ok := prev[k]; ok {
				total++
				if v == o.V {
					repeats++
				}
			}
			prev[k] = o.V
		}
	}
	if repeats == 0 || repeats == total {
		t.Errorf("%d of %d pressure readings repeat: want some stuck, not all", repeats, total)
	}
}

func TestVehiclesStayOnRoads(t *testing.T) {
	c := demo(t)
	s := newTestStream(t, DefaultStreamConfig())
	idx := newBoxIndex(50)
	lines := make([][]orb.Point, len(c.Roads))
	for i := range c.Roads {
		lines[i] = c.lines[i]
		b := orb.Bound{Min: lines[i][0], Max: lines[i][0]}
		for _, p := range lines[i] {
			b = b.Extend(p)
		}
		idx.add(b.Pad(5))
	}
	prev := map[twin.ID]orb.Point{}
	moved := 0
	const dt = 20 * time.Second
	for i := range 60 {
		ops := s.Tick(monday.Add(7*time.Hour + time.Duration(i)*dt))
		pos := ops[len(ops)-1].Positions
		if len(pos) != len(c.Vehicles) {
			t.Fatalf("%d positions for %d vehicles", len(pos), len(c.Vehicles))
		}
		for _, p := range pos {
			x, y := c.Frame.ToLocal(p.Point)
			q := orb.Point{x, y}
			best := math.Inf(1)
			idx.near(orb.Bound{Min: q, Max: q}, func(ri int) {
				l := lines[ri]
				for k := 1; k < len(l); k++ {
					best = min(best, pointSegDist(q, l[k-1], l[k]))
				}
			})
			if best > 0.5 {
				t.Fatalf("tick %d: %s is %.1f m off the nearest road", i, p.ID, best)
			}
			if last, ok := prev[p.ID]; ok {
				if d := dist(last, q); d > 0 {
					moved++
					// Straight-line distance is at most the distance driven.
					if v := d / dt.Seconds(); v > 100/3.6*1.2 {
						t.Fatalf("%s moved at %.0f m/s", p.ID, v)
					}
				}
			}
			prev[p.ID] = q
		}
	}
	if moved < 60*len(c.Vehicles)/2 {
		t.Errorf("only %d vehicle moves in 60 ticks", moved)
	}
}

func TestBusesStopAtStops(t *testing.T) {
	c := demo(t)
	s := newTestStream(t, DefaultStreamConfig())
	atStop, still := 0, 0
	prev := map[twin.ID]orb.Point{}
	for i := range 120 {
		ops := s.Tick(monday.Add(10*time.Hour + time.Duration(i)*5*time.Second))
		for _, p := range ops[len(ops)-1].Positions {
			if !strings.HasPrefix(string(p.ID), "synth:vehicle/bus-") {
				continue
			}
			if q, ok := prev[p.ID]; ok && q == p.Point {
				still++
				for _, st := range c.Stops {
					if geo.Distance(st.Point, p.Point) < 1 {
						atStop++
						break
					}
				}
			}
			prev[p.ID] = p.Point
		}
	}
	if atStop == 0 {
		t.Errorf("buses stood still %d times, never at a stop", still)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	s := newTestStream(t, DefaultStreamConfig())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &StepClock{T: monday}
	applied := 0
	err := s.Run(ctx, func(ops []twin.Op) error {
		applied++
		if applied == 10 {
			cancel()
		}
		return nil
	}, time.Minute, clock)
	if !errors.Is(err, context.Canceled) || applied != 10 {
		t.Errorf("got %v after %d applies", err, applied)
	}
	if want := monday.Add(9 * time.Minute); !clock.T.Equal(want) {
		t.Errorf("clock at %v, want %v", clock.T, want)
	}
	boom := errors.New("boom")
	if err := s.Run(context.Background(), func([]twin.Op) error { return boom }, time.Minute, clock); !errors.Is(err, boom) {
		t.Errorf("got %v, want boom", err)
	}
}

func TestStreamConfigValidate(t *testing.T) {
	for _, edit := range []func(*StreamConfig){
		func(c *StreamConfig) { c.Interval = 0 },
		func(c *StreamConfig) { c.DropoutRate = 1.5 },
		func(c *StreamConfig) { c.SpikeRate = -0.1 },
		func(c *StreamConfig) { c.StuckRate = math.NaN() },
	} {
		c := DefaultStreamConfig()
		edit(&c)
		if _, err := NewStream(demo(t), c); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: got %v", c, err)
		}
	}
}
