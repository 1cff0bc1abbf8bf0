package traffic

import "math"

// KPIs are the network totals so far.
type KPIs struct {
	Time          float64 // simulated seconds
	Departed      float64 // vehicles that entered their origin queue
	Delivered     float64 // vehicles that reached their destination
	OnNetwork     float64 // vehicles on links
	Waiting       float64 // vehicles in origin queues
	VehKm         float64
	VehHours      float64 // on links and in origin queues
	FreeFlowHours float64 // the hours VehKm would take at free speed
	DelayHours    float64 // VehHours − FreeFlowHours, veh·h
	MeanTravel    float64 // mean experienced travel time of delivered vehicles (waiting included), s
	MeanFreeFlow  float64 // mean free-flow travel time of the departed trips (those with a route), s
}

// LinkStats are one link's results so far: totals for H3 aggregation (sum
// VehKm, VehHours and DelayHours per cell; TravelTimeIndex = VehHours /
// FreeFlowHours) and the queue now and at its longest.
type LinkStats struct {
	Count           float64 // vehicles that left the link
	VehKm           float64
	VehHours        float64
	FreeFlowHours   float64
	DelayHours      float64
	MeanSpeed       float64 // m/s, VehKm/VehHours (free speed when unused)
	TravelTimeIndex float64 // VehHours/FreeFlowHours, 1 when free (or unused)
	QueueVeh        float64 // vehicles in congested cells now
	QueueM          float64 // metres of congested cells now
	MaxQueueVeh     float64
	MaxQueueM       float64
}

// ODStats are one OD pair's results so far. Vehicles are tracked by
// destination, so experienced travel times are per destination
// (DestinationStats); per pair the model reports route travel times.
type ODStats struct {
	Departed  float64
	FreeFlow  float64 // s, fastest free-flow route at the start
	Current   float64 // s, fastest route on the link travel times of the last reroute (+Inf: no route)
	MeanRoute float64 // s, Current at each departure, averaged over the departures
}

// DestinationStats are the results of the trips to one destination node.
type DestinationStats struct {
	Node       int
	Arrived    float64
	MeanTravel float64 // s, mean experienced travel time from departure (waiting included)
}

// Series are link samples every Config.SampleEvery seconds.
type Series struct {
	Times []float64   // end of each sample interval, s
	Flow  [][]float32 // [sample][link] veh/h leaving the link during the interval
	Speed [][]float32 // [sample][link] space-mean speed, m/s (free speed when empty)
	Queue [][]float32 // [sample][link] vehicles in congested cells at the end
}

// KPIs sums the totals (in link order, so deterministically).
func (m *Model) KPIs() KPIs {
	k := KPIs{Time: m.Time()}
	for i := range m.net.Links {
		k.VehKm += m.vkt[i] / 1000
		k.VehHours += m.vht[i] / 3600
		k.FreeFlowHours += m.freeFlowHours(i)
	}
	for _, n := range m.n {
		k.OnNetwork += n
	}
	tt, ff, routed := 0.0, 0.0, 0.0
	for i := range m.dem.ODs {
		k.Departed += m.dep[i]
		k.Waiting += m.buf[i]
		if m.dep[i] > 0 && !math.IsInf(m.odFree[i], 1) {
			ff += m.dep[i] * m.odFree[i]
			routed += m.dep[i]
		}
	}
	for d := range m.dests {
		k.Delivered += m.arr[d]
		tt += m.ttSum[d]
	}
	k.VehHours += m.wait / 3600
	k.DelayHours = k.VehHours - k.FreeFlowHours
	if k.Delivered > 0 {
		k.MeanTravel = tt / k.Delivered
	}
	if routed > 0 {
		k.MeanFreeFlow = ff / routed
	}
	return k
}

// Links returns every link's statistics, indexed like Network.Links.
func (m *Model) Links() []LinkStats {
	out := make([]LinkStats, len(m.net.Links))
	for i := range out {
		v := m.net.Links[i].FreeSpeed
		s := LinkStats{Count: m.cnt[i], VehKm: m.vkt[i] / 1000, VehHours: m.vht[i] / 3600,
			FreeFlowHours: m.freeFlowHours(i), MeanSpeed: v, TravelTimeIndex: 1,
			QueueVeh: m.qVeh[i], QueueM: m.qLen[i], MaxQueueVeh: m.qVehMx[i], MaxQueueM: m.qLenMx[i]}
		s.DelayHours = s.VehHours - s.FreeFlowHours
		if m.vht[i] > 0 {
			s.MeanSpeed = m.vkt[i] / m.vht[i]
		}
		if s.FreeFlowHours > 0 {
			s.TravelTimeIndex = s.VehHours / s.FreeFlowHours
		}
		out[i] = s
	}
	return out
}

// ODs returns every OD pair's statistics, indexed like Demand.ODs.
func (m *Model) ODs() []ODStats {
	out := make([]ODStats, len(m.dem.ODs))
	for i := range out {
		out[i] = ODStats{Departed: m.dep[i], FreeFlow: m.odFree[i], Current: m.odTime[i]}
		if m.dep[i] > 0 {
			out[i].MeanRoute = m.route[i] / m.dep[i]
		}
	}
	return out
}

// Destinations returns the statistics of every destination node, in the order
// they first appear in Demand.ODs.
func (m *Model) Destinations() []DestinationStats {
	out := make([]DestinationStats, len(m.dests))
	for d, v := range m.dests {
		out[d] = DestinationStats{Node: v, Arrived: m.arr[d]}
		if m.arr[d] > 0 {
			out[d].MeanTravel = m.ttSum[d] / m.arr[d]
		}
	}
	return out
}

// Series returns the link samples so far (shared with the model: do not change).
func (m *Model) Series() *Series { return &m.series }

// Vehicles is the number of vehicles on the links (in cells) of link i now.
func (m *Model) Vehicles(i int) float64 {
	s := 0.0
	for _, n := range m.n[m.cellOff[i]:m.cellOff[i+1]] {
		s += n
	}
	return s
}

// sample records the link series for the interval that just ended.
func (m *Model) sample() {
	nl := len(m.net.Links)
	iv := float64(m.sampleSteps) * m.cfg.Step
	flow, speed, queue := make([]float32, nl), make([]float32, nl), make([]float32, nl)
	for i := range nl {
		dc, dk, dh := m.cnt[i]-m.prev[0][i], m.vkt[i]-m.prev[1][i], m.vht[i]-m.prev[2][i]
		flow[i] = float32(dc / iv * 3600)
		speed[i] = float32(m.net.Links[i].FreeSpeed)
		if dh > 0 {
			speed[i] = float32(dk / dh)
		}
		queue[i] = float32(m.qVeh[i])
	}
	copy(m.prev[0], m.cnt)
	copy(m.prev[1], m.vkt)
	copy(m.prev[2], m.vht)
	m.series.Times = append(m.series.Times, m.Time())
	m.series.Flow = append(m.series.Flow, flow)
	m.series.Speed = append(m.series.Speed, speed)
	m.series.Queue = append(m.series.Queue, queue)
}

// freeFlowHours is the time link i's vehicle-km would take at free flow in the
// model: at the free speed, and one step at least for a link shorter than v·Δt.
func (m *Model) freeFlowHours(i int) float64 {
	return m.vkt[i] / m.net.Links[i].FreeSpeed * (m.dxe[i] / m.dx[i]) / 3600
}
