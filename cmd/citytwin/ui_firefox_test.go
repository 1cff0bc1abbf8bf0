package main

// The command centre in Firefox: the same demo city, driven over WebDriver
// BiDi (web/ui/firefox) in a Firefox window on a virtual X server, since
// headless Firefox has no WebGL. It proves the page works there as in
// Chromium: it loads without errors, its layers draw, vehicles move, a real
// click opens a drill-down, the keyboard seeks into the past and back.
//
// Without Firefox, Xvfb or the bundle it skips, unless CI=true.

import (
	"context"
	"fmt"
	"image"
	"math"
	"strings"
	"testing"
	"time"

	"citytwin/web/ui"
	"citytwin/web/ui/firefox"
)

// WebDriver's key codes (https://w3c.github.io/webdriver/#keyboard-actions).
const (
	keyEscape    = "\uE00C"
	keyArrowLeft = "\uE012"
)

// foxPage is the command centre in Firefox.
type foxPage struct {
	b   *firefox.Browser
	ctx context.Context
}

func (p *foxPage) eval(t *testing.T, expr string, out any) {
	t.Helper()
	if err := p.b.Eval(p.ctx, expr, out); err != nil {
		t.Fatal(err)
	}
}

func (p *foxPage) waitFor(t *testing.T, what, expr string, timeout time.Duration) {
	t.Helper()
	if err := p.b.Wait(p.ctx, expr, timeout); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (p *foxPage) settle(t *testing.T) {
	t.Helper()
	var ok bool
	p.eval(t, `__ct.settled(30000)`, &ok)
	if !ok {
		t.Log("layers still loading after 30 s")
	}
}

func (p *foxPage) screenshot(t *testing.T) *image.RGBA {
	t.Helper()
	img, err := p.b.Screenshot(p.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// setLayer clicks a layer's checkbox in the panel, with the pointer, until
// the layer is in state on.
func (p *foxPage) setLayer(t *testing.T, id string, on bool) {
	t.Helper()
	var checked bool
	p.eval(t, `document.querySelector("#layer-`+id+`").checked`, &checked)
	if checked != on {
		var r struct{ X, Y float64 }
		p.eval(t, `(() => { const r = document.querySelector("#layer-`+id+`").getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()`, &r)
		p.click(t, r.X, r.Y)
	}
	p.waitFor(t, "layer "+id, fmt.Sprintf(`__ct.app.state.layers[%q] === %v`, id, on), 5*time.Second)
}

func (p *foxPage) click(t *testing.T, x, y float64) {
	t.Helper()
	if err := p.b.Click(p.ctx, x, y); err != nil {
		t.Fatal(err)
	}
}

func (p *foxPage) keys(t *testing.T, k string) {
	t.Helper()
	p.eval(t, `document.activeElement && document.activeElement.blur()`, nil)
	if err := p.b.Keys(p.ctx, k); err != nil {
		t.Fatal(err)
	}
}

// clean fails the test on anything the page logged as an error.
func (p *foxPage) clean(t *testing.T) {
	t.Helper()
	for _, e := range p.b.Errors() {
		t.Error(e)
	}
}

func TestUIFirefox(t *testing.T) {
	switch {
	case firefox.Path() == "":
		skipOrFail(t, "no Firefox (apt-get install firefox-esr, or set FIREFOX)")
	case firefox.XvfbPath() == "":
		skipOrFail(t, "no Xvfb, which Firefox's WebGL needs (apt-get install xvfb)")
	case !ui.Built():
		skipOrFail(t, "the command-centre bundle is not built (make ui)")
	}
	base := startServe(t, "--demo", "--tick", "500ms")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	t.Cleanup(cancel)
	b, err := firefox.Start(ctx, firefox.Path(), t.TempDir(), uiWidth, uiHeight)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	p := &foxPage{b: b, ctx: ctx}

	t.Run("Loads", func(t *testing.T) {
		if err := b.Navigate(ctx, base+"/"); err != nil {
			t.Fatal(err)
		}
		p.waitFor(t, "first paint", `document.body.dataset.ready === "true"`, 60*time.Second)
		var loc, renderer, version string
		p.eval(t, `location.pathname`, &loc)
		if loc != "/ui/" {
			t.Errorf("Firefox at / is at %s, want the command centre at /ui/", loc)
		}
		p.eval(t, `(() => { const gl = __ct.app.deck.device.gl, i = gl.getExtension("WEBGL_debug_renderer_info"); return String(gl.getParameter(i ? i.UNMASKED_RENDERER_WEBGL : gl.RENDERER)); })()`, &renderer)
		p.eval(t, `navigator.userAgent.match(/Firefox\/[\d.]+/)?.[0] ?? navigator.userAgent`, &version)
		var fp float64
		p.eval(t, `__ct.status().firstPaint`, &fp)
		t.Logf("Firefox (%s, WebGL on %s): first meaningful paint %.0f ms after navigation start", version, renderer, fp)
		p.settle(t)
		p.clean(t)
	})

	t.Run("LayersDraw", func(t *testing.T) {
		checkLayersDraw(t, p)
		p.clean(t)
	})

	t.Run("VehiclesMove", func(t *testing.T) {
		var before, after map[string][2]float64
		p.eval(t, `__ct.moving()`, &before)
		if len(before) < 10 {
			t.Fatalf("%d vehicles on the page, want the demo's", len(before))
		}
		var frames int
		p.eval(t, `__ct.status().streamFrames`, &frames)
		p.waitFor(t, "more frames", fmt.Sprintf(`__ct.status().streamFrames >= %d`, frames+4), 20*time.Second)
		p.eval(t, `__ct.moving()`, &after)
		moved := 0
		for id, a := range before {
			if b, ok := after[id]; ok && math.Hypot(a[0]-b[0], a[1]-b[1]) > 0.5 {
				moved++
			}
		}
		t.Logf("%d of %d vehicles moved between frames", moved, len(before))
		if moved < len(before)/4 {
			t.Errorf("only %d of %d vehicles moved", moved, len(before))
		}
		p.clean(t)
	})

	t.Run("DrillDown", func(t *testing.T) {
		var h *struct {
			X, Y float64
			ID   string
		}
		p.settle(t)
		p.eval(t, `__ct.pickable("buildings")`, &h)
		if h == nil {
			t.Fatal("no building under any point of the screen")
		}
		p.click(t, h.X, h.Y)
		p.waitFor(t, "the drill-down of "+h.ID, `!document.getElementById("drill").hidden && document.getElementById("drill-body").textContent.includes("Properties")`, 10*time.Second)
		var body string
		p.eval(t, `document.getElementById("drill-body").textContent`, &body)
		for _, want := range []string{h.ID, "building", "Provenance"} {
			if !strings.Contains(body, want) {
				t.Errorf("drill-down of %s lacks %q: %.300s", h.ID, want, body)
			}
		}
		p.keys(t, keyEscape)
		p.waitFor(t, "Esc to close the drill-down", `document.getElementById("drill").hidden`, 5*time.Second)
		p.clean(t)
	})

	t.Run("TimeSlider", func(t *testing.T) {
		p.keys(t, keyArrowLeft+keyArrowLeft)
		p.waitFor(t, "the playback snapshot", `__ct.status().mode === "playback" && __ct.app.stream.pendingSeeks === 0`, 20*time.Second)
		var badge string
		p.eval(t, `document.getElementById("mode-badge").textContent`, &badge)
		if badge == "LIVE" {
			t.Error("the badge says LIVE in the past")
		}
		p.keys(t, "l")
		p.waitFor(t, "live again", `__ct.status().mode === "live" && document.getElementById("mode-badge").textContent === "LIVE"`, 10*time.Second)
		p.clean(t)
	})
	p.clean(t)
}
