package main

import (
	"os"
	"path/filepath"

	"citytwin/datasets"
	"citytwin/ingest/importer"
	"citytwin/ingest/raster"
	"citytwin/twin"
	"citytwin/twin/alert"
	"citytwin/twin/fence"

	"github.com/paulmach/orb"
)

// demoWatchers are what an operator of the demo city would have set up: a
// geofence around the centre for vehicles, and alert rules on fine dust for
// single sensors (the stream's spikes raise and clear them) and for H3 cells.
// Upserting them again on a restart changes nothing.
func demoWatchers(centre orb.Point) []twin.Op {
	props := func(kv ...any) twin.Properties {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		p, err := twin.PropertiesOf(m)
		if err != nil {
			panic(err) // the literals below are valid
		}
		return p
	}
	upsert := func(e twin.Entity) twin.Op { return twin.Op{Type: twin.OpUpsert, Source: "demo", Entity: &e} }
	return []twin.Op{
		upsert(twin.Entity{ID: "fence:demo/centre", Kind: fence.KindGeofence, Geometry: centre, Props: props(
			"name", "City centre", fence.PropRadius, 400.0, fence.PropKinds, "vehicle",
			fence.PropEvents, "enter,exit", fence.PropHysteresis, 10.0)}),
		upsert(twin.Entity{ID: "rule:demo/pm25-sensor", Kind: alert.KindRule, Props: props(
			"name", "Fine dust at a sensor", "rule.metric", "pm25", "rule.op", ">", "rule.threshold", 35.0,
			"rule.clear", 25.0, "rule.kinds", "sensor", "rule.severity", "warning")}),
		upsert(twin.Entity{ID: "rule:demo/pm25-district", Kind: alert.KindRule, Props: props(
			"name", "Fine dust over a district", "rule.metric", "pm25", "rule.op", ">", "rule.threshold", 25.0,
			"rule.scope", "cell", "rule.res", 8.0, "rule.agg", "p95", "rule.for", 300.0, "rule.severity", "critical")}),
	}
}

// demoTerrain writes the demo city's elevation model (10 m cells, 300 m
// beyond the built-up area) into dir/rasters, as an import would, and returns
// the entity that points at it: flood scenarios then run on the demo city.
func demoTerrain(city *datasets.City, dir string) (twin.Op, error) {
	g, err := city.Terrain(10, 300)
	if err != nil {
		return twin.Op{}, err
	}
	rasters := filepath.Join(dir, "rasters")
	if err := os.MkdirAll(rasters, 0o755); err != nil {
		return twin.Op{}, err
	}
	path, err := filepath.Abs(filepath.Join(rasters, "demo-terrain.asc"))
	if err != nil {
		return twin.Op{}, err
	}
	if err := raster.WriteASCFile(path, g); err != nil {
		return twin.Op{}, err
	}
	e, err := importer.ElevationModel(g, "demo-terrain", path)
	if err != nil {
		return twin.Op{}, err
	}
	e.Props = e.Props.With("name", twin.StringValue("Demo terrain (synthetic)"))
	return twin.Op{Type: twin.OpUpsert, Source: "demo", Entity: e}, nil
}
