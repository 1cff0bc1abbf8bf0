// Package alert raises and clears threshold alerts on the metrics of a twin.
//
// Rules and alerts are both twin entities, so they are in the twin's durable
// log, survive restarts, have versions ("what was active at 08:00" is an
// as-of query) and are visible in the OGC collections "alert_rules" and
// "alerts".
//
// # Rules
//
// A rule is an entity of kind "alert_rule" (KindRule) with flat properties:
//
//	rule.metric     string, required   the metric watched, e.g. "pm25"
//	rule.op         string, required   ">", ">=", "<" or "<="
//	rule.threshold  number, required   value op threshold raises the alert
//	rule.clear      number             hysteresis: the alert stays active while
//	                                   value op clear holds (default: threshold);
//	                                   must lie on the safe side of the threshold
//	rule.for        number (s)         how long the condition must hold, in
//	                                   observation time, before the alert is raised
//	                                   (default 0: at once; at most 7 days)
//	rule.kinds      string             comma list of entity kinds (empty: any)
//	rule.where      string             twin.ParseFilter conditions on the entity's
//	                                   properties, ";"-separated, all must hold
//	rule.scope      string             "entity" (default): each entity's readings;
//	                                   "cell": the aggregate over an H3 cell
//	rule.res        number             scope cell: H3 resolution 0..15 (required)
//	rule.agg        string             scope cell: avg (default), min, max, sum,
//	                                   count, p50 or p95 (nearest rank, as in
//	                                   twin.Store.AggregateCells)
//	rule.stale      number (s)         scope cell: a reading older than this
//	                                   (by the cell's clock) no longer counts
//	                                   (default 900)
//	rule.severity   string             "info", "warning" (default) or "critical"
//	geometry                           optional Polygon or MultiPolygon: only
//	                                   entities whose point lies in it (boundary
//	                                   included) are watched
//
// Numbers may also be given as numeric strings. Any other "rule.*" key is an
// error (a typo must not silently weaken a rule); other properties (a name, a
// description) are free. Parse reports the first problem as a *RuleError
// naming the property, for the HTTP layer to reject a rule before upserting
// it. An alert_rule entity in the twin that does not parse is logged, counted
// in Stats.InvalidRules and ignored (its alerts, if it had a valid version
// before, are cleared with reason "rule_changed").
//
// An entity's point is its Point geometry, or the centre of the bounds of any
// other geometry (the point the twin indexes in H3); for a moving entity, its
// newest position.
//
// # Alerts
//
// The alert of a rule about a subject (an entity id, or an H3 cell in its hex
// form for scope cell) is an entity of kind "alert" (KindAlert) with id
// "alert:<rule id>/<subject>" (see ID). Its geometry is the entity's point
// or the cell's polygon; it links to the rule (rel "rule") and, for scope
// entity, to the subject (rel "subject"). Its properties:
//
//	alert.rule, alert.subject, alert.metric, alert.op, alert.threshold,
//	alert.scope, alert.severity, alert.agg and alert.res (scope cell)
//	alert.state        "active" or "cleared"
//	alert.value        the value that raised it
//	alert.peak         the worst value while active (highest for > and >=,
//	                   lowest for < and <=)
//	alert.raised_at    RFC 3339, UTC, milliseconds, fixed width (TimeLayout), so
//	alert.cleared_at   that the strings sort by time; the versions' ValidFrom
//	                   hold the exact instants
//	alert.reason       why it cleared: "value", "rule_changed", "rule_deleted",
//	                   "subject_gone"
//	alert.clear_value  the value that cleared it (reason "value")
//
// Raising is an OpUpsert (which replaces the whole entity, so a cleared alert
// raised again is a new version of the same entity, with no cleared_at); a
// worse peak and clearing are OpPatch. Every op carries the time of the
// reading that caused it, so the alert's versions (Store.History) are its
// history and Store.GetAt answers what was active at any moment. Alerts are
// written only by the engine; deleting one dismisses it: the engine forgets
// it, and raises it again if the condition still (or again) holds.
//
// # Evaluation
//
// Time is the readings' time, never the wall clock, so a replay gives the
// same alerts. For each reading of a watched metric, every rule of the metric
// that matches the entity (kinds, where, area) is evaluated:
//
//   - scope entity: the value is the reading. A reading older than one already
//     evaluated for the same entity and metric is late and ignored.
//   - scope cell: the entity's newest reading replaces its previous one in its
//     cell at rule.res; the cell's clock is the newest reading time seen in
//     it; the value is the aggregate of the readings of the cell not older
//     than rule.stale by that clock, and the evaluation time is the clock. A
//     cell with no fresh reading is not evaluated. An entity that moves or
//     stops matching leaves its old cell at its next reading; the old cell is
//     evaluated again at its own next reading.
//
// A subject whose value violates the rule is pending from that reading's time;
// the alert is raised at the first reading at least rule.for later, provided
// every reading in between violated it too (any reading that does not resets
// the timer). An active alert clears at the first reading at which value op
// rule.clear no longer holds; clearing has no delay.
//
// When a rule is redefined, its active alerts are cleared (reason
// "rule_changed") and its pending timers reset: the new definition starts
// afresh. Upserting an identical definition changes nothing. A deleted rule
// clears its alerts ("rule_deleted"), a deleted entity or one that no longer
// matches a rule clears its alert ("subject_gone"), at the time of the op that
// deleted it or of the entity's next reading.
//
// # Lifecycle and recovery
//
// New loads the rules, takes over the active alerts (clearing, at the first
// Process, those whose rule is gone or was redefined while no engine ran),
// fills the cells of cell rules from each entity's newest reading (Store.Latest)
// and marks the feed position; it starts nothing. Run follows the change feed
// (Store.Subscribe) until its context ends, applying the ops it makes with
// Store.ApplyEach under Config.Source; Sync does the same until it has caught
// up, for tests and replays; Process evaluates given changes and returns the
// ops without applying them. Changes between the position New marked and the
// state it loaded are processed again: that is harmless, since an active alert
// stays active and an identical rule changes nothing.
//
// A restart neither drops nor duplicates alerts: active alerts stay active and
// clear at the first reading that clears them; pending "for" timers restart
// from the first violating reading after the restart.
//
// When the change feed dropped changes before the engine read them (the
// subscription reports missed > 0), the engine resynchronises (Resync): it
// reads the rules again, reads every entity again when next seen, and
// evaluates the newest reading of every entity of every watched metric
// (Store.Latest), in time order. Readings in between are lost: a short
// violation may go unnoticed and a "for" timer may restart, but no alert
// stays active that the newest readings clear.
//
// # Cost
//
// Rules are indexed by metric; the rules with a kind, where or area condition
// are matched once per entity and metric (again only when the rules or the
// entity change), and entities matching the same rules share one list. A
// reading costs a map lookup per matching rule for scope entity, and the
// recomputation of its cell's aggregate (linear in the readings of the cell)
// for scope cell. Subjects whose condition does not hold keep no state.
package alert
