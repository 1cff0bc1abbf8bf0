package mqtt

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// mochiLog is the slog handler given to mochi: Warn and above only, and without
// mochi's "publish packet error" record, which mochi writes at Error for every
// reason code our hook returns on purpose (quota exceeded, payload format
// invalid); the hook counts those and the dead letters keep them.
type mochiLog struct{ h slog.Handler }

func newMochiLogger(log *slog.Logger) *slog.Logger {
	return slog.New(mochiLog{log.Handler()}).With("component", "mochi")
}

func (m mochiLog) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && m.h.Enabled(ctx, l)
}

func (m mochiLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "publish packet error" {
		return nil
	}
	return m.h.Handle(ctx, r)
}

func (m mochiLog) WithAttrs(as []slog.Attr) slog.Handler { return mochiLog{m.h.WithAttrs(as)} }
func (m mochiLog) WithGroup(name string) slog.Handler    { return mochiLog{m.h.WithGroup(name)} }

// every lets one log line through per interval and counts the ones it held
// back, so that a flood of identical warnings (an overloaded twin refusing
// thousands of messages a second) costs one line a second.
type every struct {
	interval   time.Duration
	next       atomic.Int64 // unix nanoseconds of the next allowed line
	suppressed atomic.Int64
}

// allow says whether to log now, and how many lines were held back since the
// last one that was logged.
func (e *every) allow() (bool, int64) {
	now := time.Now().UnixNano()
	next := e.next.Load()
	if now < next || !e.next.CompareAndSwap(next, now+int64(e.interval)) {
		e.suppressed.Add(1)
		return false, 0
	}
	return true, e.suppressed.Swap(0)
}
