package ifc

import (
	"math"

	"github.com/paulmach/orb"
)

// productPlans gathers the plan outlines (world metres, x and y) of a
// product's geometry, one ring per solid: from its Body, else its FootPrint,
// else its bounding Box, as productPoints. An extrusion along world z of a
// horizontal profile (walls, slabs, spaces) gives its profile, exactly; any
// other item gives the convex hull of its points, which is exact for convex
// profiles.
func (g *geom) productPlans(in *Instance) []orb.Ring {
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
		var out []orb.Ring
		for _, rv := range reps.List {
			rep := g.f.Deref(rv)
			if rep == nil {
				continue
			}
			if id, _ := rep.Arg(1).Text(); id != want {
				continue
			}
			g.repPlans(rep, t, 0, &out)
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

func (g *geom) repPlans(rep *Instance, t Transform, depth int, out *[]orb.Ring) {
	items := rep.Arg(3)
	if items.Kind != List {
		return
	}
	for _, iv := range items.List {
		g.itemPlans(g.f.Deref(iv), t, depth, out)
	}
}

// itemPlans adds the plan outlines of one representation item under t.
func (g *geom) itemPlans(it *Instance, t Transform, depth int, out *[]orb.Ring) {
	if it == nil || depth > maxItemDepth || g.spent(1) {
		return
	}
	switch it.Type {
	case "IFCEXTRUDEDAREASOLID":
		if r := g.extrusionPlan(it, t); r != nil {
			*out = append(*out, r)
			return
		}
	case "IFCFACETEDBREP", "IFCFACETEDBREPWITHVOIDS":
		// The union of the faces seen from above is the plan; vertical
		// faces have none and are skipped.
		n := len(*out)
		g.brepPlans(it, t, out)
		if len(*out) > n {
			return
		}
	case "IFCBOOLEANCLIPPINGRESULT", "IFCBOOLEANRESULT":
		// The first operand bounds a difference or intersection.
		g.itemPlans(g.f.Deref(it.Arg(1)), t, depth+1, out)
		return
	case "IFCMAPPEDITEM":
		if rep, m, ok := g.mapped(it, t); ok {
			g.repPlans(rep, m, depth+1, out)
		}
		return
	}
	var pts []Vec3
	g.itemPoints(it, t, depth, &pts)
	plan := make([]orb.Point, len(pts))
	for i, p := range pts {
		plan[i] = orb.Point{p[0], p[1]}
	}
	if h := ConvexHull(plan); h != nil {
		*out = append(*out, h)
	}
}

// brepPlans adds the outer loops of the faces of a faceted B-rep's outer
// shell, projected to plan, that have an area there.
func (g *geom) brepPlans(it *Instance, t Transform, out *[]orb.Ring) {
	shell := g.f.Deref(it.Arg(0))
	if shell == nil || shell.Arg(0).Kind != List {
		return
	}
	for _, fv := range shell.Arg(0).List {
		face := g.f.Deref(fv)
		if face == nil || face.Arg(0).Kind != List || g.spent(1) {
			continue
		}
		for _, bv := range face.Arg(0).List {
			bound := g.f.Deref(bv)
			if bound == nil || bound.Type == "IFCFACEBOUND" {
				continue // inner bounds are holes of the face
			}
			loop := g.f.Deref(bound.Arg(0))
			if loop == nil || loop.Type != "IFCPOLYLOOP" || loop.Arg(0).Kind != List {
				continue
			}
			r := make(orb.Ring, 0, len(loop.Arg(0).List)+1)
			for _, pv := range loop.Arg(0).List {
				if p, ok := g.point(pv); ok {
					q := t.Apply(p)
					r = append(r, orb.Point{q[0], q[1]})
				}
			}
			if len(r) >= 3 {
				r = append(r, r[0])
				if math.Abs(RingArea(r)) > unionEps {
					*out = append(*out, r)
				}
			}
		}
	}
}

// extrusionPlan is the plan of an extruded area solid whose profile lies
// flat and which is extruded along world z: the profile itself. It is nil
// for any other extrusion.
func (g *geom) extrusionPlan(it *Instance, t Transform) orb.Ring {
	prof := g.profile(g.f.Deref(it.Arg(0)), 0)
	if len(prof) < 3 {
		return nil
	}
	pos := g.axis2(it.Arg(1)).Then(t)
	dir := Vec3{0, 0, 1}
	if d, ok := g.direction(it.Arg(2)); ok {
		if u, ok := d.unit(); ok {
			dir = u
		}
	}
	wd := pos.ApplyDir(dir)
	if math.Abs(pos.Z[2]) < 1-1e-9 || math.Hypot(wd[0], wd[1]) > 1e-9*math.Abs(wd[2]) {
		return nil // tilted profile or extrusion: its plan is not its profile
	}
	r := make(orb.Ring, 0, len(prof)+1)
	for _, p := range prof {
		q := pos.Apply(p)
		if !q.finite() {
			return nil
		}
		r = append(r, orb.Point{q[0], q[1]})
	}
	if r[0] != r[len(r)-1] {
		r = append(r, r[0])
	}
	if len(r) < 4 || RingArea(r) == 0 {
		return nil
	}
	if RingArea(r) < 0 {
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
	}
	return r
}
