package traffic

import (
	"encoding/binary"
	"fmt"
	"math"
)

const stateMagic = "citytwin/traffic/1"

// State encodes the model's dynamic state (time, vehicles per cell and who
// they are, origin queues, routes, KPIs and series). A model built with the
// same network, demand, configuration, signals and restrictions and given it
// with Restore continues exactly as this one would.
func (m *Model) State() []byte {
	var e enc
	e.b = append(e.b, stateMagic...)
	e.u64(uint64(len(m.net.Nodes)))
	e.u64(uint64(len(m.net.Links)))
	e.u64(uint64(len(m.dem.ODs)))
	e.u64(uint64(len(m.n)))
	e.u64(uint64(m.step))
	e.bool(m.pendingReroute)
	e.f64s(m.n)
	for i := range m.q {
		live := m.q[i].live()
		e.u64(uint64(len(live)))
		for _, p := range live {
			e.u64(uint64(uint32(p.dest)))
			e.f64(p.n)
			e.f64(p.tm)
		}
	}
	for _, v := range m.next {
		e.u64(uint64(uint32(v)))
	}
	for _, s := range [][]float64{m.pend, m.buf, m.bufT, m.dep, m.route, m.odTime, m.odFree, m.arr, m.ttSum} {
		e.f64s(s)
	}
	e.f64(m.wait)
	for _, s := range [][]float64{m.vkt, m.vht, m.cnt, m.qVeh, m.qLen, m.qVehMx, m.qLenMx, m.prev[0], m.prev[1], m.prev[2]} {
		e.f64s(s)
	}
	e.u64(uint64(len(m.series.Times)))
	for k, t := range m.series.Times {
		e.f64(t)
		for _, s := range [][]float32{m.series.Flow[k], m.series.Speed[k], m.series.Queue[k]} {
			for _, v := range s {
				e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(v))
			}
		}
	}
	return e.b
}

// Restore replaces the model's dynamic state by one State returned, for a
// model built alike. On error the model is unchanged.
func (m *Model) Restore(b []byte) error {
	if len(b) < len(stateMagic) || string(b[:len(stateMagic)]) != stateMagic {
		return fmt.Errorf("%w: not a traffic state", ErrBadState)
	}
	d := dec{b: b[len(stateMagic):]}
	for _, want := range []int{len(m.net.Nodes), len(m.net.Links), len(m.dem.ODs), len(m.n)} {
		if got := d.u64(); got != uint64(want) {
			return fmt.Errorf("%w: shape %d, model has %d", ErrBadState, got, want)
		}
	}
	r := *m // decode into a copy, commit at the end
	r.step = int64(d.u64())
	r.pendingReroute = d.bool()
	r.n = d.f64s(len(m.n))
	r.q = make([]fifo, len(m.q))
	r.occupied = make([]bool, len(m.q))
	for i := range r.q {
		k := d.count(24)
		ps := make([]packet, k)
		for j := range ps {
			ps[j] = packet{dest: int32(uint32(d.u64())), n: d.f64(), tm: d.f64()}
			if d.err == nil && (int(ps[j].dest) < 0 || int(ps[j].dest) >= len(m.dests)) {
				d.err = fmt.Errorf("%w: packet for destination %d", ErrBadState, ps[j].dest)
			}
		}
		r.q[i].p = ps
		r.occupied[i] = len(ps) > 0
	}
	r.next = make([]int32, len(m.next))
	for i := range r.next {
		v := int32(uint32(d.u64()))
		if d.err == nil && (v < -1 || int(v) >= len(m.net.Links)) {
			d.err = fmt.Errorf("%w: next link %d", ErrBadState, v)
		}
		r.next[i] = v
	}
	nod := len(m.dem.ODs)
	r.pend, r.buf, r.bufT, r.dep, r.route = d.f64s(nod), d.f64s(nod), d.f64s(nod), d.f64s(nod), d.f64s(nod)
	r.odTime, r.odFree = d.f64s(nod), d.f64s(nod)
	r.arr, r.ttSum = d.f64s(len(m.dests)), d.f64s(len(m.dests))
	r.wait = d.f64()
	nl := len(m.net.Links)
	r.vkt, r.vht, r.cnt = d.f64s(nl), d.f64s(nl), d.f64s(nl)
	r.qVeh, r.qLen, r.qVehMx, r.qLenMx = d.f64s(nl), d.f64s(nl), d.f64s(nl), d.f64s(nl)
	r.prev = [3][]float64{d.f64s(nl), d.f64s(nl), d.f64s(nl)}
	ns := d.count(8 + 12*nl)
	r.series = Series{}
	for range ns {
		r.series.Times = append(r.series.Times, d.f64())
		r.series.Flow = append(r.series.Flow, d.f32s(nl))
		r.series.Speed = append(r.series.Speed, d.f32s(nl))
		r.series.Queue = append(r.series.Queue, d.f32s(nl))
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", ErrBadState, len(d.b))
	}
	if d.err != nil {
		return d.err
	}
	*m = r
	return nil
}

type enc struct{ b []byte }

func (e *enc) u64(v uint64)  { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *enc) f64(v float64) { e.u64(math.Float64bits(v)) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) f64s(s []float64) {
	for _, v := range s {
		e.f64(v)
	}
}

type dec struct {
	b   []byte
	err error
}

func (d *dec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.err = fmt.Errorf("%w: truncated", ErrBadState)
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *dec) u64() uint64 {
	if s := d.take(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

func (d *dec) f64() float64 { return math.Float64frombits(d.u64()) }

func (d *dec) bool() bool {
	s := d.take(1)
	return s != nil && s[0] == 1
}

// count reads a length whose items take at least size bytes each.
func (d *dec) count(size int) int {
	n := d.u64()
	if d.err == nil && n > uint64(len(d.b)/size) {
		d.err = fmt.Errorf("%w: count %d too large", ErrBadState, n)
		return 0
	}
	return int(n)
}

func (d *dec) f64s(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = d.f64()
	}
	return s
}

func (d *dec) f32s(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		if b := d.take(4); b != nil {
			s[i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
		}
	}
	return s
}
