package series

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sensorsFile is the real air-quality dataset described in
// shared/datasets/SOURCES.md (sensor.community SDS011, Aberdeen, one week).
const sensorsFile = "datasets/sensors/aberdeen_sds011_2019-05-13_2019-05-19.csv"

// findShared finds the shared/ directory that sits beside the repository
// root, walking up from the test's directory.
func findShared() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		cand := filepath.Join(dir, "shared")
		if st, err := os.Stat(filepath.Join(cand, "datasets")); err == nil && st.IsDir() {
			return cand, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// sharedDir returns findShared's directory. Without it the test is skipped,
// except in CI (CI=true), where it fails.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	if dir, ok := findShared(); ok {
		return dir
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("series: shared/datasets not found above the test directory")
	}
	tb.Skip("shared/datasets not found; skipping real-data test")
	return ""
}

// sensorSeries holds one sensor's PM10 (P1) and PM2.5 (P2) readings.
type sensorSeries struct {
	id     string
	p1, p2 []Point
}

var (
	sensorsOnce sync.Once
	sensorsData []sensorSeries
	sensorsErr  error
)

// loadSensors reads the dataset once, grouped by sensor id in file order
// (the file is sorted by time), so each series is as a sensor reported it.
func loadSensors(tb testing.TB) []sensorSeries {
	tb.Helper()
	path := filepath.Join(sharedDir(tb), sensorsFile)
	sensorsOnce.Do(func() { sensorsData, sensorsErr = readSensors(path) })
	if sensorsErr != nil {
		tb.Fatal(sensorsErr)
	}
	return sensorsData
}

func readSensors(path string) ([]sensorSeries, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	byID := map[string]*sensorSeries{}
	var order []string
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // header
		}
		fields := strings.Split(sc.Text(), ";")
		if len(fields) < 10 {
			return nil, &lineError{path, line, "short row"}
		}
		ts, err := time.Parse("2006-01-02T15:04:05", fields[5])
		if err != nil {
			return nil, &lineError{path, line, err.Error()}
		}
		p1, err1 := strconv.ParseFloat(fields[6], 64)
		p2, err2 := strconv.ParseFloat(fields[9], 64)
		if err1 != nil || err2 != nil {
			return nil, &lineError{path, line, "bad P1/P2"}
		}
		s := byID[fields[0]]
		if s == nil {
			s = &sensorSeries{id: fields[0]}
			byID[fields[0]] = s
			order = append(order, fields[0])
		}
		t := ts.UnixNano()
		s.p1 = append(s.p1, Point{t, p1})
		s.p2 = append(s.p2, Point{t, p2})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	slices.Sort(order)
	out := make([]sensorSeries, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out, nil
}

type lineError struct {
	path string
	line int
	msg  string
}

func (e *lineError) Error() string {
	return "series: " + e.path + ":" + strconv.Itoa(e.line) + ": " + e.msg
}

// TestSensorsFacts checks the loader against SOURCES.md.
func TestSensorsFacts(t *testing.T) {
	sensors := loadSensors(t)
	rows := 0
	for _, s := range sensors {
		rows += len(s.p1)
	}
	if got, want := len(sensors), 23; got != want {
		t.Errorf("sensors = %d, want %d", got, want)
	}
	if got, want := rows, 90818; got != want {
		t.Errorf("rows = %d, want %d", got, want)
	}
}

// TestSensorsRoundTrip stores every real series and reads it back exactly,
// in order and shuffled in late.
func TestSensorsRoundTrip(t *testing.T) {
	sensors := loadSensors(t)
	for _, sen := range sensors {
		for _, pts := range [][]Point{sen.p1, sen.p2} {
			var o oracle
			s := New()
			for _, p := range pts {
				s.Append(p.T, p.V)
				o.append(p.T, p.V)
			}
			checkInvariants(t, s)
			samePoints(t, "sensor "+sen.id, allPoints(s), o.pts)
			// Blocks per whole block encode and decode exactly.
			for i := 0; i < len(o.pts); i += 300 {
				chunk := o.pts[i:min(i+300, len(o.pts))]
				data, err := EncodeBlock(nil, chunk)
				if err != nil {
					t.Fatal(err)
				}
				got, err := DecodeBlock(nil, data)
				if err != nil {
					t.Fatal(err)
				}
				samePoints(t, "sensor block "+sen.id, got, chunk)
			}
		}
	}
}
