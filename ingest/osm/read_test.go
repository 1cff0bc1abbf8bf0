package osm

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"citytwin/twin"
)

// tiny is a hand-made file exercising every rule and several rejects.
const tiny = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <bounds minlat="60" minlon="24" maxlat="60.1" maxlon="24.1"/>
 <node id="1" version="1" timestamp="2019-01-02T03:04:05Z" lat="60.01" lon="24.01"/>
 <node id="2" version="1" lat="60.01" lon="24.011"/>
 <node id="3" version="1" lat="60.01" lon="24.012"/>
 <node id="4" version="1" lat="60.011" lon="24.011"/>
 <node id="5" version="1" lat="60.0" lon="24.0"/>
 <node id="6" version="1" lat="60.0" lon="24.001"/>
 <node id="7" version="1" lat="60.001" lon="24.001"/>
 <node id="8" version="1" lat="60.001" lon="24.0"/>
 <node id="9" version="1" lat="60.0002" lon="24.0002"/>
 <node id="15" version="1" lat="60.0002" lon="24.0004"/>
 <node id="16" version="1" lat="60.0004" lon="24.0004"/>
 <node id="30" version="1" lat="60.02" lon="24.02"/>
 <node id="31" version="1" lat="60.02" lon="24.03"/>
 <node id="32" version="1" lat="60.03" lon="24.03"/>
 <node id="33" version="1" lat="60.03" lon="24.02"/>
 <node id="34" version="1" lat="60.022" lon="24.022"/>
 <node id="35" version="1" lat="60.022" lon="24.025"/>
 <node id="36" version="1" lat="60.025" lon="24.025"/>
 <node id="50" version="3" timestamp="2019-01-02T03:04:05Z" lat="60.05" lon="24.05"><tag k="amenity" v="cafe"/><tag k="name" v="Kahvila"/></node>
 <node id="51" version="1" lat="60.05" lon="24.05"><tag k="amenity" v="no"/></node>
 <node id="100" version="1" lat="1e300" lon="24.05"/>
 <way id="10" version="2" timestamp="2019-01-02T03:04:05Z"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="name" v="Katu"/><tag k="maxspeed" v="40"/></way>
 <way id="11" version="1"><nd ref="2"/><nd ref="4"/><tag k="highway" v="primary"/><tag k="oneway" v="-1"/><tag k="lanes" v="3"/></way>
 <way id="12" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/><tag k="building" v="yes"/><tag k="height" v="12 m"/></way>
 <way id="13" version="1"><nd ref="9"/><nd ref="15"/><nd ref="16"/><nd ref="9"/><tag k="building:part" v="yes"/><tag k="building:levels" v="2"/></way>
 <way id="14" version="1"><nd ref="3"/><nd ref="777"/><nd ref="1"/><tag k="highway" v="service"/></way>
 <way id="15" version="1"><nd ref="1"/><nd ref="4"/><nd ref="777"/><tag k="highway" v="service"/></way>
 <way id="17" version="1"><nd ref="1"/><nd ref="4"/><tag k="highway" v="footway"/></way>
 <way id="18" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/><tag k="building" v="yes"/></way>
 <way id="19" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="5"/><tag k="building" v="no"/></way>
 <way id="21" version="1"><nd ref="30"/><nd ref="31"/><nd ref="32"/></way>
 <way id="22" version="1"><nd ref="30"/><nd ref="33"/><nd ref="32"/></way>
 <way id="23" version="1"><nd ref="34"/><nd ref="35"/><nd ref="36"/><nd ref="34"/></way>
 <relation id="20" version="1"><member type="way" ref="21" role="outer"/><member type="way" ref="22" role="outer"/><member type="way" ref="23" role="inner"/><member type="relation" ref="20" role=""/><member type="node" ref="1" role="label"/><tag k="type" v="multipolygon"/><tag k="building" v="yes"/><tag k="building:levels" v="4"/><tag k="roof:height" v="2"/></relation>
 <relation id="30" version="1"><member type="way" ref="999" role="outer"/><tag k="type" v="multipolygon"/><tag k="building" v="yes"/></relation>
 <relation id="31" version="1"><member type="way" ref="21" role="outer"/><tag k="type" v="multipolygon"/><tag k="building" v="yes"/></relation>
 <relation id="32" version="1"><member type="relation" ref="32" role="outer"/><tag k="type" v="multipolygon"/><tag k="building" v="yes"/></relation>
</osm>`

func readString(t *testing.T, s string, opts Options) *Result {
	t.Helper()
	res, err := Read(context.Background(), strings.NewReader(s), opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, op := range res.Ops {
		if err := op.Validate(); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
	}
	return res
}

func ids(res *Result) []string {
	var out []string
	for _, op := range res.Ops {
		out = append(out, string(op.Entity.ID))
	}
	return out
}

func TestReadRules(t *testing.T) {
	opts := DefaultOptions()
	opts.Name = "tiny.osm"
	res := readString(t, tiny, opts)
	want := []string{"osm:way/12", "osm:relation/20", "osm:way/13",
		"osm:way/10/0", "osm:way/10/1", "osm:way/11/0", "osm:way/15/0", "osm:way/17/0", "osm:node/50"}
	if got := ids(res); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("entities %v, want %v", got, want)
	}
	var rejects []string
	for _, r := range res.Rejects {
		rejects = append(rejects, r.String())
	}
	sort.Strings(rejects)
	wantRejects := []string{
		"node/100: coordinate 24.05,1e+300 is not a WGS84 lon/lat",
		"relation/30: building multipolygon: missing member way 999",
		"relation/31: building multipolygon: ring from way 21 does not close: open end at node 32",
		"relation/32: building multipolygon: no way members",
		"way/14: road: no two consecutive nodes present",
		"way/18: building: footprint has fewer than 4 nodes",
	}
	if strings.Join(rejects, "\n") != strings.Join(wantRejects, "\n") {
		t.Errorf("rejects:\n%s\nwant:\n%s", strings.Join(rejects, "\n"), strings.Join(wantRejects, "\n"))
	}
	if res.Stats.ClippedRoads != 2 || res.Stats.Nodes != 21 || res.Stats.Ways != 12 || res.Stats.Relations != 4 {
		t.Errorf("stats %+v", res.Stats)
	}
	b := entity(res, "osm:way/12")
	if b.Height != 12 || b.Kind != twin.KindBuilding {
		t.Errorf("way 12: %+v", b)
	}
	r := entity(res, "osm:relation/20")
	if p, ok := r.Geometry.(orb.Polygon); !ok || len(p) != 2 || r.Height != 4*3+2 || r.Levels != 4 {
		t.Errorf("relation 20: %+v", r)
	}
	part := entity(res, "osm:way/13")
	if part.Kind != twin.KindBuildingPart || len(part.Links) != 1 || part.Links[0] != (twin.Link{Rel: "part_of", To: "osm:way/12"}) || part.Height != 7 {
		t.Errorf("part: %+v", part)
	}
	poi := entity(res, "osm:node/50")
	if poi.Kind != twin.KindPOI || poi.Geometry != (orb.Point{24.05, 60.05}) ||
		poi.Provenance[0].Note != "tiny.osm node/50 v3" || poi.Provenance[0].Time.Year() != 2019 {
		t.Errorf("poi: %+v", poi)
	}
	if v, _ := poi.Props.Get("name"); v.String() != "Kahvila" {
		t.Errorf("poi name %v", v)
	}
	seg := entity(res, "osm:way/10/1")
	for k, want := range map[string]string{"class": "residential", "name": "Katu", "maxspeed_kmh": "40",
		"maxspeed_source": "tag", "oneway": "no", "lanes": "2", "from_node": "2", "to_node": "3", "motor": "true", "highway": "residential"} {
		if v, _ := seg.Props.Get(k); v.String() != want {
			t.Errorf("way 10/1 %s = %v, want %s", k, v, want)
		}
	}
	if v, _ := seg.Props.Get("length_m"); !between(v, 55, 56) {
		t.Errorf("way 10/1 length %v, want about 55.6 m", v) // 0.001° of longitude at 60.01° N
	}
	if v, _ := entity(res, "osm:way/17/0").Props.Get("motor"); v.String() != "false" {
		t.Errorf("footway motor %v", v)
	}
	// Graph: 10/0, 10/1, 15/0, 17/0 both ways; 11/0 once, against the way.
	g := res.Graph
	if len(g.Nodes) != 4 || len(g.Edges) != 9 {
		t.Fatalf("graph %d nodes %d edges, want 4 and 9", len(g.Nodes), len(g.Edges))
	}
	for _, e := range g.Edges {
		if e.Road == "osm:way/11/0" && (g.Nodes[e.From].OSMID != 4 || g.Nodes[e.To].OSMID != 2 || e.Lanes != 3 || e.SpeedMPS != 50/3.6) {
			t.Errorf("oneway=-1 edge %+v", e)
		}
	}
	// Without non-motor roads the footway goes.
	opts.NonMotor = false
	if res := readString(t, tiny, opts); entity(res, "osm:way/17/0") != nil {
		t.Error("footway imported without NonMotor")
	}
}

func TestReadBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"empty":    "",
		"garbage":  "hello world",
		"bad xml":  "<osm><node id='1' lat='x' lon='y'/></osm>",
		"bad pbf":  "\x00\x00\x00\x0d\x0a\x09OSMHeader\x18\xff\xff\xff\xff\x0f",
		"bad gzip": "\x1f\x8b garbage",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Read(context.Background(), strings.NewReader(in), DefaultOptions()); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := Read(context.Background(), strings.NewReader(tiny), Options{Procs: -1}); !errors.Is(err, ErrOptions) {
		t.Errorf("bad options: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, strings.NewReader(tiny), DefaultOptions()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func between(v twin.Value, lo, hi float64) bool {
	f, ok := v.Number()
	return ok && f >= lo && f <= hi
}
