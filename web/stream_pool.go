package web

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// writerPool writes the rounds out: a few goroutines (GOMAXPROCS/2) that take
// the round's clients in order, each building a client's frames and writing
// them with one non-blocking system call. Waking a writer goroutine per
// client cost a switch apiece, and the scheduler ran them in no particular
// order, so a client written first in one round could be written last in
// the next: its updates waited a round period and a whole write-out. A client whose socket cannot take all of it
// keeps the rest for its own writer goroutine, which waits for the socket
// (up to WriteTimeout) while the pool goes on; its pending state conflates
// meanwhile, as before. The hub run owns the pool: it starts and stops it.
type writerPool struct {
	work chan *poolRound
	done chan struct{} // a round has been written out; cap 1
	wg   sync.WaitGroup
	keys []roundKey
}

// poolRound is one round's clients, oldest write first, shared by the
// workers.
type poolRound struct {
	cs   []*streamClient
	next atomic.Int64
	left atomic.Int32 // workers still at it
}

type roundKey struct {
	at uint64
	c  *streamClient
}

func newWriterPool() *writerPool {
	// Half the cores: the rest route the feed and run the twin. With two
	// cores and 10,000 clients a second writer made the rounds slower; with
	// 3,000 (spare cores) it wrote them out faster.
	n := max(1, runtime.GOMAXPROCS(0)/2)
	p := &writerPool{work: make(chan *poolRound, n), done: make(chan struct{}, 1)}
	for range n {
		p.wg.Go(p.worker)
	}
	return p
}

// stop ends the workers and waits for them; a round in progress finishes
// first (its writes do not block).
func (p *writerPool) stop() {
	close(p.work)
	p.wg.Wait()
}

// start hands a round to the workers, the clients written longest ago first,
// so that every client is written about once a round period, whatever its
// place in the round. It reports on done when the round is out.
func (p *writerPool) start(cs []*streamClient) {
	p.keys = p.keys[:0]
	for _, c := range cs {
		p.keys = append(p.keys, roundKey{c.flushed.Load(), c})
	}
	slices.SortFunc(p.keys, func(a, b roundKey) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	for i, k := range p.keys {
		cs[i] = k.c
	}
	clear(p.keys)
	n := cap(p.work)
	rd := &poolRound{cs: cs}
	rd.left.Store(int32(n))
	for range n {
		p.work <- rd
	}
}

func (p *writerPool) worker() {
	for rd := range p.work {
		for {
			i := rd.next.Add(1) - 1
			if i >= int64(len(rd.cs)) {
				break
			}
			rd.cs[i].roundWrite()
		}
		if rd.left.Add(-1) == 0 {
			p.done <- struct{}{}
		}
	}
}

// roundWrite writes a client's deltas from a pool worker. A client whose
// writer goroutine is busy (a snapshot, a write the socket has not taken
// yet), or whose socket does not take the whole write, is left to that
// goroutine, and so is a failure, which ends the stream.
func (c *streamClient) roundWrite() {
	if !c.wmu.TryLock() {
		c.notify()
		return
	}
	w := c.w
	if w.ended {
		c.wmu.Unlock()
		return
	}
	done := false
	if len(w.wbuf) == 0 && w.err == nil {
		if w.err = w.flush(); w.err == nil {
			done = w.tryWrite()
		}
	}
	c.wmu.Unlock()
	if !done {
		c.notify()
	}
}
