package datasets

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
)

// zone is the character of a district: what is built there and how densely.
type zone uint8

const (
	zoneCore zone = iota
	zoneMid
	zoneOuter
	zoneIndustrial
)

// districtSpec is a district before its streets are laid.
type districtSpec struct {
	index      int
	ring       int // 0 for the core
	bnd        *boundary
	rIn, rOut  float64 // rings around it
	phiA, phiB float64 // spokes on either side, phiB > phiA (not for the core)
	segA, segB int     // their segments
}

// jreq asks for a junction on macro segment seg, s metres along it.
type jreq struct {
	seg int
	s   float64
	p   orb.Point
}

// dstreet is a district street; an end >= 0 is a district node, < 0 is junction
// -end-1.
type dstreet struct {
	line   []orb.Point
	a, b   int
	class  RoadClass
	name   string
	oneway bool
}

// district is what a district generates: its streets, and lots and open areas.
type district struct {
	spec    districtSpec
	zone    zone
	rng     *rand.Rand
	nodes   []orb.Point
	juncs   []jreq
	jnode   []int
	streets []dstreet
	lots    []lot
	areas   []area
}

// arterialMargin keeps lots clear of the rings and spokes around a district:
// half a primary road, a pavement and a front garden.
const arterialMargin = 14.5

// streetInset is how far lots stay from the centre line of a district street.
func streetInset(c RoadClass) float64 { return c.halfWidth() + 3.5 }

func genDistrict(seed uint64, spec districtSpec) *district {
	d := &district{spec: spec, rng: newRand(seed, saltDistrict, uint64(spec.index))}
	r := d.rng
	switch {
	case spec.ring == 0:
		d.zone = zoneCore
	case spec.ring == 1:
		d.zone = []zone{zoneCore, zoneMid}[r.IntN(2)]
	case spec.ring <= 3:
		d.zone = []zone{zoneMid, zoneMid, zoneMid, zoneMid, zoneMid, zoneMid, zoneMid, zoneMid, zoneIndustrial, zoneOuter}[r.IntN(10)]
	default:
		d.zone = []zone{zoneOuter, zoneOuter, zoneOuter, zoneOuter, zoneIndustrial}[r.IntN(5)]
	}
	if spec.ring > 0 && d.zone != zoneIndustrial && chance(r, 0.35) {
		d.polar()
	} else {
		d.grid()
	}
	return d
}

func (d *district) junction(c crossing) int {
	d.juncs = append(d.juncs, d.spec.bnd.at(c))
	return -len(d.juncs)
}

func (d *district) node(p orb.Point) int {
	d.nodes = append(d.nodes, p)
	return len(d.nodes) - 1
}

func (d *district) point(end int) orb.Point {
	if end >= 0 {
		return d.nodes[end]
	}
	return d.juncs[-end-1].p
}

// chain adds the straight streets between consecutive ends.
func (d *district) chain(ends []int, class RoadClass, name string, oneway bool) {
	for i := 1; i < len(ends); i++ {
		a, b := ends[i-1], ends[i]
		d.streets = append(d.streets, dstreet{line: []orb.Point{d.point(a), d.point(b)}, a: a, b: b, class: class, name: name, oneway: oneway})
	}
}

// gridLine is one street line of a grid district.
type gridLine struct {
	off    float64
	street bool // false for the sentinels at the district's edge
	class  RoadClass
	name   string
	oneway bool
	ivs    [][2]float64 // parts inside the district, along the line
	ends   [][2]int
}

func (g *gridLine) covers(t float64) bool {
	for _, iv := range g.ivs {
		if t > iv[0]+2 && t < iv[1]-2 {
			return true
		}
	}
	return false
}

// spacing returns the spacing ranges of the two street families of a zone.
func (z zone) spacing() (a, b [2]float64) {
	switch z {
	case zoneCore:
		return [2]float64{65, 105}, [2]float64{80, 150}
	case zoneMid:
		return [2]float64{70, 120}, [2]float64{100, 180}
	case zoneOuter:
		return [2]float64{65, 110}, [2]float64{120, 230}
	}
	return [2]float64{120, 200}, [2]float64{150, 260}
}

func offsets(r *rand.Rand, lo, hi float64, s [2]float64) []float64 {
	var out []float64
	for x := lo + between(r, 0.4, 1)*s[0]; x < hi-0.4*s[0]; x += between(r, s[0], s[1]) {
		out = append(out, x)
	}
	return out
}

// grid lays a rotated street grid with uneven spacing, clipped to the district.
func (d *district) grid() {
	r := d.rng
	bnd := d.spec.bnd
	theta := r.Float64() * math.Pi
	sn, cs := math.Sincos(theta)
	U, V := orb.Point{cs, sn}, orb.Point{-sn, cs}
	O := bnd.centroid()
	umin, umax, vmin, vmax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range bnd.pts {
		u := (p[0]-O[0])*U[0] + (p[1]-O[1])*U[1]
		v := (p[0]-O[0])*V[0] + (p[1]-O[1])*V[1]
		umin, umax = math.Min(umin, u), math.Max(umax, u)
		vmin, vmax = math.Min(vmin, v), math.Max(vmax, v)
	}
	sa, sb := d.zone.spacing()
	mk := func(offs []float64, lo, hi float64, every int) []gridLine {
		lines := []gridLine{{off: lo - 1}}
		for i, o := range offs {
			gl := gridLine{off: o, street: true, class: Residential, name: streetName(r, "Street", "Lane", "Way", "Road")}
			switch {
			case i%every == every/2:
				gl.class = Secondary
				gl.name = streetName(r, "Street", "Road", "Boulevard")
			case d.zone == zoneIndustrial && chance(r, 0.5):
				gl.class = Service
			case d.zone == zoneCore && chance(r, 0.3):
				gl.oneway = true
			}
			lines = append(lines, gl)
		}
		return append(lines, gridLine{off: hi + 1})
	}
	A := mk(offsets(r, vmin, vmax, sa), vmin, vmax, 4) // streets along U, at v = off
	B := mk(offsets(r, umin, umax, sb), umin, umax, 3) // streets along V, at u = off
	at := func(u, v float64) orb.Point {
		return orb.Point{O[0] + u*U[0] + v*V[0], O[1] + u*U[1] + v*V[1]}
	}
	clipAll := func(lines []gridLine, dir orb.Point, origin func(off float64) orb.Point) {
		for i := range lines {
			gl := &lines[i]
			if !gl.street {
				continue
			}
			cr := bnd.clip(origin(gl.off), dir[0], dir[1])
			for k := 0; k+1 < len(cr); k += 2 {
				if cr[k+1].t-cr[k].t < 30 {
					continue
				}
				gl.ivs = append(gl.ivs, [2]float64{cr[k].t, cr[k+1].t})
				gl.ends = append(gl.ends, [2]int{d.junction(cr[k]), d.junction(cr[k+1])})
			}
		}
	}
	clipAll(A, U, func(off float64) orb.Point { return at(0, off) })
	clipAll(B, V, func(off float64) orb.Point { return at(off, 0) })
	// Crossings of the two families, where both streets exist.
	type key struct{ i, j int }
	cross := map[key]int{}
	for i := range A {
		for k, iv := range A[i].ivs {
			ends := []int{A[i].ends[k][0]}
			for j := range B {
				if B[j].street && B[j].off > iv[0]+2 && B[j].off < iv[1]-2 && B[j].covers(A[i].off) {
					n := d.node(at(B[j].off, A[i].off))
					cross[key{i, j}] = n
					ends = append(ends, n)
				}
			}
			ends = append(ends, A[i].ends[k][1])
			d.chain(ends, A[i].class, A[i].name, A[i].oneway)
		}
	}
	for j := range B {
		for k, iv := range B[j].ivs {
			ends := []int{B[j].ends[k][0]}
			for i := range A {
				if n, ok := cross[key{i, j}]; ok && A[i].off > iv[0] && A[i].off < iv[1] {
					ends = append(ends, n)
				}
			}
			ends = append(ends, B[j].ends[k][1])
			d.chain(ends, B[j].class, B[j].name, B[j].oneway)
		}
	}
	// Blocks between consecutive lines of both families.
	inset := func(gl gridLine) float64 {
		if !gl.street {
			return 0
		}
		return streetInset(gl.class)
	}
	for i := 0; i+1 < len(A); i++ {
		v0, v1 := A[i].off+inset(A[i]), A[i+1].off-inset(A[i+1])
		if v1-v0 < 12 {
			continue
		}
		for j := 0; j+1 < len(B); j++ {
			u0, u1 := B[j].off+inset(B[j]), B[j+1].off-inset(B[j+1])
			if u1-u0 < 12 {
				continue
			}
			d.block(at((u0+u1)/2, (v0+v1)/2), U[0], U[1], (u1-u0)/2, (v1-v0)/2)
		}
	}
}

// polar lays curved streets that follow the rings, and radial streets across
// them.
func (d *district) polar() {
	r := d.rng
	s := d.spec
	var radii []float64
	for x := s.rIn + between(r, 55, 95); x < s.rOut-50; x += between(r, 60, 110) {
		radii = append(radii, x)
	}
	rMid := (s.rIn + s.rOut) / 2
	var angles []float64
	for a := s.phiA + between(r, 60, 120)/rMid; a < s.phiB-60/rMid; a += between(r, 80, 150) / rMid {
		angles = append(angles, a)
	}
	// Radial streets, clipped to the district.
	type radialStreet struct {
		ok   bool
		iv   [2]float64
		ends [2]int
		name string
	}
	rad := make([]radialStreet, len(angles))
	for j, a := range angles {
		sn, cs := math.Sincos(a)
		cr := s.bnd.clip(orb.Point{}, cs, sn)
		for k := 0; k+1 < len(cr); k += 2 {
			if cr[k].t > 0 && cr[k+1].t-cr[k].t >= 30 {
				rad[j] = radialStreet{ok: true, iv: [2]float64{cr[k].t, cr[k+1].t}, ends: [2]int{d.junction(cr[k]), d.junction(cr[k+1])}, name: streetName(r, "Road", "Street", "Lane")}
				break
			}
		}
	}
	nodes := make([][]int, len(radii)) // per arc, per radial: node or -1
	for i, ri := range radii {
		nodes[i] = make([]int, len(angles))
		for j, a := range angles {
			nodes[i][j] = -1
			if rad[j].ok && ri > rad[j].iv[0]+2 && ri < rad[j].iv[1]-2 {
				nodes[i][j] = d.node(polar(ri, a))
			}
		}
	}
	for j := range angles {
		if !rad[j].ok {
			continue
		}
		ends := []int{rad[j].ends[0]}
		for i := range radii {
			if nodes[i][j] >= 0 {
				ends = append(ends, nodes[i][j])
			}
		}
		ends = append(ends, rad[j].ends[1])
		d.chain(ends, Residential, rad[j].name, false)
	}
	// Arcs from spoke A to spoke B, through the radial crossings.
	for i, ri := range radii {
		class := Residential
		name := streetName(r, "Crescent", "Arc", "Row")
		if len(radii) >= 3 && i == len(radii)/2 {
			class = Secondary
		}
		d.juncs = append(d.juncs, jreq{seg: s.segA, s: ri - s.rIn, p: polar(ri, s.phiA)})
		start := -len(d.juncs)
		d.juncs = append(d.juncs, jreq{seg: s.segB, s: ri - s.rIn, p: polar(ri, s.phiB)})
		end := -len(d.juncs)
		steps := max(2, int(math.Ceil(ri*(s.phiB-s.phiA)/arcStep)))
		type vertex struct {
			a float64
			n int // node, or -1
		}
		vs := make([]vertex, 0, steps+len(angles))
		for k := 1; k < steps; k++ {
			vs = append(vs, vertex{s.phiA + (s.phiB-s.phiA)*float64(k)/float64(steps), -1})
		}
		for j, a := range angles {
			if nodes[i][j] >= 0 {
				vs = append(vs, vertex{a, nodes[i][j]})
			}
		}
		slices.SortStableFunc(vs, func(x, y vertex) int {
			switch {
			case x.a < y.a:
				return -1
			case x.a > y.a:
				return 1
			}
			return 0
		})
		line := []orb.Point{d.point(start)}
		from := start
		for _, v := range vs {
			if v.n >= 0 {
				line = append(line, d.nodes[v.n])
				d.streets = append(d.streets, dstreet{line: line, a: from, b: v.n, class: class, name: name})
				line, from = []orb.Point{d.nodes[v.n]}, v.n
				continue
			}
			if p := polar(ri, v.a); dist(p, line[len(line)-1]) >= 1 {
				line = append(line, p)
			}
		}
		line = append(line, d.point(end))
		d.streets = append(d.streets, dstreet{line: line, a: from, b: end, class: class, name: name})
	}
	// Lots in the cells between arcs and radials.
	type edge struct {
		at     float64
		margin float64
	}
	rs := []edge{{s.rIn, arterialMargin}}
	for i, ri := range radii {
		m := streetInset(Residential)
		if len(radii) >= 3 && i == len(radii)/2 {
			m = streetInset(Secondary)
		}
		rs = append(rs, edge{ri, m})
	}
	rs = append(rs, edge{s.rOut, arterialMargin})
	as := []edge{{s.phiA, arterialMargin}}
	for _, a := range angles {
		as = append(as, edge{a, streetInset(Residential)})
	}
	as = append(as, edge{s.phiB, arterialMargin})
	// Arcs are chords of their circles, up to 0.3 m inside them.
	const chord = 0.5
	for i := 0; i+1 < len(rs); i++ {
		lo, hi := rs[i].at+rs[i].margin+chord, rs[i+1].at-rs[i+1].margin-chord
		if hi-lo < 14 {
			continue
		}
		for j := 0; j+1 < len(as); j++ {
			d.polarCell(lo, hi, as[j].at, as[j].margin, as[j+1].at, as[j+1].margin)
		}
	}
}
