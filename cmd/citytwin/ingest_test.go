package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"citytwin/datasets/sharedtest"
	"citytwin/geo"
	"citytwin/ingest"
	"citytwin/ingest/mqtt"
	"citytwin/twin"

	paho5 "github.com/eclipse/paho.golang/paho"
	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/paulmach/orb"
)

// The TSBS 100-truck day imports completely, and the twin holds what
// ../shared/tsbs/README.md says it should once the damaged rows are accounted
// for: 100 trucks, every reading except the 1,702 rows without a name and the
// blanked fields.
func TestImportTSBSDay(t *testing.T) {
	path := sharedtest.File(t, "tsbs/iot-trucks100-seed123-1d.timescaledb.txt.gz")
	dir := t.TempDir()
	rejects := filepath.Join(dir, "rejects.ndjson")
	var out strings.Builder
	if code := run(context.Background(), []string{"import", "--quiet", "--data", filepath.Join(dir, "twin"), "--rejects", rejects, path}, &out, io.Discard); code != 0 {
		t.Fatalf("import exited %d: %s", code, out.String())
	}
	if o := out.String(); !strings.Contains(o, "(100 entities") || !strings.Contains(o, "1554681 records") || !strings.Contains(o, "1702 rejected") {
		t.Errorf("import said %q", out.String())
	}
	f, err := os.Open(rejects)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); lines++ {
	}
	f.Close()
	if lines != 1702 {
		t.Errorf("%d rejected rows written, want 1702", lines)
	}

	store, rec, err := twin.Open(context.Background(), twin.Config{GridMetres: 1000, RefLat: 45, FeedSize: 64}, twin.DefaultDurability(filepath.Join(dir, "twin")))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if rec.Snapshot == "" {
		t.Errorf("import left no snapshot: %+v", rec)
	}
	if n := store.Counts()[twin.KindVehicle]; n != 100 {
		t.Fatalf("%d vehicles, want 100", n)
	}
	// 1,554,681 rows: 777,613 readings with 7 fields and 777,068 diagnostics
	// with 3; without the rows that lack a name and the blanked fields.
	var obs int
	for i := range 100 {
		id := twin.ID("tsbs:truck/truck_" + strconv.Itoa(i))
		for _, m := range store.Metrics(id) {
			pts, err := store.Range(id, m, math.MinInt64, math.MaxInt64)
			if err != nil {
				t.Fatal(err)
			}
			obs += len(pts)
		}
	}
	const rows = (777_613-813)*7 + (777_068-889)*3
	if blanked := rows - obs; blanked != 139_604 {
		t.Errorf("%d observations: %d fields missing, want the 139,604 blanked in the rows kept", obs, blanked)
	}
}

// GTFS-realtime vehicle positions from a feed file become moving vehicles.
func TestServeGTFSRealtime(t *testing.T) {
	feed := sharedtest.File(t, "datasets/gtfs/usf_bullrunner_vehicle_positions.pb")
	base := startServe(t, "--gtfs-rt", feed, "--gtfs-rt-every", "1h")
	var fc struct {
		NumberMatched int `json:"numberMatched"`
		Features      []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/collections/vehicles/items?limit=100")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			getJSON(t, base+"/collections/vehicles/items?limit=100", 200, &fc)
			if fc.NumberMatched == 10 {
				break
			}
		} else if resp != nil {
			resp.Body.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	if fc.NumberMatched != 10 {
		t.Fatalf("%d vehicles from the feed, want its 10", fc.NumberMatched)
	}
	for _, f := range fc.Features {
		if !strings.HasPrefix(f.ID, "gtfs:vehicle/") || f.Properties["route_id"] == nil {
			t.Errorf("vehicle %s: %v", f.ID, f.Properties)
		}
	}
}

// metric reads one sample of /metrics.
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` ([0-9.e+]+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// With --mqtt-upstream the twin subscribes to the city's own broker (here a
// second, real broker) and takes what its sensors publish there.
func TestServeMQTTUpstream(t *testing.T) {
	relay := ingest.MessageHandlerFunc(func(context.Context, ingest.Message) error { return nil }) // the city's broker just relays
	cfg := mqtt.DefaultBrokerConfig()
	cfg.Addr = "127.0.0.1:0"
	city, err := mqtt.NewBroker(cfg, relay, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := city.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer city.Close()

	base := startServe(t, "--mqtt-upstream", "mqtt://"+city.Addr().String(), "--mqtt-topic", "citytwin/#")
	resp, err := http.Post(base+"/api/v1/entities", "application/geo+json", strings.NewReader(
		`{"type":"Feature","id":"sensor:up-1","geometry":{"type":"Point","coordinates":[24.9,60.1]},"properties":{"kind":"sensor"}}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("entity: %v %v", resp, err)
	}
	resp.Body.Close()

	pub := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + city.Addr().String()).SetClientID("city-sensor"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pub.Disconnect(0)
	// The upstream client subscribes a moment after start; publish until the
	// twin has taken readings, then a known number more.
	deadline := time.Now().Add(30 * time.Second)
	accepted := `citytwin_ingest_records_total{result="accepted"}`
	for k := 0; metric(t, base, accepted) == 0; k++ {
		if time.Now().After(deadline) {
			t.Fatal("no reading arrived through the upstream broker")
		}
		pub.Publish("citytwin/city/sensor:up-1/senml", 1, false, fmt.Sprintf(`[{"n":"pm25","v":%d}]`, k)).Wait()
		time.Sleep(50 * time.Millisecond)
	}
	before := metric(t, base, accepted)
	for k := range 20 {
		if tok := pub.Publish("citytwin/city/sensor:up-1/senml", 1, false, fmt.Sprintf(`[{"n":"no2","v":%d}]`, k)); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	pub.Publish("citytwin/city/sensor:unknown/senml", 1, false, `[{"n":"pm25","v":1}]`).Wait()
	for metric(t, base, accepted) < before+20 || metric(t, base, `citytwin_deadletters_total{source="mqtt-upstream"}`) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("accepted %v of %v+20; dead letters %v", metric(t, base, accepted), before, metric(t, base, `citytwin_deadletters_total{source="mqtt-upstream"}`))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// An MQTT 5 producer learns from its PUBACK whether the twin took the message:
// success once the reading is in the log, "payload format invalid" with the
// reason for a payload the twin cannot read.
func TestServeMQTT5Acknowledgements(t *testing.T) {
	base, addr := startServeMQTT(t, "--mqtt", "127.0.0.1:0")
	if addr == "" {
		t.Fatal("serve did not say where its MQTT broker listens")
	}
	resp, err := http.Post(base+"/api/v1/entities", "application/geo+json", strings.NewReader(
		`{"type":"Feature","id":"sensor:v5-1","geometry":{"type":"Point","coordinates":[24.9,60.1]},"properties":{"kind":"sensor"}}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("entity: %v %v", resp, err)
	}
	resp.Body.Close()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := paho5.NewClient(paho5.ClientConfig{ClientID: "v5-producer", Conn: conn})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.Connect(ctx, &paho5.Connect{ClientID: "v5-producer", KeepAlive: 30, CleanStart: true}); err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(&paho5.Disconnect{})
	topic := "citytwin/v5test/sensor:v5-1/senml"
	pr, err := c.Publish(ctx, &paho5.Publish{Topic: topic, QoS: 1, Payload: []byte(`[{"n":"temperature","u":"degF","v":50}]`)})
	if err != nil || pr.ReasonCode != 0 {
		t.Fatalf("good reading: %+v %v", pr, err)
	}
	if v := metric(t, base, `citytwin_ingest_records_total{result="accepted"}`); v != 1 {
		t.Fatalf("PUBACK came before the reading was taken: accepted = %v", v)
	}
	pr, err = c.Publish(ctx, &paho5.Publish{Topic: topic, QoS: 1, Payload: []byte(`{not json`)})
	if err == nil || pr == nil || pr.ReasonCode != 0x99 || pr.Properties == nil || !strings.Contains(pr.Properties.ReasonString, "JSON") {
		t.Fatalf("unreadable payload: %+v %v", pr, err)
	}
}

// One command reads a city's OpenStreetMap extract and its transit feed, told
// apart by their content.
func TestImportOSMAndGTFS(t *testing.T) {
	pbf := sharedtest.File(t, "datasets/osm/helsinki_centre.osm.pbf")
	feed := sharedtest.File(t, "datasets/gtfs/cairns_gtfs.zip")
	dir := filepath.Join(t.TempDir(), "twin")
	var out strings.Builder
	if code := run(context.Background(), []string{"import", "--quiet", "--data", dir, pbf, feed}, &out, io.Discard); code != 0 {
		t.Fatalf("import exited %d: %s", code, out.String())
	}
	store, _, err := twin.Open(context.Background(), twin.Config{GridMetres: 250, RefLat: 60, FeedSize: 64}, twin.DefaultDurability(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	want := map[twin.Kind]int{twin.KindBuilding: 446, twin.KindBuildingPart: 126, twin.KindRoad: 4350, twin.KindPOI: 2100, twin.KindStop: 416, twin.KindRoute: 22}
	got := store.Counts()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%d %s, want %d (import said: %s)", got[k], k.Plural(), n, out.String())
		}
	}
	if !strings.Contains(out.String(), "road graph: 3273 nodes, 7939 directed edges") {
		t.Errorf("import said %q", out.String())
	}
}

// The Delft CityJSON buildings and an OSM-style footprint set of the same place
// (each footprint half a metre off, with names and levels as OSM has them)
// conflate: one building each, the city model's footprint and height, OSM's
// names, and the link between the two records.
func TestImportFusesDelft(t *testing.T) {
	cj := sharedtest.File(t, "datasets/cityjson/delft_centre.city.json")
	dir := t.TempDir()
	data := filepath.Join(dir, "twin")
	var out strings.Builder
	if code := run(context.Background(), []string{"import", "--quiet", "--data", data, cj}, &out, io.Discard); code != 0 {
		t.Fatalf("import exited %d: %s", code, out.String())
	}
	store, _, err := twin.Open(context.Background(), twin.Config{GridMetres: 250, RefLat: 52, FeedSize: 64}, twin.DefaultDurability(data))
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.Query(context.Background(), twin.Query{Kinds: []twin.Kind{twin.KindBuilding}, Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	// The OSM-style set: every polygonal footprint, moved 0.4 m east and 0.3 m
	// north, as GeoJSON features with OSM ids.
	var features []string
	want := map[twin.ID]twin.ID{} // osm id → the city model's building
	for i, b := range res.Entities {
		poly, ok := b.Geometry.(orb.Polygon)
		if !ok {
			continue
		}
		f := geo.NewFrame(poly[0][0])
		moved := make(orb.Ring, len(poly[0]))
		for j, p := range poly[0] {
			x, y := f.ToLocal(p)
			moved[j] = f.ToLonLat(x+0.4, y+0.3)
		}
		id := twin.ID(fmt.Sprintf("osm:way/%d", 1000+i))
		want[id] = b.ID
		coords, _ := json.Marshal([][][2]float64{ringCoords(moved)})
		features = append(features, fmt.Sprintf(`{"type":"Feature","id":%q,"geometry":{"type":"Polygon","coordinates":%s},"properties":{"kind":"building","name":"Pand %d","building:levels":2}}`, id, coords, i))
	}
	if len(want) < 100 {
		t.Fatalf("only %d polygonal buildings in Delft", len(want))
	}
	osmFile := filepath.Join(dir, "osm-style.geojson")
	if err := os.WriteFile(osmFile, []byte(`{"type":"FeatureCollection","features":[`+strings.Join(features, ",")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"import", "--quiet", "--data", data, osmFile}, &out, io.Discard); code != 0 {
		t.Fatalf("import exited %d: %s", code, out.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("%d fused", len(want))) {
		t.Errorf("import said %q, want %d fused", out.String(), len(want))
	}
	store, _, err = twin.Open(context.Background(), twin.Config{GridMetres: 250, RefLat: 52, FeedSize: 64}, twin.DefaultDurability(data))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if n := store.Counts()[twin.KindBuilding]; n != len(res.Entities) {
		t.Errorf("%d buildings after fusion, want the %d of the city model", n, len(res.Entities))
	}
	for osmID, canon := range want {
		b, err := store.Get(canon)
		if err != nil {
			t.Fatal(err)
		}
		src, _ := b.Props.Get("source.footprint")
		name, _ := b.Props.Get("name")
		if !slices.Contains(b.Links, twin.Link{Rel: "same_as", To: osmID}) || src.String() != "cityjson" || !strings.HasPrefix(name.String(), "Pand ") {
			t.Fatalf("%s: links %v, footprint from %q, name %q", canon, b.Links, src.String(), name.String())
		}
	}
}

func ringCoords(r orb.Ring) [][2]float64 {
	out := make([][2]float64, len(r))
	for i, p := range r {
		out[i] = [2]float64{p[0], p[1]}
	}
	return out
}

// An elevation grid becomes an entity with its outline on Earth, and the file
// is kept in the data directory for the simulations.
func TestImportRaster(t *testing.T) {
	asc := sharedtest.File(t, "datasets/dem/merewether_topography1.asc")
	dir := filepath.Join(t.TempDir(), "twin")
	var out strings.Builder
	if code := run(context.Background(), []string{"import", "--quiet", "--data", dir, asc}, &out, io.Discard); code != 0 {
		t.Fatalf("import exited %d: %s", code, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "rasters", "merewether_topography1.asc")); err != nil {
		t.Fatalf("grid not kept: %v", err)
	}
	store, _, err := twin.Open(context.Background(), twin.Config{GridMetres: 250, RefLat: -33, FeedSize: 64}, twin.DefaultDurability(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e, err := store.Get("raster:merewether_topography1")
	if err != nil {
		t.Fatal(err)
	}
	// Merewether is a suburb of Newcastle, New South Wales: about 151.75 E, 32.94 S.
	c := e.Geometry.Bound().Center()
	if geo.Distance(c, orb.Point{151.75, -32.94}) > 3000 {
		t.Errorf("grid centred at %v, not in Merewether", c)
	}
	if v, _ := e.Props.Get("crs"); v.String() != "EPSG:32756" {
		t.Errorf("crs %q", v.String())
	}
}
