package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/account/accounttest"
	"github.com/rightsdesk/rightsdesk/internal/lookup"
	"github.com/rightsdesk/rightsdesk/models"
)

// importTestRecords imports the organization's records straight through
// the domain, with the columns guessed from the header.
func importTestRecords(t testing.TB, h *harness, csv string) {
	t.Helper()
	ctx := context.Background()
	v := h.app.Verifications
	imp, err := v.UploadRecords(ctx, strings.NewReader(csv), models.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Preview(ctx, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.ImportRecords(ctx, imp.ID, models.Mapping{Email: p.Email, Columns: p.Guess, Region: "US"}, models.SystemActor); err != nil {
		t.Fatal(err)
	}
}

// confirmed submits form as a new person and confirms the e-mail with the
// mailed code; it returns their browser, tracking link and tracking page.
func (h *harness) confirmed(form url.Values) (*browser, string, page) {
	h.t.Helper()
	b := h.browser()
	b.submit(form)
	m := h.mailTo(form.Get("email"), "Confirm").Text()
	link := trackLink(h.t, m, h.srv.URL)
	b.get(link)
	res := b.post(link+"/verify", url.Values{"code": {codeRe.FindStringSubmatch(m)[1]}})
	if res.status != http.StatusSeeOther {
		h.t.Fatalf("verify: %d %s", res.status, res.text(".error-summary"))
	}
	return b, link, b.follow(res)
}

// form is the standard form for someone else, somewhere else.
func form(email, country, state string, rights ...string) url.Values {
	f := submission()
	f.Set("email", email)
	f.Set("country", country)
	f.Set("state", state)
	f["rights"] = rights
	return f
}

// card is the tracking page's card of the request titled title.
func card(p page, title string) string {
	var out string
	p.doc.Find("section.card").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Find("h2").First().Text()) == title {
			out = s.Text()
		}
	})
	return out
}

// selected is the value of every select and checked input of a form, as
// a browser would post it.
func selected(p page, formSel string) url.Values {
	v := url.Values{}
	f := p.doc.Find(formSel)
	f.Find("select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		val, ok := s.Find("option[selected]").Attr("value")
		if !ok {
			val, _ = s.Find("option").First().Attr("value")
		}
		v.Set(name, val)
	})
	f.Find("input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		val, _ := s.Attr("value")
		_, on := s.Attr("checked")
		switch typ {
		case "checkbox", "radio":
			if on {
				v.Add(name, val)
			}
		case "password", "file", "submit":
		default:
			v.Set(name, val)
		}
	})
	return v
}

var answers = url.Values{"q_name": {"Jordan Example"}, "q_phone": {"+1 415 555 0100"}, "q_postal_code": {"94103"},
	"declared": {"yes"}, "declared_name": {"Jordan Example"}}

// Every tier through the router, on both databases: the records imported
// through the admin pages (upload, preview, mapping, counts); an opt-out
// asks nothing; the GDPR's e-mail is enough until staff raise one
// request's tier, with a reason; two points ask no declaration; three
// points and a declaration, a wrong answer refused without saying which.
func TestVerificationTiersThroughTheRouter(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		staff := h.staff()
		// Only staff who configure reach the settings.
		if res := h.staffAs(models.RoleReviewer).get("/admin/verification"); res.status != http.StatusForbidden {
			t.Fatalf("a reviewer: %d", res.status)
		}
		page := staff.get("/admin/verification")
		if page.status != http.StatusOK || page.doc.Find(`input[name=questions][value=name][checked]`).Length() != 1 ||
			!strings.Contains(page.text("main"), "Nowhere yet") {
			t.Fatalf("settings page: %d\n%s", page.status, page.text("main"))
		}
		csv := "E-mail;Full name;Phone;Postcode;Account number\n" +
			"jordan@example.org;Jordan Example;(415) 555-0100;94103;AC-1\n" +
			"va@example.org;Jordan Example;+1 804 555 0100;23219;AC-2\n" +
			"doubt@example.org;Jordan Example;+49 30 1234567;10115;AC-3\n" +
			"broken;Nobody;1;x;AC-4\n" +
			"bad-phone@example.org;Bad Phone;12;94103;AC-5\n"
		res := staff.upload("/admin/verification/records", nil, "customers.csv", []byte(csv))
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/admin/verification/records/") {
			t.Fatalf("upload: %d %s", res.status, res.text(".error-summary"))
		}
		mapping := staff.follow(res)
		if !strings.Contains(mapping.text("table"), "Jordan Example") || mapping.doc.Find(`select[name=map_email] option[selected][value="0"]`).Length() != 1 ||
			mapping.doc.Find(`select[name=map_postal_code] option[selected][value="3"]`).Length() != 1 {
			t.Fatalf("mapping page:\n%s", mapping.text("main"))
		}
		action, _ := mapping.doc.Find(`form[action^="/admin/verification/records/"]`).First().Attr("action")
		bad := selected(mapping, `form[action="`+action+`"]`)
		bad.Set("map_email", "-1")
		if res := staff.post(action, bad); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.text(".error-summary"), "email address") {
			t.Fatalf("no e-mail column: %d %s", res.status, res.text(".error-summary"))
		}
		res = staff.post(action, selected(mapping, `form[action="`+action+`"]`))
		if res.status != http.StatusSeeOther {
			t.Fatalf("import: %d %s", res.status, res.text(".error-summary"))
		}
		page = staff.follow(res)
		if got := page.text("#records ~ section"); !strings.Contains(got, "5 lines: 3 imported, 2 refused") ||
			!strings.Contains(got, "Line 5: Email address no valid email address") || !strings.Contains(got, "Line 6: Your phone number") {
			t.Fatalf("import counts:\n%s", got)
		}
		if page.doc.Find(`input[name=records_source][value=import][checked]`).Length() != 1 {
			t.Fatal("the first import is not the source")
		}
		// A file is imported once.
		if res := staff.post(action, selected(mapping, `form[action="`+action+`"]`)); res.status != http.StatusSeeOther || res.location() != "/admin/verification" {
			t.Fatalf("imported twice: %d %s", res.status, res.location())
		}

		// California: to see one's information, three points and the declaration;
		// the opt-out asks nothing.
		person, link, track := h.confirmed(form("jordan@example.org", "US", "CA", "access", "opt_out_sale"))
		if !strings.Contains(card(track, "Stop selling or sharing"), "Ready to start") ||
			!strings.Contains(card(track, "See your information"), "Confirming it is you") {
			t.Fatalf("tracking page after the code:\n%s", track.text("main"))
		}
		if track.doc.Find(`#identity #f-q_name`).AttrOr("value", "") != "Jordan Example" || track.doc.Find(`#f-declared`).Length() != 1 ||
			!strings.Contains(track.text("#identity"), "under penalty of perjury under the laws of the State of California") {
			t.Fatalf("identity questions:\n%s", track.text("#identity"))
		}
		wrong := cloneValues(answers)
		wrong.Set("q_postal_code", "90210")
		res = person.post(link+"/identity", wrong)
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.text(".error-summary"), "2 tries left") ||
			strings.Contains(strings.ToLower(res.text(".error-summary")), "postal") || res.doc.Find(`#f-q_postal_code`).AttrOr("value", "") != "90210" {
			t.Fatalf("a wrong answer: %d %s", res.status, res.text(".error-summary"))
		}
		res = person.post(link+"/identity", cloneValues(answers))
		if res.status != http.StatusSeeOther {
			t.Fatalf("answers: %d %s", res.status, res.text(".error-summary"))
		}
		track = person.follow(res)
		if !strings.Contains(track.text(".notice"), "your identity is confirmed") || track.doc.Find(`#identity`).Length() != 0 ||
			!strings.Contains(card(track, "See your information"), "Confirmed against our records") {
			t.Fatalf("after the answers:\n%s", track.text("main"))
		}
		ref := track.text("main strong")
		_, req := h.staffOpen(staff, ref, "See your information", "request")
		if got := req.text("#identity"); !strings.Contains(got, "Three data points matched and a signed declaration") ||
			!strings.Contains(got, "11 CCR §7062(c)") || !strings.Contains(got, "Your full name, Your phone number, Your postal code") ||
			!strings.Contains(got, "Jordan Example signed on") || strings.Contains(got, "94103") {
			t.Fatalf("staff see:\n%s", got)
		}

		// Virginia: two points, no declaration.
		va, vaLink, track := h.confirmed(form("va@example.org", "US", "VA", "access"))
		if track.doc.Find(`#f-declared`).Length() != 0 || !strings.Contains(track.text("#identity legend"), "at least 2") {
			t.Fatalf("Virginia asks:\n%s", track.text("#identity"))
		}
		if res := va.post(vaLink+"/identity", url.Values{"q_name": {"jordan example"}, "q_phone": {"804-555-0100"}}); res.status != http.StatusSeeOther {
			t.Fatalf("Virginia answers: %d %s", res.status, res.text(".error-summary"))
		}

		// The EU: the e-mail is enough; staff raise this one request's tier, with
		// a reason; the person is asked at once, the clock running on.
		eu, euLink, track := h.confirmed(form("doubt@example.org", "DE", "", "access"))
		if track.doc.Find(`#identity`).Length() != 0 || !strings.Contains(card(track, "See your information"), "Ready to start") {
			t.Fatalf("EU after the code:\n%s", track.text("main"))
		}
		href, req := h.staffOpen(staff, track.text("main strong"), "See your information", "request")
		if req.doc.Find(`form[action$="/identity/raise"] input[name=tier]`).Length() != 2 || !strings.Contains(req.text("#identity"), "Art. 12(6)") {
			t.Fatalf("raise form:\n%s", req.text("#identity"))
		}
		if res := staff.post(href+"/identity/raise", url.Values{"tier": {"two_points"}}); res.status != http.StatusUnprocessableEntity ||
			res.text("#f-raise_reason-error") == "" {
			t.Fatalf("a raise without a reason: %d", res.status)
		}
		res = staff.post(href+"/identity/raise", url.Values{"tier": {"two_points"}, "raise_reason": {"The request came from an address we do not know."}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("raise: %d %s", res.status, res.text(".error-summary"))
		}
		h.mailTo("doubt@example.org", "We need information from you")
		track = eu.get(euLink)
		if got := card(track, "See your information"); !strings.Contains(got, "Waiting for you") || !strings.Contains(got, "keeps running") ||
			!strings.Contains(got, "answer the questions above") || track.doc.Find(`#identity #f-q_name`).Length() != 1 {
			t.Fatalf("EU raised:\n%s", track.text("main"))
		}
		if q := staff.get("/admin?status=all"); !strings.Contains(q.text("table.queue"), "Waiting for the requester") || strings.Contains(q.text("table.queue"), "Clock stopped") {
			t.Fatalf("queue:\n%s", q.text("table.queue"))
		}
		res = eu.post(euLink+"/identity", url.Values{"q_name": {"Jordan Example"}, "q_postal_code": {"10115"}})
		if res.status != http.StatusSeeOther || !strings.Contains(card(eu.follow(res), "See your information"), "Ready to start") {
			t.Fatalf("EU answers: %d %s", res.status, res.text(".error-summary"))
		}
		if req := staff.get(href); !strings.Contains(req.text("#identity"), "The request came from an address we do not know.") {
			t.Fatalf("the raise's reason is not kept:\n%s", req.text("#identity"))
		}
	})
}

// Failures are rate-limited: three tries, then staff review (mailed), the
// person told what happens next; the address's route limit on top. Staff
// could not verify: denied with the reason and the recourse.
func TestIdentityLimitsAndReview(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			identityLimits(t, newHarnessScale(t, d, "1")) // the limits as configured, not scaled up
		})
	}
}

func identityLimits(t *testing.T, h *harness) {
	{
		staff := h.staff()
		importTestRecords(t, h, "email,name,phone,zip\nother@example.org,Someone Else,+1 212 555 0199,10001\n")
		person, link, _ := h.confirmed(form("limits@example.org", "US", "CA", "delete"))
		for try := 1; try <= 3; try++ {
			res := person.post(link+"/identity", cloneValues(answers))
			want := http.StatusUnprocessableEntity
			if try == 3 {
				want = http.StatusSeeOther
			}
			if res.status != want {
				t.Fatalf("try %d: %d %s", try, res.status, res.text(".error-summary"))
			}
			if try == 3 && !strings.Contains(person.follow(res).text(".notice"), "Our team will compare") {
				t.Fatal("not told what happens next")
			}
		}
		track := person.get(link)
		if track.doc.Find(`#identity`).Length() != 0 || !strings.Contains(card(track, "Delete your information"), "checking your answers") {
			t.Fatalf("after the last try:\n%s", track.text("main"))
		}
		h.mailTo(staff.email, "An identity check needs your review")
		// The address's limit on guesses holds whatever the form says.
		limited := false
		for range 25 {
			if res := person.post(link+"/identity", cloneValues(answers)); res.status == http.StatusTooManyRequests && res.doc.Find("#identity").Length() == 0 {
				limited = true
				break
			}
		}
		if !limited {
			t.Fatal("no limit on an address's guesses")
		}
		ref := track.text("main strong")
		href, req := h.staffOpen(staff, ref, "Delete your information", "request")
		if !strings.Contains(req.text("#identity"), "did not match after every try") || !strings.Contains(req.text("#identity"), "3 of 3") {
			t.Fatalf("staff review:\n%s", req.text("#identity"))
		}
		if res := staff.post(href+"/identity", url.Values{"outcome": {"failed"}}); res.status != http.StatusUnprocessableEntity || res.text("#f-identity_note-error") == "" {
			t.Fatalf("no reason: %d", res.status)
		}
		res := staff.post(href+"/identity", url.Values{"outcome": {"failed"}, "identity_note": {"The details do not match our records."}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("could not verify: %d %s", res.status, res.text(".error-summary"))
		}
		m := h.mailTo("limits@example.org", "Update on your privacy request")
		if !strings.Contains(m.Text(), "The details do not match our records.") || !strings.Contains(m.Text(), "California Privacy Protection Agency") {
			t.Fatalf("denial mail:\n%s", m.Text())
		}
	}
}

// The lookup endpoint through the router: configured on the settings
// page; a wrong key is refused by the endpoint, the answers wait for
// staff, who are told and see it on the request; with the right key a
// retry verifies.
func TestLookupThroughTheRouter(t *testing.T) {
	h := newHarnessWith(t, harnessOptions{env: map[string]string{"RIGHTSDESK_WEBHOOK_ALLOW_PRIVATE": "true"}})
	const key = "the key shared with the organization's endpoint"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if lookup.Check([]byte(key), r.Header.Get(lookup.HeaderTimestamp), r.Header.Get(lookup.HeaderSignature), raw, time.Now()) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var c lookup.Call
		json.Unmarshal(raw, &c)
		body, _ := json.Marshal(lookup.Answer{ID: c.ID, Found: true, Matches: map[string]bool{"name": true, "phone": true,
			"postal_code": c.Fields["postal_code"] == "94103"}})
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		w.Header().Set(lookup.HeaderTimestamp, ts)
		w.Header().Set(lookup.HeaderSignature, lookup.Sign([]byte(key), []byte(ts), body))
		w.Write(body)
	}))
	defer srv.Close()
	staff := h.staff()
	save := func(k string) page {
		settings := staff.get("/admin/verification")
		v := selected(settings, `form[action="/admin/verification"]`)
		v.Set("records_source", "lookup")
		v.Set("lookup_url", srv.URL)
		v.Set("lookup_key", k)
		return staff.post("/admin/verification", v)
	}
	if res := save("short"); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.text(".error-summary"), "at least 32") ||
		res.doc.Find(`#f-lookup_key`).AttrOr("value", "") != "" {
		t.Fatalf("a short key: %d %s", res.status, res.text(".error-summary"))
	}
	if res := save("a wrong key, thirty-two characters or more"); res.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.status, res.text(".error-summary"))
	}
	person, link, _ := h.confirmed(form("lookup@example.org", "US", "CA", "delete"))
	res := person.post(link+"/identity", cloneValues(answers))
	if res.status != http.StatusSeeOther || !strings.Contains(person.follow(res).text(".notice"), "Our team will compare") {
		t.Fatalf("while refused: %d %s", res.status, res.text(".error-summary"))
	}
	down := h.mailTo(staff.email, "lookup is not answering")
	if !strings.Contains(down.Text(), "refused our calls") {
		t.Fatalf("staff mail:\n%s", down.Text())
	}
	ref := person.get(link).text("main strong")
	href, req := h.staffOpen(staff, ref, "Delete your information", "request")
	if !strings.Contains(req.text("#identity"), "has not answered since") || req.doc.Find(`form[action$="/identity/retry"]`).Length() != 1 ||
		!strings.Contains(req.text("#identity"), "+14155550100") {
		t.Fatalf("staff page while down:\n%s", req.text("#identity"))
	}
	if res := save(key); res.status != http.StatusSeeOther {
		t.Fatalf("save the right key: %d", res.status)
	}
	staff.get(href)
	if res := staff.post(href+"/identity/retry", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("retry: %d %s", res.status, res.text(".error-summary"))
	}
	if got := statuses(t, h, ref); got[0] != models.StatusVerified {
		t.Fatalf("after the retry: %v", got)
	}
	if settings := staff.get("/admin/verification"); !strings.Contains(settings.text("main"), "last answered") {
		t.Fatalf("settings do not say the lookup answers:\n%s", settings.text("main"))
	}
}

// Account sign-in through the router, against an OpenID Connect provider
// run inside the test: PKCE, state and nonce; re-authentication asked for
// a deletion and a disclosure (11 CCR §7061(b)); an account of another
// address is refused.
func TestAccountSignInThroughTheRouter(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		op := accounttest.Start(t)
		staff := h.staff()
		settings := staff.get("/admin/verification")
		if !strings.Contains(settings.text("main"), h.srv.URL+"/verify/account/callback") {
			t.Fatal("the redirect URI to register is not shown")
		}
		v := selected(settings, `form[action="/admin/verification"]`)
		v.Set("oidc_issuer", op.URL)
		v.Set("oidc_client_id", accounttest.ClientID)
		v.Set("oidc_secret", accounttest.ClientSecret)
		if res := staff.post("/admin/verification", v); res.status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", res.status, res.text(".error-summary"))
		}
		signIn := func(b *browser, link string) page {
			t.Helper()
			res := b.post(link+"/account", url.Values{})
			if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), op.URL+"/auth") {
				t.Fatalf("start: %d %s", res.status, res.location())
			}
			back := b.get(res.location()) // the provider signs the person in and sends them back
			if back.status != http.StatusFound {
				t.Fatalf("provider: %d", back.status)
			}
			res = b.get(back.location())
			if res.status != http.StatusSeeOther {
				t.Fatalf("callback: %d %s", res.status, res.text("main"))
			}
			return b.follow(res)
		}
		person, link, track := h.confirmed(form("jordan@example.org", "US", "CA", "access", "delete"))
		if !strings.Contains(track.text("#identity"), "Sign in with your Acme Test Co account") {
			t.Fatalf("no sign-in offered:\n%s", track.text("#identity"))
		}
		// Another account's address confirms nothing.
		op.User.Email = "someone.else@example.org"
		if got := signIn(person, link); !strings.Contains(got.text(".notice"), "another email address") {
			t.Fatalf("another account: %s", got.text(".notice"))
		}
		// An old session where a fresh one is needed: asked again.
		op.User.Email, op.StaleAuth = "jordan@example.org", true
		if got := signIn(person, link); !strings.Contains(got.text(".notice"), "sign in again") {
			t.Fatalf("stale: %s", got.text(".notice"))
		}
		op.StaleAuth = false
		got := signIn(person, link)
		if !strings.Contains(got.text(".notice"), "your identity is confirmed") || got.doc.Find("#identity").Length() != 0 {
			t.Fatalf("signed in:\n%s", got.text("main"))
		}
		if seen := op.Seen[len(op.Seen)-1]; seen.Get("prompt") != "login" || seen.Get("code_challenge_method") != "S256" {
			t.Fatalf("authorization request %v", seen)
		}
		ref := got.text("main strong")
		if s := statuses(t, h, ref); s[0] != models.StatusVerified || s[1] != models.StatusVerified {
			t.Fatalf("statuses %v", s)
		}
		_, req := h.staffOpen(staff, ref, "Delete your information", "request")
		if !strings.Contains(req.text("#identity"), "signed in again at "+op.URL) {
			t.Fatalf("staff see:\n%s", req.text("#identity"))
		}
		// A callback without a sign-in under way is refused.
		if res := h.browser().get("/verify/account/callback?state=x&code=y"); res.status != http.StatusNotFound {
			t.Fatalf("a stray callback: %d", res.status)
		}
	})
}

// A document staff ask for: uploaded on the tracking page, seen inline by
// staff, erased with the answers when the request closes; the outcome
// and the fact of the check stay.
func TestIdentityDocumentAndErasure(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		staff := h.staff()
		person, link, _ := h.confirmed(form("doc@example.org", "US", "CA", "access"))
		res := person.post(link+"/identity", cloneValues(answers)) // no records yet: to staff
		if res.status != http.StatusSeeOther {
			t.Fatalf("answers: %d", res.status)
		}
		ref := person.get(link).text("main strong")
		href, req := h.staffOpen(staff, ref, "See your information", "request")
		if !strings.Contains(req.text("#identity"), "No records to match against") || !strings.Contains(req.text("#identity"), "+14155550100") {
			t.Fatalf("answers for review:\n%s", req.text("#identity"))
		}
		res = staff.post(href+"/pause", url.Values{"pause_reason": {"identity"}, "question": {"Please upload a recent utility bill."},
			"document": {"yes"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("ask: %d %s", res.status, res.text(".error-summary"))
		}
		m := h.mailTo("doc@example.org", "We need information from you")
		if !strings.Contains(m.Text(), "document") || !strings.Contains(m.Text(), "keeps running") {
			t.Fatalf("mail:\n%s", m.Text())
		}
		track := person.get(link)
		id := strings.TrimPrefix(href, "/admin/requests/")
		if track.doc.Find(`form[action$="/requests/`+id+`/document"] input[type=file]`).Length() != 1 ||
			!strings.Contains(card(track, "See your information"), "utility bill") {
			t.Fatalf("upload form:\n%s", track.text("main"))
		}
		if res := person.upload(link+"/requests/"+id+"/document", nil, "bill.exe", []byte("MZ\x90\x00not a document")); res.status != http.StatusUnprocessableEntity ||
			!strings.Contains(res.text(".error-summary"), "PDF, PNG or JPEG") {
			t.Fatalf("an executable: %d %s", res.status, res.text(".error-summary"))
		}
		if res := person.upload(link+"/requests/"+id+"/document", nil, "bill.pdf", signedPDF("")); res.status != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", res.status, res.text(".error-summary"))
		}
		req = staff.get(href)
		src, ok := req.doc.Find(`#identity iframe`).Attr("src")
		if !ok || !strings.Contains(req.text("#identity"), "uploaded a document") {
			t.Fatalf("staff do not see the document:\n%s", req.text("#identity"))
		}
		if res := staff.get(src); res.status != http.StatusOK || !strings.HasPrefix(res.body, "%PDF") {
			t.Fatalf("document: %d", res.status)
		}
		if res := person.get(src); res.status != http.StatusNotFound && res.status != http.StatusSeeOther {
			t.Fatalf("the person opened a staff document: %d", res.status)
		}
		// Verified after checking the document, then completed: what was given only
		// to verify goes; the fact and the outcome stay.
		if res := staff.post(href+"/identity", url.Values{"outcome": {"verified"}, "identity_note": {"Utility bill matches the address on file."}}); res.status != http.StatusSeeOther {
			t.Fatalf("decide: %d %s", res.status, res.text(".error-summary"))
		}
		if res := staff.post(href+"/status", url.Values{"status": {"completed"}, "detail": {"Sent."}}); res.status != http.StatusSeeOther {
			t.Fatalf("complete: %d %s", res.status, res.text(".error-summary"))
		}
		if res := staff.get(src); res.status != http.StatusGone {
			t.Fatalf("document after close: %d", res.status)
		}
		req = staff.get(href)
		if got := req.text("#identity"); !strings.Contains(got, "erased on") || strings.Contains(got, "+14155550100") ||
			!strings.Contains(got, "Utility bill matches") || !strings.Contains(got, "Jordan Example signed on") {
			t.Fatalf("after close:\n%s", got)
		}
		var sealed []string
		h.app.Core.DB().Table("identity_checks").Where("answers_sealed <> ''").Pluck("answers_sealed", &sealed)
		if len(sealed) != 0 {
			t.Fatal("answers kept after close")
		}
	})
}
