package traffic

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"citytwin/geo/roadnet"

	"github.com/paulmach/orb"
)

// Errors of the traffic model.
var (
	ErrBadNetwork = errors.New("traffic: bad network")
	ErrBadDemand  = errors.New("traffic: bad demand")
	ErrBadConfig  = errors.New("traffic: bad config")
	ErrBadSignal  = errors.New("traffic: bad signal")
	ErrBadState   = errors.New("traffic: bad state")
)

// Node is a junction, a dead end or a zone's access point.
type Node struct {
	ID    int64     // source id (an OSM node id, or any stable number)
	Point orb.Point // WGS84 lon/lat, optional
}

// Link is one direction of travel between two nodes.
type Link struct {
	Road      string  // id of the road entity, for mapping results back to the twin
	From, To  int     // node indexes
	Length    float64 // metres, > 0
	Lanes     int     // lanes in this direction, ≥ 1
	FreeSpeed float64 // m/s, > 0
	Capacity  float64 // veh/s per lane; 0 takes Config.Capacity
}

// Network is a directed road network. Build it as a literal, with FromSegments
// or with FromGraph; the Model does not change it.
type Network struct {
	Nodes []Node
	Links []Link
}

// Validate checks every link: existing nodes, a positive finite length and
// speed, at least one lane and a non-negative capacity.
func (n *Network) Validate() error {
	for i := range n.Links {
		l := &n.Links[i]
		switch {
		case l.From < 0 || l.From >= len(n.Nodes) || l.To < 0 || l.To >= len(n.Nodes):
			return fmt.Errorf("%w: link %d (%s): node out of range", ErrBadNetwork, i, l.Road)
		case !(l.Length > 0) || math.IsInf(l.Length, 0):
			return fmt.Errorf("%w: link %d (%s): length %v", ErrBadNetwork, i, l.Road, l.Length)
		case !(l.FreeSpeed > 0) || math.IsInf(l.FreeSpeed, 0):
			return fmt.Errorf("%w: link %d (%s): speed %v", ErrBadNetwork, i, l.Road, l.FreeSpeed)
		case l.Lanes < 1:
			return fmt.Errorf("%w: link %d (%s): lanes %d", ErrBadNetwork, i, l.Road, l.Lanes)
		case !(l.Capacity >= 0) || math.IsInf(l.Capacity, 0):
			return fmt.Errorf("%w: link %d (%s): capacity %v", ErrBadNetwork, i, l.Road, l.Capacity)
		}
	}
	return nil
}

// NodeIndex finds the node with a source id (a linear scan; build a map for
// many look-ups).
func (n *Network) NodeIndex(id int64) (int, bool) {
	for i := range n.Nodes {
		if n.Nodes[i].ID == id {
			return i, true
		}
	}
	return -1, false
}

// Nearest returns the node closest to p (planar, longitude scaled by the cosine
// of the latitude: enough to snap a zone centroid to a junction), or -1.
func (n *Network) Nearest(p orb.Point) int {
	k := math.Cos(p[1] * math.Pi / 180)
	best, bestD := -1, math.Inf(1)
	for i := range n.Nodes {
		dx := (n.Nodes[i].Point[0] - p[0]) * k
		dy := n.Nodes[i].Point[1] - p[1]
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// Segment is a road segment as the twin holds it (KindRoad entities): the
// properties from_node and to_node (or the end points of the LineString),
// length_m, lanes (both directions together), maxspeed_kmh (OSM import) or
// speed_kmh (synthetic city), and oneway.
type Segment struct {
	Road         string // entity id
	From, To     int64  // node ids
	FromPt, ToPt orb.Point
	LengthM      float64
	Lanes        int     // in both directions together; 0 counts as one per direction
	SpeedKmh     float64 // km/h
	Oneway       int8    // 0 two-way, 1 From→To only, -1 To→From only (see ParseOneway)
}

// ParseOneway reads the twin's oneway property: "yes", "true", "1" are 1; "-1"
// and "reverse" are -1; anything else ("no", "false", "0", "") is 0.
func ParseOneway(s string) int8 {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "1":
		return 1
	case "-1", "reverse":
		return -1
	}
	return 0
}

// FromSegments builds a network of road segments: two links for a two-way
// segment (lanes split between the directions, at least one each, as the OSM
// importer does), one for a oneway one (reversed for Oneway -1). Nodes are
// sorted by id. Link.Road is the segment's Road; a reverse link has the same
// Road and runs To→From.
func FromSegments(segs []Segment) (*Network, error) {
	pts := make(map[int64]orb.Point, 2*len(segs))
	for i := range segs {
		s := &segs[i]
		if !(s.LengthM > 0) || math.IsInf(s.LengthM, 0) {
			return nil, fmt.Errorf("%w: segment %s: length %v", ErrBadNetwork, s.Road, s.LengthM)
		}
		if !(s.SpeedKmh > 0) || math.IsInf(s.SpeedKmh, 0) {
			return nil, fmt.Errorf("%w: segment %s: speed %v", ErrBadNetwork, s.Road, s.SpeedKmh)
		}
		pts[s.From] = s.FromPt
		pts[s.To] = s.ToPt
	}
	net := &Network{Nodes: make([]Node, 0, len(pts))}
	for id, p := range pts {
		net.Nodes = append(net.Nodes, Node{ID: id, Point: p})
	}
	sort.Slice(net.Nodes, func(i, j int) bool { return net.Nodes[i].ID < net.Nodes[j].ID })
	idx := make(map[int64]int, len(net.Nodes))
	for i, nd := range net.Nodes {
		idx[nd.ID] = i
	}
	for i := range segs {
		s := &segs[i]
		lanes := max(s.Lanes, 1)
		if s.Oneway == 0 {
			lanes = max(1, s.Lanes/2)
		}
		l := Link{Road: s.Road, From: idx[s.From], To: idx[s.To], Length: s.LengthM,
			Lanes: lanes, FreeSpeed: s.SpeedKmh / 3.6}
		if s.Oneway >= 0 {
			net.Links = append(net.Links, l)
		}
		if s.Oneway <= 0 {
			l.From, l.To = l.To, l.From
			net.Links = append(net.Links, l)
		}
	}
	return net, nil
}

// FromGraph builds a network of a routable road graph (its edges already have
// lanes per direction and speeds in m/s); node and link indexes equal the
// graph's node and edge indexes (an edge of length 0 becomes 1 m). Filter the
// graph first to keep motor roads.
func FromGraph(g *roadnet.Graph) *Network {
	net := &Network{Nodes: make([]Node, len(g.Nodes)), Links: make([]Link, len(g.Edges))}
	for i, nd := range g.Nodes {
		net.Nodes[i] = Node{ID: nd.OSMID, Point: nd.Point}
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		net.Links[i] = Link{Road: e.Road, From: int(e.From), To: int(e.To),
			Length: max(e.LengthM, 1), Lanes: max(e.Lanes, 1), FreeSpeed: e.SpeedMPS}
	}
	return net
}
