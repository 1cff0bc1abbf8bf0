package ifc

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"citytwin/datasets"
	"citytwin/geo"
	"citytwin/twin"
)

const hausPath = "datasets/ifc/AC20-FZK-Haus.ifc"

func hausFile(tb testing.TB) string {
	tb.Helper()
	p := datasets.SharedPath(hausPath)
	if p == "" {
		tb.Skip("shared dataset " + hausPath + " not found")
	}
	return p
}

// lineCounts counts instances per type by a plain line scan: the oracle for
// the parser (the file has one instance a line).
func lineCounts(t *testing.T, path string) (map[string]int, int) {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	counts := map[string]int{}
	total := 0
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			continue
		}
		eq := strings.IndexByte(line, '=')
		par := strings.IndexByte(line, '(')
		if eq < 0 || par < eq {
			continue
		}
		counts[strings.TrimSpace(line[eq+1:par])]++
		total++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return counts, total
}

// TestHaus checks the facts SOURCES.md states about AC20-FZK-Haus.ifc.
func TestHaus(t *testing.T) {
	path := hausFile(t)
	res, err := DecodeFile(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 0 {
		t.Errorf("rejects: %v", res.Rejects)
	}
	m := res.Model
	if m.Schema != "IFC4" || res.Entities != 44249 {
		t.Errorf("schema %s, %d entities; want IFC4, 44249", m.Schema, res.Entities)
	}
	if m.Project.Name != "Projekt-FZK-Haus" || m.Site.Name != "Gelaende" {
		t.Errorf("project %q site %q", m.Project.Name, m.Site.Name)
	}
	wantLat := 49 + 6.0/60 + 1.566/3600
	wantLon := 8 + 26.0/60 + 11.5404/3600
	if !m.Site.HasRef || !nearf(m.Site.RefLat, wantLat, 1e-9) || !nearf(m.Site.RefLon, wantLon, 1e-9) || m.Site.RefElevation != 110 {
		t.Errorf("site reference %+v", m.Site)
	}
	if len(m.Buildings) != 1 {
		t.Fatalf("%d buildings, want 1", len(m.Buildings))
	}
	b := m.Buildings[0]
	wantStoreys := []struct {
		name string
		elev float64
	}{{"Erdgeschoss", 0}, {"Dachgeschoss", 2.7}}
	if len(b.Storeys) != len(wantStoreys) {
		t.Fatalf("%d storeys", len(b.Storeys))
	}
	spaces := 0
	for i, w := range wantStoreys {
		st := b.Storeys[i]
		if st.Name != w.name || !nearf(st.Elevation, w.elev, 1e-9) {
			t.Errorf("storey %d = %q at %v, want %q at %v", i, st.Name, st.Elevation, w.name, w.elev)
		}
		spaces += len(st.Spaces)
		if a := RingArea(st.Footprint); a < 80 || a > 200 {
			t.Errorf("storey %s footprint area %.1f m², want 80..200", st.Name, a)
		}
	}
	if spaces != 7 {
		t.Errorf("%d spaces, want 7", spaces)
	}
	// The FZK-Haus is 12 m × 10 m with a gable roof about 6 m above the floor.
	if a := RingArea(b.Footprint); a < 100 || a > 160 {
		t.Errorf("building footprint area %.1f m², want 100..160", a)
	}
	if b.Height < 5 || b.Height > 10 {
		t.Errorf("building height %.2f m, want 5..10", b.Height)
	}
	// SOURCES.md counts; all these elements sit in the two storeys.
	for typ, want := range map[string]int{"IFCWALLSTANDARDCASE": 13, "IFCWALL": 0, "IFCSLAB": 4, "IFCDOOR": 5,
		"IFCWINDOW": 11, "IFCBEAM": 4, "IFCSTAIR": 1, "IFCRAILING": 2} {
		if got := b.Elements[typ]; got != want {
			t.Errorf("building has %d %s, want %d", got, typ, want)
		}
	}
	for typ, want := range map[string]int{"IFCSPACE": 7, "IFCOPENINGELEMENT": 17, "IFCPROPERTYSET": 306,
		"IFCRELCONTAINEDINSPATIALSTRUCTURE": 2, "IFCBUILDINGSTOREY": 2, "IFCBUILDING": 1} {
		if got := m.Counts[typ]; got != want {
			t.Errorf("file has %d %s, want %d", got, typ, want)
		}
	}
	// Every type's count agrees with a line scan.
	counts, total := lineCounts(t, path)
	if total != res.Entities || len(counts) != len(m.Counts) {
		t.Errorf("line scan: %d instances of %d types; parser %d of %d", total, len(counts), res.Entities, len(m.Counts))
	}
	for typ, n := range counts {
		if m.Counts[typ] != n {
			t.Errorf("%s: parser %d, line scan %d", typ, m.Counts[typ], n)
		}
	}

	// Ops: the building, 2 storeys, 7 spaces.
	if len(res.Ops) != 10 {
		t.Fatalf("%d ops, want 10", len(res.Ops))
	}
	kinds := map[twin.Kind]int{}
	for _, op := range res.Ops {
		if err := op.Validate(); err != nil {
			t.Error(err)
		}
		kinds[op.Entity.Kind]++
	}
	if kinds[twin.KindBuilding] != 1 || kinds[twin.KindStorey] != 2 || kinds[twin.KindSpace] != 7 {
		t.Errorf("kinds %v", kinds)
	}
	be := res.Ops[0].Entity
	if be.ID != "ifc:2hQBAVPOr5VxhS3Jl0O47h" || be.Levels != 2 || be.Provenance[0].Note != "AC20-FZK-Haus.ifc #434" {
		t.Errorf("building entity %s levels %d provenance %+v", be.ID, be.Levels, be.Provenance)
	}
	// The site's reference point is the world origin here; the building
	// lies within 20 m of it (its corner is at the origin).
	site := orb.Point{wantLon, wantLat}
	origin, err := m.ToLonLat(0, 0)
	if err != nil || geo.Distance(origin, site) > 0.01 {
		t.Errorf("world origin at %v (%v), want %v", origin, err, site)
	}
	if d := geo.DistanceToGeometry(site, be.Geometry); d > 1 {
		t.Errorf("building is %.1f m from the site reference", d)
	}
	if d := geo.Distance(site, be.Geometry.Bound().Center()); d < 3 || d > 20 {
		t.Errorf("building centre %.1f m from the site reference, want 3..20", d)
	}
	gal := res.Ops[len(res.Ops)-1].Entity
	if v, _ := gal.Props.Get("long_name"); v.String() != "Galerie" || gal.Links[0].To != "ifc:273g3wqLzDtfYIl7qqkgcO" {
		t.Errorf("last space %s %v links %v", gal.ID, v, gal.Links)
	}
}

// hausPathOrEmpty is the shared file's path, "" when it is not there.
func hausPathOrEmpty() string { return datasets.SharedPath(hausPath) }
