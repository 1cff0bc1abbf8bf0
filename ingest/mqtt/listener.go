package mqtt

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/listeners"
)

// handshakeTimeout bounds the wait for a new connection's CONNECT packet; mochi
// sets no deadline until it has read one, so without this a silent connection
// would hold its goroutine, and Close, forever.
const handshakeTimeout = 10 * time.Second

// listener is the broker's TCP listener. Unlike mochi's own it is bound before
// the broker starts (so Addr knows the port), it keeps accepting after a
// transient Accept error, and Close waits for every connection goroutine.
type listener struct {
	id  string
	ln  net.Listener
	log *slog.Logger

	mu     sync.Mutex // guards closed, conns and wg.Add
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup // Serve and one per connection
}

var _ listeners.Listener = (*listener)(nil)

func newListener(id string, ln net.Listener, log *slog.Logger) *listener {
	return &listener{id: id, ln: ln, log: log, conns: make(map[net.Conn]struct{})}
}

func (l *listener) ID() string                { return l.id }
func (l *listener) Address() string           { return l.ln.Addr().String() }
func (l *listener) Protocol() string          { return "tcp" }
func (l *listener) Init(_ *slog.Logger) error { return nil } // bound in Broker.Start

// Serve accepts connections until Close and hands each to mochi's establish,
// which reads the client's packets until the connection ends.
func (l *listener) Serve(establish listeners.EstablishFn) {
	if !l.add(nil) {
		return
	}
	defer l.wg.Done()
	bo := backoff{min: 5 * time.Millisecond, max: time.Second}
	fails := 0
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if l.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// e.g. EMFILE: wait for connections to end rather than stop serving
			l.log.Warn("mqtt accept failed", "err", err)
			time.Sleep(bo.delay(fails))
			fails++
			continue
		}
		fails = 0
		if !l.add(conn) {
			conn.Close()
			return
		}
		go func() {
			defer l.wg.Done()
			defer l.remove(conn)
			_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
			if err := establish(l.id, conn); err != nil {
				// most are ordinary ends of a connection (EOF, a refused CONNECT)
				l.log.Debug("mqtt connection ended", "remote", conn.RemoteAddr().String(), "err", err)
			}
		}()
	}
}

// add registers Serve (conn nil) or a connection with the wait group, unless the
// listener is closed.
func (l *listener) add(conn net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	if conn != nil {
		l.conns[conn] = struct{}{}
	}
	return true
}

func (l *listener) remove(conn net.Conn) {
	l.mu.Lock()
	delete(l.conns, conn)
	l.mu.Unlock()
	conn.Close()
}

func (l *listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Close stops accepting, lets mochi disconnect its clients (closeClients sends
// MQTT 5 clients a DISCONNECT), closes whatever connection is left (those still
// in their handshake) and waits for every connection goroutine.
func (l *listener) Close(closeClients listeners.CloseFn) {
	l.mu.Lock()
	already := l.closed
	l.closed = true
	l.mu.Unlock()
	if already {
		return
	}
	_ = l.ln.Close()
	closeClients(l.id)
	l.mu.Lock()
	for c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}
