package alert

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"citytwin/geo"
	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
)

// KindRule is the twin kind of rule entities; their OGC collection is
// "alert_rules".
const KindRule twin.Kind = "alert_rule"

// The properties of a rule entity. See the package doc for their meaning.
const (
	PropMetric    = "rule.metric"
	PropOp        = "rule.op"
	PropThreshold = "rule.threshold"
	PropClear     = "rule.clear"
	PropFor       = "rule.for"
	PropKinds     = "rule.kinds"
	PropWhere     = "rule.where"
	PropScope     = "rule.scope"
	PropRes       = "rule.res"
	PropAgg       = "rule.agg"
	PropStale     = "rule.stale"
	PropSeverity  = "rule.severity"
)

// Limits and defaults of a definition.
const (
	MaxFor       = 7 * 24 * time.Hour
	MaxStale     = 7 * 24 * time.Hour
	DefaultStale = 900 * time.Second
	// MaxRuleIDLen keeps alert ids (alert:<rule>/<subject>) readable.
	MaxRuleIDLen = 256
)

// ErrBadRule is matched by every *RuleError.
var ErrBadRule = errors.New("alert: bad rule")

// RuleError says which part of a rule entity is wrong: Property is a property
// key ("rule.threshold"), "kind", "id" or "geometry".
type RuleError struct {
	Rule     twin.ID
	Property string
	Reason   string
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("alert rule %s: %s: %s", e.Rule, e.Property, e.Reason)
}

// Is makes errors.Is(err, ErrBadRule) true.
func (e *RuleError) Is(target error) bool { return target == ErrBadRule }

// Operator compares a value with a threshold.
type Operator uint8

// The operators.
const (
	Gt Operator = iota + 1 // >
	Ge                     // >=
	Lt                     // <
	Le                     // <=
)

var opNames = [...]string{Gt: ">", Ge: ">=", Lt: "<", Le: "<="}

func (o Operator) String() string {
	if o >= Gt && o <= Le {
		return opNames[o]
	}
	return "Operator(" + strconv.Itoa(int(o)) + ")"
}

// ParseOperator reads ">", ">=", "<" or "<=".
func ParseOperator(s string) (Operator, error) {
	for o := Gt; o <= Le; o++ {
		if opNames[o] == strings.TrimSpace(s) {
			return o, nil
		}
	}
	return 0, fmt.Errorf("unknown operator %q (want >, >=, < or <=)", s)
}

// Compare reports whether v op x holds.
func (o Operator) Compare(v, x float64) bool {
	switch o {
	case Gt:
		return v > x
	case Ge:
		return v >= x
	case Lt:
		return v < x
	case Le:
		return v <= x
	}
	return false
}

// High reports whether high values are the bad ones (> and >=).
func (o Operator) High() bool { return o == Gt || o == Ge }

// Scope says what a rule looks at.
type Scope uint8

// The scopes.
const (
	ScopeEntity Scope = iota + 1 // each entity's own readings
	ScopeCell                    // the aggregate of the entities in an H3 cell
)

func (s Scope) String() string {
	switch s {
	case ScopeEntity:
		return "entity"
	case ScopeCell:
		return "cell"
	}
	return "Scope(" + strconv.Itoa(int(s)) + ")"
}

// Severity is how urgent an alert is.
type Severity string

// The severities.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Rule is a parsed rule definition.
type Rule struct {
	ID     twin.ID
	Metric string
	Op     Operator
	// Threshold raises the alert (value Op Threshold); the alert stays active
	// while value Op Clear still holds. Clear equals Threshold unless set, and
	// lies on the safe side of it.
	Threshold, Clear float64
	// For is how long the condition must hold, in observation time, before the
	// alert is raised.
	For      time.Duration
	Kinds    []twin.Kind   // empty: every kind
	Where    []twin.Filter // all must hold
	Scope    Scope
	Res      int        // ScopeCell: H3 resolution
	Agg      series.Agg // ScopeCell: aggregate of the entities' latest values
	Stale    time.Duration
	Severity Severity
	// Area, when set, restricts the rule to entities whose point (the centre of
	// the bounds for other geometry) lies in it.
	Area orb.Geometry
}

// Violates reports whether v raises the alert.
func (r *Rule) Violates(v float64) bool { return r.Op.Compare(v, r.Threshold) }

// Holds reports whether an active alert stays active at v.
func (r *Rule) Holds(v float64) bool { return r.Op.Compare(v, r.Clear) }

// Worse reports whether v is worse than w (higher for > and >=, lower for < and <=).
func (r *Rule) Worse(v, w float64) bool {
	if r.Op.High() {
		return v > w
	}
	return v < w
}

// equal reports whether two rules behave the same.
func (r *Rule) equal(o *Rule) bool {
	if r.ID != o.ID || r.Metric != o.Metric || r.Op != o.Op || r.Threshold != o.Threshold ||
		r.Clear != o.Clear || r.For != o.For || r.Scope != o.Scope || r.Res != o.Res ||
		r.Agg != o.Agg || r.Stale != o.Stale || r.Severity != o.Severity ||
		!slices.Equal(r.Kinds, o.Kinds) || !slices.Equal(r.Where, o.Where) {
		return false
	}
	if r.Area == nil || o.Area == nil {
		return r.Area == nil && o.Area == nil
	}
	return orb.Equal(r.Area, o.Area)
}

var allProps = []string{PropAgg, PropClear, PropFor, PropKinds, PropMetric, PropOp, PropRes,
	PropScope, PropSeverity, PropStale, PropThreshold, PropWhere}

// Parse reads the rule that e defines. Errors are *RuleError naming the
// property at fault, so that an API can reject a rule before it is upserted.
func Parse(e *twin.Entity) (Rule, error) {
	if e == nil {
		return Rule{}, &RuleError{Property: "entity", Reason: "nil"}
	}
	bad := func(prop, format string, args ...any) (Rule, error) {
		return Rule{}, &RuleError{Rule: e.ID, Property: prop, Reason: fmt.Sprintf(format, args...)}
	}
	if e.Kind != KindRule {
		return bad("kind", "want %q, got %q", KindRule, e.Kind)
	}
	if e.ID == "" || len(e.ID) > MaxRuleIDLen {
		return bad("id", "want 1..%d bytes, got %d", MaxRuleIDLen, len(e.ID))
	}
	for _, p := range e.Props {
		if strings.HasPrefix(p.Key, "rule.") && !slices.Contains(allProps, p.Key) {
			return bad(p.Key, "unknown rule property (want one of %s)", strings.Join(allProps, ", "))
		}
	}
	r := Rule{ID: e.ID, Scope: ScopeEntity, Stale: DefaultStale, Severity: Warning, Agg: series.Avg}

	metric, ok, err := e.Props.Text(PropMetric)
	switch {
	case err != nil:
		return bad(PropMetric, "%v", err)
	case !ok || metric == "":
		return bad(PropMetric, "required: the metric to watch, e.g. pm25")
	case len(metric) > 128:
		return bad(PropMetric, "want 1..128 bytes, got %d", len(metric))
	}
	r.Metric = metric

	op, ok, err := e.Props.Text(PropOp)
	if err != nil {
		return bad(PropOp, "%v", err)
	}
	if !ok {
		return bad(PropOp, "required: >, >=, < or <=")
	}
	if r.Op, err = ParseOperator(op); err != nil {
		return bad(PropOp, "%v", err)
	}

	th, ok, err := e.Props.Float(PropThreshold)
	if err != nil {
		return bad(PropThreshold, "%v", err)
	}
	if !ok {
		return bad(PropThreshold, "required: the value that raises the alert")
	}
	r.Threshold, r.Clear = th, th
	if c, ok, err := e.Props.Float(PropClear); err != nil {
		return bad(PropClear, "%v", err)
	} else if ok {
		if r.Op.High() && c > th || !r.Op.High() && c < th {
			side := "<="
			if !r.Op.High() {
				side = ">="
			}
			return bad(PropClear, "for %s %v the clear level must be %s the threshold, got %v", r.Op, th, side, c)
		}
		r.Clear = c
	}

	if v, ok, err := e.Props.Float(PropFor); err != nil {
		return bad(PropFor, "%v", err)
	} else if ok {
		if !(v >= 0 && v <= MaxFor.Seconds()) {
			return bad(PropFor, "want seconds in [0, %v], got %v", MaxFor.Seconds(), v)
		}
		r.For = time.Duration(math.Round(v * 1e9))
	}

	if s, ok, err := e.Props.Text(PropKinds); err != nil {
		return bad(PropKinds, "%v", err)
	} else if ok {
		if r.Kinds, err = twin.ParseKinds(s); err != nil {
			return bad(PropKinds, "%v", err)
		}
	}
	if s, ok, err := e.Props.Text(PropWhere); err != nil {
		return bad(PropWhere, "%v", err)
	} else if ok {
		if r.Where, err = twin.ParseFilters(s); err != nil {
			return bad(PropWhere, "%v", err)
		}
	}

	if s, ok, err := e.Props.Text(PropScope); err != nil {
		return bad(PropScope, "%v", err)
	} else if ok {
		switch s {
		case "entity":
		case "cell":
			r.Scope = ScopeCell
		default:
			return bad(PropScope, "want entity or cell, got %q", s)
		}
	}
	res, hasRes, err := e.Props.Float(PropRes)
	if err != nil {
		return bad(PropRes, "%v", err)
	}
	agg, hasAgg, err := e.Props.Text(PropAgg)
	if err != nil {
		return bad(PropAgg, "%v", err)
	}
	stale, hasStale, err := e.Props.Float(PropStale)
	if err != nil {
		return bad(PropStale, "%v", err)
	}
	if r.Scope == ScopeCell {
		if !hasRes {
			return bad(PropRes, "required for scope cell: an H3 resolution 0..15")
		}
		if res != math.Trunc(res) || geo.ValidRes(int(res)) != nil {
			return bad(PropRes, "want an H3 resolution 0..15, got %v", res)
		}
		r.Res = int(res)
		if hasAgg {
			if r.Agg, err = series.ParseAgg(agg); err != nil {
				return bad(PropAgg, "%v", err)
			}
		}
		if hasStale {
			if !(stale > 0 && stale <= MaxStale.Seconds()) {
				return bad(PropStale, "want seconds in (0, %v], got %v", MaxStale.Seconds(), stale)
			}
			r.Stale = time.Duration(math.Round(stale * 1e9))
		}
	} else {
		for prop, set := range map[string]bool{PropRes: hasRes, PropAgg: hasAgg, PropStale: hasStale} {
			if set {
				return bad(prop, "only for scope cell")
			}
		}
	}

	if s, ok, err := e.Props.Text(PropSeverity); err != nil {
		return bad(PropSeverity, "%v", err)
	} else if ok {
		switch sv := Severity(s); sv {
		case Info, Warning, Critical:
			r.Severity = sv
		default:
			return bad(PropSeverity, "want info, warning or critical, got %q", s)
		}
	}

	switch g := e.Geometry.(type) {
	case nil:
	case orb.Polygon, orb.MultiPolygon:
		if err := twin.ValidGeometry(g); err != nil {
			return bad("geometry", "%v", err)
		}
		if msg := checkArea(g); msg != "" {
			return bad("geometry", "%s", msg)
		}
		r.Area = g
	default:
		return bad("geometry", "want a Polygon or MultiPolygon area (or none), got %s", g.GeoJSONType())
	}
	return r, nil
}

func checkArea(g orb.Geometry) string {
	polys, _ := g.(orb.MultiPolygon)
	if p, ok := g.(orb.Polygon); ok {
		polys = orb.MultiPolygon{p}
	}
	if len(polys) == 0 {
		return "empty area"
	}
	for i, p := range polys {
		if len(p) == 0 {
			return fmt.Sprintf("polygon %d has no rings", i)
		}
		for j, ring := range p {
			if len(ring) < 4 {
				return fmt.Sprintf("polygon %d ring %d has %d points, want >= 4 (closed)", i, j, len(ring))
			}
		}
	}
	return ""
}
