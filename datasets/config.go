package datasets

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"
)

// CityConfig says what city to generate. The same config (Workers aside) always
// gives the same city, byte for byte.
type CityConfig struct {
	// Seed selects the city.
	Seed uint64
	// Center is the lon/lat of the city centre, where the ring roads are centred.
	Center orb.Point
	// Name is the city's name; it prefixes nothing, but appears in provenance.
	Name string
	// Buildings, Sensors, Vehicles and Buses are exact counts. Sensors are split
	// between the sensor types (see SensorType); Vehicles are cars, vans, trucks and
	// taxis; Buses run on bus routes.
	Buildings, Sensors, Vehicles, Buses int
	// Routes is the number of bus routes; 0 means one per 8 buses (at least one
	// when there are buses).
	Routes int
	// Epoch is when the generated entities come into being (their valid-from time
	// and provenance time).
	Epoch time.Time
	// Workers is how many goroutines generate; 0 means GOMAXPROCS. The city does
	// not depend on it.
	Workers int
}

// Demo is a district-sized city: a few thousand buildings and a few hundred
// sensors around a fictional harbour town at 24.94° E, 60.17° N.
func Demo() CityConfig {
	return CityConfig{
		Seed:      1,
		Center:    orb.Point{24.94, 60.17},
		Name:      "Harbourton",
		Buildings: 3000,
		Sensors:   300,
		Vehicles:  100,
		Buses:     20,
		Routes:    4,
		Epoch:     time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

// Metropolis is a city of a million buildings, for benchmarks and load tests.
func Metropolis() CityConfig {
	c := Demo()
	c.Name = "Harbourton Metropolitan"
	c.Buildings = 1_000_000
	c.Sensors = 100_000
	c.Vehicles = 50_000
	c.Buses = 2_000
	c.Routes = 200
	return c
}

// Limits of the generator.
const (
	MaxBuildings = 5_000_000
	MaxSensors   = 1_000_000
	MaxVehicles  = 1_000_000
	MaxBuses     = 100_000
)

// ErrBadConfig is wrapped by every configuration error.
var ErrBadConfig = errors.New("datasets: bad config")

// Validate reports the first thing wrong with the config.
func (c CityConfig) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadConfig, fmt.Sprintf(format, args...))
	}
	lon, lat := c.Center[0], c.Center[1]
	switch {
	case math.IsNaN(lon) || math.IsNaN(lat) || lon < -179 || lon > 179:
		return bad("center longitude %v: want -179..179", lon)
	case lat < -75 || lat > 75:
		// The local frame and city-sized rings need a latitude away from the poles.
		return bad("center latitude %v: want -75..75", lat)
	case c.Buildings < 0 || c.Buildings > MaxBuildings:
		return bad("buildings %d: want 0..%d", c.Buildings, MaxBuildings)
	case c.Sensors < 0 || c.Sensors > MaxSensors:
		return bad("sensors %d: want 0..%d", c.Sensors, MaxSensors)
	case c.Vehicles < 0 || c.Vehicles > MaxVehicles:
		return bad("vehicles %d: want 0..%d", c.Vehicles, MaxVehicles)
	case c.Buses < 0 || c.Buses > MaxBuses:
		return bad("buses %d: want 0..%d", c.Buses, MaxBuses)
	case c.Routes < 0 || c.Routes > c.Buses && c.Buses > 0:
		return bad("routes %d: want 0..buses (%d)", c.Routes, c.Buses)
	case c.Routes > 0 && c.Buses == 0:
		return bad("routes %d without buses", c.Routes)
	case c.Workers < 0:
		return bad("workers %d: want >= 0", c.Workers)
	}
	return nil
}

// routes is the number of bus routes to make.
func (c CityConfig) routes() int {
	switch {
	case c.Buses == 0:
		return 0
	case c.Routes > 0:
		return c.Routes
	}
	return max(1, (c.Buses+7)/8)
}
