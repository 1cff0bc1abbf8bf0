package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Control message types a stream client sends (docs/stream.md).
const (
	ctlSubscribe = "subscribe"
	ctlViewport  = "viewport"
	ctlSeek      = "seek"
	ctlLive      = "live"
	ctlAlerts    = "alerts"
	ctlFences    = "fences"
	ctlScenarios = "scenarios"
	ctlPing      = "ping"
	ctlResume    = "resume"
)

// Limits of one subscription.
const (
	maxStreamMetrics = 8  // value columns a client may follow
	maxStreamWhere   = 16 // property conditions
	maxSpeed         = 3600
)

// ControlError says what is wrong with a control message; the stream sends it
// back as {"type":"error","field":...,"message":...}.
type ControlError struct {
	Field  string // the member at fault, "" for the message as a whole
	Reason string
}

func (e *ControlError) Error() string {
	if e.Field == "" {
		return "stream: " + e.Reason
	}
	return "stream: " + e.Field + ": " + e.Reason
}

func ctlErrorf(field, format string, args ...any) *ControlError {
	return &ControlError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// streamView is what a client watches: the twin.Query conditions of its
// subscription, and the metrics whose values it follows.
type streamView struct {
	BBox    []orb.Bound // nil: no box condition
	Cells   []h3.Cell
	IDs     []twin.ID
	Kinds   []twin.Kind
	Where   []twin.Filter
	Metrics []string
	Zoom    float64

	cellBound orb.Bound // the union of the cells' bounds
}

// spatial reports whether the view has a place condition.
func (v *streamView) spatial() bool { return len(v.BBox) > 0 || len(v.Cells) > 0 }

// query is the twin query of the view, as of at (0: now).
func (v *streamView) query(at int64) twin.Query {
	return twin.Query{BBox: v.BBox, Cells: v.Cells, IDs: v.IDs, Kinds: v.Kinds, Where: v.Where, At: at}
}

// control is one parsed control message.
type control struct {
	Type  string
	View  streamView // subscribe, resume (all of it), viewport (BBox, Cells, Zoom)
	At    int64      // seek, Unix nanoseconds
	Speed float64    // seek: twin seconds per wall second; 0 = a snapshot only
	After uint64     // fences
	Seq   uint64     // resume
	Epoch string     // resume
}

// rawControl is the JSON form of every control message.
type rawControl struct {
	Type    string     `json:"type"`
	BBox    []float64  `json:"bbox"`
	Zoom    *float64   `json:"zoom"`
	Kinds   []string   `json:"kinds"`
	Metrics []string   `json:"metrics"`
	Cells   []string   `json:"cells"`
	IDs     []string   `json:"ids"`
	Where   stringList `json:"where"`
	At      string     `json:"at"`
	Speed   *float64   `json:"speed"`
	After   *uint64    `json:"after"`
	Seq     *uint64    `json:"seq"`
	Epoch   string     `json:"epoch"`
}

// stringList reads a string or an array of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = []string{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return errors.New("want a string or an array of strings")
	}
	*l = ss
	return nil
}

// parseControl reads one control message. Every error is a *ControlError.
func parseControl(b []byte) (control, error) {
	var raw rawControl
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return control{}, jsonControlError(err)
	}
	if dec.More() {
		return control{}, ctlErrorf("", "one JSON object per message")
	}
	c := control{Type: raw.Type}
	// Members each type takes; anything else set is an error, so that a typo
	// (speed on subscribe) is not silently ignored.
	allowed := map[string][]string{
		ctlSubscribe: {"bbox", "zoom", "kinds", "metrics", "cells", "ids", "where"},
		ctlResume:    {"bbox", "zoom", "kinds", "metrics", "cells", "ids", "where", "seq", "epoch"},
		ctlViewport:  {"bbox", "zoom", "cells"},
		ctlSeek:      {"at", "speed"},
		ctlFences:    {"after"},
		ctlLive:      nil, ctlAlerts: nil, ctlPing: nil, ctlScenarios: nil,
	}
	names, ok := allowed[raw.Type]
	if !ok {
		if raw.Type == "" {
			return c, ctlErrorf("type", "missing; want one of subscribe, viewport, seek, live, alerts, fences, scenarios, ping, resume")
		}
		return c, ctlErrorf("type", "%q is not a control message; want one of subscribe, viewport, seek, live, alerts, fences, scenarios, ping, resume", clip(raw.Type))
	}
	for name, set := range map[string]bool{
		"bbox": raw.BBox != nil, "zoom": raw.Zoom != nil, "kinds": raw.Kinds != nil, "metrics": raw.Metrics != nil,
		"cells": raw.Cells != nil, "ids": raw.IDs != nil, "where": raw.Where != nil, "at": raw.At != "",
		"speed": raw.Speed != nil, "after": raw.After != nil, "seq": raw.Seq != nil, "epoch": raw.Epoch != "",
	} {
		if set && !contains(names, name) {
			return c, ctlErrorf(name, "not a member of %s messages", raw.Type)
		}
	}
	var err error
	switch raw.Type {
	case ctlSubscribe, ctlResume, ctlViewport:
		if c.View, err = parseView(&raw); err != nil {
			return c, err
		}
		if !c.View.spatial() && raw.Type == ctlViewport {
			return c, ctlErrorf("bbox", "a viewport needs bbox or cells")
		}
		if !c.View.spatial() && len(c.View.IDs) == 0 {
			return c, ctlErrorf("bbox", "a subscription needs bbox, cells or ids")
		}
		if raw.Type == ctlResume {
			if raw.Seq == nil {
				return c, ctlErrorf("seq", "missing: the seq of the last message received")
			}
			c.Seq, c.Epoch = *raw.Seq, raw.Epoch
		}
	case ctlSeek:
		if raw.At == "" {
			return c, ctlErrorf("at", "missing: an RFC 3339 instant")
		}
		t, err := time.Parse(time.RFC3339Nano, raw.At)
		if err != nil || t.Year() < 1970 || t.Year() > 2200 {
			return c, ctlErrorf("at", "%q is not an RFC 3339 instant between 1970 and 2200", clip(raw.At))
		}
		c.At = t.UnixNano()
		if raw.Speed != nil {
			if s := *raw.Speed; !(s >= 0 && s <= maxSpeed) {
				return c, ctlErrorf("speed", "%v is out of range 0..%d (twin seconds per second)", s, maxSpeed)
			}
			c.Speed = *raw.Speed
		}
	case ctlFences:
		if raw.After != nil {
			c.After = *raw.After
		}
	}
	return c, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// jsonControlError says where the JSON went wrong.
func jsonControlError(err error) *ControlError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return ctlErrorf("", "not JSON: %s at byte %d", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		return ctlErrorf(typ.Field, "want %s, found a JSON %s", typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return ctlErrorf(clip(name), "unknown member")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ctlErrorf("", "empty or truncated message: want a JSON object")
	}
	return ctlErrorf("", "%s", clip(err.Error()))
}

// parseView reads the members of a view.
func parseView(raw *rawControl) (streamView, error) {
	var v streamView
	if raw.BBox != nil {
		b := raw.BBox
		if len(b) != 4 {
			return v, ctlErrorf("bbox", "has %d numbers; want 4: minLon,minLat,maxLon,maxLat", len(b))
		}
		for i, f := range b {
			lim := 180.0
			if i%2 == 1 {
				lim = 90
			}
			if math.IsNaN(f) || f < -lim || f > lim {
				return v, ctlErrorf("bbox", "%v is out of range -%v..%v", f, lim, lim)
			}
		}
		if b[1] > b[3] {
			return v, ctlErrorf("bbox", "minLat %v is above maxLat %v", b[1], b[3])
		}
		v.BBox = geo.SplitBound(b[0], b[1], b[2], b[3])
	}
	if raw.Zoom != nil {
		if z := *raw.Zoom; !(z >= 0 && z <= 24) {
			return v, ctlErrorf("zoom", "%v is out of range 0..24", z)
		}
		v.Zoom = *raw.Zoom
	}
	if raw.Cells != nil {
		if len(raw.Cells) == 0 || len(raw.Cells) > maxCells {
			return v, ctlErrorf("cells", "has %d cells; want 1..%d", len(raw.Cells), maxCells)
		}
		for _, s := range raw.Cells {
			c, perr := parseCell("cells", s)
			if perr != nil {
				return v, ctlErrorf("cells", "%s", perr.Reason)
			}
			v.Cells = append(v.Cells, c)
			if len(v.Cells) == 1 {
				v.cellBound = geo.CellBound(c)
			} else {
				v.cellBound = v.cellBound.Union(geo.CellBound(c))
			}
		}
	}
	if raw.IDs != nil {
		ids, perr := parseIDs("ids", raw.IDs)
		if perr != nil {
			return v, ctlErrorf("ids", "%s", perr.Reason)
		}
		if len(ids) == 0 {
			return v, ctlErrorf("ids", "empty; leave it out to watch every id")
		}
		v.IDs = ids
	}
	if raw.Kinds != nil {
		ks, perr := parseKinds("kinds", raw.Kinds)
		if perr != nil {
			return v, ctlErrorf("kinds", "%s", perr.Reason)
		}
		v.Kinds = ks
	}
	if raw.Metrics != nil {
		if len(raw.Metrics) > maxStreamMetrics {
			return v, ctlErrorf("metrics", "has %d metrics; at most %d", len(raw.Metrics), maxStreamMetrics)
		}
		for _, m := range raw.Metrics {
			if !validKind(m) { // the same alphabet
				return v, ctlErrorf("metrics", "%q is not a metric name (lower-case letters, digits, _ and -)", clip(m))
			}
			if contains(v.Metrics, m) {
				return v, ctlErrorf("metrics", "%q is listed twice", m)
			}
			v.Metrics = append(v.Metrics, m)
		}
	}
	if raw.Where != nil {
		if len(raw.Where) > maxStreamWhere {
			return v, ctlErrorf("where", "has %d conditions; at most %d", len(raw.Where), maxStreamWhere)
		}
		for _, s := range raw.Where {
			f, err := twin.ParseFilter(s)
			if err != nil {
				return v, ctlErrorf("where", "%q: %s", clip(s), strings.TrimPrefix(err.Error(), "twin: "))
			}
			v.Where = append(v.Where, f)
		}
	}
	return v, nil
}
