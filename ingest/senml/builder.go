package senml

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"citytwin/ingest/unit"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// builder collects the observations, positions and properties of one payload
// and turns them into a Result. Both the SenML and the plain form use it.
type builder struct {
	o      Options
	nowNs  int64
	maxNs  int64 // the latest time accepted
	res    Result
	ents   map[twin.ID]*pending // set once a second entity appears
	first  *pending             // the first entity's, until then
	order  []twin.ID
	last   twin.ID // the entity of the previous record, to skip the map lookup
	lastP  *pending
	index  int // the record being decoded
	line   int
	failed bool // the current record was rejected
}

// pending is what one entity has collected so far.
type pending struct {
	obs   []twin.Observation
	fixes []fix
}

// fix is a position being assembled from a lat and a lon record of the same
// time.
type fix struct {
	t          int64
	lat, lon   float64
	has        uint8 // hasLat | hasLon
	index      int   // the first record that contributed
	line       int
	name       string
	latN, lonN string
}

const (
	hasLat = 1 << iota
	hasLon
)

func newBuilder(o Options) *builder {
	b := &builder{o: o, nowNs: o.Now.UnixNano()}
	b.maxNs = b.nowNs + int64(o.MaxFuture)
	if b.maxNs < b.nowNs { // overflow: an absurd MaxFuture
		b.maxNs = math.MaxInt64
	}
	return b
}

// start begins record i (on NDJSON line line).
func (b *builder) start(i, line int) {
	b.index, b.line, b.failed = i, line, false
	b.res.Records++
}

// reject records why the current record is left out; only the first reason
// of a record is kept.
func (b *builder) reject(name, format string, args ...any) {
	if b.failed {
		return
	}
	b.failed = true
	b.res.Rejects = append(b.res.Rejects, Reject{Index: b.index, Line: b.line, Name: name, Reason: fmt.Sprintf(format, args...)})
}

// rejectLine records a line of NDJSON that could not be read at all.
func (b *builder) rejectLine(line int, reason string) {
	b.res.Rejects = append(b.res.Rejects, Reject{Index: -1, Line: line, Reason: reason})
}

// validName is RFC 8428 section 4.5.1: letters, digits and - : . / _, starting with
// a letter or digit.
func validName(s string) bool {
	if s == "" || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != ':' && c != '.' && c != '/' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// split maps a resolved name to an entity and a metric: the part after the last
// ':' is the metric (lower-cased, possibly empty), the part before it the
// entity. The returned reason is empty when the name is good.
func (b *builder) split(name string) (twin.ID, string, string) {
	entity, metric := "", name
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		entity, metric = name[:i], name[i+1:]
	}
	id, reason := b.entity(entity)
	if reason != "" {
		return "", "", reason
	}
	m, reason := metricName(metric)
	return id, m, reason
}

// entity qualifies an entity part: "" is the default entity, a part with a ':'
// is an id already, anything else gets the id prefix.
func (b *builder) entity(part string) (twin.ID, string) {
	var id twin.ID
	switch {
	case part == "":
		if b.o.Entity == "" {
			return "", "no entity: the name has none and there is no default entity"
		}
		return b.o.Entity, ""
	case strings.IndexByte(part, ':') >= 0:
		id = twin.ID(part)
	default:
		id = twin.ID(b.o.IDPrefix + part)
	}
	if len(id) > twin.MaxIDLen {
		return "", fmt.Sprintf("entity id of %d bytes is longer than %d", len(id), twin.MaxIDLen)
	}
	return id, ""
}

// metricName lower-cases a metric and checks its length.
func metricName(m string) (string, string) {
	if len(m) > 128 {
		return "", fmt.Sprintf("metric of %d bytes is longer than 128", len(m))
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(m), ""
		}
	}
	return m, ""
}

// checkSec converts an absolute time in seconds since 1970 to nanoseconds,
// rejecting times before 1970 and more than MaxFuture ahead of now.
func (b *builder) checkSec(sec float64) (int64, string) {
	switch {
	case math.IsNaN(sec):
		return 0, "time is not a number"
	case sec < 0:
		return 0, fmt.Sprintf("time %v is before 1970", sec)
	case sec > float64(b.maxNs)/1e9:
		return 0, fmt.Sprintf("time %v is more than %v ahead of now", sec, b.o.MaxFuture)
	}
	whole := math.Floor(sec)
	ns := int64(whole)*1e9 + int64(math.Round((sec-whole)*1e9))
	if ns > b.maxNs {
		return 0, fmt.Sprintf("time %v is more than %v ahead of now", sec, b.o.MaxFuture)
	}
	return ns, ""
}

// checkTime checks a time.Time the same way.
func (b *builder) checkTime(t time.Time) (int64, string) {
	if t.Before(time.Unix(0, 0)) {
		return 0, fmt.Sprintf("time %s is before 1970", t.Format(time.RFC3339))
	}
	if t.After(time.Unix(0, b.maxNs)) {
		return 0, fmt.Sprintf("time %s is more than %v ahead of now", t.Format(time.RFC3339), b.o.MaxFuture)
	}
	return t.UnixNano(), ""
}

func (b *builder) get(id twin.ID) *pending {
	if id == b.last && b.lastP != nil {
		return b.lastP
	}
	var p *pending
	switch {
	case b.ents != nil:
		p = b.ents[id]
	case len(b.order) == 1 && b.order[0] == id:
		p = b.first
	}
	if p == nil {
		p = &pending{}
		switch len(b.order) {
		case 0: // most payloads are about one entity: no map for them
			b.first = p
		case 1:
			b.ents = map[twin.ID]*pending{b.order[0]: b.first, id: p}
		default:
			b.ents[id] = p
		}
		b.order = append(b.order, id)
	}
	b.last, b.lastP = id, p
	return p
}

// pendingOf returns what entity id (one of b.order) collected.
func (b *builder) pendingOf(id twin.ID) *pending {
	if b.ents == nil {
		return b.first
	}
	return b.ents[id]
}

// unitMetric names the metric of a record whose name has none after its entity
// by the quantity of its unit: "Cel" is "temperature", "%RH"
// "relative_humidity", "lat" "lat".
func unitMetric(u string) (string, string) {
	if u == "" {
		return "", "name has no metric after its last ':' and no unit to name one by"
	}
	c, err := unit.Lookup(u)
	if err != nil {
		return "", err.Error()
	}
	switch c.Canonical {
	case "lat", "lon":
		return c.Canonical, ""
	}
	var m []byte
	for i := 0; i < len(c.Quantity); i++ {
		switch ch := c.Quantity[i]; {
		case isAlnum(ch):
			m = append(m, ch)
		case len(m) > 0 && m[len(m)-1] != '_':
			m = append(m, '_')
		}
	}
	return strings.TrimSuffix(string(m), "_"), ""
}

// locationUnit says whether u is SenML's unit of latitude or longitude, which
// makes a record half of a position whatever its name (RFC 8428 section 5.1.5).
func locationUnit(u string) (string, bool) {
	switch u {
	case "lat", "lon":
		return u, true
	}
	return "", false
}

// isLocation says whether a metric is one half of a position.
func isLocation(metric string) bool {
	switch metric {
	case "lat", "latitude", "lon", "lng", "longitude":
		return true
	}
	return false
}

// convert checks a numeric value and converts it from unit u to the canonical
// unit; the reason is empty when it is good.
func convert(u string, v float64) (float64, string) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Sprintf("value %v is not finite", v)
	}
	if u == "" {
		return v, ""
	}
	_, cv, err := unit.Normalize(u, v)
	if err != nil {
		return 0, err.Error()
	}
	if math.IsNaN(cv) || math.IsInf(cv, 0) {
		return 0, fmt.Sprintf("value %v %s is not finite in the canonical unit", v, u)
	}
	return cv, ""
}

// observe adds an observation of a value already converted from unit u.
func (b *builder) observe(id twin.ID, metric, u string, t int64, v float64) {
	if u != "" {
		if _, ok := b.res.Units[metric]; !ok {
			if b.res.Units == nil {
				b.res.Units = make(map[string]string)
			}
			b.res.Units[metric] = u
		}
	}
	p := b.get(id)
	p.obs = append(p.obs, twin.Observation{ID: id, Metric: metric, T: t, V: v})
}

// location adds one half of a position; it is false when the value was
// rejected.
func (b *builder) location(name string, id twin.ID, metric, u string, t int64, v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		b.reject(name, "%s %v is not finite", metric, v)
		return false
	}
	if u != "" {
		c, err := unit.Lookup(u)
		if err != nil || !c.Identity() || c.Canonical != "lat" && c.Canonical != "lon" && c.Canonical != "deg" {
			b.reject(name, "%s in unit %q: want degrees (lat, lon, deg or none)", metric, u)
			return false
		}
	}
	lat := metric == "lat" || metric == "latitude"
	if lat && (v < -90 || v > 90) || !lat && (v < -180 || v > 180) {
		b.reject(name, "%s %v is out of range", metric, v)
		return false
	}
	p := b.get(id)
	var f *fix
	for i := len(p.fixes) - 1; i >= 0; i-- {
		if p.fixes[i].t == t {
			f = &p.fixes[i]
			break
		}
	}
	if f == nil {
		p.fixes = append(p.fixes, fix{t: t, index: b.index, line: b.line, name: name})
		f = &p.fixes[len(p.fixes)-1]
	}
	if lat {
		f.lat, f.latN = v, name
		f.has |= hasLat
	} else {
		f.lon, f.lonN = v, name
		f.has |= hasLon
	}
	return true
}

// prop adds a string property.
func (b *builder) prop(id twin.ID, metric string, v twin.Value) {
	if b.res.Props == nil {
		b.res.Props = make(map[twin.ID]twin.Properties)
	}
	b.res.Props[id] = b.res.Props[id].With(metric, v)
}

// finish turns what was collected into ops.
func (b *builder) finish() Result {
	for _, id := range b.order {
		p := b.pendingOf(id)
		var pos []twin.Position
		for _, f := range p.fixes {
			switch f.has {
			case hasLat | hasLon:
				pos = append(pos, twin.Position{ID: id, T: f.t, Point: orb.Point{f.lon, f.lat}})
			case hasLat:
				b.res.Rejects = append(b.res.Rejects, Reject{Index: f.index, Line: f.line, Name: f.latN, Reason: "lat without a lon of the same entity and time"})
			default:
				b.res.Rejects = append(b.res.Rejects, Reject{Index: f.index, Line: f.line, Name: f.lonN, Reason: "lon without a lat of the same entity and time"})
			}
		}
		if len(pos) > 0 {
			slices.SortStableFunc(pos, func(a, c twin.Position) int { return cmp.Compare(a.T, c.T) })
			b.res.Ops = append(b.res.Ops, twin.Op{Type: twin.OpMove, Source: b.o.Source, Positions: pos})
		}
		if len(p.obs) > 0 {
			b.res.Ops = append(b.res.Ops, twin.Op{Type: twin.OpObserve, Source: b.o.Source, Observations: p.obs})
		}
	}
	slices.SortStableFunc(b.res.Rejects, func(a, c Reject) int {
		return cmp.Or(cmp.Compare(a.Line, c.Line), cmp.Compare(a.Index, c.Index))
	})
	return b.res
}
