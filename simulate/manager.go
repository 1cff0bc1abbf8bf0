package simulate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"citytwin/twin"
)

// Status of a scenario.
type Status string

// The statuses.
const (
	StatusCreated   Status = "created"
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusDone      Status = "done"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Info is what a client sees of a scenario.
type Info struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Spec     Spec      `json:"spec"`
	Status   Status    `json:"status"`
	Created  time.Time `json:"created"`
	Seq      uint64    `json:"snapshot_seq"` // the twin's seq at the fork
	At       time.Time `json:"snapshot_at"`  // the instant of the fork
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	Progress Progress  `json:"progress"`
	Error    string    `json:"error,omitempty"`
	// Resumable is true when a checkpoint of an unfinished run is kept.
	Resumable bool `json:"resumable"`
}

// Config configures a Manager.
type Config struct {
	// Dir keeps scenarios, checkpoints and results across restarts; empty
	// keeps them in memory only.
	Dir string
	// LoadGrid reads elevation grids for floods; nil refuses flood scenarios.
	LoadGrid GridLoader
	// MaxScenarios bounds how many are kept (oldest finished ones are not
	// removed by themselves: creating more is refused).
	MaxScenarios int
	// MaxRunning bounds the runs at once; the others queue.
	MaxRunning int
	Log        *slog.Logger
	Now        func() time.Time
}

// DefaultConfig keeps 100 scenarios and runs one at a time.
func DefaultConfig() Config {
	return Config{MaxScenarios: 100, MaxRunning: 1, Now: time.Now}
}

// Validate checks the bounds.
func (c *Config) Validate() error {
	if c.MaxScenarios < 1 || c.MaxRunning < 1 {
		return fmt.Errorf("simulate: config: max scenarios %d and max running %d must be ≥ 1", c.MaxScenarios, c.MaxRunning)
	}
	return nil
}

// Manager keeps scenarios and runs them as asynchronous jobs.
type Manager struct {
	store *twin.Store
	cfg   Config
	log   *slog.Logger
	slots chan struct{} // run slots

	mu        sync.Mutex
	scenarios map[string]*scenario
	subs      map[int]chan Info
	nextSub   int
	closed    bool
	wg        sync.WaitGroup
}

// scenario is a Manager's record of one scenario. mu of the Manager guards
// it.
type scenario struct {
	info   Info
	in     *inputs
	result *Result
	cp     *checkpoint
	cancel context.CancelFunc
	done   chan struct{} // closed when a run ends
}

// NewManager starts a manager over store, loading the scenarios kept in
// cfg.Dir.
func NewManager(store *twin.Store, cfg Config) (*Manager, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{store: store, cfg: cfg, log: log, slots: make(chan struct{}, cfg.MaxRunning),
		scenarios: map[string]*scenario{}, subs: map[int]chan Info{}}
	if cfg.Dir != "" {
		if err := m.load(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Close cancels the runs and waits for them; their checkpoints stay, so they
// can be resumed after a restart.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	for _, sc := range m.scenarios {
		if sc.cancel != nil {
			sc.cancel()
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// Create forks the twin as it is now and reads the spec's inputs from the
// fork.
func (m *Manager) Create(ctx context.Context, spec Spec) (Info, error) {
	spec = spec.withDefaults()
	if err := spec.Validate(); err != nil {
		return Info{}, err
	}
	m.mu.Lock()
	full := len(m.scenarios) >= m.cfg.MaxScenarios
	m.mu.Unlock()
	if full {
		return Info{}, fmt.Errorf("%w: %d scenarios kept: delete some first", ErrBadSpec, m.cfg.MaxScenarios)
	}
	snap := Fork(m.store, m.cfg.Now())
	in, err := readInputs(ctx, snap, &spec)
	if err != nil {
		return Info{}, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	sc := &scenario{in: in, info: Info{ID: hex.EncodeToString(b[:]), Name: spec.Name, Spec: spec, Status: StatusCreated,
		Created: m.cfg.Now().UTC(), Seq: snap.Seq, At: snap.At.UTC()}}
	if err := m.saveInfo(sc); err != nil {
		return Info{}, err
	}
	m.mu.Lock()
	m.scenarios[sc.info.ID] = sc
	m.mu.Unlock()
	m.publish(sc.info)
	m.log.Info("scenario created", "scenario", sc.info.ID, "model", spec.Model, "seq", snap.Seq)
	return sc.info, nil
}

// List returns every scenario, newest first.
func (m *Manager) List() []Info {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Info, 0, len(m.scenarios))
	for _, sc := range m.scenarios {
		out = append(out, sc.info)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Get returns one scenario.
func (m *Manager) Get(id string) (Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.scenarios[id]
	if !ok {
		return Info{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return sc.info, nil
}

// Result returns the result of a finished run.
func (m *Manager) Result(id string) (*Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.scenarios[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if sc.result == nil {
		return nil, fmt.Errorf("%w: %s is %s", ErrNoResults, id, sc.info.Status)
	}
	return sc.result, nil
}

// Run starts a run in the background. With resume it goes on from the last
// checkpoint of an unfinished run (results equal those of one uninterrupted
// run); otherwise it starts afresh.
func (m *Manager) Run(id string, resume bool) (Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Info{}, errors.New("simulate: manager closed")
	}
	sc, ok := m.scenarios[id]
	if !ok {
		return Info{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if sc.info.Status == StatusRunning || sc.info.Status == StatusQueued {
		return sc.info, fmt.Errorf("%w: %s", ErrBusy, id)
	}
	cp := sc.cp
	if !resume {
		cp = nil
	} else if cp == nil {
		return sc.info, fmt.Errorf("%w: %s has no checkpoint to resume from", ErrBadCheckpnt, id)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sc.cancel, sc.done = cancel, make(chan struct{})
	sc.info.Status, sc.info.Error, sc.info.Progress = StatusQueued, "", Progress{Horizon: sc.info.Spec.Horizon}
	sc.info.Started, sc.info.Finished = time.Time{}, time.Time{}
	if !resume {
		sc.result, sc.cp = nil, nil
	}
	info := sc.info
	m.wg.Add(1)
	go m.run(ctx, sc, cp)
	go m.publish(info)
	return info, nil
}

// Cancel stops a run; its last checkpoint is kept for a resume.
func (m *Manager) Cancel(id string) (Info, error) {
	m.mu.Lock()
	sc, ok := m.scenarios[id]
	if !ok {
		m.mu.Unlock()
		return Info{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	cancel, done := sc.cancel, sc.done
	m.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return m.Get(id)
}

// Delete cancels a run and forgets the scenario.
func (m *Manager) Delete(id string) error {
	if _, err := m.Cancel(id); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.scenarios, id)
	m.mu.Unlock()
	return m.remove(id)
}

// Wait blocks until the scenario's run ends (or ctx does) and returns it.
func (m *Manager) Wait(ctx context.Context, id string) (Info, error) {
	m.mu.Lock()
	sc, ok := m.scenarios[id]
	if !ok {
		m.mu.Unlock()
		return Info{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	done := sc.done
	m.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return Info{}, ctx.Err()
		}
	}
	return m.Get(id)
}

// Subscribe returns every change of any scenario (created, progress, done)
// until stop is called. A subscriber that does not keep up misses
// intermediate progress, never the final state: the channel holds the
// newest changes.
func (m *Manager) Subscribe() (events <-chan Info, stop func()) {
	ch := make(chan Info, 64)
	m.mu.Lock()
	id := m.nextSub
	m.nextSub++
	m.subs[id] = ch
	m.mu.Unlock()
	return ch, func() {
		m.mu.Lock()
		delete(m.subs, id)
		m.mu.Unlock()
	}
}

func (m *Manager) publish(info Info) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ch := range m.subs {
		select {
		case ch <- info:
		default:
			// Full: drop the oldest so the newest gets in.
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- info:
			default:
			}
		}
	}
}

// run is the job: wait for a slot, run, keep the result.
func (m *Manager) run(ctx context.Context, sc *scenario, cp *checkpoint) {
	defer m.wg.Done()
	var err error
	var res *Result
	defer func() {
		m.mu.Lock()
		now := m.cfg.Now().UTC()
		sc.info.Finished = now
		switch {
		case err == nil:
			sc.info.Status, sc.result, sc.cp = StatusDone, res, nil
			sc.info.Progress.Fraction = 1
		case errors.Is(err, context.Canceled), errors.Is(err, errStopped):
			sc.info.Status = StatusCancelled
		default:
			sc.info.Status, sc.info.Error = StatusFailed, err.Error()
		}
		sc.info.Resumable = sc.cp != nil && sc.info.Status != StatusDone
		info, done := sc.info, sc.done
		sc.cancel = nil
		m.mu.Unlock()
		if err := m.saveInfo(sc); err != nil {
			m.log.Error("scenario not saved", "scenario", info.ID, "err", err)
		}
		if res != nil {
			if err := m.saveResult(info.ID, res); err != nil {
				m.log.Error("scenario result not saved", "scenario", info.ID, "err", err)
			}
		}
		m.publish(info)
		m.log.Info("scenario run ended", "scenario", info.ID, "status", info.Status, "error", info.Error)
		close(done)
	}()
	select {
	case m.slots <- struct{}{}:
		defer func() { <-m.slots }()
	case <-ctx.Done():
		err = ctx.Err()
		return
	}
	m.mu.Lock()
	sc.info.Status, sc.info.Started = StatusRunning, m.cfg.Now().UTC()
	info, in := sc.info, sc.in
	m.mu.Unlock()
	m.publish(info)
	if in == nil {
		// Loaded from disk: read the inputs again through the snapshot.
		spec := info.Spec
		if in, err = readInputs(ctx, Snapshot{store: m.store, Seq: info.Seq, At: info.At}, &spec); err != nil {
			return
		}
		m.mu.Lock()
		sc.in = in
		m.mu.Unlock()
	}
	spec := info.Spec
	r := &runner{spec: &spec, in: in, load: m.cfg.LoadGrid,
		progress: func(p Progress) {
			m.mu.Lock()
			sc.info.Progress = p
			info := sc.info
			m.mu.Unlock()
			m.publish(info)
		},
		save: func(c *checkpoint) error {
			m.mu.Lock()
			sc.cp = c
			m.mu.Unlock()
			return m.saveCheckpoint(info.ID, c)
		},
	}
	res, err = r.run(ctx, cp)
}
