package fence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Event is one fence event. Seq numbers every event of an engine, strictly
// increasing and never reused, so that a receiver can drop duplicates.
type Event struct {
	Seq    uint64  `json:"seq"`
	Fence  twin.ID `json:"fence"`
	Object twin.ID `json:"object"`
	Kind   string  `json:"kind"` // enter, exit, inside, outside or cross
	// T is the time of the position that caused the event, Unix nanoseconds
	// (the engine's clock for events found by a resynchronisation).
	T int64 `json:"t"`
	// Point is the object's position, [lon, lat] as in GeoJSON.
	Point orb.Point `json:"point"`
	// Dwell is, for exit, how long the object was inside (from its first
	// position inside, dwell time included), in nanoseconds.
	Dwell time.Duration `json:"dwell,omitempty"`
	// TwinSeq is the seq of the twin change that caused the event.
	TwinSeq uint64 `json:"twin_seq"`
}

// kindCode and codeKind map event kinds to their byte in the outbox.
func kindCode(k string) byte {
	for i, n := range eventNames {
		if n == k {
			return byte(i + 1)
		}
	}
	return 0
}

func codeKind(c byte) (string, bool) {
	if c == 0 || int(c) > len(eventNames) {
		return "", false
	}
	return eventNames[c-1], true
}

// errBadRecord is wrapped for outbox records that do not decode.
var errBadRecord = errors.New("fence: bad outbox record")

// recordVersion is the first byte of every outbox record.
const recordVersion = 1

// encodeRecord appends one outbox record: a header (version, wall clock
// time, twin seq reached, count, first seq) and the events, whose seqs follow
// on from the first.
func encodeRecord(dst []byte, wall int64, twinSeq uint64, evs []Event) []byte {
	dst = append(dst, recordVersion)
	dst = binary.AppendVarint(dst, wall)
	dst = binary.AppendUvarint(dst, twinSeq)
	dst = binary.AppendUvarint(dst, uint64(len(evs)))
	dst = binary.AppendUvarint(dst, evs[0].Seq)
	for i := range evs {
		ev := &evs[i]
		dst = append(dst, kindCode(ev.Kind))
		dst = binary.AppendUvarint(dst, uint64(len(ev.Fence)))
		dst = append(dst, ev.Fence...)
		dst = binary.AppendUvarint(dst, uint64(len(ev.Object)))
		dst = append(dst, ev.Object...)
		dst = binary.AppendVarint(dst, ev.T)
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(ev.Point[0]))
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(ev.Point[1]))
		dst = binary.AppendVarint(dst, int64(ev.Dwell))
		dst = binary.AppendUvarint(dst, ev.TwinSeq)
	}
	return dst
}

// recordHeader is what decodeRecord reads before the events.
type recordHeader struct {
	wall    int64
	twinSeq uint64
	n       int
	first   uint64
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if uint64(len(r.b)) < n {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errBadRecord
	}
	r.b = nil
}

// decodeRecord reads a record; events are appended to dst (nil dst and
// header only: pass headerOnly).
func decodeRecord(dst []Event, data []byte, headerOnly bool) (recordHeader, []Event, error) {
	var h recordHeader
	if len(data) == 0 || data[0] != recordVersion {
		return h, dst, fmt.Errorf("%w: version", errBadRecord)
	}
	r := reader{b: data[1:]}
	h.wall = r.varint()
	h.twinSeq = r.uvarint()
	n := r.uvarint()
	h.first = r.uvarint()
	if r.err != nil || n == 0 || n > uint64(len(data)) {
		return h, dst, fmt.Errorf("%w: header", errBadRecord)
	}
	h.n = int(n)
	if headerOnly {
		return h, dst, nil
	}
	for i := range h.n {
		kc := r.bytes(1)
		var k string
		if len(kc) == 1 {
			var ok bool
			if k, ok = codeKind(kc[0]); !ok {
				r.fail()
			}
		}
		ev := Event{Seq: h.first + uint64(i), Kind: k}
		ev.Fence = twin.ID(r.bytes(r.uvarint()))
		ev.Object = twin.ID(r.bytes(r.uvarint()))
		ev.T = r.varint()
		pt := r.bytes(16)
		if len(pt) == 16 {
			ev.Point = orb.Point{math.Float64frombits(binary.LittleEndian.Uint64(pt)), math.Float64frombits(binary.LittleEndian.Uint64(pt[8:]))}
		}
		ev.Dwell = time.Duration(r.varint())
		ev.TwinSeq = r.uvarint()
		if r.err != nil {
			return h, dst, fmt.Errorf("%w: event %d", r.err, i)
		}
		dst = append(dst, ev)
	}
	return h, dst, nil
}
