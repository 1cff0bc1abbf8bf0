package fleet

import (
	"context"
	"fmt"

	"citytwin/twin"
)

// Type is one of TSBS's thirteen IoT query types.
type Type uint8

// The query types, in TSBS's order.
const (
	LastLocType Type = iota + 1
	SingleLastLocType
	LowFuelType
	HighLoadType
	StationaryTrucksType
	LongDrivingSessionsType
	LongDailySessionsType
	AvgVsProjectedFuelConsumptionType
	AvgDailyDrivingDurationType
	AvgDailyDrivingSessionType
	AvgLoadType
	DailyActivityType
	BreakdownFrequencyType
)

var typeNames = [...]string{
	LastLocType:                       "last-loc",
	SingleLastLocType:                 "single-last-loc",
	LowFuelType:                       "low-fuel",
	HighLoadType:                      "high-load",
	StationaryTrucksType:              "stationary-trucks",
	LongDrivingSessionsType:           "long-driving-sessions",
	LongDailySessionsType:             "long-daily-sessions",
	AvgVsProjectedFuelConsumptionType: "avg-vs-projected-fuel-consumption",
	AvgDailyDrivingDurationType:       "avg-daily-driving-duration",
	AvgDailyDrivingSessionType:        "avg-daily-driving-session",
	AvgLoadType:                       "avg-load",
	DailyActivityType:                 "daily-activity",
	BreakdownFrequencyType:            "breakdown-frequency",
}

// Types lists every query type in TSBS's order.
func Types() []Type {
	out := make([]Type, 0, len(typeNames)-1)
	for t := LastLocType; t <= BreakdownFrequencyType; t++ {
		out = append(out, t)
	}
	return out
}

// String is TSBS's name of the type (e.g. "last-loc").
func (t Type) String() string {
	if t >= LastLocType && t <= BreakdownFrequencyType {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// ParseType reads TSBS's name of a query type.
func ParseType(s string) (Type, error) {
	for t := LastLocType; t <= BreakdownFrequencyType; t++ {
		if typeNames[t] == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown query type %q", ErrBadQuery, s)
}

// Query is one TSBS IoT query: its type and its parameters. Which parameters
// apply depends on the type (see Exec).
type Query struct {
	Type  Type
	Fleet string   // last-loc, low-fuel, high-load, stationary-trucks, long-*-sessions
	Names []string // single-last-loc
	// Window bounds stationary-trucks and the long-*-sessions queries.
	Window Window
	// MoreThan is the long-*-sessions threshold of moving ten-minute buckets.
	MoreThan int
}

// Answer is the typed rows of one query: exactly one field is set, the one of
// the query's type.
type Answer struct {
	Type       Type
	Locations  []Location        // last-loc, single-last-loc
	FuelLevels []FuelLevel       // low-fuel
	Loads      []Load            // high-load
	Drivers    []Driver          // stationary-trucks, long-*-sessions
	Fuel       []FleetFuel       // avg-vs-projected-fuel-consumption
	Durations  []DrivingDuration // avg-daily-driving-duration
	Sessions   []DrivingSession  // avg-daily-driving-session
	LoadShares []LoadShare       // avg-load
	Activity   []Activity        // daily-activity
	Breakdowns []Breakdowns      // breakdown-frequency
}

// Exec runs q on the store by calling the function of its type.
func Exec(ctx context.Context, s *twin.Store, q Query) (Answer, error) {
	a := Answer{Type: q.Type}
	var err error
	switch q.Type {
	case LastLocType:
		a.Locations, err = LastLoc(ctx, s, q.Fleet)
	case SingleLastLocType:
		a.Locations, err = LastLocByName(ctx, s, q.Names...)
	case LowFuelType:
		a.FuelLevels, err = LowFuel(ctx, s, q.Fleet)
	case HighLoadType:
		a.Loads, err = HighLoad(ctx, s, q.Fleet)
	case StationaryTrucksType:
		a.Drivers, err = StationaryTrucks(ctx, s, q.Fleet, q.Window)
	case LongDrivingSessionsType:
		a.Drivers, err = LongDrivingSessions(ctx, s, q.Fleet, q.Window, q.MoreThan)
	case LongDailySessionsType:
		a.Drivers, err = LongDailySessions(ctx, s, q.Fleet, q.Window, q.MoreThan)
	case AvgVsProjectedFuelConsumptionType:
		a.Fuel, err = AvgVsProjectedFuelConsumption(ctx, s)
	case AvgDailyDrivingDurationType:
		a.Durations, err = AvgDailyDrivingDuration(ctx, s)
	case AvgDailyDrivingSessionType:
		a.Sessions, err = AvgDailyDrivingSession(ctx, s)
	case AvgLoadType:
		a.LoadShares, err = AvgLoad(ctx, s)
	case DailyActivityType:
		a.Activity, err = DailyActivity(ctx, s)
	case BreakdownFrequencyType:
		a.Breakdowns, err = BreakdownFrequency(ctx, s)
	default:
		err = fmt.Errorf("%w: unknown query type %d", ErrBadQuery, q.Type)
	}
	if err != nil {
		return Answer{}, err
	}
	return a, nil
}
