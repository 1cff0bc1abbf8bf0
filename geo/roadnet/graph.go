package roadnet

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// Errors of the road graph.
var (
	ErrBadSegment = errors.New("roadnet: bad segment")
	ErrNoNode     = errors.New("roadnet: no such node")
	ErrNoPath     = errors.New("roadnet: no path")
)

// Segment is one routable piece of road between two junctions, as an importer
// hands it over. Oneway is 0 for a two-way road, 1 for travel From→To only and -1
// for travel To→From only.
type Segment struct {
	From, To     int64     // node ids of the source (OSM node ids)
	FromPt, ToPt orb.Point // WGS84 lon/lat of From and To
	LengthM      float64   // true length along the road, metres
	Lanes        int       // lanes per direction; 0 counts as 1
	SpeedMPS     float64   // free-flow speed, metres per second, > 0
	Class        string    // e.g. "primary", "residential", "footway"
	Road         string    // id of the road entity, e.g. "osm:way/123/0"
	Oneway       int8
	Motor        bool // open to motor vehicles
}

// Node is a junction or dead end.
type Node struct {
	OSMID int64
	Point orb.Point // WGS84 lon/lat
}

// Edge is one direction of travel along a segment.
type Edge struct {
	From, To int32 // node indexes
	LengthM  float64
	Lanes    int
	SpeedMPS float64
	Class    string
	Road     string
	Motor    bool
}

// Seconds is the free-flow travel time of the edge.
func (e *Edge) Seconds() float64 { return e.LengthM / e.SpeedMPS }

// Graph is a directed road graph with adjacency in compressed sparse row form:
// the edges leaving node i are Edges[Adj[Offsets[i]:Offsets[i+1]]]. Nodes are
// sorted by OSM id. A Graph is immutable once built and safe for concurrent use.
type Graph struct {
	Nodes   []Node
	Edges   []Edge
	Offsets []int32 // len(Nodes)+1
	Adj     []int32 // edge indexes grouped by From
}

// Build makes a graph of segments: two edges for a two-way segment, one for a
// oneway one (reversed for Oneway -1). A segment with a non-finite or negative
// length or a non-positive speed is an error naming its road.
func Build(segs []Segment) (*Graph, error) {
	ids := make(map[int64]orb.Point, 2*len(segs))
	for i := range segs {
		s := &segs[i]
		if math.IsNaN(s.LengthM) || math.IsInf(s.LengthM, 0) || s.LengthM < 0 {
			return nil, fmt.Errorf("%w: %s: length %v", ErrBadSegment, s.Road, s.LengthM)
		}
		if !(s.SpeedMPS > 0) || math.IsInf(s.SpeedMPS, 0) {
			return nil, fmt.Errorf("%w: %s: speed %v", ErrBadSegment, s.Road, s.SpeedMPS)
		}
		ids[s.From] = s.FromPt
		ids[s.To] = s.ToPt
	}
	g := &Graph{Nodes: make([]Node, 0, len(ids))}
	for id, p := range ids {
		g.Nodes = append(g.Nodes, Node{OSMID: id, Point: p})
	}
	sort.Slice(g.Nodes, func(i, j int) bool { return g.Nodes[i].OSMID < g.Nodes[j].OSMID })
	for i := range segs {
		s := &segs[i]
		from, _ := g.NodeIndex(s.From)
		to, _ := g.NodeIndex(s.To)
		lanes := max(s.Lanes, 1)
		e := Edge{From: int32(from), To: int32(to), LengthM: s.LengthM, Lanes: lanes,
			SpeedMPS: s.SpeedMPS, Class: s.Class, Road: s.Road, Motor: s.Motor}
		if s.Oneway >= 0 {
			g.Edges = append(g.Edges, e)
		}
		if s.Oneway <= 0 {
			e.From, e.To = e.To, e.From
			g.Edges = append(g.Edges, e)
		}
	}
	g.index()
	return g, nil
}

// index fills Offsets and Adj from Edges (a counting sort by From, stable).
func (g *Graph) index() {
	g.Offsets = make([]int32, len(g.Nodes)+1)
	for i := range g.Edges {
		g.Offsets[g.Edges[i].From+1]++
	}
	for i := 1; i < len(g.Offsets); i++ {
		g.Offsets[i] += g.Offsets[i-1]
	}
	g.Adj = make([]int32, len(g.Edges))
	next := append([]int32(nil), g.Offsets[:len(g.Nodes)]...)
	for i := range g.Edges {
		f := g.Edges[i].From
		g.Adj[next[f]] = int32(i)
		next[f]++
	}
}

// Out returns the indexes of the edges leaving node i.
func (g *Graph) Out(i int) []int32 { return g.Adj[g.Offsets[i]:g.Offsets[i+1]] }

// NodeIndex finds the node of an OSM node id.
func (g *Graph) NodeIndex(osmID int64) (int, bool) {
	i := sort.Search(len(g.Nodes), func(i int) bool { return g.Nodes[i].OSMID >= osmID })
	return i, i < len(g.Nodes) && g.Nodes[i].OSMID == osmID
}

// Nearest returns the node closest to p (planar in degrees with the longitude
// scaled by cos(latitude), enough to snap a point to a city's junctions), or -1
// for an empty graph.
func (g *Graph) Nearest(p orb.Point) int {
	k := math.Cos(p[1] * math.Pi / 180)
	best, bestD := -1, math.Inf(1)
	for i := range g.Nodes {
		dx := (g.Nodes[i].Point[0] - p[0]) * k
		dy := g.Nodes[i].Point[1] - p[1]
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// Filter returns the graph of the edges keep accepts (nodes are kept, so node
// indexes stay valid), e.g. the motor network: g.Filter(func(e *Edge) bool {
// return e.Motor }).
func (g *Graph) Filter(keep func(e *Edge) bool) *Graph {
	out := &Graph{Nodes: g.Nodes}
	for i := range g.Edges {
		if keep(&g.Edges[i]) {
			out.Edges = append(out.Edges, g.Edges[i])
		}
	}
	out.index()
	return out
}
