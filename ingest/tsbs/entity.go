package tsbs

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"citytwin/twin"
)

// classState is what a Feed knows of a class: its attributes (the spec's first,
// then any others the input brings) and the entities it has upserted, by key.
type classState struct {
	spec     *class
	attrs    []attrState
	attrIdx  map[string]int
	numAttrs []int  // the numeric attributes
	mask     uint64 // the bits of the spec's attributes but the key
	entities map[string]*entity
}

// attrState is one attribute of a class.
type attrState struct {
	key    string
	number bool
	bit    uint64 // 0 for attributes outside the spec
}

// entity is a truck or host the Feed has upserted, with the attribute values it
// was given.
type entity struct {
	id    twin.ID
	vals  []attrVal // by attribute index
	gen   uint64    // the batch local is valid in
	local int32
}

// attrVal is an entity's value of an attribute.
type attrVal struct {
	set  bool
	num  float64
	text string // as written, for a tag
}

// rowAttr is an attribute value of the row being read.
type rowAttr struct {
	gen       uint64
	text      []byte // from a tag
	num       float64
	parsed    bool // num holds the value
	fromField bool
}

func newClassState(spec *class) *classState {
	c := &classState{spec: spec, attrIdx: make(map[string]int), entities: make(map[string]*entity)}
	for _, a := range spec.attrs {
		i := c.attr(a.key, a.number)
		c.attrs[i].bit = 1 << i
		if i != keyAttr {
			c.mask |= 1 << i
		}
	}
	return c
}

// attr returns the index of an attribute, adding it if it is new.
func (c *classState) attr(key string, number bool) int {
	if i, ok := c.attrIdx[key]; ok {
		return i
	}
	i := len(c.attrs)
	c.attrs = append(c.attrs, attrState{key: key, number: number})
	c.attrIdx[key] = i
	if number {
		c.numAttrs = append(c.numAttrs, i)
	}
	return i
}

// memo is what the Feed worked out about a timescaledb tags line: its entity,
// and what its attributes add to the counts. It holds for every later row with
// the same line, because once the entity has taken the line's attributes (by
// upsert or patch) its attributes never change.
type memo struct {
	cls       *classState
	ent       *entity
	blankTags int
	disagree  int64
}

// entityOf finds or upserts the entity of a row from its tags and attribute
// fields (already in f.ra), patching in attributes the entity lacks. It rejects
// the row (ok false) when the row names no entity or has a bad numeric
// attribute.
func (f *Feed) entityOf(row *Row, m *measState, gen uint64) (e *entity, blankTags int, ok bool) {
	c := m.cls
	var present uint64 // the spec attributes the row has
	for ai := range c.attrs {
		if f.ra[ai].gen == gen {
			present |= c.attrs[ai].bit
		}
	}
	for i := range row.Tags {
		tg := &row.Tags[i]
		if len(tg.Key) == 0 || len(tg.Key) > maxPropKey {
			f.reject(row, row.TagsLine, RejectMalformed, string(cut(tg.Key)), fmt.Sprintf("a tag key of %d bytes: want 1..%d", len(tg.Key), maxPropKey))
			return nil, 0, false
		}
		ai := f.tagAttr(m, i, tg.Key)
		if len(tg.Value) == 0 {
			if c.attrs[ai].bit == 0 {
				blankTags++ // spec attributes are counted below
			}
			continue
		}
		f.ra[ai] = rowAttr{gen: gen, text: tg.Value}
		present |= c.attrs[ai].bit
	}

	key := &f.ra[keyAttr]
	if key.gen != gen || key.fromField {
		f.reject(row, row.TagsLine, RejectNoName, "", fmt.Sprintf("the row has no %s tag and cannot be attributed", c.attrs[keyAttr].key))
		return nil, 0, false
	}
	if n := len(c.spec.prefix) + len(key.text); n > twin.MaxIDLen {
		f.reject(row, row.TagsLine, RejectMalformed, c.attrs[keyAttr].key, fmt.Sprintf("an id of %d bytes is longer than %d", n, twin.MaxIDLen))
		return nil, 0, false
	}
	e = c.entities[string(key.text)]

	// Numeric attributes from tags: parse what differs from the entity's text.
	for _, ai := range c.numAttrs {
		a := &f.ra[ai]
		if a.gen != gen || a.parsed {
			continue
		}
		if e != nil && ai < len(e.vals) && e.vals[ai].set && e.vals[ai].text == string(a.text) {
			a.num, a.parsed = e.vals[ai].num, true
			continue
		}
		v, ok := parseNumber(a.text)
		if !ok {
			f.reject(row, row.TagsLine, RejectBadNumber, c.attrs[ai].key, fmt.Sprintf("%q is not a finite number", cut(a.text)))
			return nil, 0, false
		}
		a.num, a.parsed = v, true
	}
	blankTags += bits.OnesCount64(c.mask &^ present)

	disagree := f.stats.Disagreements
	if e == nil {
		e = f.upsert(c, row, gen)
	} else {
		f.patch(c, e, row, gen)
	}
	if row.set != nil {
		row.set.memo = memo{cls: c, ent: e, blankTags: blankTags, disagree: f.stats.Disagreements - disagree}
	}
	return e, blankTags, true
}

// tagAttr is the attribute index of the i-th tag of a row of m.
func (f *Feed) tagAttr(m *measState, i int, key []byte) int {
	if i < len(m.tagAt) && m.tagAt[i].ok && m.tagAt[i].key == string(key) {
		return m.tagAt[i].v
	}
	c := m.cls
	ai, ok := c.attrIdx[string(key)]
	if !ok {
		ai = c.attr(string(key), false)
	}
	f.growRowAttrs(len(c.attrs))
	for len(m.tagAt) <= i {
		m.tagAt = append(m.tagAt, keyed[int]{})
	}
	m.tagAt[i] = keyed[int]{ok: true, key: c.attrs[ai].key, v: ai}
	return ai
}

func (f *Feed) growRowAttrs(n int) {
	for len(f.ra) < n {
		f.ra = append(f.ra, rowAttr{})
	}
}

// value is attribute ai of the row as a property value.
func (f *Feed) value(c *classState, ai int) (twin.Value, attrVal) {
	a := &f.ra[ai]
	if c.attrs[ai].number {
		return twin.NumberValue(a.num), attrVal{set: true, num: a.num, text: string(a.text)}
	}
	s := string(a.text)
	return twin.StringValue(s), attrVal{set: true, text: s}
}

// upsert creates the entity of a row the feed has not seen before.
func (f *Feed) upsert(c *classState, row *Row, gen uint64) *entity {
	name := string(f.ra[keyAttr].text)
	e := &entity{id: twin.ID(c.spec.prefix + name), vals: make([]attrVal, len(c.attrs))}
	props := make(twin.Properties, 0, len(c.attrs))
	for ai := range c.attrs {
		if f.ra[ai].gen != gen {
			continue
		}
		v, av := f.value(c, ai)
		e.vals[ai] = av
		props = append(props, twin.Prop{Key: c.attrs[ai].key, Value: v})
	}
	slices.SortFunc(props, func(a, b twin.Prop) int { return strings.Compare(a.Key, b.Key) })
	c.entities[name] = e
	f.entOps = append(f.entOps, twin.Op{
		Type:   twin.OpUpsert,
		T:      row.Time,
		Source: f.opts.Source,
		Entity: &twin.Entity{
			ID:    e.id,
			Kind:  c.spec.kind,
			Props: props,
			Provenance: []twin.Provenance{{
				Source: f.opts.Source,
				Time:   twin.Time(row.Time),
				Note:   fmt.Sprintf("%s:%d", f.r.name, row.TagsLine),
			}},
			Moving: c.spec.moving,
		},
	})
	f.stats.Entities++
	return e
}

// patch fills the attributes a known entity lacks from the row, once, and
// counts the values that disagree with the entity's, which it keeps.
func (f *Feed) patch(c *classState, e *entity, row *Row, gen uint64) {
	var props twin.Properties
	for ai := range c.attrs {
		a := &f.ra[ai]
		if a.gen != gen {
			continue
		}
		for len(e.vals) <= ai {
			e.vals = append(e.vals, attrVal{})
		}
		ev := &e.vals[ai]
		switch {
		case !ev.set:
			v, av := f.value(c, ai)
			*ev = av
			props = append(props, twin.Prop{Key: c.attrs[ai].key, Value: v})
		case c.attrs[ai].number:
			if a.num != ev.num {
				f.stats.Disagreements++
			}
		case ev.text != string(a.text):
			f.stats.Disagreements++
		}
	}
	if props == nil {
		return
	}
	slices.SortFunc(props, func(a, b twin.Prop) int { return strings.Compare(a.Key, b.Key) })
	f.entOps = append(f.entOps, twin.Op{Type: twin.OpPatch, T: row.Time, Source: f.opts.Source, ID: e.id, Patch: props})
	f.stats.Patches++
}
