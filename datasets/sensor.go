package datasets

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// SensorType is what a sensor measures.
type SensorType string

// The sensor types, with the metrics each reports (see the package doc for units).
const (
	AirQuality SensorType = "air_quality" // pm25, pm10, no2; along busy roads
	Traffic    SensorType = "traffic"     // vehicle_count, speed; on arterials
	Parking    SensorType = "parking"     // occupancy, free_spaces; car parks and kerbs
	Energy     SensorType = "energy"      // power, energy; in buildings
	Weather    SensorType = "weather"     // temperature, humidity, wind, rain, pressure
)

// SensorTypes lists the types in the order the generator makes them.
var SensorTypes = []SensorType{AirQuality, Traffic, Parking, Energy, Weather}

// Metric names.
const (
	MetricPM25          = "pm25"
	MetricPM10          = "pm10"
	MetricNO2           = "no2"
	MetricVehicleCount  = "vehicle_count"
	MetricSpeed         = "speed"
	MetricOccupancy     = "occupancy"
	MetricFreeSpaces    = "free_spaces"
	MetricPower         = "power"
	MetricEnergy        = "energy"
	MetricTemperature   = "temperature"
	MetricHumidity      = "humidity"
	MetricWindSpeed     = "wind_speed"
	MetricWindDirection = "wind_direction"
	MetricRain          = "rain"
	MetricPressure      = "pressure"
)

var sensorMetrics = map[SensorType][]string{
	AirQuality: {MetricPM25, MetricPM10, MetricNO2},
	Traffic:    {MetricVehicleCount, MetricSpeed},
	Parking:    {MetricOccupancy, MetricFreeSpaces},
	Energy:     {MetricPower, MetricEnergy},
	Weather:    {MetricTemperature, MetricHumidity, MetricWindSpeed, MetricWindDirection, MetricRain, MetricPressure},
}

// Metrics returns the metrics a sensor of this type reports.
func (t SensorType) Metrics() []string { return sensorMetrics[t] }

// Sensor is a fixed sensor.
type Sensor struct {
	ID       twin.ID // synth:sensor/<type>-<n>, n from 1 per type
	Type     SensorType
	Point    orb.Point // lon/lat
	Mount    string    // kerb, pole, rooftop, park, car_park, indoor
	Road     int       // the road it watches or stands by; -1 if none
	Building int       // the building it is in or on; -1 if none
	Zone     int       // the park or car park it is in; -1 if none
	Capacity int       // parking spaces watched (parking sensors)
}

// sensorCounts splits n sensors between the types.
func sensorCounts(n, buildings int) map[SensorType]int {
	m := map[SensorType]int{}
	if n == 0 {
		return m
	}
	m[Weather] = max(1, n/100)
	rest := n - m[Weather]
	m[AirQuality] = rest / 4
	m[Traffic] = rest * 22 / 100
	m[Parking] = rest / 4
	m[Energy] = rest - m[AirQuality] - m[Traffic] - m[Parking]
	if buildings == 0 {
		m[AirQuality] += m[Energy]
		m[Energy] = 0
	}
	return m
}

// placeSensors puts every sensor where such a sensor would be.
func (c *City) placeSensors(ctx context.Context) error {
	counts := sensorCounts(c.Config.Sensors, len(c.Buildings))
	r := newRand(c.Config.Seed, saltSensor, 0)
	var busy, arterial, kerb cumulative
	r2 := (c.Radius + 150) * (c.Radius + 150)
	for i, rd := range c.Roads {
		m := c.lines[i][len(c.lines[i])/2]
		if m[0]*m[0]+m[1]*m[1] > r2 {
			continue
		}
		switch rd.Class {
		case Primary, Secondary:
			busy.add(i, rd.Length)
			arterial.add(i, rd.Length)
		case Residential:
			kerb.add(i, rd.Length)
		}
	}
	if kerb.empty() {
		kerb = busy
	}
	var parks, carParks []int
	for i, z := range c.Zones {
		if z.Kind == "parking" {
			carParks = append(carParks, i)
		} else {
			parks = append(parks, i)
		}
	}
	c.Sensors = make([]Sensor, 0, c.Config.Sensors)
	for _, t := range SensorTypes {
		for n := 1; n <= counts[t]; n++ {
			if n%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			s := Sensor{ID: twin.ID("synth:sensor/" + string(t) + "-" + strconv.Itoa(n)), Type: t, Road: -1, Building: -1, Zone: -1}
			switch t {
			case AirQuality:
				s.Mount = "pole"
				s.Road = busy.draw(r)
				s.Point = c.beside(r, s.Road, between(r, 5, 7.5))
			case Traffic:
				s.Mount = "pole"
				s.Road = arterial.draw(r)
				s.Point = c.beside(r, s.Road, between(r, 0, 3))
			case Parking:
				if len(carParks) > 0 && chance(r, 0.5) {
					s.Zone = carParks[r.IntN(len(carParks))]
					s.Mount = "car_park"
					s.Point = c.inArea(r, s.Zone)
					s.Capacity = c.Zones[s.Zone].Capacity
				} else {
					s.Mount = "kerb"
					s.Road = kerb.draw(r)
					s.Point = c.beside(r, s.Road, between(r, 3, 4))
					s.Capacity = max(4, int(c.Roads[s.Road].Length/6))
				}
			case Energy:
				s.Mount = "indoor"
				s.Building = r.IntN(len(c.Buildings))
				s.Point = c.Buildings[s.Building].Inside
			case Weather:
				if len(c.Buildings) > 0 && (len(parks) == 0 || chance(r, 0.5)) {
					// The tallest of a few buildings: stations go on high roofs.
					best := r.IntN(len(c.Buildings))
					for range 20 {
						if j := r.IntN(len(c.Buildings)); c.Buildings[j].Height > c.Buildings[best].Height {
							best = j
						}
					}
					s.Mount, s.Building, s.Point = "rooftop", best, c.Buildings[best].Inside
				} else if len(parks) > 0 {
					s.Mount = "park"
					s.Zone = parks[r.IntN(len(parks))]
					s.Point = c.inArea(r, s.Zone)
				} else {
					s.Mount = "pole"
					s.Road = busy.draw(r)
					s.Point = c.beside(r, s.Road, 6)
				}
			}
			c.Sensors = append(c.Sensors, s)
		}
	}
	return nil
}

// beside returns a lon/lat point at a random place along road i, offset metres
// to one side of it.
func (c *City) beside(r *rand.Rand, i int, offset float64) orb.Point {
	line := newPolyline(c.lines[i])
	p, dx, dy := line.at(line.length() * between(r, 0.2, 0.8))
	if chance(r, 0.5) {
		offset = -offset
	}
	return c.Frame.ToLonLat(p[0]-dy*offset, p[1]+dx*offset)
}

// inArea returns a random lon/lat point in zone i.
func (c *City) inArea(r *rand.Rand, i int) orb.Point {
	a := c.areas[i]
	u, v := between(r, -0.8, 0.8)*a.hw, between(r, -0.8, 0.8)*a.hd
	return c.Frame.ToLonLat(a.c[0]+u*a.ux-v*a.uy, a.c[1]+u*a.uy+v*a.ux)
}

// metricsList is the comma-separated metrics property.
func (t SensorType) metricsList() string { return strings.Join(t.Metrics(), ",") }
