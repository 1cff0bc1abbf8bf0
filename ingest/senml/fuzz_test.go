package senml

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"citytwin/datasets"
)

// rfcExamples are the JSON examples of RFC 8428 section 5.1, written out by hand,
// and the SensML streaming example of section 4.8.
var rfcExamples = []string{
	`[{"n":"urn:dev:ow:10e2073a01080063","u":"Cel","v":23.1}]`,
	`[{"bn":"urn:dev:ow:10e2073a01080063:","n":"voltage","u":"V","v":120.1},{"n":"current","u":"A","v":1.2}]`,
	`[{"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},
	  {"n":"current","t":-5,"v":1.2},{"n":"current","t":-4,"v":1.3},{"n":"current","t":-3,"v":1.4},
	  {"n":"current","t":-2,"v":1.5},{"n":"current","t":-1,"v":1.6},{"n":"current","v":1.7}]`,
	`[{"n":"urn:dev:ow:10e2073a01080063:voltage","u":"V","v":120.1,"t":1.320078429e+09},
	  {"n":"urn:dev:ow:10e2073a01080063:current","u":"A","v":1.2,"t":1.320078429e+09}]`,
	`[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1.320067464e+09,"bu":"%RH","v":20},
	  {"u":"lon","v":24.30621},{"u":"lat","v":60.07965},
	  {"t":60,"v":20.3},{"u":"lon","t":60,"v":24.30622},{"u":"lat","t":60,"v":60.07965},
	  {"t":120,"v":20.7},{"u":"lon","t":120,"v":24.30623},{"u":"lat","t":120,"v":60.07966},
	  {"u":"%EL","t":150,"v":98},
	  {"t":180,"v":21.2},{"u":"lon","t":180,"v":24.30628},{"u":"lat","t":180,"v":60.07967}]`,
	`[{"bn":"urn:dev:ow:10e2073a01080063:","n":"temp","u":"Cel","v":23.1},
	  {"n":"label","vs":"Machine Room"},{"n":"open","vb":false},{"n":"nfc-reader","vd":"aGkgCg"}]`,
	`[{"bn":"urn:dev:ow:10e2073a01080063:","n":"temp","u":"Cel","v":23.1},{"n":"heat","s":42.5,"u":"J","bs":100}]`,
	`[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1.320078429e+09,"n":"temp","u":"Cel","v":23.1},{"n":"ut","ut":30,"v":1}]`,
}

// realSeeds turns the first rows of the Aberdeen file into SenML and plain
// payloads; without the shared datasets it returns none.
func realSeeds(tb testing.TB) (senmlSeeds, plainSeeds []string) {
	if _, ok := datasets.SharedDir(); !ok {
		if os.Getenv("CI") == "true" {
			tb.Fatal("senml: shared/datasets not found above the test directory")
		}
		return nil, nil
	}
	rs := readAberdeen(tb, 20)
	senmlSeeds = append(senmlSeeds, senmlPack(rs))
	plainSeeds = append(plainSeeds, plainRecords(rs), "["+strings.Join(strings.Split(strings.TrimSpace(plainRecords(rs)), "\n"), ",")+"]")
	for _, r := range rs[:5] {
		senmlSeeds = append(senmlSeeds, senmlPack([]reading{r}))
		plainSeeds = append(plainSeeds, strings.TrimSpace(plainRecords([]reading{r})))
	}
	return senmlSeeds, plainSeeds
}

var fuzzNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// checkResult is what every decode must satisfy, whatever the input.
func checkResult(t *testing.T, data []byte, r Result) {
	for i := range r.Ops {
		if err := r.Ops[i].Validate(); err != nil {
			t.Fatalf("op %d of %q does not validate: %v", i, data, err)
		}
		if len(r.Ops[i].Observations)+len(r.Ops[i].Positions) == 0 {
			t.Fatalf("op %d of %q is empty", i, data)
		}
	}
	for id, ps := range r.Props {
		if err := ps.Validate(); err != nil {
			t.Fatalf("props of %s: %v", id, err)
		}
	}
	for _, rj := range r.Rejects {
		if rj.Index >= r.Records || rj.Reason == "" {
			t.Fatalf("reject %+v of %d records", rj, r.Records)
		}
	}
}

func FuzzDecodeSenML(f *testing.F) {
	s, _ := realSeeds(f)
	for _, seed := range append(rfcExamples, s...) {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{Entity: "sensor:fuzz", Source: "fuzz", Now: fuzzNow, MaxRecords: 1000}
		if r, err := Decode(data, opts); err == nil {
			checkResult(t, data, r)
			sameAsSlow(t, data, opts, r)
		}
		if r, err := DecodeNDJSON(data, opts); err == nil {
			checkResult(t, data, r)
		}
	})
}

// decodeSlow is Decode reading every pack record by record, as it does when
// the one-Unmarshal fast path does not apply.
func decodeSlow(data []byte, opts Options) (Result, error) {
	b, err := begin(data, opts)
	if err != nil {
		return Result{}, err
	}
	if err := checkMustUnderstand(data); err != nil {
		return Result{}, err
	}
	if _, err := b.slowPack(data, 0, 0); err != nil {
		return Result{}, err
	}
	return b.finish(), nil
}

// sameAsSlow checks that the fast path decoded data exactly as the slow one.
func sameAsSlow(t *testing.T, data []byte, opts Options, fast Result) {
	t.Helper()
	slow, err := decodeSlow(data, opts)
	if err != nil {
		t.Fatalf("%q: the fast path decoded it, the slow one says %v", data, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: the paths differ\nfast %+v\nslow %+v", data, fast, slow)
	}
}

func TestFastPackIsSlowPack(t *testing.T) {
	s, _ := realSeeds(t)
	opts := Options{Entity: "sensor:x", Source: "test", Now: fuzzNow}
	for _, seed := range append(rfcExamples, s...) {
		r, err := Decode([]byte(seed), opts)
		if err != nil {
			t.Fatalf("%q: %v", seed, err)
		}
		sameAsSlow(t, []byte(seed), opts, r)
	}
}

func FuzzDecodePlain(f *testing.F) {
	_, p := realSeeds(f)
	seeds := append([]string{
		`{"id":"sensor:aq-17","t":"2026-11-27T10:00:00Z","metrics":{"pm25":12.5,"temperature":{"v":21.3,"u":"Cel"}},"lat":60.17,"lon":24.94}`,
		`[{"metrics":{"x":true,"s":"on","y":{"vb":true}}},{"id":"a:1","t":1795770000.5,"metrics":{"p":{"v":1013,"u":"hPa"}}}]`,
	}, p...)
	for _, seed := range seeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{Entity: "sensor:fuzz", Source: "fuzz", Now: fuzzNow, MaxRecords: 1000}
		if r, err := DecodePlain(data, opts); err == nil {
			checkResult(t, data, r)
		}
	})
}
