package senml

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchPack is a realistic 10-record pack: an air-quality station reporting
// with base name, base time, units to convert and a position.
func benchPack() []byte {
	var b strings.Builder
	b.WriteString(`[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1.7957700e+09,"bu":"ug/m3","n":"pm10","v":14.9},`)
	b.WriteString(`{"n":"pm25","v":3.33},`)
	b.WriteString(`{"n":"temperature","u":"degF","v":70.2},`)
	b.WriteString(`{"n":"humidity","u":"%RH","v":61.5},`)
	b.WriteString(`{"n":"pressure","u":"hPa","v":1013.2},`)
	b.WriteString(`{"n":"no2","u":"ppb","v":21},`)
	b.WriteString(`{"n":"noise","u":"dB","v":54.1},`)
	b.WriteString(`{"n":"battery","u":"%EL","v":87},`)
	b.WriteString(`{"n":"lat","u":"lat","v":57.106},`)
	b.WriteString(`{"n":"lon","u":"lon","v":-2.088}]`)
	return []byte(b.String())
}

func BenchmarkDecodeSenML(b *testing.B) {
	data := benchPack()
	opts := Options{Entity: "sensor:aq-17", Source: "bench", Now: time.Unix(1795770000, 0)}
	r, err := Decode(data, opts)
	if err != nil || len(r.Rejects) != 0 || r.Records != 10 {
		b.Fatalf("%v %v", err, r.Rejects)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10*b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkDecodePlain(b *testing.B) {
	var sb strings.Builder
	for i := range 10 {
		fmt.Fprintf(&sb, `{"id":"sensor:aq-%d","t":1795770000,"metrics":{"pm10":14.9,"pm25":3.33,"temperature":{"v":70.2,"u":"degF"}},"lat":57.106,"lon":-2.088}`+"\n", i)
	}
	data := []byte(sb.String())
	opts := Options{Source: "bench", Now: time.Unix(1795770000, 0)}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodePlain(data, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDecodeSenMLOne is the usual MQTT message: one reading.
func BenchmarkDecodeSenMLOne(b *testing.B) {
	data := []byte(`[{"bn":"sensor:aq-17:","n":"pm25","u":"ug/m3","t":1764237600,"v":12.5}]`)
	opts := Options{Now: time.Unix(1764237660, 0)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
