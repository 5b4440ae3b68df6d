package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/models"
)

// TestBrowserGPC drives headless Chromium with the Global Privacy Control
// signal on: every request carries Sec-GPC: 1 and pages see
// navigator.globalPrivacyControl (Chromium has no setting for GPC, so the
// test sets both through the DevTools protocol, as a browser with GPC on
// would send them). The privacy choices page says the signal was detected
// and honoured; a choice made there records the opt-out of sale and
// sharing too. Then the organization's own website, on another origin,
// includes the portal's script, which passes the signal on across origins
// (CORS) with the site's visitor id.
func TestBrowserGPC(t *testing.T) {
	chromium := testenv.Chromium(t)
	var portal string
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `document.addEventListener("rightsdesk:gpc", function (e) {
  document.getElementById("status").textContent = e.detail.recorded ? "honoured" : "failed";
});`)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><title>Shop</title>
<script src="/page.js" defer></script>
<script src="%s/choices/signal.js" data-visitor-id="visitor-e2e" defer></script>
</head><body><p id="status">waiting</p></body></html>`, portal)
		}
	}))
	defer site.Close()
	h := newHarnessWith(t, harnessOptions{env: map[string]string{"RIGHTSDESK_CHOICES_ORIGINS": site.URL}})
	portal = h.srv.URL

	chr := newChrome(t, chromium, 1000, 1200, 90*time.Second)
	run, text := chr.run, chr.text

	run("turn GPC on", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Sec-GPC": "1"}}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `Object.defineProperty(Navigator.prototype, "globalPrivacyControl", {get: function () { return true; }, configurable: true});`})
		return err
	}))

	// 1. The portal's choices page: the signal is shown as honoured.
	run("choices page", chromedp.Navigate(h.srv.URL+"/choices"), chromedp.WaitVisible(chromedp.CSS(`#gpc`)))
	if got := text("#gpc"); !strings.Contains(got, "Global Privacy Control: opt-out honoured") || !strings.Contains(got, "we have honoured it") {
		t.Fatalf("GPC notice: %q", got)
	}

	// 2. The person gives their address and presses one button: that
	// choice, and the opt-out the signal stands for, are recorded.
	const email = "browser-gpc@example.org"
	run("unsubscribe", chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.Click(named("button", "Unsubscribe from marketing")),
		chromedp.WaitVisible(chromedp.CSS(`main > .notice`)))
	if got := text("main > .notice"); !strings.Contains(got, "you are unsubscribed") {
		t.Fatalf("after pressing the button: %q", got)
	}
	if p := h.preference(models.IDEmail, email, "opt_out_sale"); p == nil || !p.OptedOut || p.Source != models.SourceGPC {
		t.Fatalf("the signal's opt-out for the person: %+v", p)
	}
	if p := h.preference(models.IDEmail, email, "unsubscribe"); p == nil || !p.OptedOut || p.Source != models.SourcePage {
		t.Fatalf("the unsubscribe: %+v", p)
	}

	// 3. The organization's website passes the signal on with its
	// visitor id, across origins, and can show that it was honoured.
	run("website", chromedp.Navigate(site.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#status`)))
	deadline := time.Now().Add(15 * time.Second)
	for text("#status") == "waiting" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := text("#status"); got != "honoured" {
		t.Fatalf("the website's page says %q", got)
	}
	if p := h.preference(models.IDVisitor, "visitor-e2e", "opt_out_sale"); p == nil || !p.OptedOut || p.Source != models.SourceSiteGPC {
		t.Fatalf("the website's visitor: %+v", p)
	}
}
