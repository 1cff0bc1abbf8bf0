package main

// End-to-end tests of the command centre (web/ui): a real citytwin server with
// the demo city, driven in headless Chromium through chromedp. They prove what
// an operator sees: the layers really draw (pixels of screenshots, a layer on
// against off), vehicles move, a click opens a drill-down, the time slider
// shows the past, alerts arrive; and they measure first paint and the time the
// page takes to apply a frame of 100,000 moving entities.
//
// Without Chromium or without a built bundle (make ui) they skip, unless
// CI=true: then they fail, so that CI never passes by skipping them.
// go test -run UI ./cmd/citytwin -update (or UPDATE_SCREENSHOT=1) writes the
// README's screenshot to docs/img/command-centre.png.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"citytwin/web/ui"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

var updateScreenshot = flag.Bool("update", false, "write docs/img/command-centre.png from TestUICommandCentre")

const uiWidth, uiHeight = 1280, 800

// skipOrFail skips a browser test locally and fails it in CI.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s", why)
	}
	t.Skip(why)
}

// chromiumPath finds the browser: $CHROMIUM, /usr/bin/chromium, or on PATH.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// page is one browser tab on the command centre, with what it logged.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string // console errors, exceptions, requests to other origins
}

// openUI starts a browser with a fresh profile on the server at base.
func openUI(t *testing.T, base string) *page {
	t.Helper()
	exe := chromiumPath()
	if exe == "" {
		skipOrFail(t, "no Chromium (apt-get install chromium, or set CHROMIUM)")
	}
	if !ui.Built() {
		skipOrFail(t, "the command-centre bundle is not built (make ui)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(uiWidth, uiHeight),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	p := &page{t: t, base: base}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(p.listen))
	ctx, cancelTimeout := context.WithTimeout(ctx, 8*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	p.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(uiWidth, uiHeight)); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	return p
}

// listen records what the page must not do: log errors, throw, or reach for
// anything that citytwin does not serve (tiles, fonts, CDNs).
func (p *page) listen(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				if a.Description != "" {
					args = append(args, a.Description)
				} else {
					args = append(args, string(a.Value))
				}
			}
			problem = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		problem = "exception: " + d.Text
		if d.Exception != nil {
			problem += " " + d.Exception.Description
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			problem = fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *network.EventRequestWillBeSent:
		u := ev.Request.URL
		if !strings.HasPrefix(u, p.base) && !strings.HasPrefix(u, "ws"+strings.TrimPrefix(p.base, "http")) &&
			!strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			problem = "request to another origin: " + u
		}
	}
	if problem != "" {
		p.mu.Lock()
		p.problems = append(p.problems, problem)
		p.mu.Unlock()
	}
}

// clean fails the test on anything the page logged as an error so far.
func (p *page) clean(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.problems {
		t.Error(pr)
	}
	p.problems = nil
}

func (p *page) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// eval runs a JavaScript expression (awaiting a promise) and decodes its value.
func eval[T any](t *testing.T, p *page, expr string) T {
	t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript predicate until it is truthy.
func (p *page) waitFor(t *testing.T, what, expr string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// settle waits until every layer has its data and has been drawn.
func (p *page) settle(t *testing.T) {
	t.Helper()
	if !eval[bool](t, p, `__ct.settled(30000)`) {
		t.Log("layers still loading after 30 s")
	}
}

func (p *page) screenshot(t *testing.T) *image.RGBA {
	t.Helper()
	b, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

// setLayer clicks a layer's checkbox in the panel until it is in state on.
func (p *page) setLayer(t *testing.T, id string, on bool) {
	t.Helper()
	sel := "#layer-" + id
	if eval[bool](t, p, `document.querySelector("`+sel+`").checked`) != on {
		p.do(t, chromedp.Click(chromedp.CSS(sel)))
	}
	if eval[bool](t, p, `__ct.app.state.layers["`+id+`"]`) != on {
		t.Fatalf("layer %s did not turn %v", id, on)
	}
}

// differing counts the pixels of the map (panels masked) whose colour differs
// by more than a small tolerance between a and b.
func differing(a, b *image.RGBA) int {
	return countMap(a, func(i int) bool {
		return absDiff(a.Pix[i], b.Pix[i])+absDiff(a.Pix[i+1], b.Pix[i+1])+absDiff(a.Pix[i+2], b.Pix[i+2]) > 48
	})
}

// countMap counts the map's pixels of img (those under no panel) for which
// keep, given the pixel's offset in img.Pix, says yes.
func countMap(img *image.RGBA, keep func(i int) bool) int {
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !overPanel(x, y) && keep(img.PixOffset(x, y)) {
				n++
			}
		}
	}
	return n
}

// near counts the map's pixels within dist (RGB distance) of colour c.
func near(img *image.RGBA, c [3]float64, dist float64) int {
	return countMap(img, func(i int) bool {
		dr, dg, db := float64(img.Pix[i])-c[0], float64(img.Pix[i+1])-c[1], float64(img.Pix[i+2])-c[2]
		return math.Sqrt(dr*dr+dg*dg+db*db) <= dist
	})
}

// overPanel says whether a pixel lies under the HTML panels (left, right, top
// and the timeline) at 1280×800 with the default font size.
func overPanel(x, y int) bool {
	return x < 240 || x > uiWidth-330 || y < 60 || y > uiHeight-70
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// uiDriver is what checkLayersDraw needs of a page, in Chromium or Firefox.
type uiDriver interface {
	setLayer(t *testing.T, id string, on bool)
	settle(t *testing.T)
	screenshot(t *testing.T) *image.RGBA
}

// checkLayersDraw proves that the layers really draw: buildings, roads and
// the heatmap each change thousands of pixels when hidden (against the
// noise of two shots of the same scene), and the vehicles draw in cyan.
func checkLayersDraw(t *testing.T, p uiDriver) {
	t.Helper()
	// The live points move and change colour: hide them to compare the
	// static layers, then check them on their own.
	p.setLayer(t, "vehicles", false)
	p.setLayer(t, "sensors", false)
	for _, l := range []struct {
		id      string
		minDiff int
	}{
		{"buildings", 20000},
		{"roads", 3000},
		{"h3", 20000},
	} {
		p.settle(t)
		on := p.screenshot(t)
		p.settle(t)
		noise := differing(on, p.screenshot(t))
		p.setLayer(t, l.id, false)
		p.settle(t)
		off := p.screenshot(t)
		p.setLayer(t, l.id, true)
		d := differing(on, off)
		t.Logf("%s: %d pixels change when it is hidden (noise %d)", l.id, d, noise)
		if d < l.minDiff || d < 10*noise {
			t.Errorf("%s: hiding it changes %d pixels (noise %d), want ≥ %d: the layer does not draw", l.id, d, noise, l.minDiff)
		}
	}
	// Vehicles are drawn in their own cyan.
	cyan := [3]float64{0, 229, 255}
	p.settle(t)
	none := near(p.screenshot(t), cyan, 60)
	p.setLayer(t, "vehicles", true)
	p.setLayer(t, "sensors", true)
	p.settle(t)
	some := near(p.screenshot(t), cyan, 60)
	t.Logf("vehicles: %d cyan pixels with the layer on, %d off", some, none)
	if some < none+40 {
		t.Errorf("vehicles: %d cyan pixels on, %d off: the live points do not draw", some, none)
	}
}

// TestUICommandCentre runs the operator's tour of the command centre against
// the demo city. Subtests share one server and one page, in order.
func TestUICommandCentre(t *testing.T) {
	if chromiumPath() == "" {
		skipOrFail(t, "no Chromium (apt-get install chromium, or set CHROMIUM)")
	}
	if !ui.Built() {
		skipOrFail(t, "the command-centre bundle is not built (make ui)")
	}
	base := startServe(t, "--demo", "--tick", "500ms")
	p := openUI(t, base)

	t.Run("Loads", func(t *testing.T) {
		start := time.Now()
		p.do(t, chromedp.Navigate(base+"/"))
		p.waitFor(t, "first paint", `document.body.dataset.ready === "true"`, 30*time.Second)
		wall := time.Since(start)
		loc := eval[string](t, p, `location.pathname`)
		if loc != "/ui/" {
			t.Errorf("a browser at / is at %s, want the command centre at /ui/", loc)
		}
		fp := eval[float64](t, p, `__ct.status().firstPaint`)
		t.Logf("first meaningful paint (buildings, roads and live points drawn and committed to the screen): %.0f ms after navigation start (%.0f ms wall clock incl. the redirect)", fp, float64(wall.Milliseconds()))
		t.Logf("on the way (ms from navigation start): %s", eval[string](t, p, `JSON.stringify(__ct.status().marks)`))
		t.Logf("benchmarks.md: | command centre first meaningful paint, demo city, headless Chromium (SwiftShader), 1280×800 | %.0f ms | target ≤ 2000 ms |", fp)
		// The target is 2 s; the test fails only when the page is clearly
		// broken, since a loaded machine (other tests, SwiftShader on shared
		// cores) can be slower: the figure is reported either way.
		if fp > 2000 {
			t.Logf("first meaningful paint %.0f ms is over the 2 s target (load on this machine: see uptime)", fp)
		}
		if fp > 20000 {
			t.Errorf("first meaningful paint %.0f ms, want ≤ 2000 ms", fp)
		}
		p.settle(t)
		p.clean(t)
	})

	t.Run("LayersDraw", func(t *testing.T) {
		checkLayersDraw(t, p)
		p.clean(t)
	})

	t.Run("VehiclesMove", func(t *testing.T) {
		before := eval[map[string][2]float64](t, p, `__ct.moving()`)
		if len(before) < 10 {
			t.Fatalf("%d vehicles on the page, want the demo's", len(before))
		}
		frames := eval[int](t, p, `__ct.status().streamFrames`)
		p.waitFor(t, "two more frames", fmt.Sprintf(`__ct.status().streamFrames >= %d`, frames+4), 20*time.Second)
		after := eval[map[string][2]float64](t, p, `__ct.moving()`)
		moved := 0
		for id, a := range before {
			if b, ok := after[id]; ok && math.Hypot(float64(a[0]-b[0]), float64(a[1]-b[1])) > 0.5 {
				moved++
			}
		}
		t.Logf("%d of %d vehicles moved between frames", moved, len(before))
		if moved < len(before)/4 {
			t.Errorf("only %d of %d vehicles moved", moved, len(before))
		}
		// And on screen: the vehicles' pixels are not where they were.
		p.settle(t)
		a := p.screenshot(t)
		p.waitFor(t, "more frames", fmt.Sprintf(`__ct.status().streamFrames >= %d`, frames+8), 20*time.Second)
		p.settle(t)
		if d := differing(a, p.screenshot(t)); d < 20 {
			t.Errorf("the screen changed in %d pixels while vehicles moved", d)
		}
		p.clean(t)
	})

	t.Run("DrillDown", func(t *testing.T) {
		type hit struct {
			X, Y float64
			ID   string
		}
		p.settle(t)
		h := eval[*hit](t, p, `__ct.pickable("buildings")`)
		if h == nil {
			t.Fatal("no building under any point of the screen")
		}
		p.do(t, chromedp.MouseClickXY(h.X, h.Y))
		p.waitFor(t, "the drill-down of "+h.ID, `!document.getElementById("drill").hidden && document.getElementById("drill-body").textContent.includes("Properties")`, 10*time.Second)
		body := eval[string](t, p, `document.getElementById("drill-body").textContent`)
		for _, want := range []string{h.ID, "building", "height", "Provenance"} {
			if !strings.Contains(body, want) {
				t.Errorf("drill-down of %s lacks %q: %.300s", h.ID, want, body)
			}
		}
		if !strings.Contains(eval[string](t, p, `location.hash`), "sel=") {
			t.Error("the selection is not in the URL")
		}
		// A sensor's drill-down charts its channels.
		p.do(t, chromedp.KeyEvent(kb.Escape))
		p.setLayer(t, "vehicles", false)
		p.settle(t)
		s := eval[*hit](t, p, `__ct.pickable("live", "sensor")`)
		if s == nil {
			t.Fatal("no sensor under any point of the screen")
		}
		p.do(t, chromedp.MouseClickXY(s.X, s.Y))
		p.waitFor(t, "the channels of "+s.ID, `document.querySelectorAll("#drill canvas").length > 0`, 10*time.Second)
		p.setLayer(t, "vehicles", true)
		p.do(t, chromedp.KeyEvent(kb.Escape))
		p.waitFor(t, "Esc to close the drill-down", `document.getElementById("drill").hidden`, 5*time.Second)
		p.clean(t)
	})

	t.Run("TimeSlider", func(t *testing.T) {
		live := eval[map[string][2]float64](t, p, `__ct.moving()`)
		if eval[string](t, p, `document.getElementById("mode-badge").textContent`) != "LIVE" {
			t.Error("the badge does not say LIVE")
		}
		// ← twice: two minutes back, paused (before the demo started moving).
		p.do(t, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`), chromedp.KeyEvent(kb.ArrowLeft), chromedp.KeyEvent(kb.ArrowLeft))
		p.waitFor(t, "the playback snapshot", `__ct.status().mode === "playback" && __ct.app.stream.pendingSeeks === 0`, 20*time.Second)
		shown := eval[float64](t, p, `__ct.status().shown`)
		if ago := time.Since(time.UnixMilli(int64(shown))); ago < 100*time.Second || ago > 150*time.Second {
			t.Errorf("shows %v ago, want 2 min", ago)
		}
		badge := eval[string](t, p, `document.getElementById("mode-badge").textContent`)
		label := eval[string](t, p, `document.getElementById("time-label").textContent`)
		if badge == "LIVE" || !strings.Contains(label, "ago") {
			t.Errorf("badge %q, label %q: the past is not marked", badge, label)
		}
		if !strings.Contains(eval[string](t, p, `location.hash`), "t=20") {
			t.Error("the time is not in the URL")
		}
		past := eval[map[string][2]float64](t, p, `__ct.moving()`)
		differ := 0
		for id, a := range past {
			if b, ok := live[id]; ok && math.Hypot(float64(a[0]-b[0]), float64(a[1]-b[1])) > 1 {
				differ++
			}
		}
		t.Logf("two minutes back: %d of %d vehicles elsewhere than live", differ, len(past))
		if len(past) == 0 || differ < len(past)/4 {
			t.Errorf("the earlier state shows %d vehicles, %d elsewhere than live", len(past), differ)
		}
		// L: back to live.
		p.do(t, chromedp.KeyEvent("l"))
		p.waitFor(t, "live again", `__ct.status().mode === "live" && document.getElementById("mode-badge").textContent === "LIVE"`, 10*time.Second)
		p.clean(t)
	})

	t.Run("Alerts", func(t *testing.T) {
		// The demo's vehicles cross the centre's fence all the time.
		p.waitFor(t, "a geofence event", `[...document.querySelectorAll("#alert-list li.fence")].some(li => li.textContent.includes("fence:demo/centre"))`, 60*time.Second)
		// A threshold alert, forced: fine dust far over the rule's 35 µg/m³.
		sensor := eval[string](t, p, `[...__ct.app.stream.slotOfId.keys()].find(id => id.includes("air_quality"))`)
		if sensor == "" {
			t.Fatal("no air-quality sensor in the stream")
		}
		resp, err := http.Post(base+"/api/v1/observations?format=json&entity="+sensor, "application/json", strings.NewReader(`{"metrics":{"pm25":400}}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST observation: %d", resp.StatusCode)
		}
		sel := fmt.Sprintf(`[...document.querySelectorAll("#alert-list li:not(.fence)")].find(li => li.textContent.includes(%q))`, sensor)
		p.waitFor(t, "the alert on "+sensor, sel, 30*time.Second)
		// Clicking it flies there and opens the sensor.
		before := eval[[2]float64](t, p, `[__ct.app.view.longitude, __ct.app.view.latitude]`)
		p.do(t, chromedp.Evaluate[chromedp.Void](sel+`.click()`))
		p.waitFor(t, "the drill-down of "+sensor, fmt.Sprintf(`!document.getElementById("drill").hidden && document.getElementById("drill-body").textContent.includes(%q)`, sensor), 10*time.Second)
		time.Sleep(1500 * time.Millisecond) // the flight
		after := eval[[2]float64](t, p, `[__ct.app.view.longitude, __ct.app.view.latitude]`)
		if before == after {
			t.Error("the view did not move to the alert")
		}
		p.do(t, chromedp.KeyEvent(kb.Escape))
		p.clean(t)
	})

	t.Run("Search", func(t *testing.T) {
		// "/" focuses the search; the demo's ring roads are named "Ring 1", "Ring 2", …
		p.do(t, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`), chromedp.KeyEvent("/"))
		if id := eval[string](t, p, `document.activeElement.id`); id != "search" {
			t.Fatalf("after /, the focus is on %q, not the search", id)
		}
		// DevTools types the "/" as a character of its own, which a browser
		// does not after the keydown's preventDefault: clear it, then type.
		p.do(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("search").value = ""`), chromedp.KeyEvent("ring 1"))
		p.waitFor(t, "search results", `[...document.querySelectorAll("#search-results li")].some(li => li.textContent.includes("Ring 1"))`, 20*time.Second)
		p.do(t, chromedp.KeyEvent(kb.Enter))
		p.waitFor(t, "the road's drill-down", `!document.getElementById("drill").hidden && document.getElementById("drill-body").textContent.includes("Ring 1")`, 20*time.Second)
		p.do(t, chromedp.KeyEvent(kb.Escape))
		p.clean(t)
	})

	t.Run("Scenario", func(t *testing.T) {
		// A planner opens the panel, draws an area of rain and removes it,
		// closes a road by clicking it, runs ten minutes of traffic and
		// compares the run with the baseline.
		p.do(t, chromedp.Click(chromedp.CSS("#scenario-new summary")))
		p.waitFor(t, "the scenarios API", `__ct.app.scenarios.available`, 10*time.Second)
		p.settle(t)
		p.do(t, chromedp.Click(chromedp.CSS("#scenario-rain")))
		for _, xy := range [][2]float64{{500, 300}, {640, 300}, {600, 420}} {
			p.do(t, chromedp.MouseClickXY(xy[0], xy[1]))
		}
		p.waitFor(t, "three points drawn", `__ct.app.scenarios.draft.length === 3`, 5*time.Second)
		p.do(t, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`), chromedp.KeyEvent(kb.Enter))
		p.waitFor(t, "the rain in the list", `document.getElementById("scenario-interventions").textContent.includes("rain 80 mm/h")`, 5*time.Second)
		p.do(t, chromedp.Click(chromedp.CSS("#scenario-interventions .remove")))
		p.waitFor(t, "the rain removed", `__ct.app.scenarios.interventions.length === 0`, 5*time.Second)

		// A road in the open: under no panel, on top at that point.
		type hit struct {
			X, Y float64
			ID   string
		}
		p.do(t, chromedp.Click(chromedp.CSS("#scenario-close")))
		road := eval[*hit](t, p, `(() => {
			const app = __ct.app, w = app.deck.width, h = app.deck.height, pts = [];
			for (let gy = 0.2; gy <= 0.8; gy += 0.02) for (let gx = 0.22; gx <= 0.68; gx += 0.015) pts.push([gx * w, gy * h]);
			pts.sort((a, b) => Math.hypot(a[0] - w / 2, a[1] - h / 2) - Math.hypot(b[0] - w / 2, b[1] - h / 2));
			for (const [x, y] of pts) {
				if (document.elementFromPoint(x, y)?.tagName !== "CANVAS") continue;
				const o = app.objectAt(app.deck.pickObject({ x, y, radius: 3 }));
				if (o && o.layer === "roads" && o.id) return { x, y, id: o.id };
			}
			return null;
		})()`)
		if road != nil {
			p.do(t, chromedp.MouseClickXY(road.X, road.Y))
		} else {
			// No road alone under a point: the click's own code path.
			t.Log("no road under any open point of the screen; closing synth:road/12 through app.click")
			road = &hit{ID: "synth:road/12"}
			p.do(t, chromedp.Evaluate[chromedp.Void](`__ct.app.click({ layer: { id: "roads" }, object: { properties: { id: "synth:road/12", kind: "road" } } })`))
		}
		p.waitFor(t, "the closure of "+road.ID, fmt.Sprintf(`document.getElementById("scenario-interventions").textContent.includes("close %s")`, road.ID), 5*time.Second)
		if eval[bool](t, p, `!document.getElementById("drill").hidden`) {
			t.Error("closing a road opened its drill-down")
		}
		// A substation cut by clicking it, among those the tool shows.
		p.do(t, chromedp.Click(chromedp.CSS("#scenario-cut")))
		p.waitFor(t, "the substations in view", `__ct.app.scenarios.substations.length > 0`, 10*time.Second)
		p.settle(t)
		// Where a substation is drawn in the open (under no panel) and on top.
		sub := eval[*hit](t, p, `(() => {
			const app = __ct.app, vp = app.deck.getViewports()[0];
			for (const f of app.scenarios.substations) {
				const [x, y] = vp.project(f.geometry.coordinates);
				if (x < 0 || y < 0 || x > app.deck.width || y > app.deck.height) continue;
				if (document.elementFromPoint(x, y)?.tagName !== "CANVAS") continue;
				const o = app.objectAt(app.deck.pickObject({ x, y, radius: 3 }));
				if (o && o.kind === "substation") return { x, y, id: o.id };
			}
			return null;
		})()`)
		if sub == nil {
			t.Fatal("no substation under any point of the screen")
		}
		p.do(t, chromedp.MouseClickXY(sub.X, sub.Y))
		p.waitFor(t, "the cut of "+sub.ID, fmt.Sprintf(`document.getElementById("scenario-interventions").textContent.includes("cut %s")`, sub.ID), 5*time.Second)
		// The closed road is marked on the map, in the closure's red.
		p.waitFor(t, "the closed road and the cut substation marked", `__ct.app.deck.props.layers.some(l => l.id === "scenario-marked" && l.props.data.length === 2)`, 10*time.Second)
		p.settle(t)
		if red := near(p.screenshot(t), [3]float64{255, 59, 48}, 50); red < 30 {
			t.Errorf("the closed road is marked by %d red pixels", red)
		}

		p.do(t,
			chromedp.SetValue(`#scenario-form [name=model]`, "traffic"),
			chromedp.SetValue(`#scenario-form [name=horizon_s]`, "600"),
			chromedp.SetValue(`#scenario-form [name=name]`, "e2e closure"),
			chromedp.Click(chromedp.CSS(`#scenario-form button[type=submit]`)))
		if _, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](`document.getElementById("scenario-progress").dataset.status === "done" && document.getElementById("scenario-bar").value === 1`,
			chromedp.WithPollingTimeout(90*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			t.Fatalf("the run did not finish: %v; panel: %s; scenarios: %s", err, eval[string](t, p, `document.getElementById("scenarios").textContent`),
				eval[string](t, p, `JSON.stringify([...__ct.app.scenarios.items.values()].map(s => [s.id, s.status, s.progress]))`))
		}
		p.waitFor(t, "the KPI table", `document.querySelectorAll("#scenario-kpis tr").length > 2`, 20*time.Second)
		t.Logf("progress: %s; %d scenario messages from the stream", eval[string](t, p, `document.getElementById("scenario-phase").textContent`), eval[int](t, p, `__ct.app.scenarios.streamed`))
		if eval[int](t, p, `__ct.app.scenarios.streamed`) == 0 {
			t.Error("no scenario message came on the stream")
		}
		kpis := eval[string](t, p, `document.getElementById("scenario-kpis").textContent`)
		for _, want := range []string{"baseline", "delay", "vehicle hours", "entities out of service"} {
			if !strings.Contains(kpis, want) {
				t.Errorf("the KPI table lacks %q: %.300s", want, kpis)
			}
		}
		if !strings.Contains(eval[string](t, p, `document.getElementById("legend").textContent`), "Scenario − baseline") {
			t.Error("the legend has no entry for the difference layer")
		}
		// The KPIs over time: a chart per curve, with both lines drawn.
		curves := eval[[]string](t, p, `[...document.querySelectorAll("#scenario-curves canvas")].map(c => c.dataset.name)`)
		inked := eval[int](t, p, `[...document.querySelectorAll("#scenario-curves canvas")].filter(c => {
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			let amber = 0, grey = 0;
			for (let i = 0; i < d.length; i += 4) {
				if (d[i + 3] < 128) continue;
				if (d[i] > 200 && d[i + 1] > 140 && d[i + 1] < 220 && d[i + 2] < 120) amber++;
				if (Math.abs(d[i] - 136) < 30 && Math.abs(d[i + 2] - 170) < 30) grey++;
			}
			return amber > 20 && grey > 20;
		}).length`)
		t.Logf("KPI charts: %v, %d with both lines", curves, inked)
		if len(curves) == 0 || inked != len(curves) {
			t.Errorf("KPI charts %v, %d with both the baseline and the scenario drawn", curves, inked)
		}
		// Hovering a cell of the difference layer tells its numbers.
		tip := eval[string](t, p, `(() => {
			const app = __ct.app, w = app.deck.width, h = app.deck.height;
			for (let gy = 0.2; gy <= 0.8; gy += 0.02) for (let gx = 0.25; gx <= 0.7; gx += 0.02) {
				const info = app.deck.pickObject({ x: gx * w, y: gy * h, layerIds: ["scenario-diff"] });
				if (info && info.object) return app.tooltip(info).text;
			}
			return "";
		})()`)
		if !strings.Contains(tip, "baseline") || !strings.Contains(tip, "difference") {
			t.Errorf("the difference layer's tooltip: %q", tip)
		}

		// The difference layer draws: the screen with it against without.
		p.setLayer(t, "vehicles", false)
		p.setLayer(t, "sensors", false)
		p.setLayer(t, "h3", false)
		p.settle(t)
		on := p.screenshot(t)
		p.settle(t)
		noise := differing(on, p.screenshot(t))
		p.do(t, chromedp.Click(chromedp.CSS("#scenario-diff-toggle")))
		if eval[bool](t, p, `__ct.app.scenarios.showDiff`) {
			t.Fatal("the difference layer did not turn off")
		}
		p.settle(t)
		d := differing(on, p.screenshot(t))
		t.Logf("scenario difference: %d pixels change when it is hidden (noise %d, %d cells)", d, noise, eval[int](t, p, `__ct.app.scenarios.result.cells.length`))
		if d < 3000 || d < 10*noise {
			t.Errorf("hiding the difference layer changes %d pixels (noise %d): it does not draw", d, noise)
		}
		if strings.Contains(eval[string](t, p, `document.getElementById("legend").textContent`), "Scenario − baseline") {
			t.Error("the legend keeps the difference layer when it is hidden")
		}
		p.do(t, chromedp.Click(chromedp.CSS("#scenario-diff-toggle")))
		p.setLayer(t, "h3", true)
		p.setLayer(t, "vehicles", true)
		p.setLayer(t, "sensors", true)
		p.settle(t)
		p.clean(t)
	})

	t.Run("FrameApply100k", func(t *testing.T) {
		type stat struct{ Mean, P50, Max float64 }
		type bench struct {
			N            int
			Apply        stat
			ApplyAndDraw stat
		}
		b := eval[bench](t, p, `__ct.bench(100000, 20, 0)`)
		// Then through deck.gl to the screen: a few rounds, each a full frame
		// of the whole scene on a software renderer.
		ctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
		d, err := chromedp.Run(ctx, chromedp.Evaluate[bench](`__ct.bench(100000, 1, 3)`, chromedp.EvalAwaitPromise))
		cancel()
		if err != nil {
			t.Logf("status: %s", eval[string](t, p, `JSON.stringify(__ct.status())`))
			t.Fatalf("bench with drawing: %v", err)
		}
		b.ApplyAndDraw = d.ApplyAndDraw
		t.Logf("frame apply, %d moving entities: decode+apply mean %.2f ms (p50 %.2f, max %.2f); with the GPU upload and draw mean %.1f ms (p50 %.1f, max %.1f)",
			b.N, b.Apply.Mean, b.Apply.P50, b.Apply.Max, b.ApplyAndDraw.Mean, b.ApplyAndDraw.P50, b.ApplyAndDraw.Max)
		t.Logf("benchmarks.md: | command centre frame apply, 100,000 moving entities per update (decode + apply) | %.2f ms | %.1f ms with upload and draw (SwiftShader) |", b.Apply.Mean, b.ApplyAndDraw.Mean)
		if b.Apply.P50 > 100 {
			t.Errorf("applying a frame of 100,000 positions takes %.1f ms, want well under the 1 s between updates", b.Apply.P50)
		}
		// Drawing is the renderer's: on SwiftShader, sharing two cores (with
		// the race detector and other packages' tests in CI), a full frame of
		// the scene with 100,000 points takes one to a few seconds; a GPU
		// draws it in milliseconds. Fail only when drawing stalls.
		if b.ApplyAndDraw.P50 > 15000 {
			t.Errorf("applying and drawing a frame of 100,000 positions takes %.0f ms: the page's drawing stalls", b.ApplyAndDraw.P50)
		}
		p.settle(t)
		p.clean(t)
	})

	t.Run("Screenshot", func(t *testing.T) {
		if !*updateScreenshot && os.Getenv("UPDATE_SCREENSHOT") != "1" {
			t.Skip("run with -update or UPDATE_SCREENSHOT=1 to write docs/img/command-centre.png")
		}
		// The demo city as it opens, with a few alerts and a sensor open.
		p.do(t, chromedp.Navigate(base+"/ui/"))
		p.waitFor(t, "first paint", `document.body.dataset.ready === "true"`, 60*time.Second)
		p.waitFor(t, "alerts in the list", `document.querySelectorAll("#alert-list li").length > 2`, 60*time.Second)
		p.settle(t)
		if s := eval[*struct{ X, Y float64 }](t, p, `__ct.pickable("live", "sensor")`); s != nil {
			p.do(t, chromedp.MouseClickXY(s.X, s.Y))
			p.waitFor(t, "charts", `document.querySelectorAll("#drill canvas").length > 0`, 20*time.Second)
		}
		p.settle(t)
		b, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "..", "docs", "img", "command-centre.png")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", out, len(b))
	})
	p.clean(t)
}

// TestUIRootRedirect checks, without a browser, that / sends browsers to the
// command centre and keeps the OGC landing page for other clients.
func TestUIRootRedirect(t *testing.T) {
	base := startServe(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		target, accept string
		status         int
		location, ct   string
	}{
		{"/", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 303, "/ui/", ""},
		{"/", "application/json", 200, "", "application/json"},
		{"/", "", 200, "", "application/json"},
		{"/?f=json", "text/html", 200, "", "application/json"},
		{"/?f=html", "text/html", 200, "", "text/html"},
		{"/ui/", "text/html", map[bool]int{true: 200, false: 503}[ui.Built()], "", "text/html"},
	} {
		req, _ := http.NewRequest("GET", base+tt.target, nil)
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.ct) {
			t.Errorf("GET %s (Accept %q): %d, Location %q, %s; want %d, %q, %s", tt.target, tt.accept, resp.StatusCode,
				resp.Header.Get("Location"), resp.Header.Get("Content-Type"), tt.status, tt.location, tt.ct)
		}
	}
}
