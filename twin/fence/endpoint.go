package fence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"citytwin/twin"
)

// Endpoint errors.
var (
	ErrEndpoint   = errors.New("fence: bad endpoint")
	ErrNoEndpoint = errors.New("fence: no such endpoint")
	// ErrPermanent marks a delivery error that no retry can fix: the batch is
	// dead-lettered (counted, logged, skipped). Wrap with Permanent.
	ErrPermanent = errors.New("fence: permanent delivery failure")
)

// Endpoint is a receiver of events.
type Endpoint struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"` // "webhook", or any kind in Config.Sinks
	URL    string    `json:"url"`
	Fences []twin.ID `json:"fences,omitempty"` // empty: every fence
	Kinds  []string  `json:"kinds,omitempty"`  // event kinds; empty: every kind
	Secret string    `json:"secret,omitempty"` // signs webhook bodies (HMAC-SHA256)
	// FromStart, when adding, delivers every event the outbox keeps instead of
	// only those from now on.
	FromStart bool `json:"from_start,omitempty"`
}

// Sink delivers a batch of events, in seq order. A nil error acknowledges the
// whole batch; an error wrapping ErrPermanent drops it; any other is retried.
type Sink interface {
	Deliver(ctx context.Context, events []Event) error
}

// Permanent marks err as a failure that retrying cannot fix.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// retryAfterer is an error that says when to try again.
type retryAfterer interface{ RetryAfter() time.Duration }

// EndpointStats is one endpoint's delivery counters.
type EndpointStats struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Cursor uint64 `json:"cursor"` // the last seq acknowledged (or skipped)
	Lag    uint64 `json:"lag"`    // head - cursor
	// Delivered counts events acknowledged, Failed failed attempts,
	// DeadLettered events dropped after a permanent failure, Dropped events
	// removed by retention before they could be delivered.
	Delivered    uint64    `json:"delivered"`
	Failed       uint64    `json:"failed"`
	DeadLettered uint64    `json:"dead_lettered"`
	Dropped      uint64    `json:"dropped"`
	LastError    string    `json:"last_error,omitempty"`
	LastErrorAt  time.Time `json:"last_error_at,omitzero"`
	LastDelivery time.Time `json:"last_delivery,omitzero"`
}

// endpoint is a running delivery loop.
type endpoint struct {
	ep     Endpoint
	sink   Sink
	fences map[twin.ID]bool
	kinds  Events
	cancel context.CancelFunc
	done   chan struct{}

	mu sync.Mutex // guards what follows
	st EndpointStats
}

func (ep *Endpoint) validate(sinks map[string]func(Endpoint) (Sink, error)) error {
	switch {
	case ep.ID == "" || len(ep.ID) > 256:
		return fmt.Errorf("%w: id: want 1..256 characters", ErrEndpoint)
	case sinks[ep.Kind] == nil:
		return fmt.Errorf("%w: kind %q: no sink of that kind", ErrEndpoint, ep.Kind)
	}
	for _, k := range ep.Kinds {
		if eventBit(k) == 0 {
			return fmt.Errorf("%w: kinds: unknown event %q", ErrEndpoint, k)
		}
	}
	return nil
}

// AddEndpoint registers an endpoint, stores it durably and starts delivering
// to it: events from now on, or every kept one with FromStart.
func (e *Engine) AddEndpoint(ep Endpoint) error {
	if err := ep.validate(e.cfg.Sinks); err != nil {
		return err
	}
	head, first, _ := e.ob.state()
	cursor := head
	if ep.FromStart {
		cursor = max(first, 1) - 1
	}
	ep.FromStart = false
	e.epMu.Lock()
	defer e.epMu.Unlock()
	if e.ctx.Err() != nil {
		return ErrClosed
	}
	if _, ok := e.endpoints[ep.ID]; ok || slices.ContainsFunc(e.dormant, func(s storedEndpoint) bool { return s.ID == ep.ID }) {
		return fmt.Errorf("%w: id %q: already exists", ErrEndpoint, ep.ID)
	}
	if err := e.startEndpoint(ep, EndpointStats{Cursor: cursor}); err != nil {
		return err
	}
	if err := e.saveEndpointsLocked(); err != nil {
		r := e.endpoints[ep.ID]
		delete(e.endpoints, ep.ID)
		r.cancel() // its loop ends on its own; Close waits for it
		return err
	}
	return nil
}

// RemoveEndpoint stops delivering to an endpoint and forgets it.
func (e *Engine) RemoveEndpoint(id string) error {
	e.epMu.Lock()
	r, ok := e.endpoints[id]
	if !ok {
		defer e.epMu.Unlock()
		n := len(e.dormant)
		e.dormant = slices.DeleteFunc(e.dormant, func(s storedEndpoint) bool { return s.ID == id })
		if len(e.dormant) == n {
			return fmt.Errorf("%w: %q", ErrNoEndpoint, id)
		}
		return e.saveEndpointsLocked()
	}
	delete(e.endpoints, id)
	err := e.saveEndpointsLocked()
	e.epMu.Unlock()
	// Not under epMu: the loop takes it to save its cursor.
	e.stopEndpoint(r)
	return err
}

// Endpoints lists the endpoints, sorted by id.
func (e *Engine) Endpoints() []Endpoint {
	e.epMu.Lock()
	defer e.epMu.Unlock()
	out := make([]Endpoint, 0, len(e.endpoints))
	for _, r := range e.endpoints {
		out = append(out, r.ep)
	}
	slices.SortFunc(out, func(a, b Endpoint) int { return cmpString(a.ID, b.ID) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// startEndpoint makes the sink and starts the loop. Must hold epMu.
func (e *Engine) startEndpoint(ep Endpoint, st EndpointStats) error {
	sink, err := e.cfg.Sinks[ep.Kind](ep)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrEndpoint, ep.ID, err)
	}
	st.ID, st.Kind = ep.ID, ep.Kind
	r := &endpoint{ep: ep, sink: sink, st: st, done: make(chan struct{})}
	for _, f := range ep.Fences {
		if r.fences == nil {
			r.fences = make(map[twin.ID]bool)
		}
		r.fences[f] = true
	}
	for _, k := range ep.Kinds {
		r.kinds |= eventBit(k)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	r.cancel = cancel
	e.endpoints[ep.ID] = r
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(r.done)
		e.deliver(ctx, r)
	}()
	return nil
}

func (e *Engine) stopEndpoint(r *endpoint) {
	r.cancel()
	<-r.done
	if c, ok := r.sink.(io.Closer); ok {
		c.Close()
	}
}

func (e *Engine) stopEndpoints() {
	e.epMu.Lock()
	rs := make([]*endpoint, 0, len(e.endpoints))
	for _, r := range e.endpoints {
		rs = append(rs, r)
	}
	e.epMu.Unlock()
	for _, r := range rs {
		e.stopEndpoint(r)
	}
}

func (e *Engine) endpointStats(head uint64) []EndpointStats {
	e.epMu.Lock()
	defer e.epMu.Unlock()
	out := make([]EndpointStats, 0, len(e.endpoints))
	for _, r := range e.endpoints {
		r.mu.Lock()
		st := r.st
		r.mu.Unlock()
		st.Lag = head - min(head, st.Cursor)
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b EndpointStats) int { return cmpString(a.ID, b.ID) })
	return out
}

// deliver is the loop of one endpoint: read after the cursor, filter, send,
// retry with backoff until acknowledged, advance the cursor.
func (e *Engine) deliver(ctx context.Context, r *endpoint) {
	r.mu.Lock()
	cursor := r.st.Cursor
	r.mu.Unlock()
	var batch []Event
	for ctx.Err() == nil {
		_, _, wake := e.ob.state()
		evs, err := e.ob.events(cursor, e.cfg.DeliveryBatch)
		if errors.Is(err, ErrCompacted) {
			_, first, _ := e.ob.state()
			r.mu.Lock()
			r.st.Dropped += first - 1 - cursor
			r.st.Cursor = first - 1
			r.mu.Unlock()
			e.log.Warn("fence: endpoint fell behind the outbox retention", "endpoint", r.ep.ID, "dropped", first-1-cursor)
			cursor = first - 1
			continue
		}
		if err != nil {
			e.log.Error("fence: read outbox", "endpoint", r.ep.ID, "err", err)
			if !sleep(ctx, e.cfg.RetryMax) {
				return
			}
			continue
		}
		if len(evs) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			continue
		}
		batch = batch[:0]
		for _, ev := range evs {
			if (r.fences == nil || r.fences[ev.Fence]) && (r.kinds == 0 || r.kinds.Has(eventBit(ev.Kind))) {
				batch = append(batch, ev)
			}
		}
		last := evs[len(evs)-1].Seq
		if len(batch) > 0 && !e.send(ctx, r, batch) {
			return
		}
		cursor = last
		r.mu.Lock()
		r.st.Cursor = cursor
		r.mu.Unlock()
		if len(batch) > 0 {
			e.epMu.Lock()
			err := e.saveEndpointsLocked()
			e.epMu.Unlock()
			if err != nil {
				e.log.Error("fence: save endpoint cursors", "err", err)
			}
		}
	}
}

// send delivers one batch until it is acknowledged or permanently refused;
// false means ctx ended first.
func (e *Engine) send(ctx context.Context, r *endpoint, batch []Event) bool {
	for attempt := 0; ; attempt++ {
		dctx, cancel := context.WithTimeout(ctx, e.cfg.DeliveryTimeout)
		err := r.sink.Deliver(dctx, batch)
		cancel()
		now := e.cfg.Now()
		if err == nil {
			r.mu.Lock()
			r.st.Delivered += uint64(len(batch))
			r.st.LastDelivery = now
			r.mu.Unlock()
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		r.mu.Lock()
		r.st.Failed++
		r.st.LastError, r.st.LastErrorAt = err.Error(), now
		if errors.Is(err, ErrPermanent) {
			r.st.DeadLettered += uint64(len(batch))
			r.mu.Unlock()
			e.log.Error("fence: delivery refused, events dead-lettered", "endpoint", r.ep.ID,
				"first_seq", batch[0].Seq, "last_seq", batch[len(batch)-1].Seq, "err", err)
			return true
		}
		r.mu.Unlock()
		wait := backoff(e.cfg.RetryBase, e.cfg.RetryMax, attempt)
		var ra retryAfterer
		if errors.As(err, &ra) && ra.RetryAfter() > wait {
			wait = min(ra.RetryAfter(), e.cfg.RetryMax)
		}
		e.log.Warn("fence: delivery failed, retrying", "endpoint", r.ep.ID, "attempt", attempt+1, "wait", wait, "err", err)
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// backoff is base·2^attempt capped at max, with "equal jitter": between half
// and all of it, so that endpoints failing together do not retry together.
func backoff(base, max time.Duration, attempt int) time.Duration {
	d := max
	if attempt < 30 {
		d = min(base<<attempt, max)
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// endpointsFile is the JSON of Dir/endpoints.json.
type endpointsFile struct {
	Endpoints []storedEndpoint `json:"endpoints"`
}

type storedEndpoint struct {
	Endpoint
	Cursor       uint64 `json:"cursor"`
	Delivered    uint64 `json:"delivered"`
	DeadLettered uint64 `json:"dead_lettered"`
	Dropped      uint64 `json:"dropped"`
}

func (e *Engine) endpointsPath() string { return filepath.Join(e.cfg.Dir, "endpoints.json") }

func (e *Engine) saveEndpoints() error {
	e.epMu.Lock()
	defer e.epMu.Unlock()
	return e.saveEndpointsLocked()
}

func (e *Engine) saveEndpointsLocked() error {
	var f endpointsFile
	for _, r := range e.endpoints {
		r.mu.Lock()
		f.Endpoints = append(f.Endpoints, storedEndpoint{Endpoint: r.ep, Cursor: r.st.Cursor,
			Delivered: r.st.Delivered, DeadLettered: r.st.DeadLettered, Dropped: r.st.Dropped})
		r.mu.Unlock()
	}
	f.Endpoints = append(f.Endpoints, e.dormant...)
	slices.SortFunc(f.Endpoints, func(a, b storedEndpoint) int { return cmpString(a.ID, b.ID) })
	return writeAtomic(e.endpointsPath(), func(w *os.File) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&f)
	})
}

func (e *Engine) loadEndpoints() error {
	data, err := os.ReadFile(e.endpointsPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load endpoints: %w", err)
	}
	var f endpointsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("load endpoints: %s: %w", e.endpointsPath(), err)
	}
	e.epMu.Lock()
	defer e.epMu.Unlock()
	for _, s := range f.Endpoints {
		st := EndpointStats{Cursor: s.Cursor, Delivered: s.Delivered, DeadLettered: s.DeadLettered, Dropped: s.Dropped}
		err := s.Endpoint.validate(e.cfg.Sinks)
		if err == nil {
			err = e.startEndpoint(s.Endpoint, st)
		}
		if err != nil {
			// Kept in the file (a sink kind not wired in this run, say), not run.
			e.log.Error("fence: stored endpoint not started", "endpoint", s.ID, "err", err)
			e.dormant = append(e.dormant, s)
		}
	}
	return nil
}
