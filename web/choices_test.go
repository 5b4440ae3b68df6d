package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
)

// withHeader sends one more header with every request of a browser.
type withHeader [2]string

func (w withHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(w[0], w[1])
	return http.DefaultTransport.RoundTrip(r)
}

// choose presses one button of the privacy choices page for addr.
func (b *browser) choose(addr, choice string, header ...string) page {
	b.h.t.Helper()
	b.get("/choices")
	req, _ := http.NewRequest(http.MethodPost, b.url("/choices"),
		strings.NewReader(url.Values{"_csrf": {b.csrf}, "email": {addr}, "choice": {choice}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// preference is the stored choice of one identifier, or nil.
func (h *harness) preference(kind, id, choice string) *models.Preference {
	h.t.Helper()
	var ps []models.Preference
	if err := h.app.Core.DB().Where("id_kind = ? AND identifier = ? AND choice = ?", kind, id, choice).Find(&ps).Error; err != nil {
		h.t.Fatal(err)
	}
	if len(ps) == 0 {
		return nil
	}
	return &ps[0]
}

var prefLinkRe = regexp.MustCompile(`http://[^\s]+/choices/p/[A-Za-z0-9_-]{43}`)

// Opting out needs no code, no account and nothing but an address: the
// choice is recorded at once, a request on the strictest opt-out clock
// tracks passing it on, and the same opt-out again is the same preference.
// Staff may deny it only for fraud, with the reason sent to the person,
// and the denied opt-out is then not in force.
func TestChoicesWithoutCode(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		const addr = "choose@example.org"
		home := h.browser().get("/")
		if home.doc.Find(`main a[href="/choices"]`).Length() != 1 || home.doc.Find(`footer a[href="/choices"]`).Length() != 1 {
			t.Fatal("the home page and the footer link to the privacy choices page")
		}
		person := h.browser()
		page := person.get("/choices")
		if page.status != http.StatusOK || page.doc.Find(`input[name=email]`).Length() != 1 ||
			page.doc.Find(`button[name=choice]`).Length() != 3 || page.doc.Find("#gpc").Length() != 0 {
			t.Fatalf("choices page: %d\n%s", page.status, page.text("main"))
		}
		if !strings.Contains(page.text("main"), "within 15 business days") || !strings.Contains(page.text("main"), "within 10 days") {
			t.Fatalf("the page does not say how soon each choice is acted on:\n%s", page.text("main"))
		}
		// Invalid: no address, or no choice; everything typed is kept.
		if res := person.choose("", "opt_out_sale"); res.status != http.StatusUnprocessableEntity || res.text("#f-email-error") == "" {
			t.Fatalf("no address: %d", res.status)
		}
		if res := person.choose(addr, "delete"); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.text(".error-summary"), "Choose what") ||
			res.doc.Find(`input[name=email]`).AttrOr("value", "") != addr {
			t.Fatalf("no choice: %d %s", res.status, res.text(".error-summary"))
		}

		res := person.choose(addr, "opt_out_sale")
		if res.status != http.StatusSeeOther {
			t.Fatalf("opt out: %d %s", res.status, res.text(".error-summary"))
		}
		done := person.follow(res)
		if !strings.Contains(done.text(".notice"), "you have opted out of the sale and sharing") {
			t.Fatalf("after opting out: %q", done.text(".notice"))
		}
		p := h.preference(models.IDEmail, addr, "opt_out_sale")
		if p == nil || !p.OptedOut || p.Source != models.SourcePage || p.RequestID == nil {
			t.Fatalf("preference %+v", p)
		}
		var req models.Request
		h.app.Core.DB().Where("id = ?", *p.RequestID).Take(&req)
		want, _ := h.app.Core.Rules.Deadlines(rules.Unstated, rules.RightOptOutSale, req.ReceivedAt)
		california, _ := h.app.Core.Rules.Deadlines(rules.California, rules.RightOptOutSale, req.ReceivedAt)
		if req.Status != models.StatusVerified || req.Jurisdiction != string(rules.Unstated) || !req.DueAt.Equal(want.Due) || req.DueAt.After(california.Due) {
			t.Fatalf("request %+v, want verified, UNSTATED, due %s (California: %s)", req, want.Due, california.Due)
		}
		m := h.mailTo(addr, "Your privacy choice is recorded").Text()
		if codeRe.MatchString(m) || !strings.Contains(m, "Stop selling or sharing") || !prefLinkRe.MatchString(m) {
			t.Fatalf("confirmation mail:\n%s", m)
		}
		track := trackLink(t, m, h.srv.URL)

		// The same opt-out again: the same answer, nothing new.
		before := h.count("preference_changes")
		if res := person.choose(addr, "opt_out_sale"); res.status != http.StatusSeeOther {
			t.Fatalf("again: %d", res.status)
		}
		if n := h.count("preference_changes"); n != before || h.count("preferences") != 1 || h.count("requests") != 1 {
			t.Fatalf("the same opt-out twice: %d changes, %d preferences, %d requests", n, h.count("preferences"), h.count("requests"))
		}

		// The tracking page, and staff, see the request.
		if tp := person.get(track); !strings.Contains(tp.text("main"), "Stop selling or sharing") {
			t.Fatalf("tracking page:\n%s", tp.text("main"))
		}
		staff := h.staff()
		rp := staff.get("/admin/requests/" + itoa(req.ID))
		if got := rp.text("main"); !strings.Contains(got, addr) || !strings.Contains(got, "privacy choices page") || !strings.Contains(got, "Not stated") {
			t.Fatalf("staff request page:\n%s", got)
		}
		if n := rp.doc.Find(`select[name=denial_reason] option:not([value=""])`).Length(); n != 1 {
			t.Fatalf("%d denial reasons offered for an opt-out, want fraud alone", n)
		}
		if res := staff.post("/admin/requests/"+itoa(req.ID)+"/status", url.Values{"status": {"denied"}, "denial_reason": {"fraud"},
			"detail": {"Hundreds of opt-outs from one address in a minute."}}); res.status != http.StatusSeeOther {
			t.Fatalf("deny: %d %s", res.status, res.text(".error-summary"))
		}
		denial := h.mailTo(addr, "Update on your privacy request").Text()
		if !strings.Contains(denial, "Hundreds of opt-outs") || !strings.Contains(denial, "complain to the privacy or consumer protection authority") {
			t.Fatalf("denial mail:\n%s", denial)
		}
		if p := h.preference(models.IDEmail, addr, "opt_out_sale"); p.OptedOut || p.Source != models.SourceDenied {
			t.Fatalf("after the denial: %+v", p)
		}
	})
}

// A browser sending Sec-GPC: 1 is told the signal was detected and
// honoured; when the person identifies themselves (for any choice), the
// opt-out of sale and sharing is recorded for them too, asking nothing more.
func TestGPCHeaderHonoured(t *testing.T) {
	h := newHarness(t, "sqlite")
	b := h.browser()
	for value, shown := range map[string]bool{"1": true, "0": false, "": false, "yes": false} {
		req, _ := http.NewRequest(http.MethodGet, b.url("/choices"), nil)
		if value != "" {
			req.Header.Set("Sec-GPC", value)
		}
		res := b.do(req)
		if got := res.doc.Find("#gpc").Length() == 1; got != shown || shown && !strings.Contains(res.text("#gpc"), "opt-out honoured") {
			t.Errorf("Sec-GPC %q: notice shown %v:\n%s", value, got, res.text("main"))
		}
	}
	res := b.choose("gpc@example.org", "unsubscribe", "Sec-GPC", "1")
	if res.status != http.StatusSeeOther {
		t.Fatalf("%d", res.status)
	}
	sale, unsub := h.preference(models.IDEmail, "gpc@example.org", "opt_out_sale"), h.preference(models.IDEmail, "gpc@example.org", "unsubscribe")
	if sale == nil || !sale.OptedOut || sale.Source != models.SourceGPC || unsub == nil || unsub.Source != models.SourcePage {
		t.Fatalf("sale %+v, unsubscribe %+v", sale, unsub)
	}
	var gpcChanges int64
	h.app.Core.DB().Model(&models.PreferenceChange{}).Where("gpc = ?", true).Count(&gpcChanges)
	if gpcChanges != 2 {
		t.Fatalf("%d changes marked as made with the signal, want 2", gpcChanges)
	}
	// Both opt-outs are in one submission, one mail.
	if m := h.mailTo("gpc@example.org", "recorded").Text(); !strings.Contains(m, "Stop selling or sharing") || !strings.Contains(m, "Unsubscribe from marketing") {
		t.Fatalf("mail:\n%s", m)
	}
	// The request form, sent with the signal, is an opt-out of sale and
	// sharing too where the person's law gives one (not twice), and not
	// where it gives none.
	gpcBrowser := h.browser()
	gpcBrowser.client.Transport = withHeader{"Sec-GPC", "1"}
	form := submission()
	form.Set("email", "form-gpc@example.org")
	track := gpcBrowser.submit(form)
	if got := track.doc.Find(".card h2").Text(); !strings.Contains(got, "Stop selling or sharing") {
		t.Fatalf("a Californian's form with the signal:\n%s", track.text("main"))
	}
	if p := h.preference(models.IDEmail, "form-gpc@example.org", "opt_out_sale"); p == nil || !p.OptedOut || p.Source != models.SourceGPC {
		t.Fatalf("form with the signal: %+v", p)
	}
	if again := gpcBrowser.submit(form); strings.Contains(again.doc.Find(".card h2").Text(), "Stop selling or sharing") {
		t.Fatal("an opt-out in force was asked for again")
	}
	eu := submission()
	eu.Set("country", "DE")
	eu.Set("email", "eu-gpc@example.org")
	eu.Del("state")
	if got := gpcBrowser.submit(eu).doc.Find(".card h2").Text(); strings.Contains(got, "Stop selling or sharing") {
		t.Fatal("an opt-out of sale added where the law gives none")
	}

	// The portal states its support for GPC as the specification asks.
	req, _ := http.NewRequest(http.MethodGet, b.url("/.well-known/gpc.json"), nil)
	raw, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(raw.Body).Decode(&doc); err != nil || raw.StatusCode != http.StatusOK ||
		!strings.HasPrefix(raw.Header.Get("Content-Type"), "application/json") || doc["gpc"] != true {
		t.Fatalf("gpc.json: %d %q %v %v", raw.StatusCode, raw.Header.Get("Content-Type"), doc, err)
	}
	if last, _ := doc["lastUpdate"].(string); !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(last) {
		t.Fatalf("lastUpdate %q is not an RFC 3339 full-date", last)
	}
}

// The preference centre: a mailed link (no password) whose token is
// random, stored hashed and expiring, and carries no personal data; it
// shows every choice and its history, opting back in is as easy as opting
// out and recorded the same way, and a GPC browser is opted out there
// unless the person chose otherwise with the signal on.
func TestPreferenceCentre(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		const addr = "centre@example.org"
		b := h.browser()
		b.get("/choices")
		res := b.post("/choices/link", url.Values{"link_email": {"not an address"}})
		if res.status != http.StatusUnprocessableEntity || res.text("#f-link_email-error") == "" {
			t.Fatalf("bad address: %d", res.status)
		}
		res = b.post("/choices/link", url.Values{"link_email": {addr}})
		if res.status != http.StatusSeeOther || !strings.Contains(b.follow(res).text(".notice"), "on its way") {
			t.Fatalf("link: %d", res.status)
		}
		link := prefLinkRe.FindString(h.mailTo(addr, "Your privacy choices link").Text())
		if link == "" || strings.Contains(link, "centre") {
			t.Fatalf("link %q", link)
		}
		token := link[strings.LastIndex(link, "/")+1:]
		var l models.PreferenceLink
		h.app.Core.DB().Take(&l)
		if l.TokenHash == token || strings.Contains(l.TokenHash, token) || l.Identifier != addr || l.ExpiresAt.Sub(l.CreatedAt) != models.PreferenceLinkTTL {
			t.Fatalf("stored link %+v", l)
		}

		page := b.get(link)
		if page.status != http.StatusOK || page.doc.Find("section.preference").Length() != 3 || !strings.Contains(page.text("main"), "You have not made any choice") {
			t.Fatalf("centre: %d\n%s", page.status, page.text("main"))
		}
		path := strings.TrimPrefix(link, h.srv.URL)
		set := func(choice, dir string, header ...string) {
			t.Helper()
			b.get(path)
			req, _ := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(url.Values{"_csrf": {b.csrf}, "choice": {choice}, "set": {dir}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			if res := b.do(req); res.status != http.StatusSeeOther {
				t.Fatalf("%s %s: %d %s", dir, choice, res.status, res.text("main"))
			}
		}
		set("unsubscribe", "out")
		p := h.preference(models.IDEmail, addr, "unsubscribe")
		if p == nil || !p.OptedOut || p.Source != models.SourceCentre {
			t.Fatalf("after unsubscribing: %+v", p)
		}
		page = b.get(path)
		card := page.doc.Find("section.preference.unsubscribe")
		if !strings.Contains(card.Text(), "Unsubscribed") || !strings.Contains(card.Text(), "We will pass it on to our systems by") ||
			card.Find(`button`).Text() != "Subscribe again" {
			t.Fatalf("unsubscribe card:\n%s", card.Text())
		}
		set("unsubscribe", "in")
		var req models.Request
		h.app.Core.DB().Where("id = ?", *p.RequestID).Take(&req)
		if p := h.preference(models.IDEmail, addr, "unsubscribe"); p.OptedOut || req.Status != models.StatusWithdrawn {
			t.Fatalf("after subscribing again: %+v, request %s", p, req.Status)
		}
		page = b.get(path)
		if items := page.doc.Find("ol.timeline li"); items.Length() != 2 || !strings.Contains(items.First().Text(), "Subscribed to marketing again") {
			t.Fatalf("history:\n%s", page.text("ol.timeline"))
		}

		// GPC: the signal opts the person out here, once; allowing sale and
		// sharing with the signal on is their own choice, kept.
		req2, _ := http.NewRequest(http.MethodGet, b.url(path), nil)
		req2.Header.Set("Sec-GPC", "1")
		if res := b.do(req2); !strings.Contains(res.text("#gpc"), "recorded the opt-out of sale and sharing for your email address") {
			t.Fatalf("GPC in the centre:\n%s", res.text("main"))
		}
		if p := h.preference(models.IDEmail, addr, "opt_out_sale"); p == nil || !p.OptedOut || p.Source != models.SourceGPC {
			t.Fatalf("GPC opt-out: %+v", p)
		}
		set("opt_out_sale", "in", "Sec-GPC", "1")
		req3, _ := http.NewRequest(http.MethodGet, b.url(path), nil)
		req3.Header.Set("Sec-GPC", "1")
		if res := b.do(req3); !strings.Contains(res.text("#gpc"), "we keep your own choice") {
			t.Fatalf("after allowing with the signal on:\n%s", res.text("main"))
		}
		if p := h.preference(models.IDEmail, addr, "opt_out_sale"); p.OptedOut {
			t.Fatalf("the signal overrode the person's own later choice: %+v", p)
		}

		// A made-up token is not found; the link expires.
		if res := b.get("/choices/p/" + models.NewNonce()); res.status != http.StatusNotFound {
			t.Fatalf("unknown token: %d", res.status)
		}
		h.freeze(time.Now().Add(models.PreferenceLinkTTL + time.Minute))
		if res := b.get(path); res.status != http.StatusGone {
			t.Fatalf("expired link: %d", res.status)
		}
	})
}

// RFC 8058 one-click unsubscribe: the organization's mail system signs a
// per-recipient token; a POST of List-Unsubscribe=One-Click (urlencoded or
// multipart, no cookie) unsubscribes and answers 200, a replay records
// nothing new, a forged token nothing at all; a GET only shows a button.
func TestOneClickUnsubscribe(t *testing.T) {
	const key = "one-click-test-key-one-click-test-key"
	h := newHarnessWith(t, harnessOptions{env: map[string]string{"RIGHTSDESK_ONE_CLICK_KEY": "an-older-key-still-verifying-mail," + key}})
	jane := models.Subject{Kind: models.IDEmail, Value: "jane@example.org"}
	token := models.OneClickToken([]byte(key), jane)
	path := "/choices/unsubscribe/" + token
	if strings.Contains(path, "jane") || strings.Contains(path, "example") {
		t.Fatalf("the link shows the address: %s", path)
	}
	oneClick := func(path, contentType string, body io.Reader) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, body)
		req.Header.Set("Content-Type", contentType)
		res, err := http.DefaultClient.Do(req) // no cookie jar: no context at all
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	form := "application/x-www-form-urlencoded"

	// GET: a button, nothing recorded.
	b := h.browser()
	page := b.get(path)
	if page.status != http.StatusOK || page.doc.Find(`form[method=post] input[name="List-Unsubscribe"][value="One-Click"]`).Length() != 1 || h.count("preferences") != 0 {
		t.Fatalf("GET: %d, %d preferences", page.status, h.count("preferences"))
	}
	st, hdr, body := oneClick(path, form, strings.NewReader("List-Unsubscribe=One-Click"))
	if st != http.StatusOK || hdr.Get("Location") != "" || len(hdr.Values("Set-Cookie")) != 0 || !strings.Contains(body, "You are unsubscribed") {
		t.Fatalf("one-click: %d, Location %q, cookies %v", st, hdr.Get("Location"), hdr.Values("Set-Cookie"))
	}
	p := h.preference(models.IDEmail, "jane@example.org", "unsubscribe")
	if p == nil || !p.OptedOut || p.Source != models.SourceOneClick {
		t.Fatalf("preference %+v", p)
	}
	// Replayed: 200 again, nothing new.
	changes, requests := h.count("preference_changes"), h.count("requests")
	for range 3 {
		if st, _, _ := oneClick(path, form, strings.NewReader("List-Unsubscribe=One-Click")); st != http.StatusOK {
			t.Fatalf("replay: %d", st)
		}
	}
	if h.count("preference_changes") != changes || h.count("requests") != requests {
		t.Fatalf("a replay recorded something: %d changes, %d requests", h.count("preference_changes"), h.count("requests"))
	}
	// Multipart, as RFC 8058 says a mail client SHOULD post; the older key verifies too.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	_ = w.WriteField("List-Unsubscribe", "One-Click")
	_ = w.Close()
	cust := models.Subject{Kind: models.IDCustomer, Value: "C-1001"}
	if st, _, _ := oneClick("/choices/unsubscribe/"+models.OneClickToken([]byte("an-older-key-still-verifying-mail"), cust), w.FormDataContentType(), &mp); st != http.StatusOK {
		t.Fatalf("multipart: %d", st)
	}
	if p := h.preference(models.IDCustomer, "C-1001", "unsubscribe"); p == nil || !p.OptedOut {
		t.Fatalf("customer preference %+v", p)
	}
	// Forged: another key, or a signature moved to another recipient.
	payload, _, _ := strings.Cut(models.OneClickToken([]byte(key), models.Subject{Kind: models.IDEmail, Value: "mallory@example.org"}), ".")
	_, sig, _ := strings.Cut(token, ".")
	changes = h.count("preference_changes")
	for _, forged := range []string{models.OneClickToken([]byte("a-key-the-portal-does-not-know-at-all"), jane), payload + "." + sig, "x"} {
		if st, _, _ := oneClick("/choices/unsubscribe/"+forged, form, strings.NewReader("List-Unsubscribe=One-Click")); st != http.StatusNotFound {
			t.Errorf("forged %s: %d", forged, st)
		}
		if res := b.get("/choices/unsubscribe/" + forged); res.status != http.StatusNotFound {
			t.Errorf("GET forged: %d", res.status)
		}
	}
	if h.count("preference_changes") != changes || h.preference(models.IDEmail, "mallory@example.org", "unsubscribe") != nil {
		t.Fatal("a forged token recorded a change")
	}
	// Without the one-click body, nothing.
	if st, _, _ := oneClick("/choices/unsubscribe/"+models.OneClickToken([]byte(key), models.Subject{Kind: models.IDEmail, Value: "x@example.org"}), form, strings.NewReader("unsubscribe=yes")); st != http.StatusUnprocessableEntity {
		t.Fatalf("wrong body: %d", st)
	}
	// The page's own button (a browser, cookies and all) works as well.
	other := "/choices/unsubscribe/" + models.OneClickToken([]byte(key), models.Subject{Kind: models.IDEmail, Value: "button@example.org"})
	b.get(other)
	if res := b.post(other, url.Values{"List-Unsubscribe": {"One-Click"}}); res.status != http.StatusOK || h.preference(models.IDEmail, "button@example.org", "unsubscribe") == nil {
		t.Fatalf("button: %d", res.status)
	}
}

// A portal without a one-click key has no one-click links.
func TestOneClickOff(t *testing.T) {
	h := newHarness(t, "sqlite")
	tok := models.OneClickToken([]byte("whatever-key-whatever-key-whatever"), models.Subject{Kind: models.IDEmail, Value: "a@example.org"})
	if res := h.browser().get("/choices/unsubscribe/" + tok); res.status != http.StatusNotFound {
		t.Fatalf("%d", res.status)
	}
}

// The organization's website passes on the GPC signal with its visitor
// id: only from the configured origins (CORS), with no CSRF cookie, only
// with the signal itself, and at a bounded rate.
func TestGPCSignalFromWebsite(t *testing.T) {
	const site = "https://www.example.com"
	h := newHarnessWith(t, harnessOptions{rateScale: "1", env: map[string]string{"RIGHTSDESK_CHOICES_ORIGINS": site + ",https://shop.example.com"}})
	send := func(method, origin string, headers map[string]string, body string) (int, http.Header, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, h.srv.URL+"/choices/signal", strings.NewReader(body))
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, res.Header, out
	}
	gpc := map[string]string{"Sec-GPC": "1", "Sec-Fetch-Site": "cross-site"}
	preflight := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}

	// Preflight and post from a listed origin.
	st, hdr, _ := send(http.MethodOptions, site, preflight, "")
	if st != http.StatusNoContent || hdr.Get("Access-Control-Allow-Origin") != site || hdr.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("preflight: %d %v", st, hdr)
	}
	st, hdr, out := send(http.MethodPost, site, gpc, "visitor_id=v-123&customer_id=C-77")
	if st != http.StatusOK || out["recorded"] != true || hdr.Get("Access-Control-Allow-Origin") != site || len(hdr.Values("Set-Cookie")) != 0 {
		t.Fatalf("signal: %d %v %v", st, out, hdr)
	}
	for _, id := range [][2]string{{models.IDVisitor, "v-123"}, {models.IDCustomer, "C-77"}} {
		if p := h.preference(id[0], id[1], "opt_out_sale"); p == nil || !p.OptedOut || p.Source != models.SourceSiteGPC {
			t.Fatalf("%s: %+v", id[0], p)
		}
	}
	// The same signal again changes nothing; the page's reading of
	// navigator.globalPrivacyControl counts as the signal too.
	changes := h.count("preference_changes")
	if st, _, _ := send(http.MethodPost, "https://shop.example.com", map[string]string{"Sec-Fetch-Site": "cross-site"}, "gpc=1&visitor_id=v-123"); st != http.StatusOK || h.count("preference_changes") != changes {
		t.Fatalf("again: %d, %d changes", st, h.count("preference_changes"))
	}

	// Refused: an unlisted origin (preflight and post), no origin, no signal, no id.
	for _, origin := range []string{"https://evil.example", "https://www.example.com.evil.example", "http://www.example.com", "null"} {
		if st, hdr, _ := send(http.MethodOptions, origin, preflight, ""); st != http.StatusForbidden || hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s: %d %q", origin, st, hdr.Get("Access-Control-Allow-Origin"))
		}
		if st, hdr, _ := send(http.MethodPost, origin, gpc, "visitor_id=evil-1"); st != http.StatusForbidden || hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("post from %s: %d %q", origin, st, hdr.Get("Access-Control-Allow-Origin"))
		}
	}
	if st, _, _ := send(http.MethodPost, "", gpc, "visitor_id=evil-2"); st != http.StatusForbidden {
		t.Errorf("no origin: %d", st)
	}
	if h.preference(models.IDVisitor, "evil-1", "opt_out_sale") != nil || h.preference(models.IDVisitor, "evil-2", "opt_out_sale") != nil {
		t.Fatal("a refused origin recorded an opt-out")
	}
	if st, _, out := send(http.MethodPost, site, nil, "visitor_id=v-9"); st != http.StatusUnprocessableEntity || out["error"] == nil {
		t.Errorf("no signal: %d %v", st, out)
	}
	if st, _, out := send(http.MethodPost, site, gpc, "visitor_id=two words"); st != http.StatusUnprocessableEntity || out["fields"] == nil {
		t.Errorf("bad id: %d %v", st, out)
	}
	if st, _, _ := send(http.MethodPost, site, gpc, ""); st != http.StatusUnprocessableEntity {
		t.Errorf("no id: %d", st)
	}
	// JSON, for a server passing the signal on.
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/choices/signal", strings.NewReader(`{"gpc": true, "visitor_id": "v-json"}`))
	req.Header.Set("Origin", site)
	req.Header.Set("Content-Type", "application/json")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK || h.preference(models.IDVisitor, "v-json", "opt_out_sale") == nil {
		t.Fatalf("JSON: %v %v", res.StatusCode, err)
	}
	// The script the website includes, under a stable URL.
	script := h.browser().get("/choices/signal.js")
	if script.status != http.StatusOK || !strings.HasPrefix(script.header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(script.body, "globalPrivacyControl") || !strings.Contains(script.body, "/choices/signal") {
		t.Fatalf("script: %d %q", script.status, script.header.Get("Content-Type"))
	}
	// Rate-limited per address.
	limited := false
	for i := range 40 {
		if st, _, _ := send(http.MethodPost, site, gpc, "visitor_id=burst-"+itoa(int64(i))); st == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("40 signals a minute from one address were all accepted")
	}
}

// The opt-out list for the organization's systems: JSON pages and CSV,
// behind staff API tokens, each change once after the cursor it was given.
func TestOptOutExports(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		for _, addr := range []string{"a@example.org", "b@example.org", "c@example.org"} {
			if _, err := h.app.Choices.Set(ctx, models.ChoiceInput{Subject: models.Subject{Kind: models.IDEmail, Value: addr},
				Changes: []models.Change{{Choice: rules.RightOptOutSale, OptOut: true, Source: models.SourcePage}}}, models.SystemActor); err != nil {
				t.Fatal(err)
			}
		}
		officer := h.staff()
		token := officer.makeToken(models.ScopeRead)
		var list handlers.APIOptOutList
		if st := h.apiCall("", http.MethodGet, "/api/v1/opt-outs", "", nil); st != http.StatusUnauthorized {
			t.Fatalf("no token: %d", st)
		}
		if st := h.apiCall(token, http.MethodGet, "/api/v1/opt-outs?limit=2", "", &list); st != http.StatusOK || len(list.OptOuts) != 2 || !list.More {
			t.Fatalf("first page: %d %+v", st, list)
		}
		first := list.OptOuts[0]
		if first.IdentifierType != "email" || first.Identifier != "a@example.org" || first.Choice != "opt_out_sale" || !first.OptedOut || first.Source != models.SourcePage {
			t.Fatalf("entry %+v", first)
		}
		if st := h.apiCall(token, http.MethodGet, "/api/v1/opt-outs?since="+list.Next, "", &list); st != http.StatusOK || len(list.OptOuts) != 1 ||
			list.OptOuts[0].Identifier != "c@example.org" || list.More {
			t.Fatalf("second page: %+v", list)
		}
		cursor := list.Next
		if st := h.apiCall(token, http.MethodGet, "/api/v1/opt-outs?since="+cursor, "", &list); st != http.StatusOK || len(list.OptOuts) != 0 || list.Next != cursor {
			t.Fatalf("nothing new: %+v", list)
		}
		// a@ opts back in: after the cursor, a@ again, now opted in.
		if _, err := h.app.Choices.Set(ctx, models.ChoiceInput{Subject: models.Subject{Kind: models.IDEmail, Value: "a@example.org"},
			Changes: []models.Change{{Choice: rules.RightOptOutSale, Source: models.SourceCentre}}}, models.SystemActor); err != nil {
			t.Fatal(err)
		}
		if h.apiCall(token, http.MethodGet, "/api/v1/opt-outs?since="+cursor, "", &list); len(list.OptOuts) != 1 || list.OptOuts[0].Identifier != "a@example.org" || list.OptOuts[0].OptedOut {
			t.Fatalf("after opting back in: %+v", list)
		}
		if st := h.apiCall(token, http.MethodGet, "/api/v1/opt-outs?since=soon", "", nil); st != http.StatusUnprocessableEntity {
			t.Fatalf("bad cursor: %d", st)
		}
		if st := h.apiCall(token, http.MethodGet, "/api/v1/opt-outs?choice=delete", "", nil); st != http.StatusUnprocessableEntity {
			t.Fatalf("bad choice: %d", st)
		}

		// CSV: everything after the cursor, and the next cursor in a header.
		csvGet := func(query string) ([][]string, string) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/api/v1/opt-outs.csv"+query, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("CSV: %v %v", res.StatusCode, err)
			}
			defer res.Body.Close()
			rows, err := csv.NewReader(res.Body).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			return rows, res.Header.Get("X-Next-Cursor")
		}
		rows, next := csvGet("")
		if len(rows) != 4 || strings.Join(rows[0], ",") != "cursor,identifier_type,identifier,choice,opted_out,source,changed_at" ||
			rows[3][2] != "a@example.org" || rows[3][4] != "false" || next != rows[3][0] {
			t.Fatalf("CSV: %v next %q", rows, next)
		}
		rows, next2 := csvGet("?since=" + cursor)
		if len(rows) != 2 || rows[1][2] != "a@example.org" || next2 != next {
			t.Fatalf("CSV since %s: %v next %q", cursor, rows, next2)
		}
		if rows, _ := csvGet("?since=" + next); len(rows) != 1 {
			t.Fatalf("CSV with nothing new: %v", rows)
		}
	})
}
