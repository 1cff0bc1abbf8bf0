package fleet

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"citytwin/twin"
	"citytwin/twin/series"
)

// LoadShare is the mean, over the trucks of a fleet and model, of each
// truck's mean current_load as a share of its capacity. It can exceed 1:
// TSBS draws loads up to 5000 whatever the capacity.
type LoadShare struct {
	Fleet, Model      string
	LoadCapacity      float64
	AvgLoadPercentage sql.Null[float64]
}

// AvgLoad answers TSBS's avg-load over all the data, per (fleet, model,
// load_capacity), sorted by them. The trucks' means come from the twin's
// per-entity aggregate, which sums whole compressed blocks from their
// summaries.
func AvgLoad(ctx context.Context, s *twin.Store) ([]LoadShare, error) {
	trucks, err := fleetTrucks(ctx, s, "", nil)
	if err != nil {
		return nil, err
	}
	vals, err := s.AggregateEntities(ctx, twin.Aggregate{
		Query:  rosterQuery(""),
		Metric: MetricCurrentLoad,
		Agg:    series.Avg,
		From:   All.From, To: All.To,
	})
	if err != nil {
		return nil, fmt.Errorf("fleet: avg-load: %w", err)
	}
	mean := make(map[twin.ID]float64, len(vals))
	for _, v := range vals {
		if v.Count > 0 {
			mean[v.ID] = v.Value
		}
	}
	type key struct {
		fleet, model string
		capacity     float64
	}
	type acc struct {
		n   int
		sum float64
	}
	groups := map[key]*acc{}
	var keys []key
	for _, t := range trucks {
		m, ok := mean[t.ID]
		if !ok {
			continue // no current_load: the inner join drops the truck
		}
		k := key{t.Fleet, t.Model, t.LoadCapacity}
		if k.capacity != k.capacity {
			k.capacity = -1 // NULL groups with NULL
		}
		g := groups[k]
		if g == nil {
			g = &acc{}
			groups[k] = g
			keys = append(keys, k)
		}
		if share := m / t.LoadCapacity; share == share {
			g.n++
			g.sum += share
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.fleet, b.fleet); c != 0 {
			return c
		}
		if c := cmp.Compare(a.model, b.model); c != 0 {
			return c
		}
		return cmp.Compare(a.capacity, b.capacity)
	})
	out := make([]LoadShare, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		row := LoadShare{Fleet: k.fleet, Model: k.model, LoadCapacity: k.capacity}
		if k.capacity == -1 {
			row.LoadCapacity = nan
		}
		if g.n > 0 {
			row.AvgLoadPercentage = sql.Null[float64]{V: g.sum / float64(g.n), Valid: true}
		}
		out = append(out, row)
	}
	return out, nil
}

func sortStrings(s []string) { slices.Sort(s) }
