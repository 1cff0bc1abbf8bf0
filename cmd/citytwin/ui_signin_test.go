package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestUISignIn: on a server that needs tokens, the command centre asks for
// one instead of failing, says so when it is refused, and with a viewer
// token shows the city; a token given on the URL is taken off the address
// bar, so that a link copied from it does not carry the secret.
func TestUISignIn(t *testing.T) {
	const secret = "viewer-secret-0123456789"
	base := startServe(t, "--demo", "--token", "viewer:wall-screen:"+secret)
	p := openUI(t, base)

	p.do(t, chromedp.Navigate(base+"/ui/"))
	p.waitFor(t, "the sign-in form", `document.getElementById("signin").open`, 20*time.Second)
	if eval[bool](t, p, `document.body.dataset.ready === "true"`) {
		t.Fatal("the city drew without a token")
	}
	p.clean(t) // asking cost no refused request

	// A wrong token: refused, and the form says so.
	p.do(t, chromedp.SendKeys("#signin-token", "not-the-right-token-at-all"), chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)))
	waitAcrossReload(t, p, "the refusal", `document.getElementById("signin").open && document.getElementById("signin-msg").textContent.includes("refused")`)
	p.mu.Lock()
	p.problems = nil // the browser logs the refused request itself
	p.mu.Unlock()

	// The viewer's token: the city.
	p.do(t, chromedp.SendKeys("#signin-token", secret), chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)))
	waitAcrossReload(t, p, "first paint", `document.body.dataset.ready === "true"`)
	if n := eval[int](t, p, `__ct.status().points`); n == 0 {
		t.Error("no live points came over the stream with the token")
	}
	p.clean(t)

	// Given on the URL, it is kept and taken off the address bar.
	p.do(t, chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`))
	p.do(t, chromedp.Navigate(base+"/ui/?access_token="+secret))
	p.waitFor(t, "first paint", `document.body.dataset.ready === "true"`, 30*time.Second)
	if u := eval[string](t, p, `location.href`); strings.Contains(u, secret) {
		t.Errorf("the address bar still holds the token: %s", u)
	}
	p.clean(t)
}

// waitAcrossReload polls a predicate on a page that is loading again (a
// sign-in reloads it): an evaluation that meets the old page going is tried
// again.
func waitAcrossReload(t *testing.T, p *page, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`Boolean(`+expr+`)`)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: %s", what, expr)
}
