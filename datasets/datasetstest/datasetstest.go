// Package datasetstest loads synthetic cities into twins for tests and
// benchmarks: the setup that many of them share.
package datasetstest

import (
	"context"
	"testing"

	"citytwin/datasets"
	"citytwin/twin"
)

// Load generates the city of cfg and loads it into a new twin that keeps its
// whole history (no retention limit), referenced at the city's latitude.
func Load(ctx context.Context, cfg datasets.CityConfig) (*twin.Store, *datasets.City, error) {
	city, err := datasets.Generate(ctx, cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	tc := twin.DefaultConfig()
	tc.Retention = 0
	tc.RefLat = cfg.Center[1]
	store, err := twin.New(tc)
	if err != nil {
		return nil, nil, err
	}
	if err := city.Load(ctx, store, nil); err != nil {
		return nil, nil, err
	}
	return store, city, nil
}

// Twin is Load for a test or benchmark, which it fails on an error.
func Twin(tb testing.TB, cfg datasets.CityConfig) (*twin.Store, *datasets.City) {
	tb.Helper()
	store, city, err := Load(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return store, city
}
