package osm

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// xmlSeed is the first lines of the Helsinki XML, closed properly.
func xmlSeed(tb testing.TB, lines int) []byte {
	f, err := os.Open(helsinki(tb, ".osm"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	sc := bufio.NewScanner(f)
	for i := 0; i < lines && sc.Scan(); i++ {
		b.Write(sc.Bytes())
		b.WriteByte('\n')
	}
	b.WriteString("</osm>\n")
	return b.Bytes()
}

// fuzzRead checks that Read neither panics nor hangs, and that every op it
// makes validates and every reject names an element.
func fuzzRead(t *testing.T, data []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := DefaultOptions()
	opts.Procs = 1
	res, err := Read(ctx, bytes.NewReader(data), opts)
	if ctx.Err() != nil {
		t.Fatalf("hang: %d bytes took over 10 s", len(data))
	}
	if err != nil {
		return
	}
	for i, op := range res.Ops {
		if err := op.Validate(); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
	}
	for _, r := range res.Rejects {
		if r.Type == "" || r.Reason == "" {
			t.Fatalf("reject %+v", r)
		}
	}
	if res.Graph == nil {
		t.Fatal("no graph")
	}
}

func FuzzReadXML(f *testing.F) {
	f.Add([]byte(tiny))
	f.Add(xmlSeed(f, 200))
	f.Add([]byte(`<osm><node id="1" lat="1e308" lon="-1e308"/><way id="2"><nd ref="1"/><nd ref="1"/><tag k="building" v="yes"/></way>` +
		`<relation id="3"><member type="relation" ref="3" role="outer"/><member type="way" ref="2" role="outer"/><tag k="type" v="multipolygon"/><tag k="building" v="yes"/></relation></osm>`))
	f.Add([]byte(`<osm><node id="9223372036854775807" lat="90" lon="180"><tag k="height" v="99999999999999999999"/><tag k="amenity" v="x"/></node>` +
		`<way id="-1"><nd ref="9223372036854775807"/><nd ref="5"/><tag k="highway" v="motorway"/><tag k="maxspeed" v="1e400"/><tag k="lanes" v="99999999999"/></way></osm>`))
	f.Fuzz(fuzzRead)
}

func FuzzReadPBF(f *testing.F) {
	pbf, err := os.ReadFile(helsinki(f, ".osm.pbf"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pbf)
	f.Add(pbf[:4096])
	f.Add([]byte("\x00\x00\x00\x0d\x0a\x09OSMHeader\x18\x10"))
	f.Fuzz(fuzzRead)
}

func TestHostileXML(t *testing.T) {
	// The fuzz seeds run as tests too; this one checks their outcome.
	res := readString(t, `<osm><node id="1" lat="60" lon="24"/><node id="2" lat="60" lon="24.001"/><node id="3" lat="60.001" lon="24.001"/>`+
		`<way id="5"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/></way>`+
		`<relation id="3"><member type="relation" ref="3" role="outer"/><tag k="type" v="multipolygon"/><tag k="building" v="yes"/></relation>`+
		`<relation id="4"><member type="way" ref="5" role="outer"/><member type="way" ref="5" role="inner"/><tag k="type" v="multipolygon"/><tag k="building" v="yes"/></relation>`+
		`<way id="6"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/><tag k="maxspeed" v="1e400"/><tag k="lanes" v="99999999999"/><tag k="height" v="1e400"/></way></osm>`, DefaultOptions())
	var got []string
	for _, r := range res.Rejects {
		got = append(got, r.String())
	}
	want := "relation/3: building multipolygon: no way members\nrelation/4: building multipolygon: way 5 is a member twice"
	if strings.Join(got, "\n") != want {
		t.Errorf("rejects:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	seg := entity(res, "osm:way/6/0")
	if v, _ := seg.Props.Get("maxspeed_kmh"); !between(v, 50, 50) {
		t.Errorf("maxspeed %v, want the primary default 50", v)
	}
	if v, _ := seg.Props.Get("lanes"); !between(v, 2, 2) {
		t.Errorf("lanes %v, want the default 2", v)
	}
}
