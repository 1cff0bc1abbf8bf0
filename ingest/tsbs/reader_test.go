package tsbs

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

const iotHeader = "tags,name string,fleet string,driver string,model string,device_version string,load_capacity float32,fuel_capacity float32,nominal_fuel_consumption float32\n" +
	"diagnostics,fuel_state,current_load,status\n" +
	"readings,latitude,longitude,elevation,velocity,heading,grade,fuel_consumption\n" +
	"\n"

const (
	tags0 = "tags,name=truck_0,fleet=South,driver=Trish,model=H-2,device_version=v2.3,load_capacity=1500,fuel_capacity=150,nominal_fuel_consumption=12"
	read0 = "readings,1451606400000000000,52.31854,4.72037,124,0,221,0,25"
	lp0   = "readings,name=truck_0,fleet=South,driver=Trish,model=H-2,device_version=v2.3 load_capacity=1500,fuel_capacity=150,nominal_fuel_consumption=12,latitude=52.31854,longitude=4.72037,elevation=124,velocity=0,heading=221,grade=0,fuel_consumption=25 1451606400000000000"
)

func gzipped(tb testing.TB, text []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(text); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// rowText is a row as plain values, to compare rows of the two formats.
type rowText struct {
	meas   string
	tags   map[string]string
	fields map[string]float64 // present fields only
	t      int64
	line   int64
}

func readAllRows(tb testing.TB, r *Reader) ([]rowText, []*SyntaxError) {
	tb.Helper()
	var rows []rowText
	var errs []*SyntaxError
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, errs
		}
		var se *SyntaxError
		if errors.As(err, &se) {
			errs = append(errs, se)
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		rt := rowText{meas: string(row.Measurement), tags: map[string]string{}, fields: map[string]float64{}, t: row.Time, line: row.Line}
		for _, tg := range row.Tags {
			rt.tags[string(tg.Key)] = string(tg.Value)
		}
		for _, f := range row.Fields {
			if f.Present {
				rt.fields[string(f.Key)] = f.Value
			}
		}
		rows = append(rows, rt)
	}
}

func TestReaderFormats(t *testing.T) {
	tsdb := iotHeader + tags0 + "\n" + read0 + "\n"
	lp := lp0 + "\n"
	tests := []struct {
		name   string
		text   []byte
		format Format
		line   int64
	}{
		{"timescaledb", []byte(tsdb), FormatTimescaleDB, 6},
		{"timescaledb gzip", gzipped(t, []byte(tsdb)), FormatTimescaleDB, 6},
		{"timescaledb crlf", []byte(strings.ReplaceAll(tsdb, "\n", "\r\n")), FormatTimescaleDB, 6},
		{"timescaledb no final newline", []byte(strings.TrimSuffix(tsdb, "\n")), FormatTimescaleDB, 6},
		{"influx", []byte(lp), FormatInflux, 1},
		{"influx gzip", gzipped(t, []byte(lp)), FormatInflux, 1},
		{"influx after comments and blank lines", []byte("# a comment\n\n  \n" + lp), FormatInflux, 4},
		{"influx crlf", []byte(strings.ReplaceAll(lp, "\n", "\r\n")), FormatInflux, 1},
		{"influx no final newline", []byte(lp0), FormatInflux, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.text), "f")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.Format(); got != tt.format {
				t.Fatalf("format %v, want %v", got, tt.format)
			}
			rows, errs := readAllRows(t, r)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1", len(rows))
			}
			got := rows[0]
			if got.meas != "readings" || got.t != 1451606400000000000 || got.line != tt.line {
				t.Errorf("row %+v: want readings at 1451606400000000000 on line %d", got, tt.line)
			}
			if got.tags["name"] != "truck_0" || got.tags["device_version"] != "v2.3" {
				t.Errorf("tags %v", got.tags)
			}
			if got.fields["latitude"] != 52.31854 || got.fields["fuel_consumption"] != 25 || len(got.fields) < 7 {
				t.Errorf("fields %v", got.fields)
			}
		})
	}
}

func TestReaderEmpty(t *testing.T) {
	for _, text := range []string{"", "\n\n", "# only a comment\n"} {
		r, err := NewReader(strings.NewReader(text), "empty")
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("%q: Next = %v, want io.EOF", text, err)
		}
		r.Close()
	}
}

func TestReaderHeaderErrors(t *testing.T) {
	tests := []struct{ name, text string }{
		{"tag without type", "tags,name string,fleet\nreadings,latitude\n\n"},
		{"unknown type", "tags,name text\nreadings,latitude\n\n"},
		{"empty tag key", "tags, string\nreadings,latitude\n\n"},
		{"tag twice", "tags,name string,name string\nreadings,latitude\n\n"},
		{"no measurement", "tags,name string\n\n"},
		{"no blank line", "tags,name string\nreadings,latitude\n"},
		{"measurement without fields", "tags,name string\nreadings\n\n"},
		{"empty field", "tags,name string\nreadings,latitude,,longitude\n\n"},
		{"field twice", "tags,name string\nreadings,latitude,latitude\n\n"},
		{"measurement twice", "tags,name string\nreadings,latitude\nreadings,longitude\n\n"},
		{"measurement named tags", "tags,name string\ntags,latitude\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.text), "h")
			if !errors.Is(err, ErrHeader) {
				t.Fatalf("err = %v, want ErrHeader", err)
			}
		})
	}
}

func TestReaderSyntaxErrors(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		line   int64
		field  string
		reason string
	}{
		{"data line without tags", iotHeader + read0 + "\n", 5, "", RejectMalformed},
		{"tags line without data", iotHeader + tags0 + "\n", 5, "", RejectMalformed},
		{"tags line before tags line", iotHeader + tags0 + "\n" + tags0 + "\n" + read0 + "\n", 5, "", RejectMalformed},
		{"tag without =", iotHeader + "tags,name=truck_0,fleet\n" + read0 + "\n", 5, "fleet", RejectMalformed},
		{"too few fields", iotHeader + tags0 + "\nreadings,1451606400000000000,1,2,3\n", 6, "", RejectMalformed},
		{"too many fields", iotHeader + tags0 + "\n" + read0 + ",7\n", 6, "", RejectMalformed},
		{"no fields", iotHeader + tags0 + "\nreadings,1451606400000000000\n", 6, "", RejectMalformed},
		{"no comma", iotHeader + tags0 + "\nreadings\n", 6, "", RejectMalformed},
		{"bad number", iotHeader + tags0 + "\nreadings,1451606400000000000,52.3x,4,124,0,221,0,25\n", 6, "latitude", RejectBadNumber},
		{"infinite number", iotHeader + tags0 + "\nreadings,1451606400000000000,1e999,4,124,0,221,0,25\n", 6, "latitude", RejectBadNumber},
		{"bad time", iotHeader + tags0 + "\nreadings,14516064000000x,52.3,4,124,0,221,0,25\n", 6, "time", RejectBadTime},
		{"zero time", iotHeader + tags0 + "\nreadings,0,52.3,4,124,0,221,0,25\n", 6, "time", RejectBadTime},
		{"undeclared measurement", iotHeader + tags0 + "\nmem,1451606400000000000,1\n", 6, "", RejectMeasurement},
		{"lp syntax", "readings,name=truck_0 latitude=\n", 1, "", RejectMalformed},
		{"lp no fields", "readings,name=truck_0 1451606400000000000\n", 1, "", RejectMalformed},
		{"lp string field", "readings,name=truck_0 latitude=\"x\" 1451606400000000000\n", 1, "", RejectMalformed},
		{"lp unterminated string", lp0 + "\nreadings,name=truck_0 latitude=\"x 1\n" + lp0 + "\n", 2, "", RejectMalformed},
		{"lp bool field", "readings,name=truck_0 latitude=t 1451606400000000000\n", 1, "latitude", RejectBadNumber},
		{"lp value of no type", "readings,name=truck_0 velocity=3,latitude=lots 1451606400000000000\n", 1, "latitude", RejectBadNumber},
		{"lp bad float", "readings,name=truck_0 latitude=1.2.3 1451606400000000000\n", 1, "latitude", RejectBadNumber},
		{"lp no timestamp", "readings,name=truck_0 latitude=1\n", 1, "time", RejectBadTime},
		{"lp negative timestamp", "readings,name=truck_0 latitude=1 -5\n", 1, "time", RejectBadTime},
		{"lp control character", "readings,name=truck_0 latitude=1\r2 1451606400000000000\n", 1, "", RejectMalformed},
		{"lp text after timestamp", "readings,name=truck_0 latitude=1 1451606400000000000 x\n", 1, "", RejectMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.text), "f.txt")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, errs := readAllRows(t, r)
			if len(errs) != 1 {
				t.Fatalf("%d errors %v, want 1", len(errs), errs)
			}
			se := errs[0]
			if se.Line != tt.line || se.Field != tt.field || se.Reason != tt.reason || se.File != "f.txt" {
				t.Errorf("got %+v\nwant line %d field %q reason %q", se, tt.line, tt.field, tt.reason)
			}
			if se.Raw == "" || !strings.Contains(tt.text, strings.SplitN(se.Raw, "\n", 2)[0]) {
				t.Errorf("raw %q is not input", se.Raw)
			}
			if !strings.HasPrefix(se.Error(), "tsbs: f.txt:") {
				t.Errorf("message %q", se.Error())
			}
		})
	}
}

// After a syntax error the Reader goes on with the next row, and the line
// numbers stay right.
func TestReaderRecovers(t *testing.T) {
	for _, tt := range []struct {
		name  string
		text  string
		lines []int64
	}{
		{"timescaledb", iotHeader + tags0 + "\n" + read0 + "\nreadings,1\n" + tags0 + "\nbad\n" + tags0 + "\n" + read0 + "\n", []int64{6, 11}},
		{"influx", lp0 + "\nreadings,name=a x=\n\n" + lp0 + "\n# c\nreadings x=\"\n" + lp0 + "\n", []int64{1, 4, 7}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.text), "f")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows, errs := readAllRows(t, r)
			if len(errs) != 2 {
				t.Errorf("%d errors, want 2: %v", len(errs), errs)
			}
			var lines []int64
			for _, row := range rows {
				lines = append(lines, row.line)
			}
			if !slicesEqual(lines, tt.lines) {
				t.Errorf("rows on lines %v, want %v", lines, tt.lines)
			}
		})
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReaderLongLine(t *testing.T) {
	long := "readings,name=truck_0 latitude=1" + strings.Repeat("1", MaxLineBytes) + " 1451606400000000000"
	text := lp0 + "\n" + long + "\n" + lp0 + "\n"
	r, err := NewReader(strings.NewReader(text), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, errs := readAllRows(t, r)
	if len(rows) != 2 || rows[1].line != 3 {
		t.Errorf("rows %+v, want lines 1 and 3", rows)
	}
	if len(errs) != 1 || errs[0].Line != 2 || !strings.Contains(errs[0].Msg, "longer than") || len(errs[0].Raw) > maxRaw {
		t.Errorf("errors %+v", errs)
	}
}

func TestReaderTruncatedGzip(t *testing.T) {
	var text strings.Builder
	text.WriteString(iotHeader)
	for range 2000 {
		text.WriteString(tags0 + "\n" + read0 + "\n")
	}
	z := gzipped(t, []byte(text.String()))
	r, err := NewReader(bytes.NewReader(z[:len(z)/2]), "cut.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		_, err := r.Next()
		if err == nil {
			continue
		}
		if err == io.EOF {
			t.Fatal("a truncated gzip stream read to a clean end")
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
		}
		break
	}
}

// Close stops the decompressing goroutine even when the parser stopped reading
// half-way.
func TestReaderCloseStopsGunzip(t *testing.T) {
	var text strings.Builder
	text.WriteString(iotHeader)
	for range 50000 { // far more than the blocks in flight
		text.WriteString(tags0 + "\n" + read0 + "\n")
	}
	z := gzipped(t, []byte(text.String()))
	before := runtime.NumGoroutine()
	for range 5 {
		r, err := NewReader(bytes.NewReader(z), "big.gz")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Next(); err == nil {
			t.Fatal("Next after Close succeeded")
		}
		if err := r.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
}

func TestOpenMissing(t *testing.T) {
	if _, err := Open("does/not/exist.txt"); err == nil {
		t.Fatal("Open of a missing file succeeded")
	}
}

// refusedFrom may skip only words without a refused byte.
func TestRefusedFrom(t *testing.T) {
	for c := range 256 {
		for pos := range 20 {
			line := []byte(strings.Repeat("a", 20))
			line[pos] = byte(c)
			k := refusedFrom(line)
			if lpRefused[c] && k > pos {
				t.Fatalf("byte %#x at %d skipped: scan starts at %d", c, pos, k)
			}
		}
	}
}
