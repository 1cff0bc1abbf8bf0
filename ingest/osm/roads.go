package osm

import (
	"context"
	"fmt"
	"strconv"

	"github.com/paulmach/orb"

	"citytwin/geo"
	"citytwin/geo/roadnet"
	"citytwin/twin"
)

// buildRoads splits the routable ways at their junctions into road segments,
// emits one road entity per segment and builds the road graph.
func (rd *reader) buildRoads(ctx context.Context) error {
	// A node used twice or more by routable ways (by two ways, or twice by one)
	// is a junction.
	uses := make(map[int64]int32)
	for i := range rd.roads {
		w := &rd.roads[i]
		w.nodes = dedupe(w.nodes)
		for _, n := range w.nodes {
			uses[n]++
		}
	}
	var segs []roadnet.Segment
	for i := range rd.roads {
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		segs = rd.road(&rd.roads[i], uses, segs)
	}
	g, err := roadnet.Build(segs)
	if err != nil {
		return fmt.Errorf("osm: road graph: %w", err)
	}
	rd.res.Graph = g
	return nil
}

// dedupe drops repeated consecutive node references.
func dedupe(ns []int64) []int64 {
	out := ns[:0:0]
	for i, n := range ns {
		if i == 0 || n != ns[i-1] {
			out = append(out, n)
		}
	}
	return out
}

func (rd *reader) road(w *keptWay, uses map[int64]int32, segs []roadnet.Segment) []roadnet.Segment {
	if len(w.nodes) < 2 {
		rd.reject("way", w.id, "road has fewer than 2 distinct nodes")
		return segs
	}
	pts := make([]orb.Point, len(w.nodes))
	have := make([]bool, len(w.nodes))
	missing := 0
	for i, n := range w.nodes {
		pts[i], have[i] = rd.nodes.get(n)
		if !have[i] {
			missing++
		}
	}
	if missing > 0 {
		rd.res.Stats.ClippedRoads++
	}
	class := w.tags.Find("highway")
	c := roadClasses[class]
	oneway := Oneway(class, w.tags.Find("oneway"), w.tags.Find("junction"))
	speed, speedSrc := c.speedKMH, "default"
	if v, ok := ParseSpeed(w.tags.Find("maxspeed")); ok {
		speed, speedSrc = v, "tag"
	}
	lanes, ok := parseLanes(w.tags.Find("lanes"))
	if !ok {
		lanes = c.lanes
		if oneway == 0 {
			lanes *= 2
		}
	}
	perDir := lanes
	if oneway == 0 {
		perDir = max(1, lanes/2)
	}
	onewayProp := [3]string{"-1", "no", "yes"}[oneway+1]
	base := props(w.tags, 0)
	prefix := "osm:way/" + itoa(w.id) + "/"
	prov := rd.provenance("way", w.id, w.version, w.time)
	k, start := 0, -1
	for i := range w.nodes {
		if !have[i] {
			start = -1 // a segment never bridges a missing node
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		last := i == len(w.nodes)-1 || !have[i+1]
		if !last && uses[w.nodes[i]] < 2 {
			continue
		}
		line := orb.LineString(append([]orb.Point(nil), pts[start:i+1]...))
		length := 0.0
		for j := 1; j < len(line); j++ {
			length += geo.Distance(line[j-1], line[j])
		}
		id := prefix + strconv.Itoa(k)
		from, to := w.nodes[start], w.nodes[i]
		ps := merge(base, twin.Properties{ // sorted by key
			{Key: "class", Value: twin.StringValue(class)},
			{Key: "from_node", Value: twin.NumberValue(float64(from))},
			{Key: "lanes", Value: twin.NumberValue(float64(lanes))},
			{Key: "length_m", Value: twin.NumberValue(length)},
			{Key: "maxspeed_kmh", Value: twin.NumberValue(speed)},
			{Key: "maxspeed_source", Value: twin.StringValue(speedSrc)},
			{Key: "motor", Value: twin.BoolValue(c.motor)},
			{Key: "oneway", Value: twin.StringValue(onewayProp)},
			{Key: "to_node", Value: twin.NumberValue(float64(to))},
		})
		rd.emit(&twin.Entity{
			ID: twin.ID(id), Kind: twin.KindRoad, Geometry: line, Props: ps,
			Provenance: prov, // shared by the segments of a way, read-only
		})
		segs = append(segs, roadnet.Segment{
			From: from, To: to, FromPt: line[0], ToPt: line[len(line)-1],
			LengthM: length, Lanes: perDir, SpeedMPS: speed / 3.6,
			Class: class, Road: id, Oneway: oneway, Motor: c.motor,
		})
		k++
		start = i
	}
	if k == 0 {
		rd.reject("way", w.id, "road: no two consecutive nodes present")
	}
	return segs
}

// merge returns the union of two sorted property lists; over wins on equal keys.
func merge(base, over twin.Properties) twin.Properties {
	out := make(twin.Properties, 0, len(base)+len(over))
	i, j := 0, 0
	for i < len(base) || j < len(over) {
		switch {
		case j == len(over) || i < len(base) && base[i].Key < over[j].Key:
			out = append(out, base[i])
			i++
		case i == len(base) || over[j].Key < base[i].Key:
			out = append(out, over[j])
			j++
		default:
			out = append(out, over[j])
			i++
			j++
		}
	}
	return out
}
