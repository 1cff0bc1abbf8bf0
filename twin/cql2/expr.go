package cql2

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Expr is a parsed, type-checked CQL2 filter. It is immutable and safe for
// concurrent use.
type Expr struct {
	root  cond
	props []string
}

// Parse reads a filter in the CQL2 text encoding. Every error is a
// *SyntaxError with the byte offset at fault.
func Parse(text string) (*Expr, error) {
	if len(text) > MaxLen {
		return nil, &SyntaxError{Offset: MaxLen, Msg: fmt.Sprintf("filter longer than %d bytes", MaxLen), Err: ErrLimit}
	}
	p := &parser{lx: lexer{src: text}, props: map[string]bool{}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	p.prev = token{}
	if p.tok.kind == tEOF {
		return nil, p.errf(0, "empty filter")
	}
	it, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errf(p.tok.pos, "expected AND, OR or the end, found %s", describe(p.tok))
	}
	c, err := p.asCond(it)
	if err != nil {
		return nil, err
	}
	props := make([]string, 0, len(p.props))
	for name := range p.props {
		props = append(props, name)
	}
	slices.Sort(props)
	return &Expr{root: c, props: props}, nil
}

// String returns the filter in normalised CQL2 text, which Parse reads back
// to the same filter.
func (x *Expr) String() string {
	var b strings.Builder
	x.root.write(&b)
	return b.String()
}

// Match reports whether e satisfies the filter. A condition that is unknown
// (it involves a missing property) does not match; see the package doc.
func (x *Expr) Match(e *twin.Entity) bool {
	return x.root.eval(e) == tru
}

// Properties returns the names of the properties the filter refers to,
// sorted, each once: for checking against a collection's queryables.
func (x *Expr) Properties() []string {
	return slices.Clone(x.props)
}

// Bounds returns boxes, at least one of which the geometry of every
// matching entity intersects, when the filter implies them: a spatial
// condition (other than S_DISJOINT) between the entity's geometry and a
// literal, a conjunction holding one, or a disjunction of which every branch
// has them. A BBOX across the antimeridian gives two boxes. The caller may set
// twin.Query.BBox to them, to prune by the index; Match still decides. It
// returns nil when the filter implies no box.
func (x *Expr) Bounds() []orb.Bound {
	return bounds(x.root)
}

func bounds(c cond) []orb.Bound {
	switch c := c.(type) {
	case *spatialCond:
		if c.op == sDisjoint {
			return nil
		}
		// Every other relation implies that the two intersect.
		if l, ok := c.b.(*lit); ok && isGeometry(c.a) {
			return geomBounds(l.v.g)
		}
		if l, ok := c.a.(*lit); ok && isGeometry(c.b) {
			return geomBounds(l.v.g)
		}
	case *andCond:
		// Any one conjunct's boxes will do (an entity that meets two boxes need
		// not meet their intersection): take the smallest.
		var best []orb.Bound
		for _, x := range c.xs {
			if bs := bounds(x); bs != nil && (best == nil || area(bs) < area(best)) {
				best = bs
			}
		}
		return best
	case *orCond:
		var all []orb.Bound
		for _, x := range c.xs {
			bs := bounds(x)
			if bs == nil {
				return nil
			}
			all = append(all, bs...)
		}
		return all
	}
	return nil
}

func geomBounds(g orb.Geometry) []orb.Bound {
	if c, ok := g.(orb.Collection); ok {
		var bs []orb.Bound
		for _, m := range c {
			b, ok := m.(orb.Bound)
			if !ok {
				return []orb.Bound{g.Bound()}
			}
			bs = append(bs, b)
		}
		return bs
	}
	return []orb.Bound{g.Bound()}
}

func isGeometry(v value) bool {
	p, ok := v.(*prop)
	return ok && p.f == fGeometry
}

func area(bs []orb.Bound) float64 {
	var a float64
	for _, b := range bs {
		a += math.Max(0, b.Max[0]-b.Min[0]) * math.Max(0, b.Max[1]-b.Min[1])
	}
	return a
}
