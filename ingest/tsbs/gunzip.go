package tsbs

import (
	"errors"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// gzipMagic starts every gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

const (
	gunzipBlock  = 256 << 10 // bytes a block of decompressed text
	gunzipBlocks = 8         // blocks in flight between the two goroutines
)

var errReaderClosed = errors.New("tsbs: reader closed")

// gunzipper decompresses in its own goroutine, a few blocks ahead of the parser,
// so that decompression and parsing run on two cores. It hands full blocks to
// the parser and takes them back empty, so it allocates nothing after start.
type gunzipper struct {
	full chan []byte // decompressed blocks, in order; closed at the end
	free chan []byte // blocks the parser is done with
	stop chan struct{}
	done chan struct{} // closed when the goroutine has returned
	once sync.Once

	err error // why full was closed (io.EOF at the end); written before the close

	blk, cur []byte // the block being read and its unread part
}

// startGunzip starts decompressing zr; stop it with close.
func startGunzip(zr *gzip.Reader) *gunzipper {
	g := &gunzipper{
		full: make(chan []byte, gunzipBlocks),
		free: make(chan []byte, gunzipBlocks),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range gunzipBlocks {
		g.free <- make([]byte, gunzipBlock)
	}
	go g.run(zr)
	return g
}

func (g *gunzipper) run(zr *gzip.Reader) {
	defer close(g.done)
	defer close(g.full)
	for {
		var b []byte
		select {
		case <-g.stop:
			g.err = errReaderClosed
			return
		default:
		}
		select {
		case b = <-g.free:
		case <-g.stop:
			g.err = errReaderClosed
			return
		}
		b = b[:cap(b)]
		n, err := 0, error(nil)
		for n < len(b) && err == nil {
			var k int
			k, err = zr.Read(b[n:])
			n += k
		}
		if n > 0 {
			g.full <- b[:n] // never blocks: full has room for every block
		}
		if err != nil {
			g.err = err // io.EOF at the end, io.ErrUnexpectedEOF when cut short
			return
		}
	}
}

// Read implements io.Reader for the parser.
func (g *gunzipper) Read(p []byte) (int, error) {
	for len(g.cur) == 0 {
		if g.blk != nil {
			g.free <- g.blk[:cap(g.blk)] // never blocks: free has room for every block
			g.blk = nil
		}
		b, ok := <-g.full
		if !ok {
			return 0, g.err
		}
		g.blk, g.cur = b, b
	}
	n := copy(p, g.cur)
	g.cur = g.cur[n:]
	return n, nil
}

// close stops the goroutine and waits for it. It returns once the goroutine has
// finished the read it was in, which for a file is soon.
func (g *gunzipper) close() {
	g.once.Do(func() { close(g.stop) })
	<-g.done
}
