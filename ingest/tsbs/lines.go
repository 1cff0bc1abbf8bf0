package tsbs

import (
	"bytes"
	"io"
)

// MaxLineBytes is the longest line the Reader takes; a longer one is rejected as
// malformed (its first MaxLineBytes bytes are kept as the raw input) and reading
// goes on after it.
const MaxLineBytes = 1 << 20

// lineScanner splits its input into lines in one buffer, without copying a
// line. The buffer grows, up to MaxLineBytes, to hold the longest line.
type lineScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int   // buf[pos:end] is unread
	line     int64 // the number of the line next returned, minus one
	eof      bool
	err      error // a read error other than io.EOF
	skip     bool  // discarding the rest of a line that was too long
}

// initialLineBuffer is the scanner's first buffer: big enough for reads that
// cost little per byte, small enough for a small input.
const initialLineBuffer = 64 << 10

func newLineScanner(r io.Reader) *lineScanner {
	return &lineScanner{r: r, buf: make([]byte, initialLineBuffer)}
}

// next returns the next line without its "\n" or "\r\n", valid until the next
// call, and whether it was cut at MaxLineBytes. ok is false at the end of the
// input, or on a read error, which s.err then holds.
func (s *lineScanner) next() (line []byte, tooLong, ok bool) {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			line = s.buf[s.pos : s.pos+i]
			s.pos += i + 1
			if s.skip { // the tail of a line already reported
				s.skip = false
				continue
			}
			s.line++
			return trimCR(line), false, true
		}
		if s.eof {
			if s.pos == s.end || s.err != nil { // a partial line before an error is no line
				s.pos = s.end
				return nil, false, false
			}
			line = s.buf[s.pos:s.end]
			s.pos = s.end
			if s.skip {
				s.skip = false
				return nil, false, false
			}
			s.line++
			return trimCR(line), false, true
		}
		if s.pos > 0 {
			s.end = copy(s.buf, s.buf[s.pos:s.end])
			s.pos = 0
		}
		if s.end == len(s.buf) && len(s.buf) < MaxLineBytes {
			buf := make([]byte, min(2*len(s.buf), MaxLineBytes))
			copy(buf, s.buf[:s.end])
			s.buf = buf
		}
		if s.end == len(s.buf) {
			// A line longer than MaxLineBytes: report what there is, drop the rest.
			line = s.buf[:s.end]
			s.pos = s.end
			if s.skip {
				continue
			}
			s.skip = true
			s.line++
			return line, true, true
		}
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
		}
	}
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// blank reports whether a line holds only spaces and tabs.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}
