package datasets

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"citytwin/twin"

	"github.com/paulmach/orb/geojson"
)

// WriteGeoJSON writes the city as one RFC 7946 FeatureCollection, a feature at
// a time, so that a city of any size streams in constant memory. Each feature's
// id is the entity id; its properties are the entity's, plus "kind", and
// "height", "min_height" and "levels" when set, and "links" (a list of
// {"rel","to"}) when there are any. progress, when not nil, gets the features
// written so far and the total every few thousand features.
func WriteGeoJSON(ctx context.Context, w io.Writer, city *City, progress func(done, total int)) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(`{"type":"FeatureCollection","features":[`); err != nil {
		return fmt.Errorf("datasets: write geojson: %w", err)
	}
	total, n := city.Len(), 0
	for e := range city.Entities() {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil && n > 0 {
				progress(n, total)
			}
		}
		b, err := json.Marshal(feature(&e))
		if err != nil {
			return fmt.Errorf("datasets: write geojson: %s: %w", e.ID, err)
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("datasets: write geojson: %w", err)
		}
		n++
	}
	if _, err := bw.WriteString("\n]}\n"); err != nil {
		return fmt.Errorf("datasets: write geojson: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("datasets: write geojson: %w", err)
	}
	if progress != nil {
		progress(n, total)
	}
	return nil
}

// feature converts an entity to a GeoJSON feature.
func feature(e *twin.Entity) *geojson.Feature {
	f := geojson.NewFeature(e.Geometry)
	f.ID = string(e.ID)
	for _, p := range e.Props {
		f.Properties[p.Key] = p.Value.Any()
	}
	f.Properties["kind"] = string(e.Kind)
	if e.Height > 0 {
		f.Properties["height"] = e.Height
	}
	if e.MinHeight > 0 {
		f.Properties["min_height"] = e.MinHeight
	}
	if e.Levels > 0 {
		f.Properties["levels"] = e.Levels
	}
	if len(e.Links) > 0 {
		links := make([]map[string]string, len(e.Links))
		for i, l := range e.Links {
			links[i] = map[string]string{"rel": l.Rel, "to": string(l.To)}
		}
		f.Properties["links"] = links
	}
	return f
}
