package flood

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// State is everything that evolves in a Model: restoring it into a model
// built from the same Config continues the run exactly.
type State struct {
	Width, Height  int
	Time           float64
	Tick, Steps    int64
	LastStep       float64
	Depth          []float64 // per cell
	QX, QY         []float64 // unit discharges of x and y faces
	MaxDepth       []float64
	TimeOfMaxDepth []float64
	MaxSpeed       []float64
	TimeOfMaxSpeed []float64
	FirstExceeded  [][]float64 // per threshold, per cell; -1 never
	Balance        Balance
	Gauges         [][]GaugeSample
}

// State is a deep copy of the model's evolving state.
func (m *Model) State() *State {
	s := &State{
		Width: m.ter.w, Height: m.ter.h, Time: m.time, Tick: m.tick, Steps: m.steps, LastStep: m.lastStep,
		Depth: slices.Clone(m.h), QX: slices.Clone(m.qx), QY: slices.Clone(m.qy),
		MaxDepth: slices.Clone(m.maxDepth), TimeOfMaxDepth: slices.Clone(m.tMaxD),
		MaxSpeed: slices.Clone(m.maxSpeed), TimeOfMaxSpeed: slices.Clone(m.tMaxS),
		Balance: m.bal,
	}
	for _, f := range m.first {
		s.FirstExceeded = append(s.FirstExceeded, slices.Clone(f))
	}
	for _, r := range m.records {
		s.Gauges = append(s.Gauges, slices.Clone(r))
	}
	return s
}

// Restore replaces the model's state by a copy of s, which must come from a
// model of the same Config.
func (m *Model) Restore(s *State) error {
	w, h := m.ter.w, m.ter.h
	n := w * h
	switch {
	case s == nil:
		return fmt.Errorf("%w: nil", ErrState)
	case s.Width != w || s.Height != h:
		return fmt.Errorf("%w: %d × %d cells, model %d × %d", ErrState, s.Width, s.Height, w, h)
	case len(s.Depth) != n || len(s.QX) != (w+1)*h || len(s.QY) != w*(h+1) ||
		len(s.MaxDepth) != n || len(s.TimeOfMaxDepth) != n || len(s.MaxSpeed) != n || len(s.TimeOfMaxSpeed) != n:
		return fmt.Errorf("%w: field lengths", ErrState)
	case len(s.FirstExceeded) != len(m.first) || len(s.Gauges) != len(m.gauges):
		return fmt.Errorf("%w: %d thresholds and %d gauges, model %d and %d",
			ErrState, len(s.FirstExceeded), len(s.Gauges), len(m.first), len(m.gauges))
	case bad(s.Time) || s.Time < 0 || s.Tick < 0 || s.Steps < 0:
		return fmt.Errorf("%w: time %v", ErrState, s.Time)
	}
	for _, f := range s.FirstExceeded {
		if len(f) != n {
			return fmt.Errorf("%w: field lengths", ErrState)
		}
	}
	for k, v := range s.Depth {
		if !(v >= 0) || bad(v) || v > 0 && m.ter.wall[k] {
			return fmt.Errorf("%w: depth %v at cell %d", ErrState, v, k)
		}
	}
	m.time, m.tick, m.steps, m.lastStep = s.Time, s.Tick, s.Steps, s.LastStep
	copy(m.h, s.Depth)
	copy(m.qx, s.QX)
	copy(m.qy, s.QY)
	copy(m.maxDepth, s.MaxDepth)
	copy(m.tMaxD, s.TimeOfMaxDepth)
	copy(m.maxSpeed, s.MaxSpeed)
	copy(m.tMaxS, s.TimeOfMaxSpeed)
	for i := range m.first {
		copy(m.first[i], s.FirstExceeded[i])
	}
	for i := range m.records {
		m.records[i] = slices.Clone(s.Gauges[i])
	}
	m.bal = s.Balance
	m.countPassed()
	m.hmax = 0
	for _, v := range m.h {
		m.hmax = fmax(m.hmax, v)
	}
	m.spans()
	return nil
}

// stateMagic starts an encoded State; the digit is the format version.
const stateMagic = "citytwin-flood-state-1\n"

// MarshalBinary encodes the state: a header, then little-endian fields. Equal
// states encode to equal bytes.
func (s *State) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(stateMagic)
	le := binary.LittleEndian
	u64 := func(v uint64) { b.Write(le.AppendUint64(nil, v)) }
	f64 := func(v float64) { u64(math.Float64bits(v)) }
	arr := func(a []float64) {
		u64(uint64(len(a)))
		buf := make([]byte, 8*len(a))
		for i, v := range a {
			le.PutUint64(buf[8*i:], math.Float64bits(v))
		}
		b.Write(buf)
	}
	u64(uint64(s.Width))
	u64(uint64(s.Height))
	f64(s.Time)
	u64(uint64(s.Tick))
	u64(uint64(s.Steps))
	f64(s.LastStep)
	for _, a := range [][]float64{s.Depth, s.QX, s.QY, s.MaxDepth, s.TimeOfMaxDepth, s.MaxSpeed, s.TimeOfMaxSpeed} {
		arr(a)
	}
	u64(uint64(len(s.FirstExceeded)))
	for _, a := range s.FirstExceeded {
		arr(a)
	}
	bl := s.Balance
	for _, v := range []float64{bl.Initial, bl.Rain, bl.Inflow, bl.BoundaryIn, bl.BoundaryOut, bl.Clipped, bl.Stored} {
		f64(v)
	}
	u64(uint64(len(s.Gauges)))
	for _, g := range s.Gauges {
		u64(uint64(len(g)))
		for _, x := range g {
			f64(x.Time)
			f64(x.Depth)
			f64(x.Stage)
		}
	}
	return b.Bytes(), nil
}

// UnmarshalBinary decodes what MarshalBinary wrote; it rejects anything else
// with ErrState and never allocates more than the input can fill.
func (s *State) UnmarshalBinary(data []byte) error {
	if !bytes.HasPrefix(data, []byte(stateMagic)) {
		return fmt.Errorf("%w: not an encoded flood state", ErrState)
	}
	d := decoder{data: data[len(stateMagic):]}
	var t State
	t.Width, t.Height = d.count(), d.count()
	t.Time = d.f64()
	t.Tick, t.Steps = int64(d.count()), int64(d.count())
	t.LastStep = d.f64()
	for _, a := range []*[]float64{&t.Depth, &t.QX, &t.QY, &t.MaxDepth, &t.TimeOfMaxDepth, &t.MaxSpeed, &t.TimeOfMaxSpeed} {
		*a = d.arr()
	}
	t.FirstExceeded = make([][]float64, d.len(8))
	for i := range t.FirstExceeded {
		t.FirstExceeded[i] = d.arr()
	}
	bl := &t.Balance
	for _, v := range []*float64{&bl.Initial, &bl.Rain, &bl.Inflow, &bl.BoundaryIn, &bl.BoundaryOut, &bl.Clipped, &bl.Stored} {
		*v = d.f64()
	}
	t.Gauges = make([][]GaugeSample, d.len(8))
	for i := range t.Gauges {
		g := make([]GaugeSample, d.len(24))
		for j := range g {
			g[j] = GaugeSample{Time: d.f64(), Depth: d.f64(), Stage: d.f64()}
		}
		t.Gauges[i] = g
	}
	if d.err != nil {
		return d.err
	}
	if len(d.data) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrState, len(d.data))
	}
	*s = t
	return nil
}

type decoder struct {
	data []byte
	err  error
}

func (d *decoder) u64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.data) < 8 {
		d.err = fmt.Errorf("%w: truncated", ErrState)
		return 0
	}
	v := binary.LittleEndian.Uint64(d.data)
	d.data = d.data[8:]
	return v
}

func (d *decoder) f64() float64 { return math.Float64frombits(d.u64()) }

// count is a non-negative int that fits in the input's remaining size order.
func (d *decoder) count() int {
	v := d.u64()
	if v > 1<<40 {
		if d.err == nil {
			d.err = fmt.Errorf("%w: count %d", ErrState, v)
		}
		return 0
	}
	return int(v)
}

// len is a length of items of size bytes each that the input can still hold.
func (d *decoder) len(size int) int {
	v := d.u64()
	if d.err == nil && v > uint64(len(d.data)/size) {
		d.err = fmt.Errorf("%w: length %d exceeds input", ErrState, v)
	}
	if d.err != nil {
		return 0
	}
	return int(v)
}

func (d *decoder) arr() []float64 {
	a := make([]float64, d.len(8))
	for i := range a {
		a[i] = d.f64()
	}
	return a
}
