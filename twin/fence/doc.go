// Package fence is geofencing over the twin: fences are twin entities, every
// position of a moving entity is evaluated against every fence, and the
// events go to a durable outbox from which endpoints (webhooks, MQTT, …) are
// served at least once, in order, with a sequence number to deduplicate by.
//
// # Fences
//
// A fence is an entity of kind "geofence" (KindGeofence): it is logged,
// versioned and restored with the twin and appears in the OGC collection
// "geofences". Parse reads its definition from its geometry and properties and
// names the property at fault in a *DefinitionError (errors.Is ErrBadFence),
// so that an API can reject it before it is upserted. A fence that the engine
// finds invalid in the change feed is logged, counted (Stats.Invalid) and
// watches nothing.
//
// The region, one of:
//
//   - Polygon or MultiPolygon (holes respected, the boundary is inside): an area.
//   - Point with fence.radius (metres): a circle, by true distance.
//   - LineString or MultiLineString: a line, which is crossed (cross only).
//   - no geometry and fence.cells: H3 cells (hex ids, comma separated, any
//     resolutions; a cell inside another listed one is dropped). The area is the
//     union of the cells' polygons (geo.CellPolygon), straight lon/lat edges:
//     within millimetres of H3's own assignment for city resolutions. The
//     depth used by the hysteresis is measured to the nearest cell edge, shared
//     edges included, so entering along an edge between two listed cells needs
//     h metres from that edge too.
//   - fence.near (an entity id) with fence.radius: a roaming circle that
//     follows that entity (its point, or the centre of its bound). It watches
//     neither itself nor its target, and watches nothing while the target has
//     no position.
//
// The filters and behaviour:
//
//   - fence.kinds: comma-separated kinds to watch ("vehicle,sensor"); empty or
//     absent watches every entity with a point position.
//   - fence.where: twin.ParseFilter conditions on the object's properties,
//     separated by ";", all of which must hold ("route=42;speed>3").
//   - fence.events: a subset of enter, exit, inside, outside, cross;
//     default "enter,exit" (for lines "cross", the only kind they have).
//   - fence.dwell (seconds, number or numeric string): see below.
//   - fence.hysteresis (metres): see below.
//
// An unknown property starting with "fence." is an error, so a typo does not
// silently change a fence.
//
// # Semantics
//
// Positions are evaluated in the order of the twin's change feed: every
// OpMove position, and every upsert of an entity with a Point geometry (a
// position report too). A position older than the newest one of its object
// is ignored (counted in Stats.Late): it does not change where the object is
// now. Events are evaluated on positions only; no timer fires between them.
//
// Each (fence, object) pair is clear, near, pending or in. With hysteresis h:
//
//   - An object that is not in becomes in when it is inside at least h from
//     the boundary (h = 0: inside or on the boundary).
//   - An object that is in stays in until it is outside by more than h: GPS
//     jitter on the edge does not flap.
//   - Between the two it is near (not in, not clear).
//
// Dwell d: an object that becomes in is pending; enter fires at its first
// position at which it has been in for at least d (d = 0: at once). An object
// that leaves while pending fires no enter and no exit. exit fires when an
// object that is in (entered) leaves; Event.Dwell is how long it was in,
// from its first position in (the dwell time included).
//
// inside fires at every position of an entered object except the one that
// entered. outside fires at every position of a watched object that is
// within the fence's box grown by h, but not in or pending (and not on the
// position that exited): a "near miss" stream bounded by the box, where
// Tile38's would be every object of the world.
//
// cross fires when an object passes over a fence without entering it:
//
//   - a line: the object gets clear of the line (farther than h, or off it
//     when h = 0) and the segment from its last clear position to this one
//     meets the line. Touching and turning back does not cross unless the
//     straight segment between the clear positions meets the line.
//   - an area: the object ends clear and outside, was not entered, and the
//     segment from its last clear position (or its position in, while
//     pending) meets the area: it went through between two positions, or
//     went in and out faster than the dwell time. Entering and leaving
//     are enter and exit, not cross: subscribe to all three for every
//     passage of the boundary.
//
// A fence redefined (a new version) keeps its state: objects in it are
// judged against the new definition at their next position (an object no
// longer watched, by kinds or where, exits). A deleted fence fires nothing;
// a deleted object exits every fence it was in. Roaming fences re-evaluate
// the objects near them when their target moves (enter and exit only: the
// object did not move, so inside, outside and cross come from its own moves).
//
// # Resynchronisation
//
// Run follows Store.Subscribe. When the feed reports missed changes, or does
// not reach back to where the engine was (the twin's feed ring is filled
// only by live changes, not by the replay of its log at Open), the engine
// resynchronises: it reloads the fences from the store and evaluates every
// entity at its current position starting from its last known state, so that
// only real transitions (enter, exit) become events; their T is the engine's
// clock. No cross, inside or outside events are made up for the gap. This is
// counted in Stats.Resyncs and logged. The very first start of an engine
// (no checkpoint, empty outbox) on a twin that already holds data
// establishes its state silently.
//
// # Outbox and restarts
//
// Events get their seq and are appended to a twin/wal log in Dir/outbox
// (record index = the seq of the record's last event) before anyone can see
// them; Config.Log.Sync says when that is. The newest Config.Buffer events
// are also kept in memory for Subscribe and fast Events. Retention removes
// whole segments older than RetainFor or beyond the newest RetainEvents;
// Events before the oldest kept is ErrCompacted.
//
// The state of every (fence, object) pair is checkpointed to Dir/state.gob
// on Close and every CheckpointEvery. On restart the engine loads the fences
// from the store, the checkpoint, and re-applies the enter and exit events
// the outbox got after it; then Run continues from the twin seq it reached,
// from the feed if it still has it, else by a resynchronisation. Event seqs
// continue from the outbox's newest, never reused. After a crash (no Close)
// the near and pending states and positions since the last checkpoint are
// lost: a resynchronisation then cannot duplicate enter or exit, but may miss
// a dwell that began in that window.
//
// # Delivery
//
// Endpoints are stored in Dir/endpoints.json (written atomically, 0600: it
// holds the secrets) with the cursor of each: the last seq acknowledged.
// Each endpoint has a loop that reads events after its cursor, keeps those of
// its fences and kinds, sends at most DeliveryBatch of them through its Sink,
// and on success moves its cursor past the whole read (skipped events
// included) and saves it. A failure is retried, the same batch, after an
// exponential backoff with jitter (RetryBase doubling to RetryMax), for as
// long as it takes: delivery is at least once, in order, and a receiver that
// recovers gets everything, unless retention removed it first (counted as
// Dropped). An error wrapping ErrPermanent (a webhook's 4xx other than 408
// and 429) dead-letters the batch: it is logged with its seqs, counted, and
// skipped, so that one bad batch does not stall the endpoint for ever; the
// events remain readable through Events until retention.
//
// The webhook sink POSTs a JSON array of events with the headers
// X-Citytwin-Event-Seq ("first-last"), X-Citytwin-Endpoint-Id and, with a
// secret, X-Citytwin-Signature ("sha256=" + hex HMAC-SHA256 of the body).
// Other sinks come from Config.Sinks by Endpoint.Kind.
//
// # Performance
//
// Static fences are in a geo.RTree keyed by their box grown by the
// hysteresis; a position searches it with its point (or the segment from its
// previous position when some fence wants cross), refines with
// geo.PointInPolygon or the circle's distance, and merges the candidates with
// the object's records (a small slice sorted by fence). Objects are sharded
// by slot across Config.Workers goroutines for a batch of positions, so the
// static evaluation runs in parallel without locks; roaming fences are
// evaluated after, in order, with geo.PointGrid indexes of objects and
// centres. The hot path does not allocate.
//
// # Concurrency
//
// Process and Run serialise on the engine's lock; Events, Subscribe, Stats and
// the endpoint calls do not wait for evaluation. Lock order: Engine.mu, then
// the outbox's; Engine.epMu, then an endpoint's. Close stops Run, the
// delivery loops and the background work and waits for all of them.
package fence
