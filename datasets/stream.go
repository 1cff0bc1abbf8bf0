package datasets

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"citytwin/twin"
)

// StreamConfig says how the live stream behaves.
type StreamConfig struct {
	// Seed selects the noise, the faults and the drivers' choices.
	Seed uint64
	// Interval is the nominal time between ticks: vehicle counts of the first tick
	// cover one Interval.
	Interval time.Duration
	// Location is the local time zone of the daily cycles; nil means solar time
	// at the city's longitude (UTC plus longitude/15 hours, rounded).
	Location *time.Location
	// DropoutRate is the fraction of sensor readings (all metrics of a sensor at a
	// tick) that go missing.
	DropoutRate float64
	// StuckRate is the chance per reading that a working sensor gets stuck,
	// repeating its last values for a spell of about StuckFor.
	StuckRate float64
	StuckFor  time.Duration
	// SpikeRate is the fraction of values that are outliers, several times off.
	SpikeRate float64
}

// DefaultStreamConfig returns a stream with a minute between ticks and a few
// faults.
func DefaultStreamConfig() StreamConfig {
	return StreamConfig{
		Seed:        1,
		Interval:    time.Minute,
		DropoutRate: 0.01,
		StuckRate:   0.0005,
		StuckFor:    30 * time.Minute,
		SpikeRate:   0.002,
	}
}

// Validate reports the first thing wrong with the config.
func (c StreamConfig) Validate() error {
	rate := func(name string, r float64) error {
		if math.IsNaN(r) || r < 0 || r > 1 {
			return fmt.Errorf("%w: %s %v: want 0..1", ErrBadConfig, name, r)
		}
		return nil
	}
	switch {
	case c.Interval <= 0:
		return fmt.Errorf("%w: stream interval %v: want > 0", ErrBadConfig, c.Interval)
	case c.StuckFor < 0:
		return fmt.Errorf("%w: stuck duration %v: want >= 0", ErrBadConfig, c.StuckFor)
	}
	return errors.Join(rate("dropout rate", c.DropoutRate), rate("stuck rate", c.StuckRate), rate("spike rate", c.SpikeRate))
}

// Stream makes live observations and vehicle positions for a city. A Stream is
// not safe for concurrent use; Tick it from one goroutine.
type Stream struct {
	city    *City
	cfg     StreamConfig
	loc     *time.Location
	weather *weather
	tick    uint64
	last    int64 // Unix ns of the last tick, 0 before the first

	sensors []sensorState
	motion  *motion
	pcg     *rand.PCG
	rng     *rand.Rand
}

type sensorState struct {
	gain       float64 // how this sensor differs from its peers
	base       float64 // peak power (energy meters), capacity (counters), …
	stuckUntil int64
	last       [6]float64 // last values, by metric
	have       bool       // last holds values
	energy     float64    // J, energy meters
}

// NewStream makes a stream for city.
func NewStream(city *City, cfg StreamConfig) (*Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	loc := cfg.Location
	if loc == nil {
		off := int(math.Round(city.Config.Center[0]/15)) * 3600
		loc = time.FixedZone(fmt.Sprintf("solar%+d", off/3600), off)
	}
	s := &Stream{
		city: city, cfg: cfg, loc: loc,
		weather: newWeather(cfg.Seed, city.Config.Center[1]),
		sensors: make([]sensorState, len(city.Sensors)),
		pcg:     rand.NewPCG(0, 0),
	}
	s.rng = rand.New(s.pcg)
	for i := range city.Sensors {
		sn := &city.Sensors[i]
		st := &s.sensors[i]
		h := hash2(hash2(cfg.Seed, saltSignal), uint64(i))
		st.gain = 0.75 + 0.5*unit(h)
		switch sn.Type {
		case Traffic:
			st.base = 450 * float64(city.Roads[sn.Road].Lanes) // vehicles per hour at the peak
		case Energy:
			b := &city.Buildings[sn.Building]
			st.base = b.Area * float64(max(1, b.Levels)) * intensity(b.Use)
			st.energy = st.base * 3600 * 24 * 365 * 0.4 * unit(mix64(h)) // a meter that has run a while
		case Parking:
			st.base = float64(max(1, sn.Capacity))
		case AirQuality:
			st.base = 1
			if sn.Road >= 0 && city.Roads[sn.Road].Class == Primary {
				st.base = 1.4
			}
		}
	}
	s.motion = newMotion(city, cfg.Seed)
	return s, nil
}

// Tick advances the stream to t and returns its ops: one OpObserve with the
// readings of every working sensor and one OpMove with the position of every
// vehicle, both at t. Ticks should come in time order; the output depends only
// on the seed and the sequence of times.
func (s *Stream) Tick(t time.Time) []twin.Op {
	ns := t.UnixNano()
	dt := s.cfg.Interval.Seconds()
	if s.last != 0 {
		dt = math.Max(0, float64(ns-s.last)/1e9)
	}
	env := s.weather.at(t, s.loc)
	key := hash2(hash2(s.cfg.Seed, saltSignal), s.tick+1)
	obs := make([]twin.Observation, 0, len(s.sensors)*3)
	for i := range s.sensors {
		obs = s.read(obs, i, ns, dt, key, &env)
	}
	pos := s.motion.step(ns, dt, hash2(hash2(s.cfg.Seed, saltMotion), s.tick+1), &env)
	s.tick++
	s.last = ns
	var ops []twin.Op
	if len(obs) > 0 {
		ops = append(ops, twin.Op{Type: twin.OpObserve, T: ns, Source: Source, Observations: obs})
	}
	if len(pos) > 0 {
		ops = append(ops, twin.Op{Type: twin.OpMove, T: ns, Source: Source, Positions: pos})
	}
	return ops
}

// read appends the readings of sensor i.
func (s *Stream) read(obs []twin.Observation, i int, ns int64, dt float64, key uint64, e *environment) []twin.Observation {
	sn := &s.city.Sensors[i]
	st := &s.sensors[i]
	metrics := sn.Type.Metrics()
	r := s.rng
	s.pcg.Seed(key, uint64(i))
	// Every random number is drawn whatever the config, so that two configs with
	// the same seed differ only where their faults do.
	uDrop, uStuck, uLen := r.Float64(), r.Float64(), r.ExpFloat64()
	var noise, uSpike, mag [6]float64
	for k := range metrics {
		noise[k], uSpike[k], mag[k] = r.NormFloat64(), r.Float64(), r.Float64()
	}
	var v [6]float64
	s.model(sn, st, e, dt, &noise, &v)
	if st.stuckUntil > ns && st.have {
		v = st.last
	} else if uStuck < s.cfg.StuckRate && st.have {
		st.stuckUntil = ns + int64(uLen*float64(s.cfg.StuckFor))
		v = st.last
	} else {
		for k, m := range metrics {
			if uSpike[k] < s.cfg.SpikeRate {
				v[k] = spike(m, v[k], mag[k])
			}
		}
	}
	st.last, st.have = v, true
	if uDrop < s.cfg.DropoutRate {
		return obs
	}
	for k, m := range metrics {
		obs = append(obs, twin.Observation{ID: sn.ID, Metric: m, T: ns, V: v[k]})
	}
	return obs
}

// spike makes an outlier: several times the value, or far off for values that
// can be negative or near zero.
func spike(metric string, v, u float64) float64 {
	f := 3 + 5*u
	switch metric {
	case MetricTemperature:
		return v + 25 + 15*u
	case MetricOccupancy, MetricHumidity:
		return 1.5 + u
	case MetricWindDirection:
		return 400 + 100*u // out of range, as a broken vane reports
	case MetricPressure:
		return v * (0.5 + 0.2*u)
	}
	return math.Max(v, 1) * f
}

// model computes the true values of a sensor's metrics plus its noise.
func (s *Stream) model(sn *Sensor, st *sensorState, e *environment, dt float64, noise *[6]float64, v *[6]float64) {
	switch sn.Type {
	case AirQuality:
		dilute := 1 / (0.6 + e.wind/3)
		washout := 1 - 0.5*math.Min(e.rain/3, 1)
		inversion := (0.5 + 0.5*math.Cos(2*math.Pi*(e.hour-4)/24)) * dilute
		pm25 := (4+8*inversion+14*e.traffic*st.base*st.gain*dilute)*washout + (0.5+0.08*4)*noise[0]
		pm25 = math.Max(0.5, pm25)
		v[0] = round1(pm25)
		v[1] = round1(math.Max(1, pm25*(1.5+0.3*st.gain)+2+1.5*noise[1]))
		v[2] = round1(math.Max(1, 8+45*e.traffic*st.base*st.gain*dilute+3*noise[2]))
	case Traffic:
		rate := st.base * st.gain * e.traffic * 0.8 // vehicles per hour
		mean := rate * dt / 3600
		n := mean + math.Sqrt(mean+0.25)*noise[0]
		v[0] = math.Max(0, math.Round(n))
		limit := s.city.Roads[sn.Road].SpeedKmh / 3.6
		v[1] = round1(math.Max(0.5, limit*(1.05-0.6*e.traffic*e.traffic)*(0.9+0.2*st.gain)+1.2*noise[1]))
	case Parking:
		occ := 0.2 + 0.7*e.work
		if sn.Mount == "kerb" {
			occ = 0.85 - 0.45*e.work
		}
		occ = clamp(occ*(0.85+0.3*(st.gain-0.75))+0.04*noise[0], 0, 1)
		free := math.Round((1 - occ) * st.base)
		v[0] = math.Round(occ*1000) / 1000
		v[1] = free
	case Energy:
		b := &s.city.Buildings[sn.Building]
		heat := 0.03 * math.Max(0, 15-e.tempC)
		p := st.base * (loadProfile(b.Use, e) + heat) * (0.9 + 0.2*st.gain) * (1 + 0.05*noise[0])
		p = math.Max(0, math.Round(p))
		st.energy += p * dt
		v[0] = p
		v[1] = math.Round(st.energy)
	case Weather:
		roof := sn.Mount == "rooftop"
		t := e.tempC + 0.3*noise[0]
		wind := e.wind * (0.9 + 0.2*st.gain)
		if roof {
			t -= 0.5
			wind *= 1.3
		}
		v[0] = round1(t)
		v[1] = math.Round(clamp(e.humidity+0.02*noise[1], 0, 1)*1000) / 1000
		v[2] = round1(math.Max(0, wind+0.4*noise[2]))
		v[3] = math.Round(math.Mod(e.windDir+10*noise[3]+360, 360))
		v[4] = round1(math.Max(0, e.rain*(1+0.1*noise[4])))
		v[5] = math.Round(e.pressure + 30*noise[5])
	}
}

// Clock tells Run the time and waits.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done, when it returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the wall clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ScaledClock runs speed times faster than the wall clock from start: with speed
// 60 an hour of city time passes in a minute.
func ScaledClock(start time.Time, speed float64) Clock {
	return &scaledClock{start: start, wall: time.Now(), speed: speed}
}

type scaledClock struct {
	start, wall time.Time
	speed       float64
}

func (c *scaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.wall)) * c.speed))
}

func (c *scaledClock) Sleep(ctx context.Context, d time.Duration) error {
	return systemClock{}.Sleep(ctx, time.Duration(float64(d)/c.speed))
}

// StepClock is a clock that never waits: each Sleep moves it on by d at once.
// It is for tests and for generating history as fast as possible.
type StepClock struct{ T time.Time }

// Now returns the clock's time.
func (c *StepClock) Now() time.Time { return c.T }

// Sleep moves the clock on by d.
func (c *StepClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.T = c.T.Add(d)
	return nil
}

// Run ticks the stream every interval of clock time and hands the ops to apply,
// until ctx is done (it then returns ctx.Err()) or apply fails (it returns that
// error). Run blocks; the caller owns the goroutine it runs on. A nil clock
// means the system clock.
func (s *Stream) Run(ctx context.Context, apply func([]twin.Op) error, interval time.Duration, clock Clock) error {
	if interval <= 0 {
		return fmt.Errorf("%w: run interval %v: want > 0", ErrBadConfig, interval)
	}
	if clock == nil {
		clock = SystemClock()
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if ops := s.Tick(clock.Now()); len(ops) > 0 {
			if err := apply(ops); err != nil {
				return fmt.Errorf("datasets: stream: %w", err)
			}
		}
		if err := clock.Sleep(ctx, interval); err != nil {
			return err
		}
	}
}
