package alert

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"citytwin/twin"

	"github.com/uber/h3-go/v4"
)

// Config sets up an Engine.
type Config struct {
	// Source is the provenance of the ops the engine applies.
	Source string
	// Batch is how many changes the engine reads from the feed at a time.
	Batch  int
	Logger *slog.Logger // nil: discard
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{Source: "alert", Batch: 1024} }

// Validate checks the config.
func (c Config) Validate() error {
	switch {
	case c.Source == "":
		return errors.New("alert: source must be set")
	case c.Batch < 1:
		return errors.New("alert: batch must be >= 1")
	}
	return nil
}

// ErrRunning is returned by Run and Sync while the other one is reading the feed.
var ErrRunning = errors.New("alert: engine already reading the change feed")

// Stats are the engine's counters.
type Stats struct {
	Rules        int    `json:"rules"`         // valid rules
	InvalidRules int    `json:"invalid_rules"` // alert_rule entities that do not parse
	Active       int    `json:"active"`        // active alerts
	Pending      int    `json:"pending"`       // conditions that hold, waiting for rule.for
	Evaluations  uint64 `json:"evaluations"`   // (reading, rule) pairs evaluated
	Raised       uint64 `json:"raised"`
	Cleared      uint64 `json:"cleared"`
	Late         uint64 `json:"late"`     // readings older than one already evaluated, ignored
	Resyncs      uint64 `json:"resyncs"`  // times the feed was missed and state rebuilt
	Rejected     uint64 `json:"rejected"` // alert ops the store refused
}

// Engine evaluates the rules of a twin on its observations and keeps the
// alerts in the twin. See the package doc.
//
// Lock order: Engine.run, then Engine.mu, then the store's locks.
type Engine struct {
	store *twin.Store
	cfg   Config
	log   *slog.Logger

	run sync.Mutex         // held by Run or Sync: one reader of the feed
	sub *twin.Subscription // guarded by run

	mu       sync.Mutex
	rules    map[twin.ID]*rule
	byMetric map[string]*metricRules
	invalid  map[twin.ID]bool
	gen      uint64 // bumped on every change of the rule set
	serial   uint32 // of the last rule made
	// lists interns the match lists of watches (entities that match the same
	// rules share one slice); it is emptied when gen moves on.
	lists    map[string][]*rule
	listsGen uint64
	keyBuf   []byte
	matchBuf []*rule
	ents     map[twin.ID]*entity
	entGen   uint64             // bumped to make every cached entity be read again
	alerts   map[twin.ID]*state // active alerts by alert id
	pending  []twin.Op          // found at start, handed out by the next Process
	seq      uint64             // newest change processed
	clock    int64              // newest observation time evaluated
	stats    Stats
	scratch  []float64
}

// New makes an engine for store: it loads the rules, takes over the active
// alerts and fills the cells of cell rules from the newest readings. It starts
// nothing; call Run (or Sync) to follow the store's changes from the moment New
// was called.
func New(ctx context.Context, store *twin.Store, cfg Config) (*Engine, error) {
	if store == nil {
		return nil, errors.New("alert: nil store")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		store:    store,
		cfg:      cfg,
		log:      lg,
		rules:    make(map[twin.ID]*rule),
		byMetric: make(map[string]*metricRules),
		lists:    make(map[string][]*rule),
		gen:      1,
		invalid:  make(map[twin.ID]bool),
		ents:     make(map[twin.ID]*entity),
		alerts:   make(map[twin.ID]*state),
	}
	// Changes after seq are read from the feed; those that the queries below
	// already see are harmless to process again (see the package doc).
	e.seq = store.Seq()
	e.sub = store.Subscribe(e.seq)
	e.mu.Lock()
	defer e.mu.Unlock()
	rules, err := store.Query(ctx, twin.Query{Kinds: []twin.Kind{KindRule}})
	if err != nil {
		return nil, fmt.Errorf("alert: load rules: %w", err)
	}
	for i := range rules.Entities {
		if _, err := e.upsertRule(ctx, nil, &rules.Entities[i], 0); err != nil {
			return nil, err
		}
	}
	active, err := store.Query(ctx, twin.Query{Kinds: []twin.Kind{KindAlert},
		Where: []twin.Filter{{Key: PropAlertState, Op: twin.Eq, Value: twin.StringValue(StateActive)}}})
	if err != nil {
		return nil, fmt.Errorf("alert: load alerts: %w", err)
	}
	for i := range active.Entities {
		e.restore(&active.Entities[i])
	}
	return e, nil
}

// restore takes over an active alert found at start. An alert whose rule is
// gone or was redefined while no engine ran is cleared by the first Process.
func (e *Engine) restore(a *twin.Entity) {
	get := func(k string) string { v, _ := a.Props.Get(k); return v.String() }
	r := e.rules[twin.ID(get(PropAlertRule))]
	st := &state{id: a.ID, subject: get(PropAlertSubject), active: true}
	st.value, _ = number1(a.Props, PropAlertValue)
	st.peak, _ = number1(a.Props, PropAlertPeak)
	if t, err := time.Parse(time.RFC3339Nano, get(PropAlertRaisedAt)); err == nil {
		st.since = t.UnixNano()
	}
	reason := ""
	switch {
	case r == nil:
		reason = ReasonRuleDeleted
	case get(PropAlertMetric) != r.Metric || get(PropAlertOp) != r.Op.String() ||
		get(PropAlertScope) != r.Scope.String() || get(PropAlertThreshold) != strconv.FormatFloat(r.Threshold, 'g', -1, 64) ||
		ID(r.ID, st.subject) != a.ID:
		reason = ReasonRuleChanged
	case r.Scope == ScopeCell:
		c := h3.Cell(h3.IndexFromString(st.subject))
		if !c.IsValid() || c.Resolution() != r.Res {
			reason = ReasonRuleChanged
			break
		}
		st.rule, st.cell = r, c
		r.cellOf(c).st = st
	default:
		st.rule, st.key = r, twin.ID(st.subject)
		r.entities[st.key] = st
	}
	if reason != "" {
		e.pending = append(e.pending, e.clearOp(st, 0, reason, 0))
		e.stats.Cleared++
		return
	}
	cp := *a
	st.entity = &cp
	e.alerts[a.ID] = st
}

func number1(ps twin.Properties, k string) (float64, bool) {
	v, _ := ps.Get(k)
	return v.Number()
}

// Run follows the store's change feed, evaluates it and applies the alert ops,
// until ctx is done (then it returns nil) or the store fails.
func (e *Engine) Run(ctx context.Context) error {
	if !e.run.TryLock() {
		return ErrRunning
	}
	defer e.run.Unlock()
	for {
		if err := e.pump(ctx, true); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// Sync processes every change the store has made so far (including those its
// own alert ops make) and returns: a synchronous Run for tests, tools and
// replays.
func (e *Engine) Sync(ctx context.Context) error {
	if !e.run.TryLock() {
		return ErrRunning
	}
	defer e.run.Unlock()
	for {
		if err := e.pump(ctx, false); err != nil {
			return err
		}
		if e.sub.Position() >= e.store.Seq() {
			return e.flushPending(ctx)
		}
	}
}

// pump reads one batch of changes (waiting for it when wait is set), processes
// it and applies the ops. Must hold e.run.
func (e *Engine) pump(ctx context.Context, wait bool) error {
	if err := e.flushPending(ctx); err != nil {
		return err
	}
	if !wait && e.sub.Position() >= e.store.Seq() {
		return nil
	}
	changes, missed, err := e.sub.Next(ctx, e.cfg.Batch)
	if err != nil {
		return err
	}
	var ops []twin.Op
	if missed > 0 {
		e.log.Warn("alert: change feed missed, resynchronising", "missed", missed)
		if ops, err = e.Resync(ctx); err != nil {
			return err
		}
	}
	more, err := e.Process(ctx, changes)
	ops = append(ops, more...)
	if aerr := e.apply(ctx, ops); aerr != nil {
		return aerr
	}
	return err
}

func (e *Engine) flushPending(ctx context.Context) error {
	e.mu.Lock()
	ops := e.pending
	e.pending = nil
	e.mu.Unlock()
	return e.apply(ctx, ops)
}

// apply applies the engine's ops one by one: an op the store refuses (an
// alert deleted by someone meanwhile) is logged and counted, not fatal.
func (e *Engine) apply(ctx context.Context, ops []twin.Op) error {
	if len(ops) == 0 {
		return nil
	}
	errs, _, err := e.store.ApplyEach(ctx, ops)
	if err != nil {
		return fmt.Errorf("alert: apply: %w", err)
	}
	for i, err := range errs {
		if err != nil {
			id := ops[i].ID
			if ops[i].Entity != nil {
				id = ops[i].Entity.ID
			}
			e.log.Warn("alert: op rejected", "op", ops[i].Type.String(), "id", string(id), "err", err)
			e.mu.Lock()
			e.stats.Rejected++
			e.mu.Unlock()
		}
	}
	return nil
}

// Process evaluates changes of the store, in order, and returns the ops that
// raise, update and clear alerts; the caller applies them (Run and Sync do).
// Changes with a Seq the engine has already processed are skipped (Seq 0 is
// always processed). On an error (ctx done, a store query failed) the ops
// returned so far are still to be applied: the engine's state already counts
// them.
func (e *Engine) Process(ctx context.Context, changes []twin.Change) ([]twin.Op, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.pending
	e.pending = nil
	for i := range changes {
		c := &changes[i]
		if c.Seq != 0 {
			if c.Seq <= e.seq {
				continue
			}
			e.seq = c.Seq
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var err error
		if out, err = e.change(ctx, out, &c.Op); err != nil {
			return out, err
		}
	}
	return out, nil
}

// change processes one op of the store. Must hold e.mu.
func (e *Engine) change(ctx context.Context, out []twin.Op, op *twin.Op) ([]twin.Op, error) {
	switch op.Type {
	case twin.OpObserve:
		for i := range op.Observations {
			if i&4095 == 4095 && ctx.Err() != nil {
				return out, ctx.Err()
			}
			out = e.observe(out, &op.Observations[i])
		}
	case twin.OpUpsert, twin.OpPatch:
		en := op.Entity
		if en == nil {
			break
		}
		if en.Kind == KindRule {
			return e.upsertRule(ctx, out, en, op.T)
		}
		if r := e.rules[en.ID]; r != nil || e.invalid[en.ID] {
			out = e.removeRule(out, en.ID, op.T, ReasonRuleDeleted)
		}
		if ent := e.ents[en.ID]; ent != nil && en.Kind != KindAlert {
			ent.set(en, e.entGen)
		}
	case twin.OpDelete:
		out = e.removeRule(out, op.ID, op.T, ReasonRuleDeleted)
		if st := e.alerts[op.ID]; st != nil {
			// Someone dismissed the alert: forget it, so that the condition
			// (if it still holds) raises it again.
			delete(e.alerts, op.ID)
			st.rule.forget(st)
		}
		out = e.dropEntity(out, op.ID, op.T)
	case twin.OpMove:
		for i := range op.Positions {
			if ent := e.ents[op.Positions[i].ID]; ent != nil {
				ent.move(op.Positions[i].Point)
			}
		}
	}
	return out, nil
}

// upsertRule takes a new or changed rule entity. Must hold e.mu.
func (e *Engine) upsertRule(ctx context.Context, out []twin.Op, en *twin.Entity, t int64) ([]twin.Op, error) {
	r, err := Parse(en)
	if err != nil {
		e.log.Warn("alert: invalid rule ignored", "rule", string(en.ID), "err", err)
		out = e.removeRule(out, en.ID, t, ReasonRuleChanged)
		e.invalid[en.ID] = true
		return out, nil
	}
	delete(e.invalid, en.ID)
	if old := e.rules[en.ID]; old != nil {
		if old.Rule.equal(&r) {
			return out, nil
		}
		out = e.removeRule(out, en.ID, t, ReasonRuleChanged)
	}
	e.serial++
	nr := newRule(r, e.serial)
	e.rules[r.ID] = nr
	mr := e.byMetric[r.Metric]
	if mr == nil {
		mr = &metricRules{}
		e.byMetric[r.Metric] = mr
	}
	if nr.global {
		mr.global = append(mr.global, nr)
	} else {
		mr.filtered = append(mr.filtered, nr)
	}
	e.gen++
	if r.Scope == ScopeCell {
		if err := e.seed(ctx, nr); err != nil {
			return out, err
		}
	}
	return out, nil
}

// removeRule drops rule id, if there is one, and clears its alerts at t. Must
// hold e.mu.
func (e *Engine) removeRule(out []twin.Op, id twin.ID, t int64, reason string) []twin.Op {
	delete(e.invalid, id)
	r := e.rules[id]
	if r == nil {
		return out
	}
	delete(e.rules, id)
	mr := e.byMetric[r.Metric]
	is := func(x *rule) bool { return x == r }
	mr.global, mr.filtered = slices.DeleteFunc(mr.global, is), slices.DeleteFunc(mr.filtered, is)
	if len(mr.global)+len(mr.filtered) == 0 {
		delete(e.byMetric, r.Metric)
	}
	e.gen++
	r.dead = true
	var active []*state
	for _, st := range r.entities {
		if st.active {
			active = append(active, st)
		}
	}
	for _, c := range r.cells {
		if c.st != nil && c.st.active {
			active = append(active, c.st)
		}
	}
	slices.SortFunc(active, func(a, b *state) int { return cmp.Compare(a.id, b.id) })
	for _, st := range active {
		out = e.clear(out, st, max(t, st.since), reason, 0)
	}
	r.entities, r.cells = nil, nil
	return out
}

// dropEntity forgets a deleted entity and clears its alerts at t. Must hold
// e.mu.
func (e *Engine) dropEntity(out []twin.Op, id twin.ID, t int64) []twin.Op {
	ent := e.ents[id]
	delete(e.ents, id)
	if ent != nil {
		for m, w := range ent.metrics {
			if mr := e.byMetric[m]; mr != nil {
				for _, list := range [2][]*rule{mr.global, mr.filtered} {
					for _, r := range list {
						if c := w.placedAt(r.Res); r.Scope == ScopeCell && c != 0 {
							r.leave(id, c)
						}
					}
				}
			}
		}
	}
	// Restored alerts have no cache entry: look in every entity rule.
	var gone []*state
	for _, r := range e.rules {
		if st := r.entities[id]; st != nil {
			delete(r.entities, id)
			if st.active {
				gone = append(gone, st)
			}
		}
	}
	slices.SortFunc(gone, func(a, b *state) int { return cmp.Compare(a.id, b.id) })
	for _, st := range gone {
		out = e.clear(out, st, max(t, st.since), ReasonSubjectGone, 0)
	}
	return out
}

func (e *Engine) sortedRules() []*rule {
	out := make([]*rule, 0, len(e.rules))
	for _, r := range e.rules {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *rule) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// seed fills the cells of a new cell rule with the newest reading of each
// matching entity, without evaluating them: the rule judges the readings that
// arrive from now on against the whole picture. Must hold e.mu.
func (e *Engine) seed(ctx context.Context, r *rule) error {
	ls, err := e.store.Latest(ctx, twin.Query{Kinds: r.Kinds, Where: r.Where}, r.Metric)
	if err != nil {
		return fmt.Errorf("alert: seed rule %s: %w", r.ID, err)
	}
	for _, l := range ls {
		ent := e.entity(l.ID)
		if ent == nil || !r.matches(ent) {
			continue
		}
		if c := ent.cell(r.Res); c != 0 {
			r.cellOf(c).put(l.ID, l.Point.T, l.Point.V)
			ent.watch(r.Metric).place(r.Res, c)
		}
	}
	return nil
}

// Resync rebuilds what the engine may have missed when the change feed
// dropped changes before it read them: the rules are read again from the
// store, every cached entity is read again when next seen, and the newest
// reading of every entity for every watched metric is evaluated (in time
// order) as if it had just arrived. Readings in between are lost: a "for"
// timer may restart and a short violation may go unnoticed, but no alert stays
// active whose condition no longer holds at the newest reading. It returns the
// ops to apply; Run and Sync call it on their own.
func (e *Engine) Resync(ctx context.Context) ([]twin.Op, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stats.Resyncs++
	out := e.pending
	e.pending = nil
	e.entGen++
	res, err := e.store.Query(ctx, twin.Query{Kinds: []twin.Kind{KindRule}})
	if err != nil {
		return out, fmt.Errorf("alert: resync rules: %w", err)
	}
	seen := make(map[twin.ID]bool, len(res.Entities))
	for i := range res.Entities {
		seen[res.Entities[i].ID] = true
		if out, err = e.upsertRule(ctx, out, &res.Entities[i], e.clock); err != nil {
			return out, err
		}
	}
	for _, r := range e.sortedRules() {
		if !seen[r.ID] {
			out = e.removeRule(out, r.ID, e.clock, ReasonRuleDeleted)
		}
	}
	for id := range e.invalid {
		if !seen[id] {
			delete(e.invalid, id)
		}
	}
	metrics := make([]string, 0, len(e.byMetric))
	for m := range e.byMetric {
		metrics = append(metrics, m)
	}
	slices.Sort(metrics)
	for _, m := range metrics {
		ls, err := e.store.Latest(ctx, twin.Query{}, m)
		if err != nil {
			return out, fmt.Errorf("alert: resync %s: %w", m, err)
		}
		slices.SortStableFunc(ls, func(a, b twin.Latest) int { return cmp.Compare(a.Point.T, b.Point.T) })
		for _, l := range ls {
			out = e.observe(out, &twin.Observation{ID: l.ID, Metric: m, T: l.Point.T, V: l.Point.V})
		}
	}
	return out, nil
}

// Active returns the active alerts as the engine last wrote them, by id.
func (e *Engine) Active() []twin.Entity {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]twin.Entity, 0, len(e.alerts))
	for _, st := range e.alerts {
		if st.entity != nil {
			out = append(out, *st.entity)
		}
	}
	slices.SortFunc(out, func(a, b twin.Entity) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Rules returns the valid rules, by id.
func (e *Engine) Rules() []Rule {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Rule, 0, len(e.rules))
	for _, r := range e.sortedRules() {
		out = append(out, r.Rule)
	}
	return out
}

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.Rules, s.InvalidRules, s.Active = len(e.rules), len(e.invalid), len(e.alerts)
	for _, r := range e.rules {
		for _, st := range r.entities {
			if !st.active {
				s.Pending++
			}
		}
		for _, c := range r.cells {
			if c.st != nil && !c.st.active {
				s.Pending++
			}
		}
	}
	return s
}
