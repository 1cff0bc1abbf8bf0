package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// KindAlert is the twin kind of alert entities; their OGC collection is
// "alerts".
const KindAlert twin.Kind = "alert"

// The properties of an alert entity. See the package doc for their meaning.
const (
	PropAlertRule       = "alert.rule"
	PropAlertSubject    = "alert.subject"
	PropAlertState      = "alert.state"
	PropAlertSeverity   = "alert.severity"
	PropAlertMetric     = "alert.metric"
	PropAlertOp         = "alert.op"
	PropAlertThreshold  = "alert.threshold"
	PropAlertScope      = "alert.scope"
	PropAlertAgg        = "alert.agg"
	PropAlertRes        = "alert.res"
	PropAlertValue      = "alert.value"
	PropAlertPeak       = "alert.peak"
	PropAlertRaisedAt   = "alert.raised_at"
	PropAlertClearedAt  = "alert.cleared_at"
	PropAlertClearValue = "alert.clear_value"
	PropAlertReason     = "alert.reason"
)

// The states of an alert.
const (
	StateActive  = "active"
	StateCleared = "cleared"
)

// Why an alert was cleared (alert.reason).
const (
	ReasonValue       = "value"        // the value went back past rule.clear
	ReasonRuleChanged = "rule_changed" // the rule was redefined (or became invalid)
	ReasonRuleDeleted = "rule_deleted"
	ReasonSubjectGone = "subject_gone" // the entity was deleted or no longer matches the rule
)

// Link relations of an alert entity.
const (
	RelRule    = "rule"
	RelSubject = "subject"
)

// TimeLayout is the format of alert.raised_at and alert.cleared_at: RFC 3339
// in UTC with milliseconds, fixed width so that the strings sort by time.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// FormatTime formats Unix nanoseconds as TimeLayout.
func FormatTime(ns int64) string { return time.Unix(0, ns).UTC().Format(TimeLayout) }

// ID is the id of the alert of rule about subject: "alert:<rule id>/<subject>",
// where subject is an entity id or an H3 cell. A subject that would make the id
// longer than the twin allows is replaced by "#" and its SHA-256 in hex (the
// alert.subject property keeps it whole).
func ID(rule twin.ID, subject string) twin.ID {
	id := "alert:" + string(rule) + "/" + subject
	if len(id) > twin.MaxIDLen {
		sum := sha256.Sum256([]byte(subject))
		id = "alert:" + string(rule) + "/#" + hex.EncodeToString(sum[:])
	}
	return twin.ID(id)
}

// props builds sorted properties from key, value pairs.
func props(kv ...twin.Prop) twin.Properties {
	ps := twin.Properties(kv)
	slices.SortFunc(ps, func(a, b twin.Prop) int { return strings.Compare(a.Key, b.Key) })
	return ps
}

func num(k string, v float64) twin.Prop { return twin.Prop{Key: k, Value: twin.NumberValue(v)} }
func txt(k, v string) twin.Prop         { return twin.Prop{Key: k, Value: twin.StringValue(v)} }

// raiseOp is the upsert that raises (or raises again) st's alert at t.
func (e *Engine) raiseOp(st *state, place orb.Geometry, t int64) twin.Op {
	r := &st.rule.Rule
	kv := []twin.Prop{
		txt(PropAlertRule, string(r.ID)),
		txt(PropAlertSubject, st.subject),
		txt(PropAlertState, StateActive),
		txt(PropAlertSeverity, string(r.Severity)),
		txt(PropAlertMetric, r.Metric),
		txt(PropAlertOp, r.Op.String()),
		num(PropAlertThreshold, r.Threshold),
		txt(PropAlertScope, r.Scope.String()),
		num(PropAlertValue, st.value),
		num(PropAlertPeak, st.peak),
		txt(PropAlertRaisedAt, FormatTime(t)),
	}
	links := []twin.Link{{Rel: RelRule, To: r.ID}}
	if r.Scope == ScopeCell {
		kv = append(kv, txt(PropAlertAgg, r.Agg.String()), num(PropAlertRes, float64(r.Res)))
	} else {
		links = append(links, twin.Link{Rel: RelSubject, To: st.key})
	}
	ent := &twin.Entity{ID: st.id, Kind: KindAlert, Geometry: place, Props: props(kv...), Links: links,
		Provenance: []twin.Provenance{{Source: e.cfg.Source, Time: twin.Time(t)}}}
	st.entity = ent
	return twin.Op{Type: twin.OpUpsert, T: t, Source: e.cfg.Source, Entity: ent}
}

// peakOp records a worse value of an active alert.
func (e *Engine) peakOp(st *state, t int64) twin.Op {
	patch := props(num(PropAlertPeak, st.peak))
	if st.entity != nil {
		cp := *st.entity
		cp.Props = cp.Props.Merge(patch)
		st.entity = &cp
	}
	return twin.Op{Type: twin.OpPatch, T: t, Source: e.cfg.Source, ID: st.id, Patch: patch}
}

// clearOp clears st's alert at t; v is the value that cleared it when reason
// is ReasonValue.
func (e *Engine) clearOp(st *state, t int64, reason string, v float64) twin.Op {
	kv := []twin.Prop{
		txt(PropAlertState, StateCleared),
		txt(PropAlertClearedAt, FormatTime(t)),
		txt(PropAlertReason, reason),
		num(PropAlertPeak, st.peak),
	}
	if reason == ReasonValue {
		kv = append(kv, num(PropAlertClearValue, v))
	}
	return twin.Op{Type: twin.OpPatch, T: t, Source: e.cfg.Source, ID: st.id, Patch: props(kv...)}
}

// cellPlace is the geometry of a cell alert.
func cellPlace(c h3.Cell) orb.Geometry { return geo.CellPolygon(c) }
