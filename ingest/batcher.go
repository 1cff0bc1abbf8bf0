package ingest

import (
	"context"
	"errors"
	"sync"

	"citytwin/twin"
)

// Batcher is the Sink in front of a store: it gathers the ops of concurrent
// submitters (MQTT clients, HTTP requests) into batches, so that a thousand
// small messages cost one lock, one log record and one wait instead of a
// thousand. A batch holds what is queued when a worker becomes free, so under
// light load a message waits for nobody and under heavy load batches grow.
type Batcher struct {
	store *twin.Store
	cfg   BatcherConfig
	queue chan *submission
	wg    sync.WaitGroup
	once  sync.Once
	stop  chan struct{}
	// mu keeps Submit from queueing after Close has drained the queue.
	mu     sync.RWMutex
	closed bool
}

// BatcherConfig sizes a Batcher.
type BatcherConfig struct {
	Workers     int // batches in flight at once (default 4): one applies while others wait on the log
	MaxBatchOps int // ops in one batch at most (default 20,000)
	QueueLen    int // submissions waiting for a worker (default 4,096)
}

// DefaultBatcherConfig returns the defaults.
func DefaultBatcherConfig() BatcherConfig {
	return BatcherConfig{Workers: 16, MaxBatchOps: 20_000, QueueLen: 4096}
}

// Validate checks the config.
func (c BatcherConfig) Validate() error {
	if c.Workers < 1 || c.MaxBatchOps < 1 || c.QueueLen < 1 {
		return errors.New("ingest: batcher needs workers, batch size and queue length >= 1")
	}
	return nil
}

type submission struct {
	ops  []twin.Op
	errs []error
	err  error
	done chan struct{}
}

// ErrClosed is returned by a closed Batcher.
var ErrClosed = errors.New("ingest: closed")

// NewBatcher starts a batcher's workers; Close stops them.
func NewBatcher(store *twin.Store, cfg BatcherConfig) (*Batcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Batcher{store: store, cfg: cfg, queue: make(chan *submission, cfg.QueueLen), stop: make(chan struct{})}
	b.wg.Add(cfg.Workers)
	for range cfg.Workers {
		go b.work()
	}
	return b, nil
}

// Submit implements Sink.
func (b *Batcher) Submit(ctx context.Context, ops []twin.Op) ([]error, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	if b.store.Overloaded() {
		return nil, ErrOverloaded
	}
	sub := &submission{ops: ops, done: make(chan struct{})}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return nil, ErrClosed
	}
	select {
	case b.queue <- sub:
	default:
		b.mu.RUnlock()
		return nil, ErrOverloaded // every worker busy and the queue full
	}
	b.mu.RUnlock()
	select {
	case <-sub.done:
		return sub.errs, sub.err
	case <-ctx.Done():
		// The ops may still apply; the caller must not acknowledge them.
		return nil, ctx.Err()
	}
}

func (b *Batcher) work() {
	defer b.wg.Done()
	var (
		subs []*submission
		ops  []twin.Op
	)
	for {
		var first *submission
		select {
		case first = <-b.queue:
		case <-b.stop:
			return
		}
		subs, ops = append(subs[:0], first), append(ops[:0], first.ops...)
	gather:
		for len(ops) < b.cfg.MaxBatchOps {
			select {
			case s := <-b.queue:
				subs = append(subs, s)
				ops = append(ops, s.ops...)
			default:
				break gather
			}
		}
		b.apply(subs, ops)
		clear(ops) // let the ops' entities go
	}
}

func (b *Batcher) apply(subs []*submission, ops []twin.Op) {
	// The batch's waits are not tied to one submitter's context: the others
	// still want their answer when one gives up.
	errs, _, err := b.store.ApplyEach(context.Background(), ops)
	at := 0
	for _, s := range subs {
		n := len(s.ops)
		if err != nil {
			s.err = err
		} else {
			s.errs = errs[at : at+n : at+n]
		}
		at += n
		close(s.done)
	}
}

// Close stops the workers after the batches in progress; queued submissions
// not yet taken get ErrClosed.
func (b *Batcher) Close() error {
	b.once.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		close(b.stop)
		b.wg.Wait()
		for {
			select {
			case s := <-b.queue:
				s.err = ErrClosed
				close(s.done)
			default:
				return
			}
		}
	})
	return nil
}
