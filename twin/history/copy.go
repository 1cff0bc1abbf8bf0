package history

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
)

// copyBuf builds the binary COPY format by hand: a row is a field count and,
// per field, a length and the value in PostgreSQL's binary form. Writing it
// directly costs no allocation per row, which is what lets one connection take
// hundreds of thousands of observations a second.
type copyBuf struct {
	b    []byte
	rows int
}

var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func (c *copyBuf) reset() {
	c.b = append(c.b[:0], copyHeader...)
	c.rows = 0
}

func (c *copyBuf) row(fields int) {
	if len(c.b) == 0 {
		c.b = append(c.b, copyHeader...)
	}
	c.b = binary.BigEndian.AppendUint16(c.b, uint16(fields))
	c.rows++
}

func (c *copyBuf) null() { c.b = binary.BigEndian.AppendUint32(c.b, math.MaxUint32) }

func (c *copyBuf) int4(v int32) {
	c.b = binary.BigEndian.AppendUint32(c.b, 4)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(v))
}

func (c *copyBuf) int8(v int64) {
	c.b = binary.BigEndian.AppendUint32(c.b, 8)
	c.b = binary.BigEndian.AppendUint64(c.b, uint64(v))
}

func (c *copyBuf) float8(v float64) {
	c.b = binary.BigEndian.AppendUint32(c.b, 8)
	c.b = binary.BigEndian.AppendUint64(c.b, math.Float64bits(v))
}

func (c *copyBuf) bool(v bool) {
	c.b = binary.BigEndian.AppendUint32(c.b, 1)
	if v {
		c.b = append(c.b, 1)
	} else {
		c.b = append(c.b, 0)
	}
}

// bytes writes text, bytea or geometry (EWKB); nil is NULL.
func (c *copyBuf) bytes(v []byte) {
	if v == nil {
		c.null()
		return
	}
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(v)))
	c.b = append(c.b, v...)
}

func (c *copyBuf) text(s string) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(s)))
	c.b = append(c.b, s...)
}

// jsonb writes a JSON document in jsonb's binary form (version 1, then text);
// nil is NULL.
func (c *copyBuf) jsonb(v []byte) {
	if v == nil {
		c.null()
		return
	}
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(v)+1))
	c.b = append(c.b, 1)
	c.b = append(c.b, v...)
}

// send copies the rows into table (columns as given) on tx's connection.
func (c *copyBuf) send(ctx context.Context, tx pgx.Tx, table string) (int64, error) {
	if c.rows == 0 {
		return 0, nil
	}
	c.b = binary.BigEndian.AppendUint16(c.b, math.MaxUint16) // -1: the end
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(c.b), "COPY "+table+" FROM STDIN (FORMAT binary)")
	if err != nil {
		return 0, fmt.Errorf("copy into %s: %w", table, err)
	}
	return tag.RowsAffected(), nil
}
