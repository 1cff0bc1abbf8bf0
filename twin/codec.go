package twin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/paulmach/orb/encoding/wkb"
)

// The binary form of a batch of ops, as the log and snapshots keep it. Strings
// repeat a lot within a batch (an entity id and a metric name for every
// observation), so a batch starts with a table of its distinct strings and
// everything after refers to them by index:
//
//	version   byte (1)
//	strings   uvarint count, then per string uvarint length and bytes
//	ops       uvarint count, then per op:
//	  type byte, T varint, source uvarint (string index)
//	  upsert  entity (below)
//	  patch   id uvarint, properties
//	  delete  id uvarint
//	  observe uvarint count; per observation: id, metric (uvarint), T - previous T
//	          (varint), V (8 bytes, IEEE 754 little-endian)
//	  move    uvarint count; per position: id uvarint, T - previous T varint,
//	          lon, lat (8 bytes each)
//	entity    id, kind (uvarint), geometry (uvarint length, WKB; 0 = none), height,
//	          min height (8 bytes each), levels varint, properties, links (uvarint
//	          count; rel, to), provenance (uvarint count; source, time varint Unix
//	          ns or 0, note)
//	properties uvarint count; per property key uvarint, type byte, then 8 bytes
//	          (number, bool) or a string index (string) or nothing (null)
//
// Decoding checks every length and index: a damaged record is an error, never a
// panic or a wrong op.
const codecVersion = 1

// ErrBadRecord is wrapped by DecodeOps for input that is not an encoded batch.
var ErrBadRecord = errors.New("twin: bad op record")

// EncodeOps appends the binary form of ops to dst.
func EncodeOps(dst []byte, ops []Op) ([]byte, error) {
	e := encoderPool.Get().(*opEncoder)
	defer e.release()
	for i := range ops {
		if err := e.op(&ops[i]); err != nil {
			return dst, fmt.Errorf("encode op %d: %w", i, err)
		}
	}
	dst = append(dst, codecVersion)
	dst = binary.AppendUvarint(dst, uint64(len(e.strs)))
	for _, s := range e.strs {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(ops)))
	return append(dst, e.body...), nil
}

type opEncoder struct {
	index map[string]uint32
	strs  []string
	body  []byte
}

var encoderPool = sync.Pool{New: func() any { return &opEncoder{index: make(map[string]uint32)} }}

func (e *opEncoder) release() {
	if cap(e.body) > 1<<22 {
		return // let a huge buffer go rather than pin it
	}
	clear(e.index)
	e.strs, e.body = e.strs[:0], e.body[:0]
	encoderPool.Put(e)
}

func (e *opEncoder) str(s string) {
	i, ok := e.index[s]
	if !ok {
		i = uint32(len(e.strs))
		e.index[s] = i
		e.strs = append(e.strs, s)
	}
	e.body = binary.AppendUvarint(e.body, uint64(i))
}

func (e *opEncoder) f64(f float64) {
	e.body = binary.LittleEndian.AppendUint64(e.body, math.Float64bits(f))
}

func (e *opEncoder) op(op *Op) error {
	e.body = append(e.body, byte(op.Type))
	e.body = binary.AppendVarint(e.body, op.T)
	e.str(op.Source)
	switch op.Type {
	case OpUpsert:
		if op.Entity == nil {
			return fmt.Errorf("%w: upsert without entity", ErrBadOp)
		}
		return e.entity(op.Entity)
	case OpPatch:
		e.str(string(op.ID))
		e.props(op.Patch)
	case OpDelete:
		e.str(string(op.ID))
	case OpObserve:
		e.body = binary.AppendUvarint(e.body, uint64(len(op.Observations)))
		prev := op.T
		for i := range op.Observations {
			o := &op.Observations[i]
			e.str(string(o.ID))
			e.str(o.Metric)
			e.body = binary.AppendVarint(e.body, o.T-prev)
			prev = o.T
			e.f64(o.V)
		}
	case OpMove:
		e.body = binary.AppendUvarint(e.body, uint64(len(op.Positions)))
		prev := op.T
		for i := range op.Positions {
			p := &op.Positions[i]
			e.str(string(p.ID))
			e.body = binary.AppendVarint(e.body, p.T-prev)
			prev = p.T
			e.f64(p.Point[0])
			e.f64(p.Point[1])
		}
	default:
		return fmt.Errorf("%w: unknown type %d", ErrBadOp, op.Type)
	}
	return nil
}

func (e *opEncoder) entity(en *Entity) error {
	e.str(string(en.ID))
	e.str(string(en.Kind))
	if en.Geometry == nil {
		e.body = binary.AppendUvarint(e.body, 0)
	} else {
		g, err := wkb.Marshal(en.Geometry, binary.LittleEndian)
		if err != nil {
			return fmt.Errorf("entity %s: geometry: %w", en.ID, err)
		}
		e.body = binary.AppendUvarint(e.body, uint64(len(g)))
		e.body = append(e.body, g...)
	}
	e.f64(en.Height)
	e.f64(en.MinHeight)
	e.body = binary.AppendVarint(e.body, int64(en.Levels))
	e.props(en.Props)
	e.body = binary.AppendUvarint(e.body, uint64(len(en.Links)))
	for _, l := range en.Links {
		e.str(l.Rel)
		e.str(string(l.To))
	}
	e.body = binary.AppendUvarint(e.body, uint64(len(en.Provenance)))
	for _, p := range en.Provenance {
		e.str(p.Source)
		e.body = binary.AppendVarint(e.body, Nanos(p.Time))
		e.str(p.Note)
	}
	return nil
}

func (e *opEncoder) props(ps Properties) {
	e.body = binary.AppendUvarint(e.body, uint64(len(ps)))
	for _, p := range ps {
		e.str(p.Key)
		e.body = append(e.body, byte(p.Value.typ))
		switch p.Value.typ {
		case Number, Bool:
			e.f64(p.Value.num)
		case String:
			e.str(p.Value.str)
		}
	}
}

// DecodeOps decodes a batch that EncodeOps wrote.
func DecodeOps(data []byte) ([]Op, error) {
	d := opDecoder{buf: data}
	ops, err := d.batch()
	if err != nil {
		return nil, fmt.Errorf("%w: at byte %d: %w", ErrBadRecord, d.off, err)
	}
	return ops, nil
}

type opDecoder struct {
	buf  []byte
	off  int
	strs []string
}

var (
	errShort    = errors.New("truncated")
	errVarint   = errors.New("bad varint")
	errStrIndex = errors.New("string index out of range")
	errTooMany  = errors.New("count larger than the record")
)

func (d *opDecoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		if n == 0 {
			return 0, errShort
		}
		return 0, errVarint
	}
	d.off += n
	return v, nil
}

func (d *opDecoder) varint() (int64, error) {
	v, n := binary.Varint(d.buf[d.off:])
	if n <= 0 {
		if n == 0 {
			return 0, errShort
		}
		return 0, errVarint
	}
	d.off += n
	return v, nil
}

// count reads a count of items that take at least min bytes each, so that a
// damaged count cannot make the decoder allocate more than the record could hold.
func (d *opDecoder) count(min int) (int, error) {
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(d.buf)-d.off)/uint64(min) {
		return 0, errTooMany
	}
	return int(n), nil
}

func (d *opDecoder) byte() (byte, error) {
	if d.off >= len(d.buf) {
		return 0, errShort
	}
	b := d.buf[d.off]
	d.off++
	return b, nil
}

func (d *opDecoder) f64() (float64, error) {
	if len(d.buf)-d.off < 8 {
		return 0, errShort
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.buf[d.off:]))
	d.off += 8
	return v, nil
}

func (d *opDecoder) str() (string, error) {
	i, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if i >= uint64(len(d.strs)) {
		return "", errStrIndex
	}
	return d.strs[i], nil
}

func (d *opDecoder) batch() ([]Op, error) {
	v, err := d.byte()
	if err != nil {
		return nil, err
	}
	if v != codecVersion {
		return nil, fmt.Errorf("version %d, want %d", v, codecVersion)
	}
	n, err := d.count(1)
	if err != nil {
		return nil, err
	}
	d.strs = make([]string, n)
	for i := range d.strs {
		l, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		if l > uint64(len(d.buf)-d.off) {
			return nil, errShort
		}
		d.strs[i] = string(d.buf[d.off : d.off+int(l)])
		d.off += int(l)
	}
	nops, err := d.count(3)
	if err != nil {
		return nil, err
	}
	ops := make([]Op, nops)
	for i := range ops {
		if err := d.op(&ops[i]); err != nil {
			return nil, fmt.Errorf("op %d: %w", i, err)
		}
	}
	if d.off != len(d.buf) {
		return nil, fmt.Errorf("%d bytes after the last op", len(d.buf)-d.off)
	}
	return ops, nil
}

func (d *opDecoder) op(op *Op) (err error) {
	t, err := d.byte()
	if err != nil {
		return err
	}
	op.Type = OpType(t)
	if op.T, err = d.varint(); err != nil {
		return err
	}
	if op.Source, err = d.str(); err != nil {
		return err
	}
	switch op.Type {
	case OpUpsert:
		op.Entity = &Entity{}
		return d.entity(op.Entity)
	case OpPatch:
		id, err := d.str()
		if err != nil {
			return err
		}
		op.ID = ID(id)
		op.Patch, err = d.props()
		return err
	case OpDelete:
		id, err := d.str()
		op.ID = ID(id)
		return err
	case OpObserve:
		n, err := d.count(11)
		if err != nil {
			return err
		}
		op.Observations = make([]Observation, n)
		prev := op.T
		for i := range op.Observations {
			o := &op.Observations[i]
			id, err := d.str()
			if err != nil {
				return err
			}
			o.ID = ID(id)
			if o.Metric, err = d.str(); err != nil {
				return err
			}
			dt, err := d.varint()
			if err != nil {
				return err
			}
			o.T = prev + dt
			prev = o.T
			if o.V, err = d.f64(); err != nil {
				return err
			}
		}
	case OpMove:
		n, err := d.count(18)
		if err != nil {
			return err
		}
		op.Positions = make([]Position, n)
		prev := op.T
		for i := range op.Positions {
			p := &op.Positions[i]
			id, err := d.str()
			if err != nil {
				return err
			}
			p.ID = ID(id)
			dt, err := d.varint()
			if err != nil {
				return err
			}
			p.T = prev + dt
			prev = p.T
			if p.Point[0], err = d.f64(); err != nil {
				return err
			}
			if p.Point[1], err = d.f64(); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unknown op type %d", t)
	}
	return nil
}

func (d *opDecoder) entity(e *Entity) error {
	id, err := d.str()
	if err != nil {
		return err
	}
	kind, err := d.str()
	if err != nil {
		return err
	}
	e.ID, e.Kind = ID(id), Kind(kind)
	gl, err := d.uvarint()
	if err != nil {
		return err
	}
	if gl > uint64(len(d.buf)-d.off) {
		return errShort
	}
	if gl > 0 {
		g, err := wkb.Unmarshal(d.buf[d.off : d.off+int(gl)])
		if err != nil {
			return fmt.Errorf("entity %s: geometry: %w", e.ID, err)
		}
		e.Geometry = g
		d.off += int(gl)
	}
	if e.Height, err = d.f64(); err != nil {
		return err
	}
	if e.MinHeight, err = d.f64(); err != nil {
		return err
	}
	levels, err := d.varint()
	if err != nil {
		return err
	}
	if levels < math.MinInt32 || levels > math.MaxInt32 {
		return fmt.Errorf("entity %s: levels %d out of range", e.ID, levels)
	}
	e.Levels = int(levels)
	if e.Props, err = d.props(); err != nil {
		return err
	}
	n, err := d.count(2)
	if err != nil {
		return err
	}
	if n > 0 {
		e.Links = make([]Link, n)
		for i := range e.Links {
			rel, err := d.str()
			if err != nil {
				return err
			}
			to, err := d.str()
			if err != nil {
				return err
			}
			e.Links[i] = Link{Rel: rel, To: ID(to)}
		}
	}
	if n, err = d.count(3); err != nil {
		return err
	}
	if n > 0 {
		e.Provenance = make([]Provenance, n)
		for i := range e.Provenance {
			p := &e.Provenance[i]
			if p.Source, err = d.str(); err != nil {
				return err
			}
			ns, err := d.varint()
			if err != nil {
				return err
			}
			p.Time = Time(ns)
			if p.Note, err = d.str(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *opDecoder) props() (Properties, error) {
	n, err := d.count(2)
	if err != nil || n == 0 {
		return nil, err
	}
	ps := make(Properties, n)
	for i := range ps {
		if ps[i].Key, err = d.str(); err != nil {
			return nil, err
		}
		t, err := d.byte()
		if err != nil {
			return nil, err
		}
		v := Value{typ: ValueType(t)}
		switch v.typ {
		case Null:
		case Number, Bool:
			if v.num, err = d.f64(); err != nil {
				return nil, err
			}
		case String:
			if v.str, err = d.str(); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("property %q: unknown value type %d", ps[i].Key, t)
		}
		ps[i].Value = v
	}
	return ps, nil
}
