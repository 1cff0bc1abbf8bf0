package ingest

import (
	"sync"
	"time"
)

// DeadLetter is stream input the twin rejected: what it was, where it came from and
// why, so that an operator can see and fix the producer. Nothing is dropped silently.
type DeadLetter struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"`          // e.g. "mqtt", "http", "tsbs", "gtfs-rt"
	Where  string    `json:"where,omitempty"` // topic, file:line, record index, field
	Reason string    `json:"reason"`
	Raw    string    `json:"raw,omitempty"` // the offending input, cut at MaxDeadLetterRaw bytes
}

// MaxDeadLetterRaw bounds the raw input kept with a dead letter.
const MaxDeadLetterRaw = 4096

// DeadLetters keeps the newest dead letters in a ring and counts all of them;
// with a file (SetFile) it also writes every one to disk.
type DeadLetters struct {
	mu    sync.Mutex
	ring  []DeadLetter
	next  int
	total uint64
	bySrc map[string]uint64
	file  *DeadLetterFile
}

// SetFile makes every later dead letter also go to f.
func (d *DeadLetters) SetFile(f *DeadLetterFile) {
	d.mu.Lock()
	d.file = f
	d.mu.Unlock()
}

// Restore puts dead letters read back from a file into the ring, oldest first,
// without counting them as new.
func (d *DeadLetters) Restore(dls []DeadLetter) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, dl := range dls {
		d.put(dl)
	}
}

// NewDeadLetters keeps the newest n dead letters (n >= 1).
func NewDeadLetters(n int) *DeadLetters {
	return &DeadLetters{ring: make([]DeadLetter, 0, max(n, 1)), bySrc: make(map[string]uint64)}
}

// Add records a dead letter; a zero Time is set to now and Raw is cut to
// MaxDeadLetterRaw bytes.
func (d *DeadLetters) Add(dl DeadLetter) {
	if dl.Time.IsZero() {
		dl.Time = time.Now().UTC()
	}
	if len(dl.Raw) > MaxDeadLetterRaw {
		dl.Raw = dl.Raw[:MaxDeadLetterRaw]
	}
	d.mu.Lock()
	d.total++
	d.bySrc[dl.Source]++
	d.put(dl)
	file := d.file
	d.mu.Unlock()
	if file != nil {
		file.Write(dl)
	}
}

// put stores dl in the ring. Must hold d.mu.
func (d *DeadLetters) put(dl DeadLetter) {
	if len(d.ring) < cap(d.ring) {
		d.ring = append(d.ring, dl)
		return
	}
	d.ring[d.next] = dl
	d.next = (d.next + 1) % len(d.ring)
}

// List returns the kept dead letters, newest first, at most limit (all if <= 0).
func (d *DeadLetters) List(limit int) []DeadLetter {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(d.ring)
	if limit <= 0 || limit > n {
		limit = n
	}
	out := make([]DeadLetter, 0, limit)
	for i := range limit {
		// newest is just before next (or at the end while the ring fills)
		j := (d.next - 1 - i + 2*n) % n
		if len(d.ring) < cap(d.ring) {
			j = n - 1 - i
		}
		out = append(out, d.ring[j])
	}
	return out
}

// Total is the number of dead letters ever added, and by source.
func (d *DeadLetters) Total() (uint64, map[string]uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	by := make(map[string]uint64, len(d.bySrc))
	for k, v := range d.bySrc {
		by[k] = v
	}
	return d.total, by
}
