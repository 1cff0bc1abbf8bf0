package ifc

import (
	"math"
)

// Limits on geometry walks, against cyclic or absurd input.
const (
	maxItemDepth     = 8       // nested boolean results and mapped items
	maxPlacementLen  = 64      // local placements in one chain
	maxProductPoints = 1 << 20 // points gathered for one product
	// maxWork bounds geometry items visited and points gathered for a whole
	// file, so that items shared many times over cannot blow up the walk.
	maxWork        = 20_000_000
	circleSegments = 32
)

// geom resolves placements and geometry of a File in metres.
type geom struct {
	f     *File
	unit  float64 // metres per project length unit
	memo  map[uint64]Transform
	state map[uint64]uint8 // 1 while resolving, for cycle detection
	bad   map[uint64]string
	work  int // items visited and points gathered so far
}

// spent counts n units of work and reports whether the budget is gone.
func (g *geom) spent(n int) bool {
	g.work += n
	return g.work > maxWork
}

func newGeom(f *File, unit float64) *geom {
	return &geom{f: f, unit: unit, memo: map[uint64]Transform{}, state: map[uint64]uint8{}, bad: map[uint64]string{}}
}

func (g *geom) nums(v Value, max int) ([]float64, bool) {
	if v.Kind != List || len(v.List) == 0 || len(v.List) > max {
		return nil, false
	}
	out := make([]float64, len(v.List))
	for i, e := range v.List {
		n, ok := e.Number()
		if !ok || !finite(n) {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// point reads an IfcCartesianPoint in metres (2D points get z = 0).
func (g *geom) point(v Value) (Vec3, bool) {
	in := g.f.Deref(v)
	if in == nil || in.Type != "IFCCARTESIANPOINT" {
		return Vec3{}, false
	}
	c, ok := g.nums(in.Arg(0), 3)
	if !ok {
		return Vec3{}, false
	}
	var p Vec3
	copy(p[:], c)
	p = p.scale(g.unit)
	return p, p.finite()
}

// direction reads an IfcDirection (unitless).
func (g *geom) direction(v Value) (*Vec3, bool) {
	in := g.f.Deref(v)
	if in == nil || in.Type != "IFCDIRECTION" {
		return nil, false
	}
	c, ok := g.nums(in.Arg(0), 3)
	if !ok {
		return nil, false
	}
	var p Vec3
	copy(p[:], c)
	return &p, true
}

// axis2 reads an IfcAxis2Placement3D or 2D; $ or anything else is identity.
func (g *geom) axis2(v Value) Transform {
	in := g.f.Deref(v)
	if in == nil {
		return Identity
	}
	switch in.Type {
	case "IFCAXIS2PLACEMENT3D":
		o, _ := g.point(in.Arg(0))
		axis, _ := g.direction(in.Arg(1))
		ref, _ := g.direction(in.Arg(2))
		return Axes(o, axis, ref)
	case "IFCAXIS2PLACEMENT2D":
		o, _ := g.point(in.Arg(0))
		ref, _ := g.direction(in.Arg(1))
		if ref != nil {
			ref[2] = 0
		}
		return Axes(o, nil, ref)
	}
	return Identity
}

// placement composes an IfcLocalPlacement chain to world coordinates. A cycle
// or a chain longer than maxPlacementLen is an error, reported once per id.
func (g *geom) placement(id uint64) (Transform, bool) {
	if t, ok := g.memo[id]; ok {
		return t, true
	}
	if _, bad := g.bad[id]; bad {
		return Identity, false
	}
	// Walk up to the root, then compose down.
	var chain []*Instance
	seen := map[uint64]bool{}
	cur := id
	for {
		if t, ok := g.memo[cur]; ok {
			return g.composeDown(chain, t, id)
		}
		in := g.f.Get(cur)
		if in == nil || in.Type != "IFCLOCALPLACEMENT" {
			if len(chain) == 0 {
				g.bad[id] = "not an IfcLocalPlacement"
				return Identity, false
			}
			break // dangling parent: treat as world
		}
		if seen[cur] || len(chain) >= maxPlacementLen {
			g.bad[id] = "placement chain has a cycle or is too long"
			return Identity, false
		}
		seen[cur] = true
		chain = append(chain, in)
		parent := in.Arg(0)
		if parent.Kind != Ref {
			break
		}
		cur = parent.Ref
	}
	return g.composeDown(chain, Identity, id)
}

// composeDown applies chain (child first) below the transform top.
func (g *geom) composeDown(chain []*Instance, top Transform, id uint64) (Transform, bool) {
	t := top
	for i := len(chain) - 1; i >= 0; i-- {
		t = g.axis2(chain[i].Arg(1)).Then(t)
		g.memo[chain[i].ID] = t
	}
	return t, true
}

// productPlacement is the world transform of a product's ObjectPlacement.
func (g *geom) productPlacement(in *Instance) Transform {
	v := in.Arg(5)
	if v.Kind != Ref {
		return Identity
	}
	t, _ := g.placement(v.Ref)
	return t
}

// productPoints gathers world points (metres) of a product's geometry: its
// Body, else its FootPrint, else its bounding Box.
func (g *geom) productPoints(in *Instance) []Vec3 {
	pds := g.f.Deref(in.Arg(6))
	if pds == nil || pds.Type != "IFCPRODUCTDEFINITIONSHAPE" {
		return nil
	}
	reps := pds.Arg(2)
	if reps.Kind != List {
		return nil
	}
	t := g.productPlacement(in)
	for _, want := range []string{"Body", "FootPrint", "Box"} {
		var pts []Vec3
		for _, rv := range reps.List {
			rep := g.f.Deref(rv)
			if rep == nil {
				continue
			}
			if id, _ := rep.Arg(1).Text(); id != want {
				continue
			}
			g.repPoints(rep, t, 0, &pts)
		}
		if len(pts) > 0 {
			return pts
		}
	}
	return nil
}

// repPoints adds the points of a shape representation's items.
func (g *geom) repPoints(rep *Instance, t Transform, depth int, pts *[]Vec3) {
	items := rep.Arg(3)
	if items.Kind != List {
		return
	}
	for _, iv := range items.List {
		g.itemPoints(g.f.Deref(iv), t, depth, pts)
	}
}

func (g *geom) add(pts *[]Vec3, p Vec3) {
	if len(*pts) < maxProductPoints && p.finite() && !g.spent(1) {
		*pts = append(*pts, p)
	}
}

// itemPoints adds the points of one representation item under t.
func (g *geom) itemPoints(it *Instance, t Transform, depth int, pts *[]Vec3) {
	if it == nil || depth > maxItemDepth || g.spent(1) {
		return
	}
	switch it.Type {
	case "IFCEXTRUDEDAREASOLID", "IFCEXTRUDEDAREASOLIDTAPERED":
		prof := g.profile(g.f.Deref(it.Arg(0)), 0)
		if len(prof) == 0 {
			return
		}
		pos := g.axis2(it.Arg(1)).Then(t)
		dir := Vec3{0, 0, 1}
		if d, ok := g.direction(it.Arg(2)); ok {
			if u, ok := d.unit(); ok {
				dir = u
			}
		}
		depthM, ok := it.Arg(3).Number()
		if !ok || !finite(depthM) {
			return
		}
		off := dir.scale(depthM * g.unit)
		for _, p := range prof {
			g.add(pts, pos.Apply(p))
			g.add(pts, pos.Apply(p.add(off)))
		}
	case "IFCBOOLEANCLIPPINGRESULT", "IFCBOOLEANRESULT":
		// The first operand bounds a difference or intersection.
		g.itemPoints(g.f.Deref(it.Arg(1)), t, depth+1, pts)
	case "IFCFACETEDBREP", "IFCFACETEDBREPWITHVOIDS":
		shell := g.f.Deref(it.Arg(0))
		if shell == nil || shell.Arg(0).Kind != List {
			return
		}
		for _, fv := range shell.Arg(0).List {
			face := g.f.Deref(fv)
			if face == nil || face.Arg(0).Kind != List {
				continue
			}
			for _, bv := range face.Arg(0).List {
				bound := g.f.Deref(bv)
				if bound == nil {
					continue
				}
				loop := g.f.Deref(bound.Arg(0))
				if loop == nil || loop.Type != "IFCPOLYLOOP" || loop.Arg(0).Kind != List {
					continue
				}
				for _, pv := range loop.Arg(0).List {
					if p, ok := g.point(pv); ok {
						g.add(pts, t.Apply(p))
					}
				}
			}
		}
	case "IFCMAPPEDITEM":
		if rep, m, ok := g.mapped(it, t); ok {
			g.repPoints(rep, m, depth+1, pts)
		}
	case "IFCGEOMETRICCURVESET", "IFCGEOMETRICSET":
		if it.Arg(0).Kind != List {
			return
		}
		for _, ev := range it.Arg(0).List {
			g.itemPoints(g.f.Deref(ev), t, depth+1, pts)
		}
	case "IFCPOLYLINE", "IFCINDEXEDPOLYCURVE", "IFCCOMPOSITECURVE":
		for _, p := range g.curve(it, 0) {
			g.add(pts, t.Apply(p))
		}
	case "IFCBOUNDINGBOX":
		c, ok := g.point(it.Arg(0))
		if !ok {
			return
		}
		var dim Vec3
		for i := range 3 {
			n, ok := it.Arg(1 + i).Number()
			if !ok {
				return
			}
			dim[i] = n * g.unit
		}
		for i := range 8 {
			g.add(pts, t.Apply(Vec3{c[0] + dim[0]*float64(i&1), c[1] + dim[1]*float64(i>>1&1), c[2] + dim[2]*float64(i>>2&1)}))
		}
	}
}

// curve returns the points of a polyline-like curve in metres.
func (g *geom) curve(c *Instance, depth int) []Vec3 {
	if c == nil || depth > maxItemDepth || g.spent(1) {
		return nil
	}
	var out []Vec3
	switch c.Type {
	case "IFCPOLYLINE":
		if c.Arg(0).Kind != List {
			return nil
		}
		for _, pv := range c.Arg(0).List {
			if p, ok := g.point(pv); ok {
				out = append(out, p)
			}
		}
	case "IFCINDEXEDPOLYCURVE":
		pl := g.f.Deref(c.Arg(0))
		if pl == nil || pl.Arg(0).Kind != List {
			return nil
		}
		for _, cv := range pl.Arg(0).List {
			xy, ok := g.nums(cv, 3)
			if !ok || len(xy) < 2 {
				continue
			}
			var p Vec3
			copy(p[:], xy)
			out = append(out, p.scale(g.unit))
		}
	case "IFCCOMPOSITECURVE":
		if c.Arg(0).Kind != List {
			return nil
		}
		for _, sv := range c.Arg(0).List {
			if seg := g.f.Deref(sv); seg != nil {
				out = append(out, g.curve(g.f.Deref(seg.Arg(2)), depth+1)...)
			}
		}
	}
	return out
}

// profile returns the outline of a profile definition in its own plane
// (z = 0), metres, with the profile's Position applied.
func (g *geom) profile(p *Instance, depth int) []Vec3 {
	if p == nil || depth > maxItemDepth || g.spent(1) {
		return nil
	}
	var out []Vec3
	switch p.Type {
	case "IFCRECTANGLEPROFILEDEF", "IFCROUNDEDRECTANGLEPROFILEDEF", "IFCRECTANGLEHOLLOWPROFILEDEF":
		x, ok1 := p.Arg(3).Number()
		y, ok2 := p.Arg(4).Number()
		if !ok1 || !ok2 || !(x > 0) || !(y > 0) {
			return nil
		}
		hx, hy := x*g.unit/2, y*g.unit/2
		pos := g.axis2(p.Arg(2))
		for _, c := range [][2]float64{{-hx, -hy}, {hx, -hy}, {hx, hy}, {-hx, hy}} {
			out = append(out, pos.Apply(Vec3{c[0], c[1], 0}))
		}
	case "IFCCIRCLEPROFILEDEF", "IFCCIRCLEHOLLOWPROFILEDEF":
		r, ok := p.Arg(3).Number()
		if !ok || !(r > 0) {
			return nil
		}
		r *= g.unit
		pos := g.axis2(p.Arg(2))
		for i := range circleSegments {
			a := 2 * math.Pi * float64(i) / circleSegments
			out = append(out, pos.Apply(Vec3{r * math.Cos(a), r * math.Sin(a), 0}))
		}
	case "IFCARBITRARYCLOSEDPROFILEDEF", "IFCARBITRARYPROFILEDEFWITHVOIDS":
		out = g.curve(g.f.Deref(p.Arg(2)), 0)
		for i := range out {
			out[i][2] = 0
		}
	case "IFCDERIVEDPROFILEDEF":
		// ParentProfile (2) under Operator (3), a 2D transformation.
		parent := g.profile(g.f.Deref(p.Arg(2)), depth+1)
		op := g.f.Deref(p.Arg(3))
		t := Identity
		if op != nil {
			o, _ := g.point(op.Arg(2))
			x, _ := g.direction(op.Arg(0))
			t = Axes(o, nil, x)
		}
		for _, q := range parent {
			out = append(out, t.Apply(q))
		}
	}
	return out
}

// mapped resolves an IfcMappedItem: the representation it maps and the
// transform that places it (the map's origin, then its target, then t).
func (g *geom) mapped(it *Instance, t Transform) (*Instance, Transform, bool) {
	src := g.f.Deref(it.Arg(0))
	if src == nil || src.Type != "IFCREPRESENTATIONMAP" {
		return nil, t, false
	}
	origin := g.axis2(src.Arg(0))
	target := Identity
	if op := g.f.Deref(it.Arg(1)); op != nil {
		o, _ := g.point(op.Arg(2))
		x, _ := g.direction(op.Arg(0))
		z, _ := g.direction(op.Arg(4))
		// Scale (Arg 3) is ignored: mapped items in buildings are rigid.
		target = Axes(o, z, x)
	}
	rep := g.f.Deref(src.Arg(1))
	return rep, origin.Then(target).Then(t), rep != nil
}
