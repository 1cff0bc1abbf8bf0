package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"citytwin/twin"
)

// ErrBadQuery reports parameters a query cannot run with.
var ErrBadQuery = errors.New("fleet: bad query")

// Truck is a vehicle of the twin with its TSBS attributes. A string attribute
// the twin has never been told is "" (SQL's NULL); a numeric one is NaN.
type Truck struct {
	ID                     twin.ID
	Name                   string
	Fleet                  string
	Driver                 string
	Model                  string
	DeviceVersion          string
	LoadCapacity           float64
	FuelCapacity           float64
	NominalFuelConsumption float64
}

// The property keys of a truck's attributes.
const (
	PropName                   = "name"
	PropFleet                  = "fleet"
	PropDriver                 = "driver"
	PropModel                  = "model"
	PropDeviceVersion          = "device_version"
	PropLoadCapacity           = "load_capacity"
	PropFuelCapacity           = "fuel_capacity"
	PropNominalFuelConsumption = "nominal_fuel_consumption"
)

// The channels of a truck, after TSBS's field names.
const (
	MetricLatitude        = "latitude"
	MetricLongitude       = "longitude"
	MetricElevation       = "elevation"
	MetricVelocity        = "velocity"
	MetricHeading         = "heading"
	MetricGrade           = "grade"
	MetricFuelConsumption = "fuel_consumption"
	MetricFuelState       = "fuel_state"
	MetricCurrentLoad     = "current_load"
	MetricStatus          = "status"
)

// rosterQuery selects the trucks of a fleet ("" = every fleet): vehicles
// that have a name.
func rosterQuery(fleet string) twin.Query {
	q := twin.Query{
		Kinds: []twin.Kind{twin.KindVehicle},
		Where: []twin.Filter{{Key: PropName, Op: twin.Exists}},
	}
	if fleet != "" {
		q.Where = append(q.Where, twin.Filter{Key: PropFleet, Op: twin.Eq, Value: twin.StringValue(fleet)})
	}
	return q
}

// Trucks lists the trucks of a fleet ("" = all), in the twin's order.
func Trucks(ctx context.Context, s *twin.Store, fleet string) ([]Truck, error) {
	trucks, err := fleetTrucks(ctx, s, fleet, nil)
	return slices.Clone(trucks), err
}

func roster(ctx context.Context, s *twin.Store, q twin.Query) ([]Truck, error) {
	res, err := s.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("fleet: trucks: %w", err)
	}
	out := make([]Truck, len(res.Entities))
	for i := range res.Entities {
		out[i] = truckOf(&res.Entities[i])
	}
	return out, nil
}

func truckOf(e *twin.Entity) Truck {
	str := func(k string) string {
		v, _ := e.Props.Get(k)
		s, _ := v.Str()
		return s
	}
	num := func(k string) float64 {
		v, _ := e.Props.Get(k)
		if f, ok := v.Number(); ok {
			return f
		}
		return nan
	}
	return Truck{
		ID:                     e.ID,
		Name:                   str(PropName),
		Fleet:                  str(PropFleet),
		Driver:                 str(PropDriver),
		Model:                  str(PropModel),
		DeviceVersion:          str(PropDeviceVersion),
		LoadCapacity:           num(PropLoadCapacity),
		FuelCapacity:           num(PropFuelCapacity),
		NominalFuelConsumption: num(PropNominalFuelConsumption),
	}
}
