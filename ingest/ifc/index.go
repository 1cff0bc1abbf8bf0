package ifc

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Reject is a statement or an object that was skipped, with why.
type Reject struct {
	Line   int    `json:"line,omitempty"`
	ID     uint64 `json:"id,omitempty"` // STEP entity id (#n), 0 when unknown
	Reason string `json:"reason"`
}

func (r Reject) String() string {
	switch {
	case r.Line > 0 && r.ID > 0:
		return fmt.Sprintf("line %d #%d: %s", r.Line, r.ID, r.Reason)
	case r.Line > 0:
		return fmt.Sprintf("line %d: %s", r.Line, r.Reason)
	case r.ID > 0:
		return fmt.Sprintf("#%d: %s", r.ID, r.Reason)
	}
	return r.Reason
}

// maxRejects bounds the rejects kept for a hostile file; the count goes on.
const maxRejects = 1000

// File is a parsed STEP file: its header and every instance by id.
type File struct {
	Header    Header
	Instances []Instance
	Rejects   []Reject
	Rejected  int // all rejects, also those beyond the kept ones
	Bytes     int64

	// Ids are usually dense: dense[id] is index+1; sparse ones go to index.
	dense []int32
	index map[uint64]int32
}

func (f *File) lookup(id uint64) (int32, bool) {
	if id < uint64(len(f.dense)) {
		if i := f.dense[id]; i > 0 {
			return i - 1, true
		}
	}
	i, ok := f.index[id]
	return i, ok
}

func (f *File) put(id uint64, i int32) {
	if id < uint64(4*len(f.Instances)+1<<12) {
		if id >= uint64(len(f.dense)) {
			n := max(2*len(f.dense), int(id)+1)
			f.dense = append(f.dense, make([]int32, n-len(f.dense))...)
		}
		f.dense[id] = i + 1
		return
	}
	f.index[id] = i
}

func (f *File) reject(r Reject) {
	f.Rejected++
	if len(f.Rejects) < maxRejects {
		f.Rejects = append(f.Rejects, r)
	}
}

// Get is the instance #id, nil when there is none (a dangling reference).
func (f *File) Get(id uint64) *Instance {
	i, ok := f.lookup(id)
	if !ok {
		return nil
	}
	return &f.Instances[i]
}

// Deref follows a reference value; nil for anything else or a dangling one.
func (f *File) Deref(v Value) *Instance {
	if v.Kind != Ref {
		return nil
	}
	return f.Get(v.Ref)
}

// Parse reads a whole STEP file. Bad statements become rejects; only a file
// that is not STEP at all, a read error or a cancelled ctx is an error.
func Parse(ctx context.Context, r io.Reader) (*File, error) {
	cr := &countReader{r: r}
	d := newDecoder(cr, bufferSize(r))
	f := &File{index: map[uint64]int32{}}
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		in, err := d.Next()
		if err != nil {
			var se *SyntaxError
			switch {
			case errors.As(err, &se):
				f.reject(Reject{Line: se.Line, ID: se.ID, Reason: se.Msg})
				continue
			case errors.Is(err, io.EOF):
			case errors.Is(err, ErrNoEnd):
				f.reject(Reject{Reason: err.Error()})
			default:
				return nil, err
			}
			break
		}
		if _, dup := f.lookup(in.ID); dup {
			f.reject(Reject{Line: in.Line, ID: in.ID, Reason: "duplicate entity id"})
			continue
		}
		f.put(in.ID, int32(len(f.Instances)))
		f.Instances = append(f.Instances, in)
	}
	f.Header = d.Header
	f.Bytes = cr.n
	return f, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
