package simulate

import (
	"fmt"
	"math"
	"sort"

	"citytwin/geo"
	"citytwin/simulate/traffic"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Road is a road segment of the twin as the traffic model sees it.
type Road struct {
	ID    twin.ID
	Line  orb.LineString
	Class string
}

// Roads is the road network a scenario runs on: the model's network and, for
// mapping results back, the road of each link.
type Roads struct {
	Net   *traffic.Network
	Roads []Road            // sorted by id
	link  map[twin.ID][]int // road → its links (one or two directions)
}

// nonMotor are the OSM classes that carry no cars.
var nonMotor = map[string]bool{"pedestrian": true, "footway": true, "path": true, "steps": true, "cycleway": true, "bridleway": true}

// roadsOf builds the network of road entities. A road needs a LineString; its
// ends are nodes: the OSM node ids from_node and to_node when it has them,
// else its end points (junctions of the synthetic city share them exactly).
// Lanes are "lanes" (both directions, default one each way), the speed
// "maxspeed_kmh" or "speed_kmh" (default 50), oneway "oneway" (yes, -1, true).
// Roads without a line, or with motor=false or a non-motor class, are skipped
// and counted.
func roadsOf(ents []twin.Entity) (*Roads, int, error) {
	sort.Slice(ents, func(i, j int) bool { return ents[i].ID < ents[j].ID })
	segs := make([]traffic.Segment, 0, len(ents))
	roads := make([]Road, 0, len(ents))
	skipped := 0
	// Ends without an OSM node id are keyed by their point (1e-7°), numbered
	// from -1 down so that they never meet an OSM id.
	points := map[[2]int32]int64{}
	nodeID := func(ps twin.Properties, key string, p orb.Point) int64 {
		if v, ok, _ := ps.Float(key); ok && v > 0 && v < 1<<62 {
			return int64(v)
		}
		k := [2]int32{int32(math.Round(p[0] * 1e7)), int32(math.Round(p[1] * 1e7))}
		id, ok := points[k]
		if !ok {
			id = -int64(len(points)) - 1
			points[k] = id
		}
		return id
	}
	for i := range ents {
		e := &ents[i]
		line, ok := e.Geometry.(orb.LineString)
		if !ok || len(line) < 2 {
			skipped++
			continue
		}
		class, _, _ := e.Props.Text("class")
		if v, ok := e.Props.Get("motor"); ok {
			if b, isBool := v.Bool(); isBool && !b {
				skipped++
				continue
			}
		}
		if nonMotor[class] {
			skipped++
			continue
		}
		seg := traffic.Segment{Road: string(e.ID), FromPt: line[0], ToPt: line[len(line)-1]}
		seg.From, seg.To = nodeID(e.Props, "from_node", line[0]), nodeID(e.Props, "to_node", line[len(line)-1])
		if seg.From == seg.To {
			skipped++ // a loop that starts and ends at one node carries nothing through
			continue
		}
		seg.LengthM = lineLength(line)
		if l, ok, _ := e.Props.Float("length_m"); ok && l > 0 {
			seg.LengthM = l
		}
		seg.LengthM = math.Max(seg.LengthM, 1)
		if l, ok, _ := e.Props.Float("lanes"); ok && l >= 1 {
			seg.Lanes = int(l)
		}
		seg.SpeedKmh = 50
		for _, k := range []string{"maxspeed_kmh", "speed_kmh"} {
			if v, ok, _ := e.Props.Float(k); ok && v > 0 {
				seg.SpeedKmh = v
				break
			}
		}
		if v, ok := e.Props.Get("oneway"); ok {
			if b, isBool := v.Bool(); isBool {
				if b {
					seg.Oneway = 1
				}
			} else if s, isStr := v.Str(); isStr {
				seg.Oneway = traffic.ParseOneway(s)
			}
		}
		segs = append(segs, seg)
		roads = append(roads, Road{ID: e.ID, Line: line, Class: class})
	}
	if len(segs) == 0 {
		return nil, skipped, fmt.Errorf("%w: no roads with a line to drive on", ErrNoInputs)
	}
	net, err := traffic.FromSegments(segs)
	if err != nil {
		return nil, skipped, err
	}
	r := &Roads{Net: net, Roads: roads, link: make(map[twin.ID][]int, len(roads))}
	for i := range net.Links {
		id := twin.ID(net.Links[i].Road)
		r.link[id] = append(r.link[id], i)
	}
	return r, skipped, nil
}

// Links are the model's links of a road (empty when it is not in the network).
func (r *Roads) Links(id twin.ID) []int { return r.link[id] }

// lineLength is the great-circle length of a line, metres.
func lineLength(l orb.LineString) float64 {
	d := 0.0
	for i := 1; i < len(l); i++ {
		d += geo.Distance(l[i-1], l[i])
	}
	return d
}
