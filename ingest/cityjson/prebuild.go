package cityjson

import (
	"math"
	"sync"
	"sync/atomic"
)

// A document's city objects come before its vertices, and its geometries are
// built only once all are read (see build). While the scanner reads on, a
// prebuilder builds the geometries of the objects read so far on another
// core, as if every vertex index were in range; build takes such a geometry
// when it is (which makes it the one build would have made) and builds the
// others itself. What the scanner has read by the time it ends is left to
// build, on all cores.
type prebuilder struct {
	objs chan *objectJSON
	stop atomic.Bool
	wg   sync.WaitGroup
}

// prebuilt is a geometry built ahead: valid when ok, for a block at vertex 0
// with more than max vertices.
type prebuilt struct {
	geom Geometry
	max  int
	ok   bool
}

// startPrebuild starts the goroutine; close stops it and waits for it.
func startPrebuild() *prebuilder {
	p := &prebuilder{objs: make(chan *objectJSON, 4096)}
	p.wg.Go(func() {
		for oj := range p.objs {
			if p.stop.Load() {
				continue // drain: build does the rest
			}
			pre := make([]prebuilt, len(oj.Geometry))
			for gi := range oj.Geometry {
				g := &oj.Geometry[gi]
				if g.Type == "GeometryInstance" {
					continue
				}
				geom, hi, err := buildGeometryMax(g, 0, math.MaxInt)
				pre[gi] = prebuilt{geom: geom, max: hi, ok: err == nil}
			}
			oj.pre = pre
		}
	})
	return p
}

// add hands an object to the prebuilder, unless it is behind.
func (p *prebuilder) add(oj *objectJSON) {
	select {
	case p.objs <- oj:
	default:
	}
}

func (p *prebuilder) close() {
	p.stop.Store(true)
	close(p.objs)
	p.wg.Wait()
}

// built is the prebuilt geometry gi of oj for a block at base of n
// vertices, if there is one.
func (oj *objectJSON) built(gi, base, n int) (Geometry, bool) {
	if base != 0 || gi >= len(oj.pre) {
		return Geometry{}, false
	}
	p := &oj.pre[gi]
	if !p.ok || p.max >= n {
		return Geometry{}, false
	}
	return p.geom, true
}
