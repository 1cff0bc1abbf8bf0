package datasets

import (
	"testing"

	"citytwin/geo"
)

func TestSensorsNearWhatTheyMeasure(t *testing.T) {
	c := demo(t)
	nearest := func(s *Sensor, ok func(*Road) bool) float64 {
		best := 1e18
		for i := range c.Roads {
			if ok(&c.Roads[i]) {
				best = min(best, geo.DistanceToGeometry(s.Point, c.Roads[i].Line))
			}
		}
		return best
	}
	arterial := func(r *Road) bool { return r.Class.arterial() }
	for i := range c.Sensors {
		s := &c.Sensors[i]
		if got := len(c.sensorEntity(i).Props); got < 3 {
			t.Errorf("%s: %d properties", s.ID, got)
		}
		switch s.Type {
		case Traffic:
			if d := nearest(s, arterial); d > 20 {
				t.Errorf("%s is %.1f m from the nearest arterial, want <= 20", s.ID, d)
			}
		case AirQuality:
			if d := nearest(s, arterial); d > 15 {
				t.Errorf("%s is %.1f m from the nearest busy road, want <= 15", s.ID, d)
			}
		case Energy:
			if s.Building < 0 || !geo.Intersects(s.Point, c.Buildings[s.Building].Footprint) {
				t.Errorf("%s is not inside its building %d", s.ID, s.Building)
			}
		case Parking:
			switch {
			case s.Zone >= 0:
				if c.Zones[s.Zone].Kind != "parking" || !geo.Intersects(s.Point, c.Zones[s.Zone].Polygon) {
					t.Errorf("%s is not in its car park %d", s.ID, s.Zone)
				}
			case nearest(s, func(r *Road) bool { return true }) > 8:
				t.Errorf("%s is neither in a car park nor at a kerb", s.ID)
			}
			if s.Capacity <= 0 {
				t.Errorf("%s: capacity %d", s.ID, s.Capacity)
			}
		case Weather:
			switch {
			case s.Mount == "rooftop" && !geo.Intersects(s.Point, c.Buildings[s.Building].Footprint):
				t.Errorf("%s is not on its roof", s.ID)
			case s.Mount == "park" && !geo.Intersects(s.Point, c.Zones[s.Zone].Polygon):
				t.Errorf("%s is not in its park", s.ID)
			}
		}
	}
}

func TestSensorCounts(t *testing.T) {
	for _, n := range []int{0, 1, 7, 300, 100_000} {
		got := 0
		for _, k := range sensorCounts(n, 10) {
			got += k
		}
		if got != n {
			t.Errorf("sensorCounts(%d) sums to %d", n, got)
		}
	}
	if m := sensorCounts(50, 0); m[Energy] != 0 {
		t.Errorf("energy meters without buildings: %v", m)
	}
}

func TestRoutesAndStops(t *testing.T) {
	c := demo(t)
	for i, rt := range c.Routes {
		if len(rt.Roads) == 0 || len(rt.Stops) < 2 {
			t.Fatalf("route %s: %d roads, %d stops", rt.ID, len(rt.Roads), len(rt.Stops))
		}
		// Consecutive roads share a node: the route is a path.
		node := c.Roads[rt.Roads[0]].To
		if !rt.Ahead[0] {
			node = c.Roads[rt.Roads[0]].From
		}
		for k := 1; k < len(rt.Roads); k++ {
			r := c.Roads[rt.Roads[k]]
			from, to := r.From, r.To
			if !rt.Ahead[k] {
				from, to = to, from
			}
			if from != node {
				t.Fatalf("route %d breaks at road %d", i, k)
			}
			node = to
		}
		for _, si := range rt.Stops {
			if d := geo.DistanceToGeometry(c.Stops[si].Point, rt.Line); d > 1 {
				t.Errorf("stop %s is %.1f m off route %s", c.Stops[si].ID, d, rt.ID)
			}
		}
	}
}
