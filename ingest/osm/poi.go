package osm

import (
	"github.com/paulmach/osm"

	"citytwin/twin"
)

// poiKeys are the tag keys that make a node a point of interest, whatever their
// value (except "no").
var poiKeys = []string{"amenity", "shop", "tourism", "leisure", "public_transport",
	"historic", "office", "craft", "healthcare", "emergency"}

// poiValues are key=value pairs that make a node a point of interest.
var poiValues = map[string][]string{
	"highway": {"bus_stop"},
	"railway": {"station", "halt", "tram_stop", "subway_entrance"},
}

func isPOI(t osm.Tags) bool {
	for _, k := range poiKeys {
		if v := t.Find(k); v != "" && v != "no" {
			return true
		}
	}
	for k, vs := range poiValues {
		v := t.Find(k)
		for _, w := range vs {
			if v == w {
				return true
			}
		}
	}
	return false
}

func (rd *reader) poi(n *osm.Node) {
	id := int64(n.ID)
	e := &twin.Entity{
		ID: twin.ID("osm:node/" + itoa(id)), Kind: twin.KindPOI,
		Geometry:   fixedPoint(n.Lon, n.Lat),
		Props:      props(n.Tags, 0),
		Provenance: rd.provenance("node", id, n.Version, n.Timestamp),
	}
	rd.pois = append(rd.pois, twin.Op{Type: twin.OpUpsert, Source: Source, Entity: e})
}
