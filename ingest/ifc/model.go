package ifc

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/paulmach/orb"

	"citytwin/geo"
)

// Object is what every IFC object carries.
type Object struct {
	StepID      uint64 // #n in the file
	Type        string // STEP type, e.g. "IFCBUILDING"
	GlobalID    string
	Name        string
	Description string
	LongName    string
}

// Site is the IfcSite with its geographic reference.
type Site struct {
	Object
	HasRef       bool    // RefLatitude and RefLongitude were given
	RefLat       float64 // degrees
	RefLon       float64 // degrees
	RefElevation float64 // metres above sea level
	Origin       Vec3    // the site placement's origin in world metres
}

// MapConversion is an IFC4 IfcMapConversion to a projected CRS.
type MapConversion struct {
	CRS                          string // IfcProjectedCRS.Name, e.g. "EPSG:25832"
	Eastings, Northings          float64
	OrthogonalHeight             float64
	XAxisAbscissa, XAxisOrdinate float64
	Scale                        float64 // 1 when absent
}

// Space is an IfcSpace.
type Space struct {
	Object
	Footprint orb.Ring // world metres: outline of its geometry (see outlineOf); nil when none was usable
	Area      float64  // m², from a NetFloorArea/GrossFloorArea quantity; 0 if none
}

// Storey is an IfcBuildingStorey.
type Storey struct {
	Object
	Elevation float64  // metres, the Elevation attribute (else placement z)
	Footprint orb.Ring // world metres: outline of its walls, slabs and columns (see outlineOf)
	Top       float64  // world z of the highest point of its elements, metres
	Spaces    []Space
	Elements  map[string]int // contained elements per STEP type
}

// Building is an IfcBuilding with its storeys.
type Building struct {
	Object
	Address   string
	Footprint orb.Ring // world metres: outline of the storey footprints (see outlineOf)
	Base      float64  // world z of the lowest storey, metres
	Height    float64  // top of the highest element above Base, metres
	Storeys   []Storey // by elevation
	Elements  map[string]int
}

// Model is the part of an IFC file citytwin keeps. Coordinates are the
// project's world coordinate system in metres.
type Model struct {
	Header        Header
	Schema        string  // IFC2X3, IFC4, IFC4X3, …
	LengthUnit    float64 // metres per project length unit
	Project       Object
	Site          Site
	TrueNorth     float64 // degrees from world +Y to true north, counter-clockwise
	MapConversion *MapConversion
	Buildings     []Building
	Counts        map[string]int // instances per STEP type in the file

	toWGS84 func(crs string, x, y float64) (float64, float64, error)
}

// Errors of the model.
var (
	ErrNoProject      = errors.New("ifc: no IfcProject")
	ErrNoGeoreference = errors.New("ifc: no georeference (IfcSite RefLatitude/RefLongitude or IfcMapConversion)")
	ErrNoToWGS84      = errors.New("ifc: file has an IfcMapConversion but Options.ToWGS84 is nil")
)

// ToLonLat maps a world point (metres) to WGS84: through the map conversion
// and Options.ToWGS84 when the file has one, else relative to the site's
// reference point, turned by TrueNorth.
func (m *Model) ToLonLat(x, y float64) (orb.Point, error) {
	if mc := m.MapConversion; mc != nil {
		if m.toWGS84 == nil {
			return orb.Point{}, ErrNoToWGS84
		}
		a, b := mc.XAxisAbscissa, mc.XAxisOrdinate
		if n := math.Hypot(a, b); n > 0 {
			a, b = a/n, b/n
		} else {
			a, b = 1, 0
		}
		e := mc.Eastings + mc.Scale*(a*x-b*y)
		n := mc.Northings + mc.Scale*(b*x+a*y)
		lon, lat, err := m.toWGS84(mc.CRS, e, n)
		if err != nil {
			return orb.Point{}, fmt.Errorf("ifc: %s %.3f %.3f to WGS84: %w", mc.CRS, e, n, err)
		}
		return orb.Point{lon, lat}, nil
	}
	if !m.Site.HasRef {
		return orb.Point{}, ErrNoGeoreference
	}
	dx, dy := x-m.Site.Origin[0], y-m.Site.Origin[1]
	th := -m.TrueNorth * math.Pi / 180
	east := dx*math.Cos(th) - dy*math.Sin(th)
	north := dx*math.Sin(th) + dy*math.Cos(th)
	return geo.NewFrame(orb.Point{m.Site.RefLon, m.Site.RefLat}).ToLonLat(east, north), nil
}

// ringToLonLat maps a world ring to WGS84.
func (m *Model) ringToLonLat(r orb.Ring) (orb.Ring, error) {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		q, err := m.ToLonLat(p[0], p[1])
		if err != nil {
			return nil, err
		}
		out[i] = q
	}
	return out, nil
}

// builder turns a File into a Model.
type builder struct {
	f      *File
	g      *geom
	m      *Model
	agg    map[uint64][]uint64 // IfcRelAggregates: whole -> parts
	parent map[uint64]uint64   // part -> whole
	cont   map[uint64][]uint64 // IfcRelContainedInSpatialStructure: structure -> elements
	qty    map[uint64][]uint64 // object -> IfcElementQuantity

	areaUnit float64 // m² per project area unit
}

// BuildModel reads the spatial structure, units, placements, georeference
// and footprints of f.
func BuildModel(f *File) (*Model, error) {
	m := &Model{Header: f.Header, LengthUnit: 1, Counts: map[string]int{}}
	if len(f.Header.Schemas) > 0 {
		m.Schema = strings.ToUpper(f.Header.Schemas[0])
	}
	b := &builder{f: f, m: m, agg: map[uint64][]uint64{}, parent: map[uint64]uint64{}, cont: map[uint64][]uint64{}, qty: map[uint64][]uint64{}}
	var project *Instance
	var sites, buildings, storeys, mapConv []*Instance
	for i := range f.Instances {
		in := &f.Instances[i]
		m.Counts[in.Type]++
		switch in.Type {
		case "IFCPROJECT":
			if project == nil {
				project = in
			}
		case "IFCSITE":
			sites = append(sites, in)
		case "IFCBUILDING":
			buildings = append(buildings, in)
		case "IFCBUILDINGSTOREY":
			storeys = append(storeys, in)
		case "IFCMAPCONVERSION":
			mapConv = append(mapConv, in)
		case "IFCRELAGGREGATES", "IFCRELNESTS":
			whole := in.Arg(4)
			if whole.Kind != Ref || in.Arg(5).Kind != List {
				continue
			}
			for _, p := range in.Arg(5).List {
				if p.Kind == Ref {
					b.agg[whole.Ref] = append(b.agg[whole.Ref], p.Ref)
					b.parent[p.Ref] = whole.Ref
				}
			}
		case "IFCRELCONTAINEDINSPATIALSTRUCTURE":
			st := in.Arg(5)
			if st.Kind != Ref || in.Arg(4).Kind != List {
				continue
			}
			for _, e := range in.Arg(4).List {
				if e.Kind == Ref {
					b.cont[st.Ref] = append(b.cont[st.Ref], e.Ref)
				}
			}
		case "IFCRELDEFINESBYPROPERTIES":
			def := in.Arg(5)
			if def.Kind != Ref || in.Arg(4).Kind != List {
				continue
			}
			for _, o := range in.Arg(4).List {
				if o.Kind == Ref {
					b.qty[o.Ref] = append(b.qty[o.Ref], def.Ref)
				}
			}
		}
	}
	if project == nil {
		return m, ErrNoProject
	}
	m.Project = object(project)
	m.LengthUnit = b.unit(project, "LENGTHUNIT")
	b.areaUnit = b.unit(project, "AREAUNIT")
	b.g = newGeom(f, m.LengthUnit)
	m.TrueNorth = b.trueNorth(project)
	if len(mapConv) > 0 {
		m.MapConversion = b.mapConversion(mapConv[0])
	}

	var site *Instance
	if len(buildings) > 0 {
		if p := f.Get(b.parent[buildings[0].ID]); p != nil && p.Type == "IFCSITE" {
			site = p
		}
	}
	if site == nil && len(sites) > 0 {
		site = sites[0]
	}
	if site != nil {
		m.Site = b.site(site)
	}

	// Storeys not aggregated into any building go to the first building.
	orphans := []uint64{}
	for _, s := range storeys {
		if p := f.Get(b.parent[s.ID]); p == nil || p.Type != "IFCBUILDING" {
			orphans = append(orphans, s.ID)
		}
	}
	for i, bi := range buildings {
		var extra []uint64
		if i == 0 {
			extra = orphans
		}
		m.Buildings = append(m.Buildings, b.building(bi, extra))
	}
	for id, why := range b.g.bad {
		in := f.Get(id)
		line := 0
		if in != nil {
			line = in.Line
		}
		f.reject(Reject{Line: line, ID: id, Reason: why})
	}
	return m, nil
}

func object(in *Instance) Object {
	o := Object{StepID: in.ID, Type: in.Type}
	o.GlobalID, _ = in.Arg(0).Text()
	o.Name, _ = in.Arg(2).Text()
	o.Description, _ = in.Arg(3).Text()
	switch in.Type {
	case "IFCSITE", "IFCBUILDING", "IFCBUILDINGSTOREY", "IFCSPACE":
		o.LongName, _ = in.Arg(7).Text()
	}
	return o
}

// siPrefix is the factor of an IfcSIPrefix.
var siPrefix = map[string]float64{
	"EXA": 1e18, "PETA": 1e15, "TERA": 1e12, "GIGA": 1e9, "MEGA": 1e6, "KILO": 1e3,
	"HECTO": 1e2, "DECA": 1e1, "DECI": 1e-1, "CENTI": 1e-2, "MILLI": 1e-3,
	"MICRO": 1e-6, "NANO": 1e-9, "PICO": 1e-12, "FEMTO": 1e-15, "ATTO": 1e-18,
}

func siFactor(u *Instance) float64 {
	f := 1.0
	if p := u.Arg(2); p.Kind == Enum {
		if v, ok := siPrefix[p.Str]; ok {
			f = v
		}
	}
	return f
}

// unit is the SI factor of the project's unit of a type, e.g. metres per
// LENGTHUNIT (1 when not stated). Prefixes apply once: the caller of an area
// unit gets the factor of e.g. SQUARE_METRE with MILLI as 1e-6.
func (b *builder) unit(project *Instance, typ string) float64 {
	ua := b.f.Deref(project.Arg(8))
	if ua == nil || ua.Arg(0).Kind != List {
		return 1
	}
	for _, uv := range ua.Arg(0).List {
		u := b.f.Deref(uv)
		if u == nil || u.Arg(1).Kind != Enum || u.Arg(1).Str != typ {
			continue
		}
		switch u.Type {
		case "IFCSIUNIT":
			f := siFactor(u)
			if typ == "AREAUNIT" {
				f *= f
			}
			return f
		case "IFCCONVERSIONBASEDUNIT", "IFCCONVERSIONBASEDUNITWITHOFFSET":
			mwu := b.f.Deref(u.Arg(3))
			if mwu == nil {
				return 1
			}
			v, ok := mwu.Arg(0).Number()
			base := 1.0
			if si := b.f.Deref(mwu.Arg(1)); si != nil && si.Type == "IFCSIUNIT" {
				base = siFactor(si)
			}
			if ok && v > 0 && finite(v*base) {
				return v * base
			}
			name, _ := u.Arg(2).Text()
			if typ != "LENGTHUNIT" {
				return 1
			}
			switch strings.ToUpper(name) {
			case "INCH":
				return 0.0254
			case "FOOT":
				return 0.3048
			}
		}
	}
	return 1
}

// trueNorth is the angle from +Y to the TrueNorth of the 3D model context.
func (b *builder) trueNorth(project *Instance) float64 {
	ctxs := project.Arg(7)
	if ctxs.Kind != List {
		return 0
	}
	for _, cv := range ctxs.List {
		c := b.f.Deref(cv)
		if c == nil || c.Type != "IFCGEOMETRICREPRESENTATIONCONTEXT" {
			continue
		}
		d, ok := b.g.direction(c.Arg(5))
		if !ok || math.Hypot(d[0], d[1]) == 0 {
			continue
		}
		// The angle of (x, y) counter-clockwise from +Y.
		return math.Atan2(-d[0], d[1]) * 180 / math.Pi
	}
	return 0
}

func (b *builder) mapConversion(in *Instance) *MapConversion {
	num := func(i int, def float64) float64 {
		if v, ok := in.Arg(i).Number(); ok && finite(v) {
			return v
		}
		return def
	}
	mc := &MapConversion{
		Eastings: num(2, 0), Northings: num(3, 0), OrthogonalHeight: num(4, 0),
		XAxisAbscissa: num(5, 1), XAxisOrdinate: num(6, 0), Scale: num(7, 1),
	}
	if crs := b.f.Deref(in.Arg(1)); crs != nil {
		mc.CRS, _ = crs.Arg(0).Text()
	}
	if in.Arg(7).Kind == Null {
		// Without a scale the map unit is taken to be the metre.
		mc.Scale = 1
	} else {
		// Scale maps project units to map units; our x, y are metres.
		mc.Scale /= b.m.LengthUnit
	}
	return mc
}

func compound(v Value) ([]float64, bool) {
	if v.Kind != List {
		return nil, false
	}
	out := make([]float64, 0, 4)
	for _, e := range v.List {
		n, ok := e.Number()
		if !ok {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

func (b *builder) site(in *Instance) Site {
	s := Site{Object: object(in)}
	s.Origin = b.g.productPlacement(in).O
	lat, ok1 := compound(in.Arg(9))
	lon, ok2 := compound(in.Arg(10))
	if ok1 && ok2 {
		la, err1 := CompoundAngle(lat)
		lo, err2 := CompoundAngle(lon)
		switch {
		case err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180:
			b.f.reject(Reject{Line: in.Line, ID: in.ID, Reason: "IfcSite RefLatitude/RefLongitude out of range"})
		case la == 0 && lo == 0:
			// (0,0) is what exporters write when nobody set the location.
		default:
			s.HasRef, s.RefLat, s.RefLon = true, la, lo
		}
	}
	if e, ok := in.Arg(11).Number(); ok && finite(e) {
		s.RefElevation = e * b.m.LengthUnit
	}
	return s
}

// postalAddress formats an IfcPostalAddress on one line.
func (b *builder) postalAddress(v Value) string {
	a := b.f.Deref(v)
	if a == nil || a.Type != "IFCPOSTALADDRESS" {
		return ""
	}
	var parts []string
	if lines := a.Arg(4); lines.Kind == List {
		for _, l := range lines.List {
			if t, ok := l.Text(); ok && t != "" {
				parts = append(parts, t)
			}
		}
	}
	pc, _ := a.Arg(8).Text()
	town, _ := a.Arg(6).Text()
	if s := strings.TrimSpace(pc + " " + town); s != "" {
		parts = append(parts, s)
	}
	for _, i := range []int{7, 9} { // region, country
		if t, ok := a.Arg(i).Text(); ok && t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, ", ")
}

// footprintTypes are the elements whose outline makes a storey's.
var footprintTypes = map[string]bool{
	"IFCWALL": true, "IFCWALLSTANDARDCASE": true, "IFCWALLELEMENTEDCASE": true,
	"IFCSLAB": true, "IFCSLABSTANDARDCASE": true, "IFCSLABELEMENTEDCASE": true,
	"IFCCOLUMN": true, "IFCCOLUMNSTANDARDCASE": true, "IFCCURTAINWALL": true,
}

func (b *builder) building(in *Instance, extraStoreys []uint64) Building {
	bl := Building{Object: object(in), Elements: map[string]int{}}
	bl.Address = b.postalAddress(in.Arg(11))
	ids := append(b.partsOfType(in.ID, "IFCBUILDINGSTOREY"), extraStoreys...)
	var all []orb.Point
	var plans []orb.Ring
	top := math.Inf(-1)
	for _, id := range ids {
		st := b.storey(b.f.Get(id))
		for k, n := range st.Elements {
			bl.Elements[k] += n
		}
		all = append(all, st.Footprint...)
		if st.Footprint != nil {
			plans = append(plans, st.Footprint)
		}
		if st.Top > top {
			top = st.Top
		}
		bl.Storeys = append(bl.Storeys, st)
	}
	for _, e := range b.cont[in.ID] {
		if el := b.f.Get(e); el != nil {
			bl.Elements[el.Type]++
			for _, p := range b.elementPoints(el) {
				top = math.Max(top, p[2])
			}
		}
	}
	sort.SliceStable(bl.Storeys, func(i, j int) bool { return bl.Storeys[i].Elevation < bl.Storeys[j].Elevation })
	bl.Footprint = outlineOf(plans, all)
	if len(bl.Storeys) > 0 {
		bl.Base = b.g.productPlacement(b.f.Get(bl.Storeys[0].StepID)).O[2]
	} else {
		bl.Base = b.g.productPlacement(in).O[2]
	}
	if finite(top) && top > bl.Base {
		bl.Height = top - bl.Base
	}
	return bl
}

// partsOfType lists the parts (recursively through IfcRelAggregates) of
// whole that have type typ, each once, not looking inside other buildings,
// storeys or spaces.
func (b *builder) partsOfType(whole uint64, typ string) []uint64 {
	var out []uint64
	seen := map[uint64]bool{whole: true}
	stack := []uint64{whole}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range b.agg[cur] {
			in := b.f.Get(p)
			if in == nil || seen[p] {
				continue
			}
			seen[p] = true
			if in.Type == typ {
				out = append(out, p)
			} else if in.Type == "IFCBUILDING" || in.Type == "IFCBUILDINGSTOREY" || in.Type == "IFCSPACE" {
				continue
			}
			stack = append(stack, p)
		}
	}
	return out
}

// outlineOf is the footprint rule for storeys, buildings and spaces: the
// outline of the union of the plans (Outline) when it is one piece, else the
// convex hull of pts (plans that fall apart, or no plans), else nil.
func outlineOf(plans []orb.Ring, pts []orb.Point) orb.Ring {
	if out := Outline(plans); len(out) == 1 {
		return out[0]
	}
	return ConvexHull(pts)
}

// elementPlans are the plan outlines of an element and of its parts.
func (b *builder) elementPlans(el *Instance) []orb.Ring {
	plans := b.g.productPlans(el)
	for _, p := range b.agg[el.ID] {
		if part := b.f.Get(p); part != nil && part.ID != el.ID {
			plans = append(plans, b.g.productPlans(part)...)
		}
	}
	return plans
}

// elementPoints are an element's world points and those of its parts.
func (b *builder) elementPoints(el *Instance) []Vec3 {
	pts := b.g.productPoints(el)
	for _, p := range b.agg[el.ID] {
		if part := b.f.Get(p); part != nil && part.ID != el.ID {
			pts = append(pts, b.g.productPoints(part)...)
		}
	}
	return pts
}

func (b *builder) storey(in *Instance) Storey {
	st := Storey{Object: object(in), Elements: map[string]int{}}
	t := b.g.productPlacement(in)
	st.Elevation = t.O[2]
	if e, ok := in.Arg(9).Number(); ok && finite(e) {
		st.Elevation = e * b.m.LengthUnit
	}
	top := math.Inf(-1)
	var fp, other []orb.Point
	var fpPlans, otherPlans []orb.Ring
	for _, e := range b.cont[in.ID] {
		el := b.f.Get(e)
		if el == nil || b.g.spent(1) {
			continue
		}
		st.Elements[el.Type]++
		pts := b.elementPoints(el)
		roof := el.Type == "IFCSLAB" && el.Arg(8).Kind == Enum && el.Arg(8).Str == "ROOF"
		plan := make([]orb.Point, len(pts))
		for i, p := range pts {
			top = math.Max(top, p[2])
			plan[i] = orb.Point{p[0], p[1]}
		}
		// The hull of each element first keeps the storey's point set small.
		if h := ConvexHull(plan); h != nil {
			plan = h
		}
		if footprintTypes[el.Type] && !roof {
			fp = append(fp, plan...)
			fpPlans = append(fpPlans, b.elementPlans(el)...)
		} else {
			other = append(other, plan...)
			otherPlans = append(otherPlans, b.elementPlans(el)...)
		}
	}
	var spacePts []orb.Point
	for _, sid := range b.partsOfType(in.ID, "IFCSPACE") {
		sp := b.space(b.f.Get(sid))
		spacePts = append(spacePts, sp.Footprint...)
		if sp.Footprint != nil {
			otherPlans = append(otherPlans, sp.Footprint)
		}
		st.Spaces = append(st.Spaces, sp.Space)
		if sp.top > top {
			top = sp.top
		}
	}
	st.Footprint = outlineOf(fpPlans, fp)
	if st.Footprint == nil {
		st.Footprint = outlineOf(otherPlans, append(other, spacePts...))
	}
	st.Top = top
	if !finite(top) {
		st.Top = st.Elevation
	}
	for i := range st.Spaces {
		if st.Spaces[i].Footprint == nil {
			st.Spaces[i].Footprint = st.Footprint
		}
	}
	return st
}

type spaceOut struct {
	Space
	top float64
}

func (b *builder) space(in *Instance) spaceOut {
	sp := spaceOut{Space: Space{Object: object(in)}, top: math.Inf(-1)}
	var pts []orb.Point
	for _, p := range b.g.productPoints(in) {
		pts = append(pts, orb.Point{p[0], p[1]})
		sp.top = math.Max(sp.top, p[2])
	}
	sp.Footprint = outlineOf(b.g.productPlans(in), pts)
	sp.Area = b.area(in.ID)
	return sp
}

// area is the NetFloorArea (else GrossFloorArea) quantity of an object, m².
func (b *builder) area(id uint64) float64 {
	var net, gross float64
	for _, q := range b.qty[id] {
		eq := b.f.Get(q)
		if eq == nil || eq.Type != "IFCELEMENTQUANTITY" || eq.Arg(5).Kind != List {
			continue
		}
		for _, qv := range eq.Arg(5).List {
			qa := b.f.Deref(qv)
			if qa == nil || qa.Type != "IFCQUANTITYAREA" {
				continue
			}
			name, _ := qa.Arg(0).Text()
			v, ok := qa.Arg(3).Number()
			if !ok || !finite(v) || v <= 0 {
				continue
			}
			v *= b.areaUnit
			switch name {
			case "NetFloorArea":
				net = v
			case "GrossFloorArea":
				gross = v
			}
		}
	}
	if net > 0 {
		return net
	}
	return gross
}
