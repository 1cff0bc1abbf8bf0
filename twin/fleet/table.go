package fleet

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Table is an answer in the untyped form of SQL result rows, to compare with
// PostgreSQL's and the reference answers. Values are nil (NULL), string or
// float64 (every number); a timestamp is a string in RFC 3339 with "+00:00"
// ("2016-01-01T00:00:00+00:00") and an interval is PostgreSQL's "HH:MM:SS"
// (with fractional seconds when it has them).
type Table struct {
	Columns []string
	Rows    [][]any
}

// Columns of each query type's answer, as TSBS's SQL names them.
var columns = [...][]string{
	LastLocType:                       {"name", "driver", "longitude", "latitude"},
	SingleLastLocType:                 {"name", "driver", "longitude", "latitude"},
	LowFuelType:                       {"name", "driver", "fuel_state"},
	HighLoadType:                      {"name", "driver", "current_load"},
	StationaryTrucksType:              {"name", "driver"},
	LongDrivingSessionsType:           {"name", "driver"},
	LongDailySessionsType:             {"name", "driver"},
	AvgVsProjectedFuelConsumptionType: {"fleet", "avg_fuel_consumption", "projected_fuel_consumption"},
	AvgDailyDrivingDurationType:       {"fleet", "name", "driver", "avg_daily_hours"},
	AvgDailyDrivingSessionType:        {"name", "day", "duration"},
	AvgLoadType:                       {"fleet", "model", "load_capacity", "avg_load_percentage"},
	DailyActivityType:                 {"fleet", "model", "day", "daily_activity"},
	BreakdownFrequencyType:            {"model", "count"},
}

// orderBy names the columns each type's SQL orders by: rows must come in
// that order; rows equal in those columns may come in any.
var orderBy = [len(columns)][]string{
	AvgDailyDrivingSessionType: {"name", "day"},
	DailyActivityType:          {"day"},
}

// Columns names the columns of a type's answer.
func (t Type) Columns() []string {
	if t >= LastLocType && t <= BreakdownFrequencyType {
		return columns[t]
	}
	return nil
}

// text is a string attribute as SQL has it: "" is NULL.
func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func num(f float64) any {
	if f != f {
		return nil
	}
	return f
}

func null(v sql.Null[float64]) any {
	if !v.Valid {
		return nil
	}
	return num(v.V)
}

// FormatTime writes a timestamp as the reference answers do.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") + "+00:00" }

// FormatInterval writes a duration as PostgreSQL writes an interval of hours,
// minutes and seconds: "HH:MM:SS", with the fraction of a second if any.
func FormatInterval(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	us := d.Microseconds()
	h, m, s, frac := us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000
	out := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, s)
	if frac != 0 {
		out += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
	}
	return out
}

// Table turns the answer into rows of SQL values.
func (a Answer) Table() Table {
	tb := Table{Columns: a.Type.Columns()}
	add := func(vals ...any) { tb.Rows = append(tb.Rows, vals) }
	switch a.Type {
	case LastLocType, SingleLastLocType:
		for _, r := range a.Locations {
			add(text(r.Name), text(r.Driver), null(r.Longitude), null(r.Latitude))
		}
	case LowFuelType:
		for _, r := range a.FuelLevels {
			add(text(r.Name), text(r.Driver), r.FuelState)
		}
	case HighLoadType:
		for _, r := range a.Loads {
			add(text(r.Name), text(r.Driver), r.CurrentLoad)
		}
	case StationaryTrucksType, LongDrivingSessionsType, LongDailySessionsType:
		for _, r := range a.Drivers {
			add(text(r.Name), text(r.Driver))
		}
	case AvgVsProjectedFuelConsumptionType:
		for _, r := range a.Fuel {
			add(text(r.Fleet), null(r.AvgFuelConsumption), r.ProjectedFuelConsumption)
		}
	case AvgDailyDrivingDurationType:
		for _, r := range a.Durations {
			add(text(r.Fleet), text(r.Name), text(r.Driver), r.AvgDailyHours)
		}
	case AvgDailyDrivingSessionType:
		for _, r := range a.Sessions {
			var d any
			if r.Duration.Valid {
				d = FormatInterval(r.Duration.V)
			}
			add(text(r.Name), FormatTime(r.Day), d)
		}
	case AvgLoadType:
		for _, r := range a.LoadShares {
			add(text(r.Fleet), text(r.Model), num(r.LoadCapacity), null(r.AvgLoadPercentage))
		}
	case DailyActivityType:
		for _, r := range a.Activity {
			add(text(r.Fleet), text(r.Model), FormatTime(r.Day), r.DailyActivity)
		}
	case BreakdownFrequencyType:
		for _, r := range a.Breakdowns {
			add(text(r.Model), float64(r.Count))
		}
	}
	return tb
}

// Reference is one reference answer (shared/tsbs's
// iot-answers-…postgres15.jsonl): the SQL PostgreSQL ran and its rows.
type Reference struct {
	Type      Type
	Seq       int
	SQL       string
	Table     Table
	ElapsedMS float64
}

// ReadReferences reads a reference answer file (JSON lines, uncompressed).
func ReadReferences(r io.Reader) ([]Reference, error) {
	var out []Reference
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var raw struct {
			Type      string           `json:"query_type"`
			Seq       int              `json:"seq"`
			SQL       string           `json:"pg_query"`
			RowCount  int              `json:"row_count"`
			Rows      []map[string]any `json:"rows"`
			ElapsedMS float64          `json:"elapsed_ms"`
		}
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			return nil, fmt.Errorf("fleet: answers line %d: %w", n, err)
		}
		typ, err := ParseType(raw.Type)
		if err != nil {
			return nil, fmt.Errorf("fleet: answers line %d: %w", n, err)
		}
		if raw.RowCount != len(raw.Rows) {
			return nil, fmt.Errorf("fleet: answers line %d: row_count %d but %d rows", n, raw.RowCount, len(raw.Rows))
		}
		ref := Reference{Type: typ, Seq: raw.Seq, SQL: raw.SQL, ElapsedMS: raw.ElapsedMS, Table: Table{Columns: typ.Columns()}}
		for _, row := range raw.Rows {
			if len(row) != len(ref.Table.Columns) {
				return nil, fmt.Errorf("fleet: answers line %d: a row of %d columns, want %v", n, len(row), ref.Table.Columns)
			}
			vals := make([]any, len(ref.Table.Columns))
			for i, c := range ref.Table.Columns {
				v, ok := row[c]
				if !ok {
					return nil, fmt.Errorf("fleet: answers line %d: no column %q", n, c)
				}
				vals[i] = v
			}
			ref.Table.Rows = append(ref.Table.Rows, vals)
		}
		out = append(out, ref)
	}
	return out, sc.Err()
}

// Tolerance is the relative difference allowed between two numbers of
// answers. Both sides average up to 800,000 values of at most a few thousand
// in float64, in different orders (PostgreSQL in its scan order, the twin per
// truck in time order, then across trucks): reordering n additions moves a
// sum by at most about n·2⁻⁵³ relative, 1e-10 here, and by far less in
// practice; the reference's numerics, printed as decimals, round at 1e-16. A
// single row more or less moves a mean by about 1e-6, so 1e-9 tells the
// rounding apart from any difference in what was counted.
const Tolerance = 1e-9

func equalValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		return math.Abs(x-y) <= Tolerance*math.Max(math.Abs(x), math.Abs(y))
	}
	return false
}

func equalRows(a, b []any, cols []int) bool {
	for _, c := range cols {
		if !equalValue(a[c], b[c]) {
			return false
		}
	}
	return true
}

// Compare reports how got differs from want, answers to a query of type t,
// or "" when they agree: the same columns and the same rows as multisets,
// numbers within Tolerance; where the SQL has an ORDER BY, got's rows in the
// order of want's on the ordered columns.
func Compare(t Type, got, want Table) string {
	if strings.Join(got.Columns, ",") != strings.Join(want.Columns, ",") {
		return fmt.Sprintf("columns %v, want %v", got.Columns, want.Columns)
	}
	if len(got.Rows) != len(want.Rows) {
		return fmt.Sprintf("%d rows, want %d", len(got.Rows), len(want.Rows))
	}
	all := make([]int, len(got.Columns))
	for i := range all {
		all[i] = i
	}
	if t >= LastLocType && t <= BreakdownFrequencyType && len(orderBy[t]) > 0 {
		var keys []int
		for _, k := range orderBy[t] {
			for i, c := range got.Columns {
				if c == k {
					keys = append(keys, i)
				}
			}
		}
		for i := range got.Rows {
			if !equalRows(got.Rows[i], want.Rows[i], keys) {
				return fmt.Sprintf("row %d is %v, want %v (ordered by %v)", i, got.Rows[i], want.Rows[i], orderBy[t])
			}
		}
	}
	used := make([]bool, len(got.Rows))
	for _, w := range want.Rows {
		found := false
		for i, g := range got.Rows {
			if !used[i] && equalRows(g, w, all) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return fmt.Sprintf("no row %v among %v", w, got.Rows)
		}
	}
	return ""
}
