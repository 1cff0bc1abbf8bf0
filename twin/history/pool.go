package history

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
)

// pool is a small set of connections for the Reader: pgx.Conn serves one
// query at a time.
type pool struct {
	dsn  string
	free chan *pgx.Conn
	slot chan struct{} // a token per connection that may exist

	mu     sync.Mutex
	closed bool
}

func newPool(dsn string, size int) *pool {
	p := &pool{dsn: dsn, free: make(chan *pgx.Conn, size), slot: make(chan struct{}, size)}
	for range size {
		p.slot <- struct{}{}
	}
	return p
}

var errPoolClosed = errors.New("history: reader closed")

// with runs fn on a connection, opening one when none is free; a connection
// that fails is closed rather than reused.
func (p *pool) with(ctx context.Context, fn func(*pgx.Conn) error) error {
	var conn *pgx.Conn
	select {
	case conn = <-p.free:
	case <-p.slot:
		c, err := pgx.Connect(ctx, p.dsn)
		if err != nil {
			p.slot <- struct{}{}
			return fmt.Errorf("history: connect: %w", err)
		}
		conn = c
	case <-ctx.Done():
		return ctx.Err()
	}
	err := fn(conn)
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed || (err != nil && (conn.IsClosed() || conn.PgConn().IsBusy() || !safeErr(err))) {
		conn.Close(context.WithoutCancel(ctx))
		p.slot <- struct{}{}
		return err
	}
	p.free <- conn
	return err
}

// safeErr reports errors after which the connection is still good.
func safeErr(err error) bool {
	return errors.Is(err, errUnsupported) || errors.Is(err, errNoChannel)
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for {
		select {
		case c := <-p.free:
			c.Close(context.Background())
			p.slot <- struct{}{}
		default:
			return
		}
	}
}
