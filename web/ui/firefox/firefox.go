// Package firefox drives Firefox over WebDriver BiDi, the W3C
// protocol Firefox speaks natively (no geckodriver), for the command centre's
// end-to-end tests: open a page, run JavaScript in it, take screenshots,
// click with a real pointer, and collect what the page logged as errors.
//
// Only the commands those tests need are here; the protocol is described at
// https://w3c.github.io/webdriver-bidi/.
package firefox

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// XvfbPath finds the virtual X server that Firefox draws WebGL in: headless
// Firefox has no WebGL (Mozilla bug 1375585), a real window on Xvfb has,
// through Mesa's llvmpipe.
func XvfbPath() string {
	p, _ := exec.LookPath("Xvfb")
	return p
}

// Path finds Firefox: $FIREFOX, then firefox-esr or firefox on PATH.
func Path() string {
	if p := os.Getenv("FIREFOX"); p != "" {
		return p
	}
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// prefs keep a test browser quiet and self-contained: no updates, telemetry,
// studies, captive-portal or connectivity checks, safe-browsing lists or
// first-run pages; and WebGL on although no GPU is found (Mesa's llvmpipe
// draws it).
var prefs = map[string]any{
	"app.normandy.enabled":                       false,
	"app.update.disabledForTesting":              true,
	"browser.shell.checkDefaultBrowser":          false,
	"browser.startup.homepage_override.mstone":   "ignore",
	"browser.newtabpage.enabled":                 false,
	"browser.safebrowsing.malware.enabled":       false,
	"browser.safebrowsing.phishing.enabled":      false,
	"browser.safebrowsing.downloads.enabled":     false,
	"datareporting.policy.dataSubmissionEnabled": false,
	"datareporting.healthreport.uploadEnabled":   false,
	"toolkit.telemetry.enabled":                  false,
	"toolkit.telemetry.reportingpolicy.firstRun": false,
	"extensions.update.enabled":                  false,
	"network.captive-portal-service.enabled":     false,
	"network.connectivity-service.enabled":       false,
	"services.settings.server":                   "http://127.0.0.1:9/",
	"webgl.force-enabled":                        true,
	"layout.css.devPixelsPerPx":                  "1.0",
	"browser.region.network.url":                 "",
	"network.dns.disablePrefetch":                true,
	"network.prefetch-next":                      false,
	"browser.aboutwelcome.enabled":               false,
}

// Browser is one Firefox process and its BiDi session, on one tab.
type Browser struct {
	cmd     *exec.Cmd
	xvfb    *exec.Cmd
	conn    *websocket.Conn
	context string // the tab's browsing context

	writeMu sync.Mutex
	mu      sync.Mutex
	nextID  int
	waiting map[int]chan reply
	errs    []string
	done    chan struct{}
}

type reply struct {
	Type    string          `json:"type"`
	ID      int             `json:"id"`
	Method  string          `json:"method"`
	Result  json.RawMessage `json:"result"`
	Params  json.RawMessage `json:"params"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

var listening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// startXvfb starts a virtual X server with a screen of at least width ×
// height and returns it and its display (":N").
func startXvfb(width, height int) (*exec.Cmd, string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	cmd := exec.Command(XvfbPath(), "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", width+100, height+300), "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, "", fmt.Errorf("xvfb: %w", err)
	}
	w.Close()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, "", errors.New("xvfb: no display")
		}
		return cmd, ":" + n, nil
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, "", errors.New("xvfb: no display after 20 s")
	}
}

// Start runs exe with a fresh profile in dir, in a window on its own
// virtual X server, with a viewport of width × height CSS pixels, and opens
// a session on its tab.
func Start(ctx context.Context, exe, dir string, width, height int) (*Browser, error) {
	if XvfbPath() == "" {
		return nil, errors.New("firefox: no Xvfb, which its WebGL needs (apt-get install xvfb)")
	}
	xvfb, display, err := startXvfb(width, height)
	if err != nil {
		return nil, err
	}
	b, err := start(ctx, exe, dir, display, width, height)
	if err != nil {
		xvfb.Process.Kill()
		xvfb.Wait()
		return nil, err
	}
	b.xvfb = xvfb
	return b, nil
}

func start(ctx context.Context, exe, dir, display string, width, height int) (*Browser, error) {
	var userJS strings.Builder
	for k, v := range prefs {
		b, _ := json.Marshal(v)
		fmt.Fprintf(&userJS, "user_pref(%q, %s);\n", k, b)
	}
	if err := os.WriteFile(filepath.Join(dir, "user.js"), []byte(userJS.String()), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "--no-remote", "--profile", dir,
		"--remote-debugging-port", "0", fmt.Sprintf("--window-size=%d,%d", width, height+200), "about:blank")
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "MOZ_CRASHREPORTER_DISABLE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	var url string
	select {
	case url = <-found:
	case <-ctx.Done():
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("firefox: no BiDi endpoint: %w", ctx.Err())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("firefox: no BiDi endpoint after 60 s")
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, url+"/session", nil)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("firefox: %w", err)
	}
	b := &Browser{cmd: cmd, conn: conn, waiting: map[int]chan reply{}, done: make(chan struct{})}
	go b.read()
	if _, err := b.call(ctx, "session.new", map[string]any{"capabilities": map[string]any{}}); err != nil {
		b.Close()
		return nil, err
	}
	if _, err := b.call(ctx, "session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}); err != nil {
		b.Close()
		return nil, err
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := b.callInto(ctx, "browsingContext.getTree", map[string]any{}, &tree); err != nil || len(tree.Contexts) == 0 {
		b.Close()
		return nil, fmt.Errorf("firefox: no tab: %v", err)
	}
	b.context = tree.Contexts[0].Context
	if _, err := b.call(ctx, "browsingContext.setViewport", map[string]any{
		"context": b.context, "viewport": map[string]int{"width": width, "height": height},
	}); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// read takes the replies and events off the socket until it closes.
func (b *Browser) read() {
	defer close(b.done)
	for {
		_, data, err := b.conn.ReadMessage()
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.waiting {
				ch <- reply{Type: "error", Error: "closed", Message: err.Error()}
				delete(b.waiting, id)
			}
			b.mu.Unlock()
			return
		}
		var r reply
		if json.Unmarshal(data, &r) != nil {
			continue
		}
		if r.Type == "event" {
			b.event(r)
			continue
		}
		b.mu.Lock()
		ch := b.waiting[r.ID]
		delete(b.waiting, r.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// event keeps what a page logged at the error level, and its exceptions.
func (b *Browser) event(r reply) {
	if r.Method != "log.entryAdded" {
		return
	}
	var e struct {
		Level string `json:"level"`
		Text  string `json:"text"`
		Type  string `json:"type"`
	}
	if json.Unmarshal(r.Params, &e) != nil || e.Level != "error" {
		return
	}
	b.mu.Lock()
	b.errs = append(b.errs, e.Type+": "+e.Text)
	b.mu.Unlock()
}

// Errors returns what the page logged as errors (console.error and uncaught
// exceptions) since the last call.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.errs
	b.errs = nil
	return out
}

func (b *Browser) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan reply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	b.writeMu.Lock()
	err = b.conn.WriteMessage(websocket.TextMessage, msg)
	b.writeMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("firefox: %s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Type == "error" {
			return nil, fmt.Errorf("firefox: %s: %s: %s", method, r.Error, r.Message)
		}
		return r.Result, nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.waiting, id)
		b.mu.Unlock()
		return nil, fmt.Errorf("firefox: %s: %w", method, ctx.Err())
	}
}

func (b *Browser) callInto(ctx context.Context, method string, params, out any) error {
	res, err := b.call(ctx, method, params)
	if err != nil {
		return err
	}
	return json.Unmarshal(res, out)
}

// Navigate loads url in the tab and waits for its load event.
func (b *Browser) Navigate(ctx context.Context, url string) error {
	_, err := b.call(ctx, "browsingContext.navigate", map[string]any{"context": b.context, "url": url, "wait": "complete"})
	return err
}

// Eval runs a JavaScript expression in the page, awaits it if it is a
// promise, and decodes its value (passed through JSON) into out, which may be
// nil.
func (b *Browser) Eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value any    `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	wrapped := "(async () => { const v = await (" + expr + "\n); return v === undefined ? \"null\" : JSON.stringify(v); })()"
	if err := b.callInto(ctx, "script.evaluate", map[string]any{
		"expression": wrapped, "target": map[string]any{"context": b.context}, "awaitPromise": true,
		"userActivation": true,
	}, &res); err != nil {
		return err
	}
	if res.Type == "exception" {
		return fmt.Errorf("firefox: %s: %s", firstLine(expr), res.ExceptionDetails.Text)
	}
	s, ok := res.Result.Value.(string)
	if !ok {
		return fmt.Errorf("firefox: %s: a %s, not JSON", firstLine(expr), res.Result.Type)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal([]byte(s), out)
}

// Wait polls a JavaScript predicate every 50 ms until it is truthy.
func (b *Browser) Wait(ctx context.Context, expr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		var ok bool
		if err := b.Eval(ctx, "Boolean("+expr+")", &ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("firefox: waiting for %s: %w", firstLine(expr), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Screenshot captures the tab's viewport.
func (b *Browser) Screenshot(ctx context.Context) (*image.RGBA, error) {
	var res struct {
		Data string `json:"data"`
	}
	if err := b.callInto(ctx, "browsingContext.captureScreenshot", map[string]any{"context": b.context, "origin": "viewport"}, &res); err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(strings.NewReader(string(raw)))
	if err != nil {
		return nil, err
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return rgba, nil
}

// Click moves the mouse to (x, y) in CSS pixels of the viewport and clicks
// its primary button, as a user's pointer would.
func (b *Browser) Click(ctx context.Context, x, y float64) error {
	_, err := b.call(ctx, "input.performActions", map[string]any{
		"context": b.context,
		"actions": []any{map[string]any{
			"type": "pointer", "id": "mouse", "parameters": map[string]string{"pointerType": "mouse"},
			"actions": []any{
				map[string]any{"type": "pointerMove", "x": int(x), "y": int(y)},
				map[string]any{"type": "pointerDown", "button": 0},
				map[string]any{"type": "pause", "duration": 50},
				map[string]any{"type": "pointerUp", "button": 0},
			},
		}},
	})
	return err
}

// Keys types keys (characters, or WebDriver's codes such as "\uE00C" for
// Escape) into the focused element.
func (b *Browser) Keys(ctx context.Context, keys string) error {
	var acts []any
	for _, k := range keys {
		acts = append(acts, map[string]any{"type": "keyDown", "value": string(k)}, map[string]any{"type": "keyUp", "value": string(k)})
	}
	_, err := b.call(ctx, "input.performActions", map[string]any{
		"context": b.context,
		"actions": []any{map[string]any{"type": "key", "id": "keyboard", "actions": acts}},
	})
	return err
}

// Close ends the session and the browser.
func (b *Browser) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	b.call(ctx, "browser.close", map[string]any{})
	cancel()
	b.conn.Close()
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
	}
	exited := make(chan struct{})
	go func() {
		b.cmd.Wait()
		close(exited)
	}()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-exited
	}
	if b.xvfb != nil {
		b.xvfb.Process.Kill()
		b.xvfb.Wait()
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
