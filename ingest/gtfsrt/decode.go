package gtfsrt

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"citytwin/twin"

	"github.com/MobilityData/gtfs-realtime-bindings/golang/gtfs"
	"github.com/paulmach/orb"
	"google.golang.org/protobuf/proto"
)

// Errors that reject a whole feed. A bad vehicle only rejects itself: see Reject.
var (
	ErrTooLarge   = errors.New("gtfsrt: feed too large")
	ErrNotFeed    = errors.New("gtfsrt: not a GTFS-realtime FeedMessage")
	ErrBadOptions = errors.New("gtfsrt: bad options")
)

// Defaults of Options.
const (
	DefaultSource    = "gtfs-rt"
	DefaultIDPrefix  = "gtfs:vehicle/"
	DefaultMaxBytes  = 16 << 20
	DefaultMaxFuture = time.Hour
)

// Options say where a feed came from and what the caller already knows.
type Options struct {
	// Source is the ops' source and the provenance source of upserted vehicles
	// (default "gtfs-rt").
	Source string
	// Feed names the feed (its URL or file) in the provenance note.
	Feed string
	// IDPrefix makes the entity id of a vehicle (default "gtfs:vehicle/"). Give
	// each agency its own when several feeds share vehicle ids.
	IDPrefix string
	// Now is the time of vehicles when neither they nor the feed header have a
	// timestamp; the zero time means time.Now() when Decode is called.
	Now time.Time
	// MaxFuture rejects vehicles timestamped more than this far ahead of Now
	// (0: 1 h; clocks of on-board units drift, but not by a day).
	MaxFuture time.Duration
	// MaxBytes bounds the feed (0: 16 MiB).
	MaxBytes int
	// Known says whether the twin already has a vehicle. When it is nil, or
	// false for a vehicle, an OpUpsert of the vehicle comes before its OpMove.
	Known func(twin.ID) bool
	// Previous gives the properties the twin holds for a known vehicle. When it
	// is set and the vehicle's trip changed (trip_id, route_id, direction_id,
	// start_date or start_time), an OpPatch of the properties that differ comes
	// after its OpMove.
	Previous func(twin.ID) (twin.Properties, bool)
}

// Validate reports options that can never work.
func (o Options) Validate() error {
	if o.MaxFuture < 0 || o.MaxBytes < 0 {
		return fmt.Errorf("%w: negative limit", ErrBadOptions)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Source == "" {
		o.Source = DefaultSource
	}
	if o.IDPrefix == "" {
		o.IDPrefix = DefaultIDPrefix
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.MaxFuture == 0 {
		o.MaxFuture = DefaultMaxFuture
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	return o
}

// Header is what the feed header says.
type Header struct {
	Version        string    // gtfs_realtime_version
	Incrementality string    // FULL_DATASET or DIFFERENTIAL
	Timestamp      time.Time // zero when the header has none
}

// Result is what a feed decoded to.
type Result struct {
	Header Header
	// Ops are, per accepted vehicle in feed order: an OpUpsert when the vehicle
	// is new, its OpMove, an OpObserve when it reports speed, bearing, odometer,
	// occupancy or congestion, and an OpPatch when its trip changed.
	Ops []twin.Op
	// Props are the vehicles' properties as this feed gives them, for the caller
	// to upsert or patch with.
	Props map[twin.ID]twin.Properties
	// Rejects are the vehicles (and single readings) left out, and why.
	Rejects []Reject
	// Vehicles is the number of vehicles accepted; Skipped the number of feed
	// entities without a vehicle position (trip updates, alerts) or deleted.
	Vehicles, Skipped int
}

// Reject is a vehicle, or one reading of a vehicle, left out of a Result.
type Reject struct {
	Index   int     // the index of the FeedEntity
	Entity  string  // FeedEntity.id
	Vehicle twin.ID // the vehicle's entity id, when it has one
	Reason  string
}

func (r Reject) String() string {
	s := fmt.Sprintf("entity %d (%q", r.Index, r.Entity)
	if r.Vehicle != "" {
		s += ", " + string(r.Vehicle)
	}
	return s + "): " + r.Reason
}

// tripKeys are the properties whose change means a new trip.
var tripKeys = []string{"direction_id", "route_id", "start_date", "start_time", "trip_id"}

// vehicleKeys are all the properties a vehicle gets from the feed, sorted.
var vehicleKeys = []string{"current_status", "direction_id", "label", "license_plate", "route_id", "start_date", "start_time", "stop_id", "trip_id"}

// Decode reads a GTFS-realtime FeedMessage (protobuf) and turns its vehicle
// positions into ops. See the package documentation for the conventions.
func Decode(data []byte, opts Options) (Result, error) {
	if err := opts.Validate(); err != nil {
		return Result{}, err
	}
	o := opts.withDefaults()
	if len(data) > o.MaxBytes {
		return Result{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), o.MaxBytes)
	}
	var feed gtfs.FeedMessage
	// AllowPartial: a vehicle without its required latitude is that vehicle's
	// problem, not the feed's.
	if err := (proto.UnmarshalOptions{AllowPartial: true, DiscardUnknown: true}).Unmarshal(data, &feed); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrNotFeed, err)
	}
	return decodeFeed(&feed, o), nil
}

// DecodeFeed is Decode for a FeedMessage already unmarshalled.
func DecodeFeed(feed *gtfs.FeedMessage, opts Options) (Result, error) {
	if err := opts.Validate(); err != nil {
		return Result{}, err
	}
	return decodeFeed(feed, opts.withDefaults()), nil
}

type decoder struct {
	o       Options
	nowNs   int64
	maxNs   int64
	headerT int64
	// headerBad says the header's timestamp was too far ahead to use.
	headerBad bool
	res       Result
	seen      map[twin.ID]int
	index     int
	entity    string
	vehicle   twin.ID
}

func decodeFeed(feed *gtfs.FeedMessage, o Options) Result {
	d := &decoder{o: o, nowNs: o.Now.UnixNano()}
	d.maxNs = d.nowNs + int64(o.MaxFuture)
	if d.maxNs < d.nowNs {
		d.maxNs = math.MaxInt64
	}
	h := feed.GetHeader()
	d.res.Header = Header{Version: h.GetGtfsRealtimeVersion(), Incrementality: h.GetIncrementality().String()}
	if ts := h.GetTimestamp(); ts != 0 {
		if ns, ok := d.seconds(ts); ok {
			d.headerT = ns
			d.res.Header.Timestamp = time.Unix(0, ns).UTC()
		} else {
			d.headerBad = true
		}
	}
	entities := feed.GetEntity()
	d.res.Ops = make([]twin.Op, 0, 3*len(entities))
	for i, e := range entities {
		d.index, d.entity, d.vehicle = i, e.GetId(), ""
		vp := e.GetVehicle()
		if vp == nil || e.GetIsDeleted() {
			d.res.Skipped++
			continue
		}
		d.vehiclePosition(e, vp)
	}
	return d.res
}

func (d *decoder) reject(format string, args ...any) {
	d.res.Rejects = append(d.res.Rejects, Reject{Index: d.index, Entity: d.entity, Vehicle: d.vehicle, Reason: fmt.Sprintf(format, args...)})
}

// seconds converts a POSIX time to nanoseconds if it is not absurdly far ahead.
func (d *decoder) seconds(ts uint64) (int64, bool) {
	if ts > uint64(d.maxNs/1e9) {
		return 0, false
	}
	return int64(ts) * 1e9, true
}

// vehicleID picks the vehicle's id: vehicle.id, else vehicle.label, else the
// feed entity's id.
func vehicleID(e *gtfs.FeedEntity, vp *gtfs.VehiclePosition) string {
	if id := vp.GetVehicle().GetId(); id != "" {
		return id
	}
	if l := vp.GetVehicle().GetLabel(); l != "" {
		return l
	}
	return e.GetId()
}

func (d *decoder) vehiclePosition(e *gtfs.FeedEntity, vp *gtfs.VehiclePosition) {
	raw := vehicleID(e, vp)
	if raw == "" {
		d.reject("vehicle has no id, label or entity id")
		return
	}
	id := twin.ID(d.o.IDPrefix + raw)
	if len(id) > twin.MaxIDLen {
		d.reject("vehicle id of %d bytes is longer than %d", len(id), twin.MaxIDLen)
		return
	}
	d.vehicle = id
	if first, dup := d.seen[id]; dup {
		d.reject("vehicle also at entity %d: kept the first", first)
		return
	}

	pos := vp.GetPosition()
	switch {
	case pos == nil:
		d.reject("vehicle position has no position")
		return
	case pos.Latitude == nil || pos.Longitude == nil:
		d.reject("position has no latitude or longitude")
		return
	}
	lat, lon := decimal(pos.GetLatitude()), decimal(pos.GetLongitude())
	switch {
	case math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180:
		d.reject("position %v, %v is not a WGS84 latitude, longitude", lat, lon)
		return
	case lat == 0 && lon == 0:
		d.reject("position 0, 0: feeds use it for an unknown position")
		return
	}

	t := d.headerT
	if ts := vp.GetTimestamp(); ts != 0 {
		ns, ok := d.seconds(ts)
		if !ok {
			d.reject("timestamp %d is more than %v ahead of now", ts, d.o.MaxFuture)
			return
		}
		t = ns
	}
	if t == 0 {
		if d.headerBad && vp.GetTimestamp() == 0 {
			d.reject("no timestamp, and the header's is more than %v ahead of now", d.o.MaxFuture)
			return
		}
		t = d.nowNs
	}

	if d.seen == nil {
		d.seen = make(map[twin.ID]int)
	}
	d.seen[id] = d.index
	d.res.Vehicles++

	props := vehicleProps(vp)
	if d.res.Props == nil {
		d.res.Props = make(map[twin.ID]twin.Properties)
	}
	d.res.Props[id] = props
	point := orb.Point{lon, lat}

	known := d.o.Known != nil && d.o.Known(id)
	if !known {
		d.res.Ops = append(d.res.Ops, twin.Op{Type: twin.OpUpsert, T: t, Source: d.o.Source, Entity: &twin.Entity{
			ID:         id,
			Kind:       twin.KindVehicle,
			Geometry:   point,
			Props:      props,
			Provenance: []twin.Provenance{{Source: d.o.Source, Time: time.Unix(0, t).UTC(), Note: d.o.Feed}},
			Moving:     true,
		}})
	}
	d.res.Ops = append(d.res.Ops, twin.Op{Type: twin.OpMove, Source: d.o.Source,
		Positions: []twin.Position{{ID: id, T: t, Point: point}}})
	if obs := d.observations(id, t, vp); len(obs) > 0 {
		d.res.Ops = append(d.res.Ops, twin.Op{Type: twin.OpObserve, Source: d.o.Source, Observations: obs})
	}
	if known && d.o.Previous != nil {
		if old, ok := d.o.Previous(id); ok {
			if patch := tripPatch(old, props); len(patch) > 0 {
				d.res.Ops = append(d.res.Ops, twin.Op{Type: twin.OpPatch, T: t, Source: d.o.Source, ID: id, Patch: patch})
			}
		}
	}
}

// decimal widens a float32 to the float64 of its shortest decimal form, so that
// a latitude sent as 28.06622 is 28.06622 and not 28.066219329833984.
func decimal(f float32) float64 {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return float64(f)
	}
	var buf [32]byte
	v, err := strconv.ParseFloat(string(strconv.AppendFloat(buf[:0], float64(f), 'g', -1, 32)), 64)
	if err != nil {
		return float64(f)
	}
	return v
}

// observations are the vehicle's readings; a reading out of range is rejected
// on its own.
func (d *decoder) observations(id twin.ID, t int64, vp *gtfs.VehiclePosition) []twin.Observation {
	var obs []twin.Observation
	add := func(metric string, v float64) {
		obs = append(obs, twin.Observation{ID: id, Metric: metric, T: t, V: v})
	}
	pos := vp.GetPosition()
	if pos.Speed != nil {
		if v := decimal(pos.GetSpeed()); finite(v) && v >= 0 {
			add("speed", v)
		} else {
			d.reject("speed %v m/s: want a finite value >= 0", v)
		}
	}
	if pos.Bearing != nil {
		if v := decimal(pos.GetBearing()); finite(v) && v >= 0 && v <= 360 {
			add("bearing", v)
		} else {
			d.reject("bearing %v: want 0..360 degrees", v)
		}
	}
	if pos.Odometer != nil {
		if v := pos.GetOdometer(); finite(v) && v >= 0 {
			add("odometer", v)
		} else {
			d.reject("odometer %v m: want a finite value >= 0", v)
		}
	}
	if vp.OccupancyStatus != nil {
		add("occupancy_status", float64(vp.GetOccupancyStatus()))
	}
	if vp.OccupancyPercentage != nil {
		add("occupancy_percentage", float64(vp.GetOccupancyPercentage()))
	}
	if vp.CongestionLevel != nil {
		add("congestion_level", float64(vp.GetCongestionLevel()))
	}
	return obs
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// vehicleProps are the vehicle's properties, sorted by key.
func vehicleProps(vp *gtfs.VehiclePosition) twin.Properties {
	ps := make(twin.Properties, 0, len(vehicleKeys))
	str := func(k string, s *string) {
		if s != nil && *s != "" {
			ps = append(ps, twin.Prop{Key: k, Value: twin.StringValue(*s)})
		}
	}
	trip, veh := vp.GetTrip(), vp.GetVehicle()
	// in key order
	if vp.CurrentStatus != nil {
		ps = append(ps, twin.Prop{Key: "current_status", Value: twin.StringValue(vp.GetCurrentStatus().String())})
	}
	if trip != nil && trip.DirectionId != nil {
		ps = append(ps, twin.Prop{Key: "direction_id", Value: twin.NumberValue(float64(trip.GetDirectionId()))})
	}
	if veh != nil {
		str("label", veh.Label)
		str("license_plate", veh.LicensePlate)
	}
	if trip != nil {
		str("route_id", trip.RouteId)
		str("start_date", trip.StartDate)
		str("start_time", trip.StartTime)
	}
	str("stop_id", vp.StopId)
	if trip != nil {
		str("trip_id", trip.TripId)
	}
	return ps
}

// tripPatch is the patch from old to cur when the trip changed: every vehicle
// property that differs, with a Null for one cur no longer has. It is empty when
// the trip is the same.
func tripPatch(old, cur twin.Properties) twin.Properties {
	changed := false
	for _, k := range tripKeys {
		o, ook := old.Get(k)
		c, cok := cur.Get(k)
		if ook != cok || ook && o.Compare(c) != 0 {
			changed = true
			break
		}
	}
	if !changed {
		return nil
	}
	var patch twin.Properties
	for _, k := range vehicleKeys {
		o, ook := old.Get(k)
		c, cok := cur.Get(k)
		switch {
		case cok && (!ook || o.Compare(c) != 0):
			patch = append(patch, twin.Prop{Key: k, Value: c})
		case ook && !cok:
			patch = append(patch, twin.Prop{Key: k, Value: twin.Value{}})
		}
	}
	return patch
}
