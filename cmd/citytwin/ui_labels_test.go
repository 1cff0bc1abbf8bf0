package main

import (
	"strings"
	"testing"
	"time"

	"citytwin/web/ui"

	"github.com/chromedp/chromedp"
)

// TestUILabels proves that the command centre writes names on the map, in
// the font it bundles: the labels layer draws (pixels change when it is
// hidden), its text is Inter, loaded from citytwin itself (the page's
// listener fails the test on any request to another origin), and nothing
// is logged as an error.
func TestUILabels(t *testing.T) {
	if chromiumPath() == "" {
		skipOrFail(t, "no Chromium (apt-get install chromium, or set CHROMIUM)")
	}
	if !ui.Built() {
		skipOrFail(t, "the command-centre bundle is not built (make ui)")
	}
	base := startServe(t, "--demo")
	p := openUI(t, base)
	p.do(t, chromedp.Navigate(base+"/ui/"))
	p.waitFor(t, "first paint", `document.body.dataset.ready === "true"`, 30*time.Second)
	// The labels layer comes after the first paint, once the font is in.
	p.waitFor(t, "the labels layer", `__ct.app.deck.layerManager.getLayers().some((l) => l.id === "labels")`, 30*time.Second)
	p.settle(t)

	t.Run("Font", func(t *testing.T) {
		if !eval[bool](t, p, `document.fonts.check("600 16px Inter")`) {
			t.Error(`document.fonts.check("600 16px Inter") is false: Inter is not loaded`)
		}
		fonts := eval[[]string](t, p, `performance.getEntriesByType("resource").map((e) => e.name).filter((n) => /\.(woff2?|ttf|otf)(\?|$)/.test(n))`)
		if len(fonts) == 0 {
			t.Error("no font file was loaded")
		}
		for _, f := range fonts {
			if !strings.HasPrefix(f, base+"/ui/") {
				t.Errorf("font %s is not served by citytwin's /ui/", f)
			}
		}
		t.Logf("fonts loaded: %v", fonts)
		// The text layers draw in Inter, from an atlas made after it loaded.
		families := eval[[]string](t, p, `[...new Set(__ct.app.deck.layerManager.getLayers().filter((l) => l.id.startsWith("labels") && l.constructor.layerName === "TextLayer").map((l) => l.props.fontFamily))]`)
		if len(families) != 1 || families[0] != "Inter" {
			t.Errorf("the labels' text layers draw in %v, want [Inter]", families)
		}
		if body := eval[string](t, p, `getComputedStyle(document.body).fontFamily`); !strings.HasPrefix(body, "Inter") {
			t.Errorf("the page's font is %q, want Inter first", body)
		}
		p.clean(t)
	})

	t.Run("Draws", func(t *testing.T) {
		n := eval[int](t, p, `__ct.app.deck.layerManager.getLayers().filter((l) => l.id.startsWith("labels") && l.constructor.layerName === "TextLayer").reduce((n, l) => n + (l.props.data.length || 0), 0)`)
		t.Logf("%d labels in the tiles in view", n)
		if n < 10 {
			t.Errorf("%d labels in view, want the demo's street names", n)
		}
		// The live points move: hide them to compare the map alone.
		p.setLayer(t, "vehicles", false)
		p.setLayer(t, "sensors", false)
		p.settle(t)
		on := p.screenshot(t)
		p.settle(t)
		noise := differing(on, p.screenshot(t))
		p.setLayer(t, "labels", false)
		p.settle(t)
		off := p.screenshot(t)
		p.setLayer(t, "labels", true)
		d := differing(on, off)
		t.Logf("labels: %d pixels change when they are hidden (noise %d)", d, noise)
		if d < 300 || d < 10*noise {
			t.Errorf("hiding the labels changes %d pixels (noise %d), want ≥ 300: the labels do not draw", d, noise)
		}
		p.setLayer(t, "vehicles", true)
		p.setLayer(t, "sensors", true)
		p.clean(t)
	})
	p.clean(t)
}
