package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// recordHeaderSize is the fixed frame header:
// [payload length uint32 LE][CRC-32C of index+payload uint32 LE][index uint64 LE].
const recordHeaderSize = 16

// castagnoli selects the CRC-32C polynomial, which hash/crc32 computes with the
// CPU's CRC instructions where it has them.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordCRC is the checksum stored in a frame: CRC-32C over the index (8 bytes LE)
// then the payload, so that a record moved to another index does not verify.
func recordCRC(index uint64, payload []byte) uint32 {
	// The index bytes go through the table by hand: handing crc32.Update a slice of a
	// local array would move it to the heap on every record.
	crc := ^uint32(0)
	for range 8 {
		crc = castagnoli[byte(crc)^byte(index)] ^ (crc >> 8)
		index >>= 8
	}
	return crc32.Update(^crc, castagnoli, payload)
}

// appendRecord appends one frame to dst.
func appendRecord(dst []byte, index uint64, crc uint32, payload []byte) []byte {
	var h [recordHeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:8], crc)
	binary.LittleEndian.PutUint64(h[8:16], index)
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// recordHeader is a decoded frame header.
type recordHeader struct {
	length uint32
	crc    uint32
	index  uint64
}

func parseRecordHeader(b []byte) recordHeader {
	return recordHeader{
		length: binary.LittleEndian.Uint32(b[0:4]),
		crc:    binary.LittleEndian.Uint32(b[4:8]),
		index:  binary.LittleEndian.Uint64(b[8:16]),
	}
}

// frameError is a frame that does not decode: the bytes at off are damaged or cut.
// It is not an I/O error; the caller decides between torn tail and corruption.
type frameError struct {
	off    int64
	reason string
}

func (e *frameError) Error() string { return fmt.Sprintf("offset %d: %s", e.off, e.reason) }

// readBufferSize is large so that scanning a log costs few read(2) calls and most
// records can be checked in place without a copy.
const readBufferSize = 1 << 20

// recordReader decodes the frames of one segment, stopping at end. It is reused
// across segments: its buffers survive reset.
type recordReader struct {
	br      *bufio.Reader
	off     int64 // file offset of the next frame
	end     int64 // file offset where the frames stop
	scratch []byte
}

func newRecordReader() *recordReader {
	return &recordReader{br: bufio.NewReaderSize(nil, readBufferSize)}
}

// reset points the reader at r, whose next byte is at file offset off.
func (rr *recordReader) reset(r io.Reader, off, end int64) {
	rr.br.Reset(r)
	rr.off, rr.end = off, end
}

// next decodes the next frame. It returns its file offset, index and payload; the
// payload is valid until the following call. At a clean end it returns io.EOF; for a
// damaged frame a *frameError; anything else is an I/O error.
func (rr *recordReader) next() (off int64, index uint64, payload []byte, err error) {
	off = rr.off
	left := rr.end - off
	if left == 0 {
		return off, 0, nil, io.EOF
	}
	if left < recordHeaderSize {
		return off, 0, nil, &frameError{off, fmt.Sprintf("truncated record header (%d of %d bytes)", left, recordHeaderSize)}
	}
	hb, err := rr.br.Peek(recordHeaderSize)
	if err != nil {
		return off, 0, nil, readErr(err)
	}
	h := parseRecordHeader(hb)
	if h.length > MaxPayload {
		return off, 0, nil, &frameError{off, fmt.Sprintf("record length %d exceeds the limit %d", h.length, MaxPayload)}
	}
	n := int64(recordHeaderSize) + int64(h.length)
	if n > left {
		return off, 0, nil, &frameError{off, fmt.Sprintf("record of %d bytes runs past the end (%d bytes left)", n, left)}
	}
	if n <= int64(rr.br.Size()) {
		// Check in place: Peek's slice stays valid until the next read.
		b, err := rr.br.Peek(int(n))
		if err != nil {
			return off, 0, nil, readErr(err)
		}
		payload = b[recordHeaderSize:]
		if _, err := rr.br.Discard(int(n)); err != nil {
			return off, 0, nil, readErr(err)
		}
	} else {
		if _, err := rr.br.Discard(recordHeaderSize); err != nil {
			return off, 0, nil, readErr(err)
		}
		if cap(rr.scratch) < int(h.length) {
			rr.scratch = make([]byte, h.length)
		}
		payload = rr.scratch[:h.length]
		if _, err := io.ReadFull(rr.br, payload); err != nil {
			return off, 0, nil, readErr(err)
		}
	}
	rr.off += n
	if recordCRC(h.index, payload) != h.crc {
		return off, 0, nil, &frameError{off, "checksum mismatch"}
	}
	return off, h.index, payload, nil
}

// readErr turns a short read inside the bounds we measured into an error: the file
// shrank under us.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("wal: segment shorter than its size: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// findRecord looks in b, byte by byte, for a frame that verifies and whose index is
// greater than after. It returns the frame's position in b, or -1.
func findRecord(b []byte, after uint64) int {
	for p := 0; p+recordHeaderSize <= len(b); p++ {
		h := parseRecordHeader(b[p:])
		if h.length > MaxPayload || h.index <= after {
			continue
		}
		end := p + recordHeaderSize + int(h.length)
		if end > len(b) {
			continue
		}
		if recordCRC(h.index, b[p+recordHeaderSize:end]) == h.crc {
			return p
		}
	}
	return -1
}
