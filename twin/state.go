package twin

import (
	"math"
	"strconv"
	"time"

	"github.com/paulmach/orb"
)

// state is one immutable version of an entity, stored compactly: a city holds
// millions of them. Point geometry is kept unboxed in pt; other geometry in geom.
type state struct {
	from    int64     // valid from, Unix nanoseconds
	pt      orb.Point // the geometry when flagPoint is set
	geom    orb.Geometry
	props   []cprop
	extra   *extra // links and provenance, shared between versions when unchanged
	version uint32
	kind    uint16
	levels  int16
	flags   uint8
	height  float32
	minH    float32
}

const (
	flagPoint   uint8 = 1 << iota // pt holds the geometry
	flagDeleted                   // a tombstone: the entity ended at from
)

type extra struct {
	links      []Link
	provenance []Provenance
}

// cprop is a property in 16 bytes: the key and string values are symbol ids.
type cprop struct {
	key  uint32
	typ  ValueType
	bits uint64
}

func (s *state) deleted() bool { return s.flags&flagDeleted != 0 }

// geometry returns the state's geometry, nil when it has none.
func (s *state) geometry() orb.Geometry {
	if s.flags&flagPoint != 0 {
		return s.pt
	}
	return s.geom
}

// bound of the geometry; ok is false when there is none.
func (s *state) bound() (orb.Bound, bool) {
	if s.flags&flagPoint != 0 {
		return orb.Bound{Min: s.pt, Max: s.pt}, true
	}
	if s.geom == nil {
		return orb.Bound{}, false
	}
	return s.geom.Bound(), true
}

// prop finds a property by key symbol.
func (s *state) prop(key uint32) (cprop, bool) {
	lo, hi := 0, len(s.props)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.props[m].key < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(s.props) && s.props[lo].key == key {
		return s.props[lo], true
	}
	return cprop{}, false
}

// compactProps interns properties; the result is sorted by key symbol.
func compactProps(sym *symbols, ps Properties) []cprop {
	if len(ps) == 0 {
		return nil
	}
	out := make([]cprop, len(ps))
	compactInto(out, sym, ps)
	return out
}

// compactInto interns ps into out (of the same length), sorted by key symbol.
func compactInto(out []cprop, sym *symbols, ps Properties) {
	for i, p := range ps {
		out[i] = cprop{key: sym.intern(p.Key), typ: p.Value.typ}
		switch p.Value.typ {
		case Number:
			out[i].bits = math.Float64bits(p.Value.num)
		case Bool:
			out[i].bits = uint64(p.Value.num)
		case String:
			out[i].bits = uint64(sym.intern(p.Value.str))
		}
	}
	sortCprops(out)
}

func sortCprops(ps []cprop) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j-1].key > ps[j].key; j-- {
			ps[j-1], ps[j] = ps[j], ps[j-1]
		}
	}
}

func (p cprop) value(sym *symbols) Value {
	switch p.typ {
	case Number:
		return NumberValue(math.Float64frombits(p.bits))
	case Bool:
		return BoolValue(p.bits != 0)
	case String:
		return StringValue(sym.name(uint32(p.bits)))
	}
	return Value{}
}

// expandProps turns compact properties back into sorted Properties.
func expandProps(sym *symbols, cps []cprop) Properties {
	return expandPropsInto(make(Properties, len(cps)), sym, cps)
}

// expandPropsInto writes compact properties, sorted, into ps (of the same
// length); nil when there are none.
func expandPropsInto(ps Properties, sym *symbols, cps []cprop) Properties {
	if len(cps) == 0 {
		return nil
	}
	for i, p := range cps {
		ps[i] = Prop{Key: sym.name(p.key), Value: p.value(sym)}
	}
	sortProps(ps)
	return ps
}

func sortProps(ps Properties) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j-1].Key > ps[j].Key; j-- {
			ps[j-1], ps[j] = ps[j], ps[j-1]
		}
	}
}

// Most entities have a few properties: a state and up to four of them are one
// allocation, so that reading a property of a state touches memory next to it.
type (
	stateProps2 struct {
		state
		buf [2]cprop
	}
	stateProps4 struct {
		state
		buf [4]cprop
	}
)

// allocState allocates a state with room for n properties in the same object.
func allocState(n int) *state {
	switch {
	case n == 0:
		return &state{}
	case n <= 2:
		c := &stateProps2{}
		c.props = c.buf[:n:n]
		return &c.state
	case n <= 4:
		c := &stateProps4{}
		c.props = c.buf[:n:n]
		return &c.state
	}
	return &state{props: make([]cprop, n)}
}

// withProps copies st into a new allocation holding props.
func (st *state) withProps(props []cprop) *state {
	ns := allocState(len(props))
	keep := ns.props
	*ns = *st
	ns.props = keep
	copy(ns.props, props)
	return ns
}

// newState builds the compact state of e.
func newState(sym *symbols, kinds *symbols, e *Entity, from int64, version uint32) *state {
	s := allocState(len(e.Props))
	compactInto(s.props, sym, e.Props)
	*s = state{
		from:    from,
		props:   s.props,
		version: version,
		kind:    uint16(kinds.intern(string(e.Kind))),
		levels:  int16(e.Levels),
		height:  float32(e.Height),
		minH:    float32(e.MinHeight),
	}
	switch g := e.Geometry.(type) {
	case orb.Point:
		s.pt, s.flags = g, flagPoint
	case nil:
	default:
		if !EmptyGeometry(g) { // an empty geometry places nothing: keep none
			s.geom = g
		}
	}
	if len(e.Links) > 0 || len(e.Provenance) > 0 {
		s.extra = &extra{links: append([]Link(nil), e.Links...), provenance: append([]Provenance(nil), e.Provenance...)}
	}
	return s
}

// entity materialises a state as a public Entity.
func (s *state) entity(st *Store, id ID) Entity {
	return s.entityWith(st, id, make(Properties, len(s.props)))
}

// entityWith materialises a state with its properties written into props, which
// has room for exactly them.
func (s *state) entityWith(st *Store, id ID, props Properties) Entity {
	e := Entity{
		ID:        id,
		Kind:      Kind(st.kinds.name(uint32(s.kind))),
		Geometry:  s.geometry(),
		Height:    Widen(s.height),
		MinHeight: Widen(s.minH),
		Levels:    int(s.levels),
		Props:     expandPropsInto(props, st.sym, s.props),
		Version:   uint64(s.version),
		ValidFrom: time.Unix(0, s.from).UTC(),
	}
	if s.extra != nil {
		e.Links = append([]Link(nil), s.extra.links...)
		e.Provenance = append([]Provenance(nil), s.extra.provenance...)
	}
	return e
}

// sameContent reports whether two states say the same thing (ignoring version and
// time), so that re-importing an unchanged entity makes no new version.
func sameContent(a, b *state) bool {
	if a.kind != b.kind || a.flags != b.flags || a.levels != b.levels || a.height != b.height || a.minH != b.minH || len(a.props) != len(b.props) {
		return false
	}
	for i := range a.props {
		if a.props[i] != b.props[i] {
			return false
		}
	}
	if a.flags&flagPoint != 0 {
		if a.pt != b.pt {
			return false
		}
	} else if (a.geom == nil) != (b.geom == nil) || a.geom != nil && !orb.Equal(a.geom, b.geom) {
		return false
	}
	return sameExtra(a.extra, b.extra)
}

func sameExtra(a, b *extra) bool {
	if a == nil || b == nil {
		return a == b
	}
	if len(a.links) != len(b.links) || len(a.provenance) != len(b.provenance) {
		return false
	}
	for i := range a.links {
		if a.links[i] != b.links[i] {
			return false
		}
	}
	for i := range a.provenance {
		pa, pb := a.provenance[i], b.provenance[i]
		if pa.Source != pb.Source || !pa.Time.Equal(pb.Time) || pa.Note != pb.Note {
			return false
		}
	}
	return true
}

// Widen returns the float64 with the shortest decimal form that reads back as
// f: a height stored as float32 34.9 comes back as 34.9, not 34.900002. The
// twin keeps heights as float32; followers of its ops that rebuild its
// versions (the history sink) widen the same way.
func Widen(f float32) float64 {
	if f == 0 || f == float32(int32(f)) {
		return float64(f)
	}
	v, err := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	if err != nil {
		return float64(f)
	}
	return v
}
