package fleet

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// longSessionsSQL is the text of both long-driving-sessions and
// long-daily-sessions: TSBS asks them with the same SQL and tells them apart
// by the window and the count (their parameters).
const longSessionsSQL = `SELECT t.name AS name, t.driver AS driver
FROM tags t
INNER JOIN LATERAL
(SELECT  time_bucket('10 minutes', time) AS ten_minutes, tags_id
FROM readings
WHERE time >= {from} AND time < {to}
GROUP BY ten_minutes, tags_id
HAVING avg(velocity) > 1
ORDER BY ten_minutes, tags_id) AS r ON t.id = r.tags_id
WHERE t.name IS NOT NULL
AND t.fleet = {fleet}
GROUP BY name, driver
HAVING count(r.ten_minutes) > {n}`

// The SQL that TSBS generates for TimescaleDB, one template a type, with its
// parameters marked: {fleet} a quoted fleet name, {names} a list of quoted
// truck names, {from} and {to} the quoted bounds of the window, {n} a whole
// number (the sessions' threshold). ParseSQL matches a query against them
// with runs of white space collapsed, and reads the parameters from where the
// marks are: the SQL is fixed text around them.
var templates = [...]string{
	LastLocType: `SELECT t.name AS name, t.driver AS driver, r.*
FROM tags t INNER JOIN LATERAL
(SELECT longitude, latitude
FROM readings r
WHERE r.tags_id=t.id
ORDER BY time DESC LIMIT 1)  r ON true
WHERE t.name IS NOT NULL
AND t.fleet = {fleet}`,

	SingleLastLocType: `SELECT t.name AS name, t.driver AS driver, r.*
FROM tags t INNER JOIN LATERAL
(SELECT longitude, latitude
FROM readings r
WHERE r.tags_id=t.id
ORDER BY time DESC LIMIT 1)  r ON true
WHERE t.name IN ({names})`,

	LowFuelType: `SELECT t.name AS name, t.driver AS driver, d.*
FROM tags t INNER JOIN LATERAL
(SELECT fuel_state
FROM diagnostics d
WHERE d.tags_id=t.id
ORDER BY time DESC LIMIT 1) d ON true
WHERE t.name IS NOT NULL
AND d.fuel_state < 0.1
AND t.fleet = {fleet}`,

	HighLoadType: `SELECT t.name AS name, t.driver AS driver, d.*
FROM tags t INNER JOIN LATERAL
(SELECT current_load
FROM diagnostics d
WHERE d.tags_id=t.id
ORDER BY time DESC LIMIT 1) d ON true
WHERE t.name IS NOT NULL
AND d.current_load/t.load_capacity > 0.9
AND t.fleet = {fleet}`,

	StationaryTrucksType: `SELECT t.name AS name, t.driver AS driver
FROM tags t
INNER JOIN readings r ON r.tags_id = t.id
WHERE time >= {from} AND time < {to}
AND t.name IS NOT NULL
AND t.fleet = {fleet}
GROUP BY 1, 2
HAVING avg(r.velocity) < 1`,

	LongDrivingSessionsType: longSessionsSQL,

	LongDailySessionsType: longSessionsSQL,

	AvgVsProjectedFuelConsumptionType: `SELECT t.fleet AS fleet, avg(r.fuel_consumption) AS avg_fuel_consumption,
avg(t.nominal_fuel_consumption) AS projected_fuel_consumption
FROM tags t
INNER JOIN LATERAL(SELECT tags_id, fuel_consumption FROM readings r WHERE r.tags_id = t.id AND velocity > 1) r ON true
WHERE t.fleet IS NOT NULL
AND t.nominal_fuel_consumption IS NOT NULL
AND t.name IS NOT NULL
GROUP BY fleet`,

	AvgDailyDrivingDurationType: `WITH ten_minute_driving_sessions
AS (
SELECT time_bucket('10 minutes', TIME) AS ten_minutes, tags_id
FROM readings r
GROUP BY tags_id, ten_minutes
HAVING avg(velocity) > 1
), daily_total_session
AS (
SELECT time_bucket('24 hours', ten_minutes) AS day, tags_id, count(*) / 6 AS hours
FROM ten_minute_driving_sessions
GROUP BY day, tags_id
)
SELECT t.fleet AS fleet, t.name AS name, t.driver AS driver, avg(d.hours) AS avg_daily_hours
FROM daily_total_session d
INNER JOIN tags t ON t.id = d.tags_id
GROUP BY fleet, name, driver`,

	AvgDailyDrivingSessionType: `WITH driver_status
AS (
SELECT tags_id, time_bucket('10 mins', TIME) AS ten_minutes, avg(velocity) > 5 AS driving
FROM readings
GROUP BY tags_id, ten_minutes
ORDER BY tags_id, ten_minutes
), driver_status_change
AS (
SELECT tags_id, ten_minutes AS start, lead(ten_minutes) OVER (PARTITION BY tags_id ORDER BY ten_minutes) AS stop, driving
FROM (
SELECT tags_id, ten_minutes, driving, lag(driving) OVER (PARTITION BY tags_id ORDER BY ten_minutes) AS prev_driving
FROM driver_status
) x
WHERE x.driving <> x.prev_driving
)
SELECT t.name AS name, time_bucket('24 hours', start) AS day, avg(age(stop, start)) AS duration
FROM tags t
INNER JOIN driver_status_change d ON t.id = d.tags_id
WHERE t.name IS NOT NULL
AND d.driving = true
GROUP BY name, day
ORDER BY name, day`,

	AvgLoadType: `SELECT t.fleet AS fleet, t.model AS model, t.load_capacity AS load_capacity, avg(d.avg_load / t.load_capacity) AS avg_load_percentage
FROM tags t
INNER JOIN (
SELECT tags_id, avg(current_load) AS avg_load
FROM diagnostics d
GROUP BY tags_id
) d ON t.id = d.tags_id
WHERE t.name IS NOT NULL
GROUP BY fleet, model, load_capacity`,

	DailyActivityType: `SELECT t.fleet AS fleet, t.model AS model, y.day, sum(y.ten_mins_per_day) / 144 AS daily_activity
FROM tags t
INNER JOIN (
SELECT time_bucket('24 hours', TIME) AS day, time_bucket('10 minutes', TIME) AS ten_minutes, tags_id, count(*) AS ten_mins_per_day
FROM diagnostics
GROUP BY day, ten_minutes, tags_id
HAVING avg(STATUS) < 1
) y ON y.tags_id = t.id
WHERE t.name IS NOT NULL
GROUP BY fleet, model, y.day
ORDER BY y.day`,

	BreakdownFrequencyType: `WITH breakdown_per_truck_per_ten_minutes
AS (
SELECT time_bucket('10 minutes', TIME) AS ten_minutes, tags_id, count(STATUS = 0) / count(*) >= 0.5 AS broken_down
FROM diagnostics
GROUP BY ten_minutes, tags_id
), breakdowns_per_truck
AS (
SELECT ten_minutes, tags_id, broken_down, lead(broken_down) OVER (
PARTITION BY tags_id ORDER BY ten_minutes
) AS next_broken_down
FROM breakdown_per_truck_per_ten_minutes
)
SELECT t.model AS model, count(*)
FROM tags t
INNER JOIN breakdowns_per_truck b ON t.id = b.tags_id
WHERE t.name IS NOT NULL
AND broken_down = false AND next_broken_down = true
GROUP BY model`,
}

// ErrUnknownSQL reports SQL that matches none of TSBS's IoT templates.
var ErrUnknownSQL = fmt.Errorf("%w: not a TSBS IoT query", ErrBadQuery)

// collapse turns every run of white space into one space and trims the ends.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// collapsed are the templates with their white space collapsed.
var collapsed = func() [len(templates)]string {
	var out [len(templates)]string
	for i, t := range templates {
		out[i] = collapse(t)
	}
	return out
}()

// ParseSQL reads a TSBS IoT query: it finds the template the SQL follows and
// reads the parameters from it. The type of two templates with the same text
// (long-driving-sessions and long-daily-sessions) is told by the window: a
// day or longer is long-daily-sessions.
func ParseSQL(sql string) (Query, error) {
	text := collapse(sql)
	var firstErr error
	for t := LastLocType; t <= BreakdownFrequencyType; t++ {
		q, err := match(collapsed[t], text)
		if err != nil {
			if firstErr == nil || strings.HasPrefix(text, collapsed[t][:min(len(collapsed[t]), 60)]) {
				firstErr = fmt.Errorf("%s: %w", t, err)
			}
			continue
		}
		q.Type = t
		if t == LongDrivingSessionsType && q.Window.To-q.Window.From >= Day {
			q.Type = LongDailySessionsType
		}
		return q, nil
	}
	return Query{}, fmt.Errorf("%w (closest: %v)", ErrUnknownSQL, firstErr)
}

// match reads text against a collapsed template.
func match(tmpl, text string) (Query, error) {
	var q Query
	pos := 0 // in text
	for tmpl != "" {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			open = len(tmpl)
		}
		lit := tmpl[:open]
		if !strings.HasPrefix(text[pos:], lit) {
			return Query{}, fmt.Errorf("at byte %d: want %.40q", pos, lit)
		}
		pos += len(lit)
		tmpl = tmpl[open:]
		if tmpl == "" {
			break
		}
		end := strings.IndexByte(tmpl, '}')
		mark := tmpl[1:end]
		tmpl = tmpl[end+1:]
		var err error
		switch mark {
		case "fleet":
			q.Fleet, pos, err = quoted(text, pos)
		case "names":
			for {
				var name string
				if name, pos, err = quoted(text, pos); err != nil {
					break
				}
				q.Names = append(q.Names, name)
				if rest := text[pos:]; strings.HasPrefix(rest, ", ") {
					pos += 2
				} else if strings.HasPrefix(rest, ",") {
					pos++
				} else {
					break
				}
			}
		case "from", "to":
			var s string
			if s, pos, err = quoted(text, pos); err == nil {
				var ns int64
				ns, err = parseTime(s)
				if mark == "from" {
					q.Window.From = ns
				} else {
					q.Window.To = ns
				}
			}
		case "n":
			start := pos
			for pos < len(text) && text[pos] >= '0' && text[pos] <= '9' {
				pos++
			}
			q.MoreThan, err = strconv.Atoi(text[start:pos])
		default:
			err = fmt.Errorf("template mark {%s}", mark) // unreachable
		}
		if err != nil {
			return Query{}, fmt.Errorf("at byte %d, {%s}: %w", pos, mark, err)
		}
	}
	if pos != len(text) {
		return Query{}, fmt.Errorf("at byte %d: %d bytes after the end of the template", pos, len(text)-pos)
	}
	if q.Window != (Window{}) {
		if err := q.Window.validate(); err != nil {
			return Query{}, err
		}
	}
	return q, nil
}

// quoted reads an SQL string literal at pos: its value (with ” as ') and the
// position after it.
func quoted(text string, pos int) (string, int, error) {
	if pos >= len(text) || text[pos] != '\'' {
		return "", pos, fmt.Errorf("want a quoted string")
	}
	var b strings.Builder
	for i := pos + 1; i < len(text); i++ {
		if text[i] != '\'' {
			b.WriteByte(text[i])
			continue
		}
		if i+1 < len(text) && text[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		if b.Len() == 0 {
			return "", pos, fmt.Errorf("empty string")
		}
		return b.String(), i + 1, nil
	}
	return "", pos, fmt.Errorf("unterminated string")
}

// sqlTime is how TSBS writes a timestamptz literal.
const sqlTime = "2006-01-02 15:04:05.999999999 -0700"

func parseTime(s string) (int64, error) {
	t, err := time.Parse(sqlTime, s)
	if err != nil {
		return 0, err
	}
	return t.UnixNano(), nil
}

// Line is one line of a TSBS query file (decoded from TSBS's gob stream to
// JSON lines): the generated SQL and the query it asks.
type Line struct {
	Seq   int
	Label string
	SQL   string
	Query Query
}

// ParseLine reads one JSON line of a query file and the query of its SQL. The
// type the SQL follows must be the line's query_type.
func ParseLine(data []byte) (Line, error) {
	var raw struct {
		Type  string `json:"query_type"`
		Seq   int    `json:"seq"`
		Label string `json:"label"`
		SQL   string `json:"query"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Line{}, fmt.Errorf("fleet: query line: %w", err)
	}
	typ, err := ParseType(raw.Type)
	if err != nil {
		return Line{}, err
	}
	q, err := ParseSQL(raw.SQL)
	if err != nil {
		return Line{}, fmt.Errorf("%s %d: %w", raw.Type, raw.Seq, err)
	}
	if q.Type != typ {
		return Line{}, fmt.Errorf("%w: %s %d: the SQL is a %s query", ErrBadQuery, raw.Type, raw.Seq, q.Type)
	}
	return Line{Seq: raw.Seq, Label: raw.Label, SQL: raw.SQL, Query: q}, nil
}
