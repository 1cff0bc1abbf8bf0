package main

// The command centre's storeys of BIM buildings, end to end: the real IFC
// house (KIT's FZK-Haus, two storeys, near Karlsruhe) imported with
// `citytwin import`, served with `citytwin serve --data`, and looked at in
// headless Chromium when zoomed in.

import (
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citytwin/datasets/sharedtest"
	"citytwin/web/ui"

	"github.com/chromedp/chromedp"
)

// storeyFeature is the part of a storey (or its building) the test reads from
// /api/v1/entities.
type storeyFeature struct {
	ID       string `json:"id"`
	Geometry struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	} `json:"geometry"`
	Properties struct {
		Name      string  `json:"name"`
		Elevation float64 `json:"elevation_m"`
		Height    float64 `json:"height"`
	} `json:"properties"`
	Relations []struct {
		Rel string `json:"rel"`
		To  string `json:"to"`
	} `json:"relations"`
}

// TestUIStoreys proves "BIM buildings showing their storeys when zoomed in"
// (the Storeys (BIM) layer, key 7) on a real IFC model rather than the demo
// city, which has none.
func TestUIStoreys(t *testing.T) {
	if chromiumPath() == "" {
		skipOrFail(t, "no Chromium (apt-get install chromium, or set CHROMIUM)")
	}
	if !ui.Built() {
		skipOrFail(t, "the command-centre bundle is not built (make ui)")
	}
	ifc := sharedtest.File(t, "datasets/ifc/AC20-FZK-Haus.ifc")
	data := filepath.Join(t.TempDir(), "twin")
	var out strings.Builder
	if code := run(context.Background(), []string{"import", "--quiet", "--data", data, ifc}, &out, io.Discard); code != 0 {
		t.Fatalf("import exited %d: %s", code, out.String())
	}
	t.Logf("import: %s", strings.TrimSpace(out.String()))
	base := startServe(t, "--data", data)

	// What the API says: one building, its two storeys.
	var buildings struct{ Features []storeyFeature }
	getJSON(t, base+"/api/v1/entities?kind=building&limit=10", 200, &buildings)
	if len(buildings.Features) != 1 {
		t.Fatalf("%d buildings in the twin, want the FZK-Haus alone", len(buildings.Features))
	}
	house := buildings.Features[0]
	if house.Geometry.Type != "Polygon" || len(house.Geometry.Coordinates) == 0 {
		t.Fatalf("the house's footprint is a %s", house.Geometry.Type)
	}
	lon, lat := ringCentre(house.Geometry.Coordinates[0])
	// The site's reference point: RefLatitude 49°6'1.566", RefLongitude 8°26'11.5404".
	refLon, refLat := 8+26.0/60+11.5404/3600, 49+6.0/60+1.566/3600
	if d := metresApart(lon, lat, refLon, refLat); d > 50 {
		t.Fatalf("the house stands at %.6f, %.6f, %.0f m from its site's reference point", lon, lat, d)
	}
	var storeys struct{ Features []storeyFeature }
	getJSON(t, base+"/api/v1/entities?kind=storey&limit=10", 200, &storeys)
	names := map[string]string{} // storey id → name
	levels := map[string]float64{}
	for _, f := range storeys.Features {
		names[f.ID] = f.Properties.Name
		levels[f.Properties.Name] = f.Properties.Elevation
		partOf := false
		for _, r := range f.Relations {
			partOf = partOf || (r.Rel == "part_of" && r.To == house.ID)
		}
		if !partOf {
			t.Errorf("storey %s (%s) is not part_of the house %s: %+v", f.ID, f.Properties.Name, house.ID, f.Relations)
		}
	}
	if len(names) != 2 || levels["Erdgeschoss"] != 0 || levels["Dachgeschoss"] != 2.7 {
		t.Fatalf("storeys %v at %v, want Erdgeschoss at 0 m and Dachgeschoss at 2.7 m", names, levels)
	}

	// Zoomed in on the house, from above at an angle; no storeys yet.
	p := openUI(t, base)
	p.do(t, chromedp.Navigate(fmt.Sprintf("%s/ui/#view=%.6f,%.6f,19.5,45,-20&layers=buildings,roads,vehicles,sensors", base, lon, lat)))
	p.waitFor(t, "first paint", `document.body.dataset.ready === "true"`, 30*time.Second)
	p.settle(t)
	if n := eval[int](t, p, `__ct.app.storeys.length`); n != 0 {
		t.Errorf("%d storeys shown with the layer off", n)
	}
	// houseAlpha: the opacity the buildings layer gives the house, as read
	// from its tiles (binary features: properties by feature index, numbers
	// by vertex); -1 when no tile has it.
	houseAlpha := fmt.Sprintf(`(() => {
		const l = __ct.app.deck.layerManager.getLayers().find((l) => l.id === "buildings");
		for (const t of (l && l.state.tileset?.tiles) || []) {
			const g = t.content && t.content.polygons;
			const i = g ? g.properties.findIndex((p) => p.id === %q) : -1;
			if (i < 0) continue;
			const v = g.featureIds.value.indexOf(i);
			const num = Object.fromEntries(Object.entries(g.numericProps).map(([k, a]) => [k, a.value[v]]));
			return l.props.getFillColor({ properties: { ...g.properties[i], ...num } })[3];
		}
		return -1;
	})()`, house.ID)
	if a := eval[int](t, p, houseAlpha); a != 255 {
		t.Errorf("the house's alpha is %d with the storeys off, want 255 (-1: not in the building tiles)", a)
	}
	off := p.screenshot(t)

	p.setLayer(t, "storeys", true)
	p.waitFor(t, "the storeys", `__ct.app.storeys.length > 0`, 20*time.Second)
	p.settle(t)
	type shown struct {
		ID    string
		Level int
		Base  float64
	}
	got := eval[[]shown](t, p, `__ct.app.storeys.map((d) => ({ id: d.id, level: d.level, base: d.base }))`)
	if len(got) != 2 {
		t.Fatalf("the page shows %d storeys, want 2: %+v", len(got), got)
	}
	for i, want := range []struct {
		name string
		base float64
	}{{"Erdgeschoss", 0}, {"Dachgeschoss", 2.7}} {
		if names[got[i].ID] != want.name || got[i].Level != i || math.Abs(got[i].Base-want.base) > 1e-6 {
			t.Errorf("storey %d on the page: %s (%s) level %d at %.2f m, want %s level %d at %.2f m",
				i, got[i].ID, names[got[i].ID], got[i].Level, got[i].Base, want.name, i, want.base)
		}
	}
	if a := eval[int](t, p, houseAlpha); a < 0 || a >= 128 {
		t.Errorf("the house's alpha is %d with its storeys shown, want it translucent", a)
	}

	// The storeys draw: the screen with them against without. The house
	// turns translucent too, so the pixels that change are not proof enough:
	// the storeys' amber must show, and through the house's roof.
	on := p.screenshot(t)
	p.settle(t)
	noise := differing(on, p.screenshot(t))
	d := differing(on, off)
	warmOn, warmOff := warm(on), warm(off)
	t.Logf("storeys: %d pixels change when they are shown (noise %d); %d amber pixels with them, %d without", d, noise, warmOn, warmOff)
	if d < 1000 || d < 10*noise {
		t.Errorf("showing the storeys changes %d pixels (noise %d): they do not draw", d, noise)
	}
	if warmOn < warmOff+1000 {
		t.Errorf("%d amber pixels with the storeys, %d without: the storeys do not draw", warmOn, warmOff)
	}
	// The middle of the roof, where from above the upper storey is seen
	// through it.
	roof := eval[[]float64](t, p, fmt.Sprintf(`__ct.app.deck.getViewports()[0].project([%f, %f, %f])`, lon, lat, house.Properties.Height))
	rx, ry := int(math.Round(roof[0])), int(math.Round(roof[1]))
	r0, g0, b0 := meanRGB(off, rx, ry, 3)
	r1, g1, b1 := meanRGB(on, rx, ry, 3)
	t.Logf("the middle of the roof at (%d, %d): rgb(%.0f, %.0f, %.0f) without the storeys, rgb(%.0f, %.0f, %.0f) with them", rx, ry, r0, g0, b0, r1, g1, b1)
	if r0 > b0 {
		t.Errorf("the roof is rgb(%.0f, %.0f, %.0f) without the storeys: not the house's own colour, is the view on it?", r0, g0, b0)
	}
	if r1 < b1+60 {
		t.Errorf("the roof is rgb(%.0f, %.0f, %.0f) with the storeys: they do not show through the translucent house", r1, g1, b1)
	}
	pickRoof := fmt.Sprintf(`(() => { const o = __ct.app.objectAt(__ct.app.deck.pickObject({ x: %d, y: %d, radius: 3 })); return o ? o.id : ""; })()`, rx, ry)
	if id := eval[string](t, p, pickRoof); names[id] != "Dachgeschoss" {
		t.Errorf("a click on the middle of the roof picks %q (%s), want the upper storey, Dachgeschoss", id, names[id])
	}

	// A click on a storey opens its drill-down.
	type hit struct {
		X, Y float64
		ID   string
	}
	h := eval[*hit](t, p, `__ct.pickable("storeys")`)
	if h == nil {
		t.Fatal("no storey under any point of the screen")
	}
	name := names[h.ID]
	if name == "" {
		t.Fatalf("picked %s, not a storey of the house", h.ID)
	}
	p.do(t, chromedp.MouseClickXY(h.X, h.Y))
	p.waitFor(t, "the drill-down of "+name, fmt.Sprintf(`!document.getElementById("drill").hidden && document.getElementById("drill-title")?.textContent === %q`, name), 10*time.Second)
	body := eval[string](t, p, `document.getElementById("drill-body").textContent`)
	for _, want := range []string{"storey", h.ID, "elevation_m", house.ID} {
		if !strings.Contains(body, want) {
			t.Errorf("drill-down of %s lacks %q: %.300s", name, want, body)
		}
	}
	if sel := eval[string](t, p, `__ct.app.selectedLayer || ""`); sel != "storeys" {
		t.Errorf("the selection is on layer %q, want storeys", sel)
	}

	// Zoomed out past 16.5 the storeys go, and the house is opaque again.
	p.do(t, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`__ct.app.flyTo(%f, %f, 15)`, lon, lat)))
	p.waitFor(t, "the storeys gone when zoomed out", `__ct.app.storeys.length === 0 && __ct.app.view.zoom < 16.5`, 20*time.Second)
	p.settle(t)
	if a := eval[int](t, p, houseAlpha); a != 255 {
		t.Errorf("the house's alpha is %d zoomed out, want 255", a)
	}

	// A shared link with the storeys on, zoomed in, shows them as it opens.
	p.do(t, chromedp.Navigate("about:blank"))
	p.do(t, chromedp.Navigate(fmt.Sprintf("%s/ui/#view=%.6f,%.6f,19.5,45,-20&layers=buildings,storeys", base, lon, lat)))
	p.waitFor(t, "first paint", `document.body.dataset.ready === "true"`, 30*time.Second)
	p.waitFor(t, "the storeys of a shared link", `__ct.app.storeys.length === 2`, 20*time.Second)
	p.clean(t)
}

// warm counts the map's pixels of the storeys' amber: red well over blue
// (the city's buildings, roads and background are blue-grey).
func warm(img *image.RGBA) int {
	return countMap(img, func(i int) bool { return img.Pix[i] > 120 && int(img.Pix[i]) > int(img.Pix[i+2])+60 })
}

// meanRGB is the mean colour of the pixels within r of (x, y).
func meanRGB(img *image.RGBA, x, y, r int) (red, green, blue float64) {
	n := 0.0
	for yy := y - r; yy <= y+r; yy++ {
		for xx := x - r; xx <= x+r; xx++ {
			if !(image.Point{xx, yy}.In(img.Bounds())) {
				continue
			}
			i := img.PixOffset(xx, yy)
			red, green, blue, n = red+float64(img.Pix[i]), green+float64(img.Pix[i+1]), blue+float64(img.Pix[i+2]), n+1
		}
	}
	if n == 0 {
		return 0, 0, 0
	}
	return red / n, green / n, blue / n
}

// ringCentre is the mean of a closed ring's vertices.
func ringCentre(ring [][2]float64) (lon, lat float64) {
	n := len(ring) - 1
	for _, c := range ring[:n] {
		lon += c[0] / float64(n)
		lat += c[1] / float64(n)
	}
	return lon, lat
}

// metresApart is the equirectangular distance between two nearby points.
func metresApart(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	x := (lon2 - lon1) * math.Pi / 180 * math.Cos((lat1+lat2)/2*math.Pi/180)
	y := (lat2 - lat1) * math.Pi / 180
	return r * math.Hypot(x, y)
}
