package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
)

// DeadLetterFile keeps dead letters on disk as JSON lines, so that what was
// rejected is still there to inspect after a restart (or a crash: each letter is
// one write(2) to a file opened for appending). When the file passes its size
// bound it is renamed to <path>.1 (replacing the one before) and a new one is
// started.
type DeadLetterFile struct {
	path  string
	limit int64

	mu   sync.Mutex
	f    *os.File
	size int64
	err  error // the first write error; later writes are skipped
}

// OpenDeadLetterFile opens (or creates) path for appending; limit bounds its
// size in bytes before it is rotated (default 64 MiB).
func OpenDeadLetterFile(path string, limit int64) (*DeadLetterFile, error) {
	if limit <= 0 {
		limit = 64 << 20
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ingest: dead letters: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &DeadLetterFile{path: path, limit: limit, f: f, size: st.Size()}, nil
}

// Write appends one dead letter.
func (d *DeadLetterFile) Write(dl DeadLetter) {
	line, err := json.Marshal(dl)
	if err != nil {
		return
	}
	line = append(line, '\n')
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return
	}
	if d.size+int64(len(line)) > d.limit {
		d.err = d.rotate()
		if d.err != nil {
			return
		}
	}
	n, err := d.f.Write(line)
	d.size += int64(n)
	d.err = err
}

func (d *DeadLetterFile) rotate() error {
	if err := d.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(d.path, d.path+".1"); err != nil {
		return err
	}
	f, err := os.OpenFile(d.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	d.f, d.size = f, 0
	return nil
}

// Close closes the file; it returns the first write error, if any.
func (d *DeadLetterFile) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	cerr := d.f.Close()
	if d.err != nil {
		return d.err
	}
	return cerr
}

// ReadDeadLetters reads the newest n dead letters (oldest first) of the files a
// DeadLetterFile at path wrote: path.1, then path. A damaged line (the end of a
// file cut by a crash) is skipped.
func ReadDeadLetters(path string, n int) ([]DeadLetter, error) {
	var out []DeadLetter
	for _, p := range []string{path + ".1", path} {
		f, err := os.Open(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			var dl DeadLetter
			if json.Unmarshal(bytes.TrimSpace(sc.Bytes()), &dl) != nil {
				continue
			}
			out = append(out, dl)
			if len(out) > 2*n {
				out = append(out[:0], out[len(out)-n:]...)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil && err != io.EOF {
			return nil, err
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}
