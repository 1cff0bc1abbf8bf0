package wal

import "sync/atomic"

// signal wakes every goroutine waiting on it: broadcast closes the current channel
// and installs a fresh one. A waiter takes the channel, then checks its condition,
// then blocks; since the publisher changes the condition before broadcasting, no
// wake-up is lost. Waiting costs one channel receive, however many goroutines wait.
type signal struct {
	ch atomic.Pointer[chan struct{}]
}

func newSignal() *signal {
	s := &signal{}
	c := make(chan struct{})
	s.ch.Store(&c)
	return s
}

// wait returns the channel the next broadcast closes.
func (s *signal) wait() <-chan struct{} { return *s.ch.Load() }

func (s *signal) broadcast() {
	c := make(chan struct{})
	close(*s.ch.Swap(&c))
}
