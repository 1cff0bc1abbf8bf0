package cityjson

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// A CityJSONSeq stream is one feature a line, so its lines can be parsed on
// all cores; only adding them to the vertex pool and the objects is left, in
// order, to one goroutine. The result is what reading the lines one after the
// other gives (see Decode): a stream that is not one well-formed value a line
// (a line that does not parse, a value over several lines or several on one)
// is read line by line instead, so that its rejects are the same.

// streamLines is false to read every stream line by line (for tests).
var streamLines = true

// parsedLine is one feature line parsed ahead.
type parsedLine struct {
	doc   *docJSON
	verts []float64 // its vertices, not yet transformed
	vErr  error     // why its vertices do not parse
}

// stream reads the features after the header, from sc's position, with the
// lines parsed in parallel. It is false, with nothing done, when the stream is
// not one well-formed value a line.
func (b *builder) stream(ctx context.Context, sc *scanner) (bool, error) {
	data := sc.b
	var starts, ends []int
	for a := sc.i; a < len(data); {
		e := len(data)
		if n := bytes.IndexByte(data[a:], '\n'); n >= 0 {
			e = a + n
		}
		if !blank(data[a:e]) {
			starts, ends = append(starts, a), append(ends, e)
		}
		a = e + 1
	}
	lines := make([]parsedLine, len(starts))
	var bad atomic.Bool
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(lines)/32+1)
	const chunk = 16
	for range workers {
		wg.Go(func() {
			s := scanner{b: data, intern: map[string]any{}}
			for !bad.Load() && ctx.Err() == nil {
				k0 := int(next.Add(chunk)) - chunk
				if k0 >= len(lines) {
					return
				}
				for k := k0; k < min(k0+chunk, len(lines)); k++ {
					s.i = starts[k]
					d, err := s.doc()
					if err != nil || s.i > ends[k] || !blank(data[s.i:ends[k]]) {
						bad.Store(true)
						return
					}
					l := &lines[k]
					l.doc = d
					if d.Type == "CityJSONFeature" {
						l.verts, l.vErr = parseVertices(d.Vertices, nil)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if bad.Load() {
		return false, nil
	}
	total := 0
	for _, l := range lines {
		total += len(l.verts)
	}
	b.grow(total) // once, for the vertices of all lines
	for k := range lines {
		b.res.Meta.Seq = true
		line := k + 2
		if err := ctx.Err(); err != nil {
			return true, err
		}
		if line%256 == 0 {
			b.progress(ends[k])
		}
		l := &lines[k]
		if l.doc.Type != "CityJSONFeature" {
			b.res.Rejects = append(b.res.Rejects, Reject{ID: l.doc.ID, Line: line, Reason: fmt.Sprintf("type %q, want CityJSONFeature", l.doc.Type)})
			continue
		}
		if err := b.blockParsed(ctx, l.doc, line, l.verts, l.vErr); err != nil {
			return true, err
		}
		lines[k] = parsedLine{} // let the collector have what was copied
	}
	sc.i = len(data)
	return true, nil
}

// blank says whether b is only white space.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
