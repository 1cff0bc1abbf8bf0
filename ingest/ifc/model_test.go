package ifc

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citytwin/geo"
	"citytwin/twin"
)

// synthetic is a small IFC4 file in millimetres: a building at (1 m, 2 m)
// with two storeys; on the ground floor a 10 × 6 m rectangular slab, upstairs
// a round column (r 0.5 m) and a triangular wall; one space with a footprint.
const synthetic = `#1=IFCSIUNIT(*,.LENGTHUNIT.,.MILLI.,.METRE.);
#8=IFCSIUNIT(*,.AREAUNIT.,$,.SQUARE_METRE.);
#2=IFCUNITASSIGNMENT((#1,#8));
#3=IFCCARTESIANPOINT((0.,0.,0.));
#4=IFCAXIS2PLACEMENT3D(#3,$,$);
#5=IFCDIRECTION((0.,1.));
#6=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-5,#4,#5);
#7=IFCPROJECT('proj',$,'P',$,$,$,$,(#6),#2);
#10=IFCLOCALPLACEMENT($,#4);
#11=IFCSITE('site',$,'S',$,$,#10,$,$,.ELEMENT.,(52,30,0,0),(13,24,0,0),34000.,$,$);
#12=IFCRELAGGREGATES('r1',$,$,$,#7,(#11));
#20=IFCCARTESIANPOINT((1000.,2000.,0.));
#21=IFCAXIS2PLACEMENT3D(#20,$,$);
#22=IFCLOCALPLACEMENT(#10,#21);
#23=IFCBUILDING('bldg',$,'B','A house',$,#22,$,$,.ELEMENT.,$,$,#24);
#24=IFCPOSTALADDRESS($,$,$,$,('Hauptstr. 1'),$,'Berlin',$,'10115','Germany');
#25=IFCRELAGGREGATES('r2',$,$,$,#11,(#23));
#30=IFCLOCALPLACEMENT(#22,#4);
#31=IFCBUILDINGSTOREY('st0',$,'EG',$,$,#30,$,$,.ELEMENT.,0.);
#32=IFCCARTESIANPOINT((0.,0.,3000.));
#33=IFCAXIS2PLACEMENT3D(#32,$,$);
#34=IFCLOCALPLACEMENT(#22,#33);
#35=IFCBUILDINGSTOREY('st1',$,'OG',$,$,#34,$,$,.ELEMENT.,3000.);
#36=IFCRELAGGREGATES('r3',$,$,$,#23,(#31,#35));
/* ground floor slab: 10 x 6 m around (5 m, 3 m) */
#40=IFCCARTESIANPOINT((5000.,3000.));
#41=IFCAXIS2PLACEMENT2D(#40,$);
#42=IFCRECTANGLEPROFILEDEF(.AREA.,$,#41,10000.,6000.);
#43=IFCDIRECTION((0.,0.,1.));
#44=IFCEXTRUDEDAREASOLID(#42,#4,#43,200.);
#45=IFCSHAPEREPRESENTATION(#6,'Body','SweptSolid',(#44));
#46=IFCPRODUCTDEFINITIONSHAPE($,$,(#45));
#47=IFCLOCALPLACEMENT(#30,#4);
#48=IFCSLAB('slab0',$,'Floor',$,$,#47,#46,$,.FLOOR.);
/* upstairs: a column, r = 0.5 m, 2.8 m high, at the storey origin */
#50=IFCCIRCLEPROFILEDEF(.AREA.,$,$,500.);
#51=IFCEXTRUDEDAREASOLID(#50,$,#43,2800.);
#52=IFCSHAPEREPRESENTATION(#6,'Body','SweptSolid',(#51));
#53=IFCPRODUCTDEFINITIONSHAPE($,$,(#52));
#54=IFCLOCALPLACEMENT(#34,#4);
#55=IFCCOLUMN('col1',$,'C',$,$,#54,#53,$,$);
/* and a triangular wall 4 x 3 m */
#60=IFCCARTESIANPOINT((0.,0.));
#61=IFCCARTESIANPOINT((4000.,0.));
#62=IFCCARTESIANPOINT((0.,3000.));
#63=IFCPOLYLINE((#60,#61,#62,#60));
#64=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#63);
#65=IFCEXTRUDEDAREASOLID(#64,$,#43,2500.);
#66=IFCSHAPEREPRESENTATION(#6,'Body','SweptSolid',(#65));
#67=IFCPRODUCTDEFINITIONSHAPE($,$,(#66));
#68=IFCWALL('wall1',$,'W',$,$,#54,#67,$,$);
#69=IFCDOOR('door1',$,'D',$,$,#54,$,$,$,$,$,$,$);
#70=IFCRELCONTAINEDINSPATIALSTRUCTURE('c0',$,$,$,(#48),#31);
#71=IFCRELCONTAINEDINSPATIALSTRUCTURE('c1',$,$,$,(#55,#68,#69),#35);
/* a space on the ground floor with a 2D footprint curve */
#80=IFCGEOMETRICCURVESET((#63));
#81=IFCSHAPEREPRESENTATION(#6,'FootPrint','GeometricCurveSet',(#80));
#82=IFCPRODUCTDEFINITIONSHAPE($,$,(#81));
#83=IFCSPACE('sp1',$,'1','Room',$,#47,#82,'Wohnen',.INTERNAL.,$,$);
#84=IFCRELAGGREGATES('r4',$,$,$,#31,(#83));
#85=IFCQUANTITYAREA('NetFloorArea',$,$,5.5,$);
#86=IFCELEMENTQUANTITY('q1',$,'Qto',$,$,(#85));
#87=IFCRELDEFINESBYPROPERTIES('d1',$,$,$,(#83),#86);`

func bounds(r orb.Ring) orb.Bound { return orb.MultiPoint(r).Bound() }

func nearf(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func decodeText(t *testing.T, src string, opts Options) *Result {
	t.Helper()
	res, err := Decode(context.Background(), strings.NewReader(src), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected > 0 {
		t.Fatalf("rejects: %v", res.Rejects)
	}
	return res
}

func TestSyntheticModel(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	res := decodeText(t, step(synthetic), Options{Name: "s.ifc", Now: now})
	m := res.Model
	if m.LengthUnit != 0.001 || m.Schema != "IFC4" || m.TrueNorth != 0 {
		t.Errorf("unit %v schema %s north %v", m.LengthUnit, m.Schema, m.TrueNorth)
	}
	if !m.Site.HasRef || m.Site.RefLat != 52.5 || m.Site.RefLon != 13.4 || m.Site.RefElevation != 34 {
		t.Errorf("site = %+v", m.Site)
	}
	if len(m.Buildings) != 1 {
		t.Fatalf("%d buildings", len(m.Buildings))
	}
	b := m.Buildings[0]
	if b.Address != "Hauptstr. 1, 10115 Berlin, Germany" {
		t.Errorf("address %q", b.Address)
	}
	if len(b.Storeys) != 2 || b.Storeys[0].Name != "EG" || b.Storeys[1].Name != "OG" || b.Storeys[1].Elevation != 3 {
		t.Fatalf("storeys = %+v", b.Storeys)
	}
	// Rectangle profile: x 1..11, y 2..8 in world metres; area 60.
	eg := b.Storeys[0]
	if got := bounds(eg.Footprint); !nearf(got.Min[0], 1, 1e-9) || !nearf(got.Max[0], 11, 1e-9) ||
		!nearf(got.Min[1], 2, 1e-9) || !nearf(got.Max[1], 8, 1e-9) || !nearf(RingArea(eg.Footprint), 60, 1e-9) {
		t.Errorf("EG footprint %v area %v", got, RingArea(eg.Footprint))
	}
	// Circle r 0.5 around (1,2) and triangle (1,2) (5,2) (1,5).
	og := b.Storeys[1]
	if got := bounds(og.Footprint); !nearf(got.Min[0], 0.5, 1e-9) || !nearf(got.Max[0], 5, 1e-9) ||
		!nearf(got.Min[1], 1.5, 1e-9) || !nearf(got.Max[1], 5, 1e-9) {
		t.Errorf("OG footprint %v", got)
	}
	if !nearf(og.Top, 5.8, 1e-9) || !nearf(b.Height, 5.8, 1e-9) || b.Base != 0 {
		t.Errorf("OG top %v, building height %v base %v", og.Top, b.Height, b.Base)
	}
	if got := bounds(b.Footprint); !nearf(got.Min[0], 0.5, 1e-9) || !nearf(got.Max[0], 11, 1e-9) ||
		!nearf(got.Min[1], 1.5, 1e-9) || !nearf(got.Max[1], 8, 1e-9) {
		t.Errorf("building footprint %v", got)
	}
	if og.Elements["IFCWALL"] != 1 || og.Elements["IFCCOLUMN"] != 1 || b.Elements["IFCDOOR"] != 1 || b.Elements["IFCSLAB"] != 1 {
		t.Errorf("elements: storey %v building %v", og.Elements, b.Elements)
	}
	if len(eg.Spaces) != 1 {
		t.Fatalf("spaces %+v", eg.Spaces)
	}
	sp := eg.Spaces[0]
	if sp.LongName != "Wohnen" || sp.Area != 5.5 || !nearf(RingArea(sp.Footprint), 6, 1e-9) {
		t.Errorf("space %+v area %v", sp, RingArea(sp.Footprint))
	}

	// Ops: building, EG, its space, OG.
	if len(res.Ops) != 4 {
		t.Fatalf("%d ops", len(res.Ops))
	}
	for _, op := range res.Ops {
		if err := op.Validate(); err != nil {
			t.Error(err)
		}
	}
	be := res.Ops[0].Entity
	if be.ID != "ifc:bldg" || be.Kind != twin.KindBuilding || be.Levels != 2 || !nearf(be.Height, 5.8, 1e-9) {
		t.Errorf("building entity %+v", be)
	}
	if v, _ := be.Props.Get("address"); v.String() != "Hauptstr. 1, 10115 Berlin, Germany" {
		t.Errorf("address prop %v", v)
	}
	if v, _ := be.Props.Get("count_ifcdoor"); v.String() != "1" {
		t.Errorf("door count %v", v)
	}
	if p := be.Provenance[0]; p.Source != "ifc" || p.Note != "s.ifc #23" || !p.Time.Equal(now) {
		t.Errorf("provenance %+v", p)
	}
	spe, oge := res.Ops[2].Entity, res.Ops[3].Entity
	if spe.Kind != twin.KindSpace || len(spe.Links) != 2 || spe.Links[0].To != "ifc:st0" || spe.Links[1].To != "ifc:bldg" {
		t.Errorf("space entity %+v", spe)
	}
	if v, _ := spe.Props.Get("area_m2"); v.String() != "5.5" {
		t.Errorf("area prop %v", v)
	}
	if oge.Kind != twin.KindStorey || oge.MinHeight != 3 || oge.Links[0] != (twin.Link{Rel: "part_of", To: "ifc:bldg"}) {
		t.Errorf("OG entity %+v", oge)
	}
	// The building's south-west corner is 0.5 m east, 1.5 m north of the site.
	poly := be.Geometry.(orb.Polygon)
	want := geo.NewFrame(orb.Point{13.4, 52.5}).ToLonLat(0.5, 1.5)
	if d := geo.Distance(bounds(poly[0]).Min, want); d > 0.01 {
		t.Errorf("south-west corner %v is %.3f m from %v", bounds(poly[0]).Min, d, want)
	}
}

func TestTrueNorth(t *testing.T) {
	// True north along world -X: a point 100 m along -X is 100 m north.
	src := strings.Replace(synthetic, "#5=IFCDIRECTION((0.,1.));", "#5=IFCDIRECTION((-1.,0.));", 1)
	m := decodeText(t, step(src), Options{}).Model
	if !nearf(m.TrueNorth, 90, 1e-9) {
		t.Fatalf("TrueNorth = %v", m.TrueNorth)
	}
	got, err := m.ToLonLat(-100, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := geo.NewFrame(orb.Point{13.4, 52.5}).ToLonLat(0, 100)
	if d := geo.Distance(got, want); d > 0.01 {
		t.Errorf("got %v, want %v (%.3f m)", got, want, d)
	}
}

func TestMapConversion(t *testing.T) {
	// The world x axis points north (abscissa 0, ordinate 1).
	src := synthetic + `
#90=IFCPROJECTEDCRS('EPSG:25833',$,$,$,$,$,$);
#91=IFCMAPCONVERSION(#6,#90,390000.,5820000.,34.,0.,1.,$);`
	if _, err := Decode(context.Background(), strings.NewReader(step(src)), Options{}); !errors.Is(err, ErrNoToWGS84) {
		t.Fatalf("nil ToWGS84: err = %v, want ErrNoToWGS84", err)
	}
	var crs string
	var xs, ys []float64
	to := func(c string, x, y float64) (float64, float64, error) {
		crs = c
		xs, ys = append(xs, x), append(ys, y)
		return 13 + (x-390000)/1e5, 52 + (y-5820000)/1e5, nil
	}
	res := decodeText(t, step(src), Options{ToWGS84: to})
	mc := res.Model.MapConversion
	if mc == nil || mc.CRS != "EPSG:25833" || mc.Scale != 1 {
		t.Fatalf("map conversion %+v", mc)
	}
	if crs != "EPSG:25833" {
		t.Errorf("crs %q", crs)
	}
	// World (x, y) -> E = 390000 - y, N = 5820000 + x: the building's
	// footprint (x 0.5..11, y 1.5..8) lands on E 389992..389998.5.
	minE, maxE := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		minE, maxE = math.Min(minE, x), math.Max(maxE, x)
	}
	if !nearf(minE, 389992, 1e-6) || !nearf(maxE, 389998.5, 1e-6) {
		t.Errorf("eastings %v..%v", minE, maxE)
	}
	bad := func(string, float64, float64) (float64, float64, error) { return 0, 0, errors.New("boom") }
	if _, err := Decode(context.Background(), strings.NewReader(step(src)), Options{ToWGS84: bad}); err == nil {
		t.Error("a failing ToWGS84 gave no error")
	}
}

func TestNoGeoreference(t *testing.T) {
	src := strings.Replace(synthetic, "(52,30,0,0),(13,24,0,0)", "$,$", 1)
	res, err := Decode(context.Background(), strings.NewReader(step(src)), Options{})
	if !errors.Is(err, ErrNoGeoreference) {
		t.Fatalf("err = %v", err)
	}
	if res == nil || res.Model == nil || len(res.Model.Buildings) != 1 || len(res.Ops) != 0 {
		t.Errorf("want the model and no ops, got %+v", res)
	}
}

func TestNoProject(t *testing.T) {
	if _, err := Decode(context.Background(), strings.NewReader(step("#1=IFCWALL('w',$,$,$,$,$,$,$,$);")), Options{}); !errors.Is(err, ErrNoProject) {
		t.Errorf("err = %v", err)
	}
}

func TestCyclicPlacementRejected(t *testing.T) {
	src := strings.Replace(synthetic, "#22=IFCLOCALPLACEMENT(#10,#21);", "#22=IFCLOCALPLACEMENT(#30,#21);", 1)
	res, err := Decode(context.Background(), strings.NewReader(step(src)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected == 0 {
		t.Error("a placement cycle gave no reject")
	}
}

func TestProfileFootprints(t *testing.T) {
	g := func(data string) (*geom, *File) {
		f, err := Parse(context.Background(), strings.NewReader(step(data)))
		if err != nil {
			t.Fatal(err)
		}
		return newGeom(f, 1), f
	}
	tests := []struct {
		name string
		data string
		area float64
		tol  float64
	}{
		{"rectangle", "#1=IFCRECTANGLEPROFILEDEF(.AREA.,$,$,4.,2.);", 8, 1e-12},
		{"rectangle rotated", `#2=IFCCARTESIANPOINT((10.,10.));#3=IFCDIRECTION((1.,1.));#4=IFCAXIS2PLACEMENT2D(#2,#3);
#1=IFCRECTANGLEPROFILEDEF(.AREA.,$,#4,4.,2.);`, 8, 1e-9},
		{"circle", "#1=IFCCIRCLEPROFILEDEF(.AREA.,$,$,1.);", 32 * 0.5 * math.Sin(2*math.Pi/32), 1e-9},
		{"arbitrary", `#2=IFCCARTESIANPOINT((0.,0.));#3=IFCCARTESIANPOINT((3.,0.));#4=IFCCARTESIANPOINT((3.,3.));
#5=IFCCARTESIANPOINT((0.,3.));#6=IFCPOLYLINE((#2,#3,#4,#5,#2));#1=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#6);`, 9, 1e-12},
		{"indexed", `#2=IFCCARTESIANPOINTLIST2D(((0.,0.),(2.,0.),(0.,2.)));#6=IFCINDEXEDPOLYCURVE(#2,$,$);
#1=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#6);`, 2, 1e-12},
		{"negative", "#1=IFCRECTANGLEPROFILEDEF(.AREA.,$,$,-4.,2.);", 0, 0},
		{"dangling", "#1=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#77);", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gm, f := g(tt.data)
			prof := gm.profile(f.Get(1), 0)
			var pts []orb.Point
			for _, p := range prof {
				pts = append(pts, orb.Point{p[0], p[1]})
			}
			if got := math.Abs(RingArea(ConvexHull(pts))); !nearf(got, tt.area, tt.tol) {
				t.Errorf("area = %v, want %v", got, tt.area)
			}
		})
	}
}

func TestExtrusionTilted(t *testing.T) {
	// A 1 x 1 profile extruded 2 m along x: the plan footprint is 2 x 1 plus
	// the square, i.e. x from -0.5 to 2.5.
	src := step(`#1=IFCRECTANGLEPROFILEDEF(.AREA.,$,$,1.,1.);
#2=IFCDIRECTION((1.,0.,0.));
#3=IFCEXTRUDEDAREASOLID(#1,$,#2,2.);`)
	f, err := Parse(context.Background(), strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	var pts []Vec3
	newGeom(f, 1).itemPoints(f.Get(3), Identity, 0, &pts)
	var ps []orb.Point
	for _, p := range pts {
		ps = append(ps, orb.Point{p[0], p[1]})
	}
	if got := bounds(ConvexHull(ps)); got.Min[0] != -0.5 || got.Max[0] != 2.5 || got.Min[1] != -0.5 || got.Max[1] != 0.5 {
		t.Errorf("bounds %v", got)
	}
}

func TestConvexHull(t *testing.T) {
	pts := []orb.Point{{0, 0}, {2, 0}, {1, 1}, {2, 2}, {0, 2}, {1, 0}, {0, 1}}
	h := ConvexHull(pts)
	if len(h) != 5 || RingArea(h) != 4 {
		t.Errorf("hull %v area %v", h, RingArea(h))
	}
	if ConvexHull([]orb.Point{{0, 0}, {1, 1}, {2, 2}}) != nil {
		t.Error("collinear points gave a hull")
	}
	if ConvexHull([]orb.Point{{0, 0}, {math.NaN(), 1}, {2, 2}}) != nil {
		t.Error("NaN gave a hull")
	}
}
