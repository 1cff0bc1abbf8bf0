package fleet

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"

	"citytwin/twin"
)

var nan = math.NaN()

// Location is where a truck's newest readings row put it: NULL (not Valid)
// where that row's value was blanked.
type Location struct {
	Name, Driver        string
	Longitude, Latitude sql.Null[float64]
}

// FuelLevel is a truck's fuel_state in its newest diagnostics row.
type FuelLevel struct {
	Name, Driver string
	FuelState    float64
}

// Load is a truck's current_load in its newest diagnostics row.
type Load struct {
	Name, Driver string
	CurrentLoad  float64
}

// newestRow is a truck's newest row of a measurement: its time, and the
// values of two of its channels there (NULL where blanked).
type newestRow struct {
	t    int64
	vals [2]sql.Null[float64]
}

// newestRows finds the newest row of a measurement of the roster's trucks
// (those with the given names, or all) from two of its channels, a and b,
// such that every row has at least one of them: TSBS blanks one field a row,
// so longitude or latitude is in every readings row, and fuel_state or status
// (and current_load or fuel_state) in every diagnostics row. The newest row
// is at the later of the two channels' newest points; a channel whose newest
// point is older was blanked there. Rows are by roster index; t is MinInt64
// for a truck with no row (or not asked about).
func newestRows(ctx context.Context, s *twin.Store, r *rosterOf, names []string, a, b string) ([]newestRow, error) {
	rows := make([]newestRow, len(r.trucks))
	for i := range rows {
		rows[i].t = math.MinInt64
	}
	// The kind alone is cheap to test in the twin's walk of a channel; a
	// property filter is not. The few trucks of a name are asked by id.
	q := twin.Query{Kinds: []twin.Kind{twin.KindVehicle}}
	if len(names) > 0 {
		q = twin.Query{}
		for _, n := range names {
			for i := range r.trucks {
				if r.trucks[i].Name == n {
					q.IDs = append(q.IDs, r.trucks[i].ID)
				}
			}
		}
		if len(q.IDs) == 0 {
			return rows, nil
		}
	}
	for k, m := range [2]string{a, b} {
		last, err := s.Latest(ctx, q, m)
		if err != nil {
			return nil, fmt.Errorf("fleet: latest %s: %w", m, err)
		}
		// Latest answers in the twin's order, the roster's: walk both.
		j := 0
		for _, p := range last {
			i := j
			if j >= len(r.trucks) || r.trucks[j].ID != p.ID {
				var ok bool
				if i, ok = r.index[p.ID]; !ok {
					continue // a vehicle without a name
				}
			}
			j = i + 1
			row := &rows[i]
			switch {
			case p.Point.T > row.t:
				row.t = p.Point.T
				row.vals = [2]sql.Null[float64]{}
				fallthrough
			case p.Point.T == row.t:
				row.vals[k] = sql.Null[float64]{V: p.Point.V, Valid: true}
			}
		}
	}
	return rows, nil
}

// selected reports whether a truck is one a query asks about.
func selected(t *Truck, fleet string, names []string) bool {
	return (fleet == "" || t.Fleet == fleet) && (len(names) == 0 || slices.Contains(names, t.Name))
}

// LastLoc answers TSBS's last-loc: for each truck of the fleet ("" = every
// fleet, here and in every query of this package) that has a readings row,
// its name, driver and the longitude and latitude of its newest row.
func LastLoc(ctx context.Context, s *twin.Store, fleet string) ([]Location, error) {
	return lastLoc(ctx, s, fleet, nil)
}

// LastLocByName answers TSBS's single-last-loc: LastLoc for the trucks with
// these names, whatever their fleet.
func LastLocByName(ctx context.Context, s *twin.Store, names ...string) ([]Location, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: single-last-loc needs a truck name", ErrBadQuery)
	}
	return lastLoc(ctx, s, "", names)
}

func lastLoc(ctx context.Context, s *twin.Store, fleet string, names []string) ([]Location, error) {
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	all := r.trucks
	rows, err := newestRows(ctx, s, r, names, MetricLongitude, MetricLatitude)
	if err != nil {
		return nil, err
	}
	var out []Location
	for i := range all {
		t := &all[i]
		if !selected(t, fleet, names) {
			continue
		}
		if rows[i].t == math.MinInt64 {
			continue // no readings: the lateral join drops the truck
		}
		out = append(out, Location{Name: t.Name, Driver: t.Driver, Longitude: rows[i].vals[0], Latitude: rows[i].vals[1]})
	}
	return out, nil
}

// LowFuelBelow is low-fuel's threshold of fuel_state.
const LowFuelBelow = 0.1

// LowFuel answers TSBS's low-fuel: the trucks of the fleet whose newest
// diagnostics row has fuel_state < 0.1 (a blanked fuel_state there excludes
// the truck).
func LowFuel(ctx context.Context, s *twin.Store, fleet string) ([]FuelLevel, error) {
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	all := r.trucks
	rows, err := newestRows(ctx, s, r, nil, MetricFuelState, MetricStatus)
	if err != nil {
		return nil, err
	}
	var out []FuelLevel
	for i := range all {
		t := &all[i]
		if !selected(t, fleet, nil) {
			continue
		}
		if v := rows[i].vals[0]; v.Valid && v.V < LowFuelBelow {
			out = append(out, FuelLevel{Name: t.Name, Driver: t.Driver, FuelState: v.V})
		}
	}
	return out, nil
}

// HighLoadAbove is high-load's threshold of current_load / load_capacity.
const HighLoadAbove = 0.9

// HighLoad answers TSBS's high-load: the trucks of the fleet whose newest
// diagnostics row has current_load / load_capacity > 0.9 (a blanked
// current_load there excludes the truck).
func HighLoad(ctx context.Context, s *twin.Store, fleet string) ([]Load, error) {
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	all := r.trucks
	rows, err := newestRows(ctx, s, r, nil, MetricCurrentLoad, MetricFuelState)
	if err != nil {
		return nil, err
	}
	var out []Load
	for i := range all {
		t := &all[i]
		if !selected(t, fleet, nil) {
			continue
		}
		// NaN (no capacity) compares false, as SQL's NULL does.
		if v := rows[i].vals[0]; v.Valid && v.V/t.LoadCapacity > HighLoadAbove {
			out = append(out, Load{Name: t.Name, Driver: t.Driver, CurrentLoad: v.V})
		}
	}
	return out, nil
}
