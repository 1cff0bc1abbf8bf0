package main

import (
	"path/filepath"

	"citytwin/geo/mesh"
	"citytwin/ingest/importer"
	"citytwin/web"
)

// openMeshes opens the 3D surfaces that imports keep in the data directory,
// for the GLB endpoints. Without a data directory they draw LoD 1 only.
func openMeshes(dataDir string) (web.Option, func() error, error) {
	if dataDir == "" {
		return web.WithMeshes(nil), func() error { return nil }, nil
	}
	ms, err := mesh.Open(filepath.Join(dataDir, importer.MeshDir), mesh.Options{})
	if err != nil {
		return nil, nil, err
	}
	return web.WithMeshes(ms), ms.Close, nil
}
