package fence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"citytwin/geo"
	"citytwin/twin"
	"citytwin/twin/wal"
)

// Errors of the engine.
var (
	ErrClosed  = errors.New("fence: engine closed")
	ErrRunning = errors.New("fence: engine already running")
	ErrConfig  = errors.New("fence: bad config")
)

// Config sets up an Engine.
type Config struct {
	// Dir holds the outbox (Dir/outbox), the endpoints (Dir/endpoints.json)
	// and the engine's checkpoint (Dir/state.gob).
	Dir string
	// Log is the outbox's write-ahead log: its Sync policy says when an event
	// counts as durable (and becomes visible).
	Log wal.Options
	// Workers evaluate positions in parallel, each owning a share of the
	// objects; 0 takes GOMAXPROCS (at most 8).
	Workers int
	// Buffer is how many of the newest events are kept in memory for live
	// subscribers and fast replay.
	Buffer int
	// BatchChanges is how many twin changes Run reads at a time.
	BatchChanges int
	// RetainFor and RetainEvents bound the outbox: events older than RetainFor
	// (by when they were written) or beyond the newest RetainEvents go, a whole
	// log segment at a time (0: no bound of that kind). CompactEvery is how
	// often that is checked.
	RetainFor    time.Duration
	RetainEvents uint64
	CompactEvery time.Duration
	// CheckpointEvery is how often the state of every (fence, object) pair is
	// written, so that a restart starts from it (0: only on Close).
	CheckpointEvery time.Duration
	// DeliveryBatch is the most events sent to an endpoint at once,
	// DeliveryTimeout bounds one attempt, and failed attempts are retried
	// after RetryBase doubling up to RetryMax, with jitter.
	DeliveryBatch   int
	DeliveryTimeout time.Duration
	RetryBase       time.Duration
	RetryMax        time.Duration
	// GridMetres and RefLat tune the point grids that roaming fences use.
	GridMetres float64
	RefLat     float64
	// Sinks make the sink of an endpoint by its Kind; "webhook" is built in
	// (and may be replaced).
	Sinks map[string]func(Endpoint) (Sink, error)
	// HTTPClient is the webhook sinks' client (nil: a client of its own).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock (events of resynchronisations, retention); nil: time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults for dir.
func DefaultConfig(dir string) Config {
	return Config{
		Dir:             dir,
		Log:             wal.Options{Sync: wal.SyncBatch, SegmentBytes: 16 << 20},
		Buffer:          1 << 16,
		BatchChanges:    4096,
		RetainFor:       24 * time.Hour,
		RetainEvents:    10_000_000,
		CompactEvery:    time.Minute,
		CheckpointEvery: time.Minute,
		DeliveryBatch:   500,
		DeliveryTimeout: 10 * time.Second,
		RetryBase:       250 * time.Millisecond,
		RetryMax:        time.Minute,
		GridMetres:      250,
	}
}

// Validate checks the config.
func (c Config) Validate() error {
	bad := func(f string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(f, args...))
	}
	switch {
	case c.Dir == "":
		return bad("no dir")
	case c.Workers < 0 || c.Workers > 64:
		return bad("workers %d, want 0..64", c.Workers)
	case c.Buffer < 16:
		return bad("buffer %d, want >= 16", c.Buffer)
	case c.BatchChanges < 1:
		return bad("batch changes %d, want >= 1", c.BatchChanges)
	case c.RetainFor < 0 || c.CompactEvery <= 0 || c.CheckpointEvery < 0:
		return bad("retention durations must not be negative, compact interval positive")
	case c.DeliveryBatch < 1 || c.DeliveryTimeout <= 0:
		return bad("delivery batch and timeout must be positive")
	case c.RetryBase <= 0 || c.RetryMax < c.RetryBase:
		return bad("retry base %v and max %v", c.RetryBase, c.RetryMax)
	case !(c.GridMetres >= 1):
		return bad("grid metres %v, want >= 1", c.GridMetres)
	}
	return nil
}

// Engine evaluates the twin's moving entities against its geofences and
// delivers the events. See the package doc.
type Engine struct {
	store *twin.Store
	cfg   Config
	log   *slog.Logger
	ob    *outbox

	// Lock order: mu, then outbox.mu; epMu, then endpoint.mu (epMu is never
	// held while waiting for a delivery loop, which takes it). mu and epMu are
	// never held together.
	mu      sync.Mutex // guards the evaluation state below
	closed  bool
	failed  error
	fresh   bool // no state yet: the first resynchronisation is silent
	fences  []*region
	objs    []object
	free    []uint32
	workers []*worker
	roamW   *worker
	jobs    []job
	one     [1]job
	pend    []pendEvent
	evs     []Event
	lists   [][]pendEvent
	seq     uint64 // last event seq
	twinSeq uint64 // last twin change evaluated

	fenceSlot map[twin.ID]uint32
	objSlot   map[twin.ID]uint32
	tree      geo.RTree[uint32]
	kindIdx   map[twin.Kind]uint16
	kindNames []twin.Kind
	kindRefs  []int // static fences watching each kind
	allKinds  int   // static fences watching every kind
	crossN    int   // static fences with cross events
	roamN     int
	targets   map[twin.ID][]uint32 // followed entity -> roaming fences
	ogrid     *geo.PointGrid       // objects, while there are roaming fences
	cgrid     *geo.PointGrid       // centres of roaming fences
	maxReach  float64              // largest radius + hysteresis of a roaming fence

	epMu      sync.Mutex
	endpoints map[string]*endpoint
	dormant   []storedEndpoint // stored, but their sink kind is not configured

	st stats

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup // background loops
	lifeMu   sync.Mutex
	closing  bool
	runWG    sync.WaitGroup
	running  atomic.Bool
	closeErr error
	once     sync.Once
}

type stats struct {
	updates, events, resyncs, missed, invalid, late, compacted atomic.Uint64
	twinSeq                                                    atomic.Uint64
	fences, objects                                            atomic.Int64
}

// New opens the engine's outbox and state in cfg.Dir and starts its
// background work (delivery, retention, checkpoints); Run follows the store.
// Close it when done.
func New(store *twin.Store, cfg Config) (*Engine, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil store", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers == 0 {
		cfg.Workers = min(runtime.GOMAXPROCS(0), 8)
	}
	if cfg.Log.Logger == nil {
		cfg.Log.Logger = cfg.Logger
	}
	sinks := map[string]func(Endpoint) (Sink, error){
		"webhook": func(ep Endpoint) (Sink, error) { return NewWebhook(ep, cfg.HTTPClient) },
	}
	for k, f := range cfg.Sinks {
		sinks[k] = f
	}
	cfg.Sinks = sinks
	ob, err := openOutbox(filepath.Join(cfg.Dir, "outbox"), cfg.Log, cfg.Buffer)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		store: store, cfg: cfg, log: cfg.Logger, ob: ob,
		fenceSlot: make(map[twin.ID]uint32), objSlot: make(map[twin.ID]uint32),
		kindIdx: make(map[twin.Kind]uint16), targets: make(map[twin.ID][]uint32),
		endpoints: make(map[string]*endpoint),
	}
	e.kind("") // kind 0: unknown
	for range cfg.Workers {
		e.workers = append(e.workers, newWorker(e))
	}
	e.roamW = newWorker(e)
	e.ctx, e.cancel = context.WithCancel(context.Background())
	if err := e.restore(); err != nil {
		ob.close()
		return nil, err
	}
	if err := e.loadEndpoints(); err != nil {
		ob.close()
		return nil, err
	}
	e.wg.Add(1)
	go e.housekeeping()
	return e, nil
}

func (e *Engine) now() int64 { return e.cfg.Now().UnixNano() }

// Run follows the store's change feed until ctx ends (it returns ctx.Err())
// or the engine is closed (it returns nil). When the feed cannot give every
// change since the engine's position (it missed some, or the twin restarted
// and its feed does not reach back), the engine resynchronises from the
// store's current state. Only one Run at a time.
func (e *Engine) Run(ctx context.Context) error {
	e.lifeMu.Lock()
	if e.closing {
		e.lifeMu.Unlock()
		return ErrClosed
	}
	if !e.running.CompareAndSwap(false, true) {
		e.lifeMu.Unlock()
		return ErrRunning
	}
	e.runWG.Add(1)
	e.lifeMu.Unlock()
	defer e.runWG.Done()
	defer e.running.Store(false)

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(e.ctx, cancel)
	defer stop()

	e.mu.Lock()
	cursor := e.twinSeq
	e.mu.Unlock()
	sub := e.store.Subscribe(cursor)
	var err error
	if cursor < e.store.Seq() {
		// Does the feed still reach back to the cursor? Ask without waiting.
		probe, c := context.WithCancel(rctx)
		c()
		chs, missed, perr := sub.Next(probe, e.cfg.BatchChanges)
		if perr == nil {
			err = e.feed(rctx, chs, missed)
		}
		if perr != nil || errors.Is(err, errGap) {
			sub, err = e.resyncNow(rctx)
		}
		if err != nil {
			return e.runEnd(ctx, err)
		}
	}
	for {
		chs, missed, err := sub.Next(rctx, e.cfg.BatchChanges)
		if err == nil {
			err = e.feed(rctx, chs, missed)
			if errors.Is(err, errGap) {
				sub, err = e.resyncNow(rctx)
			}
		}
		if err != nil {
			return e.runEnd(ctx, err)
		}
	}
}

func (e *Engine) runEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if e.ctx.Err() != nil {
		return nil
	}
	return err
}

var errGap = errors.New("fence: gap in the change feed")

// feed processes changes from the feed, or reports errGap when they do not
// follow on from the last one.
func (e *Engine) feed(ctx context.Context, chs []twin.Change, missed uint64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if e.failed != nil {
		return e.failed
	}
	next := e.twinSeq + 1
	for i := range chs {
		if chs[i].Seq != next+uint64(i) {
			missed++
		}
	}
	if missed > 0 {
		e.st.missed.Add(missed)
		return errGap
	}
	e.fresh = false
	return e.process(ctx, chs)
}

// resyncNow resynchronises and returns a subscription from the state it saw.
func (e *Engine) resyncNow(ctx context.Context) (*twin.Subscription, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	from := e.twinSeq
	m0 := e.store.Seq()
	sub := e.store.Subscribe(m0)
	silent := e.fresh
	if err := e.resync(ctx, silent); err != nil {
		return nil, err
	}
	e.fresh = false
	e.twinSeq = m0
	e.st.twinSeq.Store(m0)
	e.log.Info("fence: resynchronised from the store", "from_seq", from, "to_seq", m0,
		"silent", silent, "objects", len(e.objSlot), "fences", len(e.fenceSlot), "event_seq", e.seq)
	return sub, nil
}

// Events returns up to max events with seq > after, oldest first, from the
// outbox; ErrCompacted when retention has removed some of them.
func (e *Engine) Events(after uint64, max int) ([]Event, error) {
	return e.ob.events(after, max)
}

// Head returns the seqs of the newest event and of the oldest one kept.
func (e *Engine) Head() (head, first uint64) {
	head, first, _ = e.ob.state()
	return head, first
}

// Subscription follows the events live from memory.
type Subscription struct {
	ob   *outbox
	next uint64
}

// Subscribe follows the events after seq (Head() for "from now on").
func (e *Engine) Subscribe(after uint64) *Subscription {
	return &Subscription{ob: e.ob, next: after + 1}
}

// Next waits for events and returns up to max of them in order. missed is
// how many were no longer in memory when this subscriber got to them; read
// them with Events (the outbox has them until retention removes them).
func (s *Subscription) Next(ctx context.Context, max int) (evs []Event, missed uint64, err error) {
	if max <= 0 {
		max = 1000
	}
	for {
		o := s.ob
		o.mu.Lock()
		head, wake := o.head, o.wake
		if head >= s.next {
			if s.next < o.ringStart {
				missed = o.ringStart - s.next
				s.next = o.ringStart
			}
			for ; s.next <= head && len(evs) < max; s.next++ {
				evs = append(evs, o.ring[s.next%uint64(len(o.ring))])
			}
			o.mu.Unlock()
			return evs, missed, nil
		}
		o.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-wake:
		}
	}
}

// Position is the seq of the last event this subscription returned (or
// skipped as missed).
func (s *Subscription) Position() uint64 { return s.next - 1 }

// Stats is what the engine says about itself, for metrics.
type Stats struct {
	Fences  int    `json:"fences"`
	Objects int    `json:"objects"`
	Head    uint64 `json:"head"`     // seq of the newest event
	First   uint64 `json:"first"`    // seq of the oldest event kept
	TwinSeq uint64 `json:"twin_seq"` // the twin change evaluated last
	Updates uint64 `json:"updates"`  // positions evaluated
	Events  uint64 `json:"events"`   // events written since start
	// Resyncs counts resynchronisations from the store, Missed the twin
	// changes that the feed did not deliver (which they made up for).
	Resyncs uint64 `json:"resyncs"`
	Missed  uint64 `json:"missed"`
	// Invalid counts geofence upserts that did not parse, Late positions older
	// than the newest of their object (ignored), Compacted events removed
	// by retention.
	Invalid   uint64          `json:"invalid"`
	Late      uint64          `json:"late"`
	Compacted uint64          `json:"compacted"`
	Endpoints []EndpointStats `json:"endpoints"`
}

// Stats returns the engine's counters; it does not wait for evaluation.
func (e *Engine) Stats() Stats {
	head, first := e.Head()
	s := Stats{
		Fences: int(e.st.fences.Load()), Objects: int(e.st.objects.Load()),
		Head: head, First: first, TwinSeq: e.st.twinSeq.Load(),
		Updates: e.st.updates.Load(), Events: e.st.events.Load(),
		Resyncs: e.st.resyncs.Load(), Missed: e.st.missed.Load(),
		Invalid: e.st.invalid.Load(), Late: e.st.late.Load(), Compacted: e.st.compacted.Load(),
	}
	s.Endpoints = e.endpointStats(head)
	return s
}

// housekeeping writes checkpoints and applies the retention.
func (e *Engine) housekeeping() {
	defer e.wg.Done()
	compact := time.NewTicker(e.cfg.CompactEvery)
	defer compact.Stop()
	var cp <-chan time.Time
	if e.cfg.CheckpointEvery > 0 {
		t := time.NewTicker(e.cfg.CheckpointEvery)
		defer t.Stop()
		cp = t.C
	}
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-compact.C:
			if _, err := e.Compact(); err != nil {
				e.log.Error("fence: outbox retention failed", "err", err)
			}
		case <-cp:
			if err := e.Checkpoint(); err != nil {
				e.log.Error("fence: checkpoint failed", "err", err)
			}
		}
	}
}

// Compact applies the retention now and returns how many events it removed.
func (e *Engine) Compact() (uint64, error) {
	n, err := e.ob.compact(e.cfg.Now(), e.cfg.RetainFor, e.cfg.RetainEvents)
	e.st.compacted.Add(n)
	return n, err
}

// Close stops Run, the delivery loops and the background work, waits for
// them, writes a checkpoint and the endpoints' cursors, and closes the outbox.
func (e *Engine) Close() error {
	e.once.Do(func() {
		e.lifeMu.Lock()
		e.closing = true
		e.lifeMu.Unlock()
		e.cancel()
		e.runWG.Wait()
		e.stopEndpoints()
		e.wg.Wait()
		e.mu.Lock()
		err := e.checkpointLocked()
		e.closed = true
		e.mu.Unlock()
		err = errors.Join(err, e.saveEndpoints(), e.ob.close())
		e.closeErr = err
	})
	return e.closeErr
}
