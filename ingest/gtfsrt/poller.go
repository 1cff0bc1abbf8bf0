package gtfsrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ErrRunning is returned by Run when the poller already runs.
var ErrRunning = errors.New("gtfsrt: poller already running")

// PollerConfig says what to poll and how often.
type PollerConfig struct {
	// URL is an http or https URL, a file:// URL, or a file path.
	URL string
	// Interval between polls (default 30 s, the freshness GTFS-realtime asks
	// of feeds).
	Interval time.Duration
	// Timeout of one request (default 10 s). Ignored when Client is set.
	Timeout time.Duration
	// Client makes the requests; nil means an http.Client with Timeout.
	Client *http.Client
	// Options are the decode options. Feed defaults to URL; a zero Now means
	// the time of each poll.
	Options Options
	// Logger gets poll errors (keys "feed", "err"); nil discards them.
	Logger *slog.Logger
}

// DefaultPollerConfig returns a config with the default interval and timeout.
func DefaultPollerConfig(url string) PollerConfig {
	return PollerConfig{URL: url, Interval: 30 * time.Second, Timeout: 10 * time.Second}
}

// Validate reports a config that can never work.
func (c PollerConfig) Validate() error {
	switch {
	case c.URL == "":
		return fmt.Errorf("%w: poller without a URL", ErrBadOptions)
	case c.Interval < 0 || c.Timeout < 0:
		return fmt.Errorf("%w: negative interval or timeout", ErrBadOptions)
	}
	return c.Options.Validate()
}

// PollerStats count what a poller did.
type PollerStats struct {
	Polls       uint64 // polls made
	Updates     uint64 // new feeds decoded and handed to the callback
	NotModified uint64 // polls answered 304, or a file that did not change
	Stale       uint64 // feeds whose header timestamp did not advance
	Errors      uint64 // failed fetches, bad feeds and callback errors
}

// Poller fetches a GTFS-realtime feed every interval and hands each new decoded
// feed to a callback. It starts no goroutines: Run loops on the caller's
// goroutine and returns when its context is done, so whoever calls Run owns the
// loop and stops it by cancelling. Poll and Stats are safe to call
// concurrently; polls never overlap.
type Poller struct {
	cfg    PollerConfig
	handle func(context.Context, Result) error
	client *http.Client
	log    *slog.Logger
	file   string // the path when polling a file

	running atomic.Bool
	stats   struct{ polls, updates, notModified, stale, errors atomic.Uint64 }

	mu sync.Mutex // serialises polls; guards the validators below
	// What the last good fetch said, to ask for and detect a change.
	etag, lastModified string
	fileMod            time.Time
	fileSize           int64
	lastHeader         time.Time
}

// NewPoller makes a poller that calls handle with each new feed. handle runs on
// the poller's loop, so a slow handle delays the next poll; its error is logged
// and counted, and polling goes on.
func NewPoller(cfg PollerConfig, handle func(context.Context, Result) error) (*Poller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if handle == nil {
		return nil, fmt.Errorf("%w: poller without a callback", ErrBadOptions)
	}
	if cfg.Interval == 0 {
		cfg.Interval = 30 * time.Second
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Options.Feed == "" {
		cfg.Options.Feed = cfg.URL
	}
	p := &Poller{cfg: cfg, handle: handle, client: cfg.Client, log: cfg.Logger}
	if p.client == nil {
		p.client = &http.Client{Timeout: cfg.Timeout}
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	switch u, err := url.Parse(cfg.URL); {
	case err == nil && (u.Scheme == "http" || u.Scheme == "https"):
	case err == nil && u.Scheme == "file":
		p.file = u.Path
	default:
		p.file = cfg.URL
	}
	return p, nil
}

// Run polls at once and then every interval until ctx is done, when it returns
// nil. It returns ErrRunning if the poller already runs.
func (p *Poller) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer p.running.Store(false)
	tick := time.NewTicker(p.cfg.Interval)
	defer tick.Stop()
	for {
		p.step(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// step makes one poll and hands a new feed on.
func (p *Poller) step(ctx context.Context) {
	r, fresh, err := p.Poll(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.stats.errors.Add(1)
			p.log.Warn("gtfs-rt poll failed", "feed", p.cfg.URL, "err", err)
		}
		return
	}
	if !fresh {
		return
	}
	if err := p.handle(ctx, r); err != nil {
		p.stats.errors.Add(1)
		p.log.Warn("gtfs-rt feed not taken", "feed", p.cfg.URL, "err", err)
	}
}

// Poll fetches and decodes the feed once. fresh is false, with no error, when the
// feed did not change: a 304, a file with the same time and size, or a header
// timestamp that did not advance.
func (p *Poller) Poll(ctx context.Context) (r Result, fresh bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.polls.Add(1)
	var (
		data  []byte
		after func() // records the validators once the feed decoded
	)
	if p.file != "" {
		data, after, err = p.readFile()
	} else {
		data, after, err = p.fetch(ctx)
	}
	if err != nil || data == nil {
		return Result{}, false, err
	}
	r, err = Decode(data, p.cfg.Options)
	if err != nil {
		return Result{}, false, fmt.Errorf("%s: %w", p.cfg.URL, err)
	}
	after()
	if ts := r.Header.Timestamp; !ts.IsZero() {
		if !ts.After(p.lastHeader) {
			p.stats.stale.Add(1)
			return Result{}, false, nil
		}
		p.lastHeader = ts
	}
	p.stats.updates.Add(1)
	return r, true, nil
}

// fetch gets the feed over HTTP; data is nil when the server says it did not
// change.
func (p *Poller) fetch(ctx context.Context) ([]byte, func(), error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.URL, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/x-protobuf, application/octet-stream")
	if p.etag != "" {
		req.Header.Set("If-None-Match", p.etag)
	}
	if p.lastModified != "" {
		req.Header.Set("If-Modified-Since", p.lastModified)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		p.stats.notModified.Add(1)
		return nil, nil, nil
	default:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, nil, fmt.Errorf("%s: HTTP %s", p.cfg.URL, resp.Status)
	}
	data, err := p.readAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	return data, func() { p.etag, p.lastModified = etag, lm }, nil
}

// readFile reads the feed from a file; data is nil when the file has the same
// modification time and size as at the last good read.
func (p *Poller) readFile() ([]byte, func(), error) {
	f, err := os.Open(p.file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.ModTime().Equal(p.fileMod) && st.Size() == p.fileSize {
		p.stats.notModified.Add(1)
		return nil, nil, nil
	}
	data, err := p.readAll(f)
	if err != nil {
		return nil, nil, err
	}
	return data, func() { p.fileMod, p.fileSize = st.ModTime(), st.Size() }, nil
}

func (p *Poller) readAll(r io.Reader) ([]byte, error) {
	limit := p.cfg.Options.MaxBytes
	if limit == 0 {
		limit = DefaultMaxBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.cfg.URL, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", p.cfg.URL, ErrTooLarge, limit)
	}
	return data, nil
}

// Stats returns the counts so far.
func (p *Poller) Stats() PollerStats {
	return PollerStats{
		Polls:       p.stats.polls.Load(),
		Updates:     p.stats.updates.Load(),
		NotModified: p.stats.notModified.Load(),
		Stale:       p.stats.stale.Load(),
		Errors:      p.stats.errors.Load(),
	}
}
