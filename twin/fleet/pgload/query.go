package pgload

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"time"

	"citytwin/twin/fleet"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// timeBucket matches TimescaleDB's time_bucket('<stride>', <column>) in TSBS's
// SQL.
var timeBucket = regexp.MustCompile(`time_bucket\('([^']*)',\s*([A-Za-z_][A-Za-z_0-9.]*)\)`)

// Rewrite makes TSBS's TimescaleDB SQL run on plain PostgreSQL (14 and later):
// time_bucket('<stride>', <col>) becomes date_bin('<stride>', <col>,
// TIMESTAMPTZ '2000-01-03 00:00:00+00'), which gives the same UTC-aligned
// bucket edges for ten minutes and 24 hours. Nothing else changes.
func Rewrite(sql string) string {
	return timeBucket.ReplaceAllString(sql, `date_bin('$1', $2, TIMESTAMPTZ '2000-01-03 00:00:00+00')`)
}

// Query runs SQL (rewritten for plain PostgreSQL first) and returns its rows
// as a fleet.Table: text as string, every number as float64, timestamps and
// intervals as the reference answers write them, NULL as nil.
func Query(ctx context.Context, conn *pgx.Conn, sql string) (fleet.Table, error) {
	rows, err := conn.Query(ctx, Rewrite(sql), pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return fleet.Table{}, fmt.Errorf("pgload: query: %w", err)
	}
	defer rows.Close()
	var tb fleet.Table
	for _, fd := range rows.FieldDescriptions() {
		tb.Columns = append(tb.Columns, fd.Name)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return fleet.Table{}, fmt.Errorf("pgload: row: %w", err)
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			if row[i], err = value(v); err != nil {
				return fleet.Table{}, fmt.Errorf("pgload: column %s: %w", tb.Columns[i], err)
			}
		}
		tb.Rows = append(tb.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return fleet.Table{}, fmt.Errorf("pgload: query: %w", err)
	}
	return tb, nil
}

// value normalises a value pgx decoded.
func value(v any) (any, error) {
	switch x := v.(type) {
	case nil, string:
		return x, nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case bool:
		return x, nil
	case pgtype.Numeric:
		if !x.Valid {
			return nil, nil
		}
		f, err := x.Float64Value()
		if err != nil {
			return nil, err
		}
		if x.NaN {
			return math.NaN(), nil
		}
		return f.Float64, nil
	case time.Time:
		return fleet.FormatTime(x), nil
	case pgtype.Interval:
		if !x.Valid {
			return nil, nil
		}
		s := fleet.FormatInterval(time.Duration(x.Microseconds) * time.Microsecond)
		if x.Days != 0 || x.Months != 0 {
			s = fmt.Sprintf("%d mons %d days %s", x.Months, x.Days, s)
		}
		return s, nil
	}
	return nil, fmt.Errorf("unexpected %T", v)
}
