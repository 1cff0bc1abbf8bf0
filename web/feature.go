package web

import (
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// ContentTypeGeoJSON is the media type of features and feature collections.
const ContentTypeGeoJSON = "application/geo+json"

// Feature is a GeoJSON feature made from an entity. The entity's links and
// provenance travel as the foreign members "relations" and "provenance".
type Feature struct {
	Type       string            `json:"type"`
	ID         twin.ID           `json:"id"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties map[string]any    `json:"properties"`
	Relations  []twin.Link       `json:"relations,omitempty"`
	Provenance []twin.Provenance `json:"provenance,omitempty"`
	Links      []Link            `json:"links,omitempty"`
}

// FeatureCollection is a page of features with the OGC paging members.
type FeatureCollection struct {
	Type           string    `json:"type"`
	Features       []Feature `json:"features"`
	NumberMatched  int       `json:"numberMatched"`
	NumberReturned int       `json:"numberReturned"`
	TimeStamp      string    `json:"timeStamp"`
	Links          []Link    `json:"links"`
}

// geometryOf converts an orb geometry (rings and bounds become polygons, as
// GeoJSON has neither); nil stays nil: a feature without a place has
// "geometry": null.
func geometryOf(g orb.Geometry) *geojson.Geometry {
	if g == nil {
		return nil
	}
	return geojson.NewGeometry(g)
}

// Members the server adds to a feature's properties. They take precedence over
// source properties of the same name, which are typed and documented.
const (
	propKind      = "kind"
	propVersion   = "version"
	propValidFrom = "valid_from"
	propHeight    = "height"
	propMinHeight = "min_height"
	propLevels    = "levels"
	propMoving    = "moving"
)

// featureOf converts an entity.
func featureOf(e *twin.Entity) Feature {
	props := make(map[string]any, len(e.Props)+6)
	for _, p := range e.Props {
		props[p.Key] = p.Value // twin.Value writes itself as plain JSON
	}
	props[propKind] = e.Kind
	props[propVersion] = e.Version
	props[propValidFrom] = e.ValidFrom.UTC().Format(time.RFC3339Nano)
	if e.Height != 0 {
		props[propHeight] = e.Height
	}
	if e.MinHeight != 0 {
		props[propMinHeight] = e.MinHeight
	}
	if e.Levels != 0 {
		props[propLevels] = e.Levels
	}
	if e.Moving {
		props[propMoving] = true
	}
	return Feature{
		Type:       "Feature",
		ID:         e.ID,
		Geometry:   geometryOf(e.Geometry),
		Properties: props,
		Relations:  e.Links,
		Provenance: e.Provenance,
	}
}
