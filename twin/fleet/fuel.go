package fleet

import (
	"context"
	"database/sql"

	"citytwin/twin"
)

// FleetFuel is a fleet's mean fuel consumption while moving, beside the mean
// of its trucks' nominal consumption over the same rows.
type FleetFuel struct {
	Fleet                    string
	AvgFuelConsumption       sql.Null[float64]
	ProjectedFuelConsumption float64
}

// ConsumingAbove is the velocity above which a readings row counts in
// avg-vs-projected-fuel-consumption.
const ConsumingAbove = 1.0

// AvgVsProjectedFuelConsumption answers TSBS's query of that name over all
// the data: per fleet, the mean fuel_consumption of the readings rows with
// velocity > 1, and the mean nominal_fuel_consumption of their trucks over
// those rows (weighted by rows, fuel_consumption blanked or not). Trucks with
// no fleet or no nominal consumption are left out. Fleets come sorted.
func AvgVsProjectedFuelConsumption(ctx context.Context, s *twin.Store) ([]FleetFuel, error) {
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	trucks := r.trucks
	type acc struct {
		rows   int     // rows with velocity > 1
		fuelN  int     // of them, with fuel_consumption
		fuel   float64 // its sum
		weight float64 // rows × nominal
	}
	per := make([]acc, len(trucks))
	counted := func(t *Truck) bool {
		return t.Fleet != "" && t.NominalFuelConsumption == t.NominalFuelConsumption
	}
	err = scanTrucks(ctx, s, r, maskOf(colVelocity, colFuelConsumption), counted, true, func(i int, ch *channels) error {
		vel, fuel := ch[colVelocity], ch[colFuelConsumption]
		a := &per[i]
		j := 0
		for _, v := range vel {
			if !(v.V > ConsumingAbove) {
				continue
			}
			a.rows++
			for j < len(fuel) && fuel[j].T < v.T {
				j++
			}
			if j < len(fuel) && fuel[j].T == v.T && fuel[j].V == fuel[j].V {
				a.fuelN++
				a.fuel += fuel[j].V
			}
		}
		a.weight = float64(a.rows) * trucks[i].NominalFuelConsumption
		return nil
	})
	if err != nil {
		return nil, err
	}
	byFleet := map[string]*acc{}
	var fleets []string
	for i, t := range trucks {
		if per[i].rows == 0 {
			continue
		}
		f := byFleet[t.Fleet]
		if f == nil {
			f = &acc{}
			byFleet[t.Fleet] = f
			fleets = append(fleets, t.Fleet)
		}
		f.rows += per[i].rows
		f.fuelN += per[i].fuelN
		f.fuel += per[i].fuel
		f.weight += per[i].weight
	}
	sortStrings(fleets)
	out := make([]FleetFuel, 0, len(fleets))
	for _, name := range fleets {
		f := byFleet[name]
		ff := FleetFuel{Fleet: name, ProjectedFuelConsumption: f.weight / float64(f.rows)}
		if f.fuelN > 0 {
			ff.AvgFuelConsumption = sql.Null[float64]{V: f.fuel / float64(f.fuelN), Valid: true}
		}
		out = append(out, ff)
	}
	return out, nil
}
