package web

import (
	"os"
	"strings"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/twin"
)

// A running server takes whole files through the same importers as the
// command line.
func TestPostImport(t *testing.T) {
	s, store := ingestServer(t, nil)
	h := s.Handler()
	ifc, err := os.ReadFile(sharedtest.File(t, "datasets/ifc/AC20-FZK-Haus.ifc"))
	if err != nil {
		t.Fatal(err)
	}
	r := post(t, h, importsPath+"?name=haus.ifc", "application/octet-stream", string(ifc))
	m := r.json(t)
	if r.status != 200 || m["format"] != "ifc" || m["path"] != "haus.ifc" || m["upserted"].(float64) != 10 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	if c := store.Counts(); c[twin.KindStorey] != 2 || c[twin.KindSpace] != 7 || c[twin.KindBuilding] != 1 {
		t.Errorf("counts after the import: %v", c)
	}
	for _, bad := range []struct{ target, body string }{
		{importsPath, "this is not a city"},
		{importsPath + "?format=shapefile", "x"},
		{importsPath + "?format=ifc", "ISO-10303-21;\nHEADER;\nbroken"},
	} {
		if r := post(t, h, bad.target, "", bad.body); r.status != 400 || strings.Contains(string(r.body), os.TempDir()+"/citytwin-import") {
			t.Errorf("%s %q: %d %s", bad.target, bad.body, r.status, r.body)
		}
	}
}
