package flood

// gaugeSource is a Gauge resolved to its cell.
type gaugeSource struct {
	id   string
	cell int
}

// GaugeSample is a gauge's reading at one multiple of Interval.
type GaugeSample struct {
	Time  float64 // s
	Depth float64 // m
	Stage float64 // m, ground + depth
}

// GaugeRecord is a gauge's readings so far and the worst its cell has seen
// (the peak is tracked every step, not only at the readings).
type GaugeRecord struct {
	ID                  string
	Cell                Cell
	Ground              float64
	PeakDepth, PeakTime float64
	PeakStage           float64 // Ground + PeakDepth
	Samples             []GaugeSample
}

// record appends a reading to every gauge.
func (m *Model) record() {
	for i, g := range m.gauges {
		d := m.h[g.cell]
		m.records[i] = append(m.records[i], GaugeSample{Time: m.time, Depth: d, Stage: m.ter.z[g.cell] + d})
	}
}

// Gauges are the records of Config.Gauges, in their order (samples shared:
// do not modify them).
func (m *Model) Gauges() []GaugeRecord {
	out := make([]GaugeRecord, len(m.gauges))
	w := m.ter.w
	for i, g := range m.gauges {
		z := m.ter.z[g.cell]
		out[i] = GaugeRecord{
			ID: g.id, Cell: Cell{g.cell % w, g.cell / w}, Ground: z,
			PeakDepth: m.maxDepth[g.cell], PeakTime: m.tMaxD[g.cell], PeakStage: z + m.maxDepth[g.cell],
			Samples: m.records[i][:len(m.records[i]):len(m.records[i])],
		}
	}
	return out
}
