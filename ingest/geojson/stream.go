package geojson

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Stream reads features from r in batches of about batch features and hands
// each batch's Result to fn (Index counts from the start of the input), so that
// a file of millions of features is never in memory at once. It reads a
// FeatureCollection (only its "features" are read; other members are skipped)
// or newline-delimited Features; a single Feature is a collection of one.
func Stream(ctx context.Context, r io.Reader, opts Options, batch int, fn func(Result) error) error {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if batch <= 0 {
		batch = 10_000
	}
	br := bufio.NewReaderSize(r, 1<<20)
	s := &streamer{ctx: ctx, opts: &opts, batch: batch, fn: fn}
	first, err := firstLine(br)
	if err != nil {
		return err
	}
	if json.Valid(first) && bytes.Contains(first, []byte(`"Feature"`)) && !bytes.Contains(first, []byte(`"FeatureCollection"`)) {
		return s.lines(br)
	}
	return s.collection(json.NewDecoder(br))
}

type streamer struct {
	ctx   context.Context
	opts  *Options
	batch int
	fn    func(Result) error
	cur   Result
	n     int
}

// firstLine peeks at the first non-empty line without consuming it.
func firstLine(br *bufio.Reader) ([]byte, error) {
	for size := 4096; ; size *= 4 {
		b, err := br.Peek(size)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			if line := bytes.TrimSpace(b[:i]); len(line) > 0 {
				return line, nil
			}
		}
		if err != nil || size >= 1<<20 {
			if len(bytes.TrimSpace(b)) == 0 && err == io.EOF {
				return nil, ErrNotGeoJSON
			}
			return bytes.TrimSpace(b), nil // one long line, or the whole input
		}
	}
}

func (s *streamer) add(raw []byte) error {
	if s.n%1024 == 0 && s.ctx.Err() != nil {
		return s.ctx.Err()
	}
	if s.n >= s.opts.MaxFeatures && s.opts.MaxFeatures > 0 {
		return fmt.Errorf("%w: more than %d", ErrTooMany, s.opts.MaxFeatures)
	}
	s.cur.add(s.n, raw, s.opts)
	s.n++
	if len(s.cur.Ops)+len(s.cur.Rejects) >= s.batch {
		return s.flush()
	}
	return nil
}

func (s *streamer) flush() error {
	if s.cur.Total == 0 {
		return nil
	}
	err := s.fn(s.cur)
	s.cur = Result{}
	return err
}

func (s *streamer) lines(br *bufio.Reader) error {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			if err := s.add(line); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return s.flush()
}

func (s *streamer) collection(dec *json.Decoder) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ErrNotGeoJSON
	}
	typ, sawFeatures := "", false
	var single map[string]json.RawMessage
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrNotGeoJSON, err)
		}
		key, _ := t.(string)
		switch key {
		case "type":
			if err := dec.Decode(&typ); err != nil {
				return fmt.Errorf("%w: type: %w", ErrNotGeoJSON, err)
			}
		case "features":
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return fmt.Errorf("%w: features is not an array", ErrNotGeoJSON)
			}
			for dec.More() {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return fmt.Errorf("%w: feature %d: %w", ErrNotGeoJSON, s.n, err)
				}
				if err := s.add(raw); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return fmt.Errorf("%w: %w", ErrNotGeoJSON, err)
			}
			sawFeatures = true
		default: // a member of a single Feature, or one the collection may carry
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrNotGeoJSON, key, err)
			}
			if single == nil {
				single = map[string]json.RawMessage{}
			}
			single[key] = raw
		}
	}
	switch {
	case typ == "FeatureCollection" && sawFeatures:
		return s.flush()
	case typ == "Feature":
		single["type"] = json.RawMessage(`"Feature"`)
		raw, _ := json.Marshal(single)
		if err := s.add(raw); err != nil {
			return err
		}
		return s.flush()
	}
	return fmt.Errorf("%w: type %q", ErrNotGeoJSON, typ)
}
