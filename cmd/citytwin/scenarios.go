package main

import (
	"log/slog"
	"path/filepath"

	"citytwin/ingest/raster"
	"citytwin/simulate"
	"citytwin/twin"
	"citytwin/web"
)

// openScenarios starts the scenario manager: scenarios, checkpoints and
// results are kept in DATA/scenarios (in memory without a data directory);
// floods read the elevation grids that imports copied into DATA/rasters.
func openScenarios(store *twin.Store, dataDir string, log *slog.Logger) (web.Option, *simulate.Manager, error) {
	cfg := simulate.DefaultConfig()
	cfg.LoadGrid = raster.ReadFile
	cfg.Log = log
	if dataDir != "" {
		cfg.Dir = filepath.Join(dataDir, "scenarios")
	}
	m, err := simulate.NewManager(store, cfg)
	if err != nil {
		return nil, nil, err
	}
	return web.WithScenarios(m), m, nil
}
