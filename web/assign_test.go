package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/models"
)

// staffID is the id of the member signed in as b.
func (h *harness) staffID(b *browser) int64 {
	h.t.Helper()
	var id int64
	if err := h.app.Core.DB().Model(&models.Staff{}).Where("email = ?", b.email).Pluck("id", &id).Error; err != nil || id == 0 {
		h.t.Fatalf("no member %q: %v", b.email, err)
	}
	return id
}

// personIn submits the form for one right as someone living in country
// (and region), at the harness's clock, and returns the reference.
func (h *harness) personIn(name, email, phone, country, region string) string {
	h.t.Helper()
	form := submission()
	form.Set("name", name)
	form.Set("email", email)
	form.Set("phone", phone)
	form.Set("country", country)
	form.Del("state")
	switch country {
	case "US":
		form.Set("state", region)
	case "CA":
		form.Set("province", region)
	}
	form["rights"] = []string{"access"}
	return h.browser().submit(form).text(".panel .ref")
}

// queueRefs are the references listed on a queue page.
func queueRefs(p page) []string {
	var out []string
	p.doc.Find("table.queue tbody tr td:first-child a").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	slices.Sort(out)
	return slices.Compact(out)
}

// A request is assigned from its page by a member who works requests: to
// anyone who may work it (the member is mailed the reference and a link,
// nothing about the person), to themselves, to nobody; each change on the
// timeline and in the audit log. An auditor sees who holds it and cannot
// change it; "My requests" lists what a member holds.
func TestAssignmentOnTheRequestPage(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		ref := h.browser().submit(submission()).text(".panel .ref") // Jordan Example
		officer := h.staffAs(models.RoleOfficer)
		pat := h.staffAs(models.RoleReviewer)
		auditor := h.staffAs(models.RoleAuditor)
		href, pg := h.staffOpen(officer, ref, "See your information", "request")
		options := pg.doc.Find(`form[action="` + href + `/assign"] select[name="assignee"]`).Text()
		if !strings.Contains(options, "Sam reviewer") || strings.Contains(options, "Sam auditor") {
			t.Fatalf("assignees offered: %q", options)
		}
		// Not to an auditor: the form says so by the field.
		res := officer.post(href+"/assign", url.Values{"assignee": {itoa(h.staffID(auditor))}})
		if res.status != http.StatusUnprocessableEntity || res.text("#f-assignee-error") == "" ||
			res.doc.Find(`.error-summary a[href="#f-assignee"]`).Length() != 1 {
			t.Fatalf("assigned to an auditor: %d %s", res.status, res.text(".error-summary"))
		}
		res = officer.post(href+"/assign", url.Values{"assignee": {itoa(h.staffID(pat))}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("assign: %d %s", res.status, res.text("main"))
		}
		pg = officer.follow(res)
		if !strings.Contains(pg.text("table.summary"), "Sam reviewer") || !strings.Contains(pg.text(".timeline"), "Assigned to Sam reviewer") {
			t.Fatalf("request page after assigning:\n%s", pg.text("main"))
		}
		m := h.mailTo(pat.email, "A request was assigned to you")
		if text := m.Text(); !strings.Contains(text, ref) || !strings.Contains(text, h.srv.URL+href) ||
			strings.Contains(text+m.Subject, "Jordan") || strings.Contains(text, "jordan@example.org") || strings.Contains(m.Subject, ref) {
			t.Fatalf("assignment mail %q:\n%s", m.Subject, text)
		}
		// An auditor reads who holds it, and may not change it.
		if a := auditor.get(href); !strings.Contains(a.text("table.summary"), "Sam reviewer") || a.doc.Find(`form[action$="/assign"]`).Length() != 0 {
			t.Fatalf("auditor's page:\n%s", a.text("main"))
		}
		if res := auditor.post(href+"/assign", url.Values{"assignee": {"me"}}); res.status != http.StatusForbidden {
			t.Fatalf("auditor assigned: %d", res.status)
		}
		// My requests: the member's own, from the navigation.
		mine := pat.get("/admin?assignee=me")
		if mine.doc.Find(`header nav a[href="/admin?assignee=me"]`).Length() != 1 || mine.text("h1") != "My requests" ||
			!slices.Equal(queueRefs(mine), []string{ref}) || !strings.Contains(mine.text("table.queue"), "Sam reviewer") {
			t.Fatalf("my requests:\n%s", mine.text("main"))
		}
		if got := queueRefs(officer.get("/admin?assignee=me")); len(got) != 0 {
			t.Fatalf("the officer's requests: %v", got)
		}
		if auditor.get("/admin").doc.Find(`a[href="/admin?assignee=me"]`).Length() != 0 {
			t.Fatal("an auditor, who holds nothing, is offered My requests")
		}
		// Taken by the officer, then given to nobody.
		officer.get(href)
		if res := officer.post(href+"/assign", url.Values{"assignee": {"me"}}); res.status != http.StatusSeeOther {
			t.Fatalf("assign to me: %d", res.status)
		}
		if res := officer.post(href+"/assign", url.Values{"assignee": {""}}); res.status != http.StatusSeeOther {
			t.Fatalf("unassign: %d", res.status)
		}
		pg = officer.get(href)
		if !strings.Contains(pg.text(".timeline"), "No longer assigned to Sam officer") || !strings.Contains(pg.text("table.summary"), "No one") {
			t.Fatalf("after unassigning:\n%s", pg.text("main"))
		}
		var actions []string
		h.app.Core.DB().Model(&models.AuditEntry{}).Where("action LIKE ?", "request.%assign").Order("id").Pluck("action", &actions)
		if !slices.Equal(actions, []string{"request.assign", "request.assign", "request.unassign"}) {
			t.Fatalf("audit: %v", actions)
		}
		// Deactivating Pat would have freed it: the team page's action.
		officer.post(href+"/assign", url.Values{"assignee": {itoa(h.staffID(pat))}})
		admin := h.staffAs(models.RoleAdmin)
		admin.get("/admin/team")
		if res := admin.post("/admin/team/"+itoa(h.staffID(pat))+"/deactivate", url.Values{}); res.status != http.StatusSeeOther {
			t.Fatalf("deactivate: %d", res.status)
		}
		if pg := officer.get(href); !strings.Contains(pg.text("table.summary"), "No one") || !strings.Contains(pg.text(".timeline"), "System") {
			t.Fatalf("after deactivating the assignee:\n%s", pg.text("main"))
		}
	})
}

// The queue's filters are links: law, assignee (nobody, me, a member) and
// deadline, alone and together, each kept by the tabs and shown chosen.
func TestQueueFilters(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		h.freeze(received)                                                  // 31 January 2026
		ca := h.personIn("Casey Cal", "casey@example.org", "", "US", "CA")  // due 17 March
		uk := h.personIn("Una King", "una@example.org", "", "GB", "")       // due 28 February
		qc := h.personIn("Quinn Cote", "quinn@example.org", "", "CA", "QC") // due 2 March
		h.freeze(time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC))
		officer := h.staffAs(models.RoleOfficer)
		href, _ := h.staffOpen(officer, ca, "See your information", "request")
		officer.post(href+"/assign", url.Values{"assignee": {"me"}})
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"", []string{ca, uk, qc}},
			{"jurisdiction=GB", []string{uk}},
			{"jurisdiction=CA-QC", []string{qc}},
			{"due=overdue", []string{uk}},
			{"due=7d", []string{qc}},
			{"due=30d", []string{ca, qc}},
			{"due=30d&jurisdiction=US-CA", []string{ca}},
			{"assignee=me", []string{ca}},
			{"assignee=" + itoa(h.staffID(officer)), []string{ca}},
			{"assignee=none", []string{uk, qc}},
			{"assignee=none&due=7d", []string{qc}},
			{"status=all&assignee=none&right=access", []string{uk, qc}},
			{"jurisdiction=NOWHERE&due=soon&assignee=x", []string{ca, uk, qc}}, // unknown values: no filter
		} {
			pg := officer.get("/admin?" + tc.query)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if got := queueRefs(pg); pg.status != http.StatusOK || !slices.Equal(got, want) {
				t.Errorf("?%s: %d %v, want %v", tc.query, pg.status, got, want)
			}
		}
		pg := officer.get("/admin?due=30d&jurisdiction=US-CA&assignee=none")
		for sel, want := range map[string]string{"#f-due": "30d", "#f-jurisdiction": "US-CA", "#f-assignee": "none"} {
			if got := pg.doc.Find(sel+" option[selected]").AttrOr("value", ""); got != want {
				t.Errorf("%s shows %q, want %q", sel, got, want)
			}
		}
		pg.doc.Find("ul.tabs a").Each(func(_ int, s *goquery.Selection) {
			if href := s.AttrOr("href", ""); !strings.Contains(href, "due=30d") || !strings.Contains(href, "jurisdiction=US-CA") {
				t.Errorf("a tab drops the filters: %s", href)
			}
		})
		if exp := pg.doc.Find(`a[href^="/admin/export/requests.csv"]`).AttrOr("href", ""); !strings.Contains(exp, "due=30d") {
			t.Errorf("export link %q", exp)
		}
	})
}

// A search for a person (by e-mail, name or phone) is a POST whose answer
// lists their requests: the term is in no link, no form's action, no
// redirect and no line of the log. A reference goes to the queue's link.
func TestQueueSearch(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		zeb := h.personIn("Zebulon Quixote", "Zeb.Quixote@Example.org", "+1 (415) 555-0177", "US", "CA")
		other := h.personIn("Ottilie Pruitt", "ottilie@example.org", "020 7946 0999", "GB", "")
		officer := h.staffAs(models.RoleOfficer)
		officer.get("/admin")
		secret := []string{"quixote", "zebulon", "zeb.", "0177", "pruitt", "ottilie", "7946"}
		for _, tc := range []struct {
			typed string
			want  []string
		}{
			{"zeb.quixote@EXAMPLE.org", []string{zeb}},
			{"Quixote", []string{zeb}},
			{"zeb quix", []string{zeb}},
			{"+1 415 555 0177", []string{zeb}},
			{"4155550177", []string{zeb}},
			{"555-0177", []string{zeb}},
			{"+44 20 7946 0999", []string{other}}, // stored without the country code
			{"ottilie@example.com", nil},
		} {
			res := officer.post("/admin/search", url.Values{"q": {tc.typed}})
			if got := queueRefs(res); res.status != http.StatusOK || !slices.Equal(got, tc.want) || res.text("h1") != "Search results" {
				t.Errorf("search %q: %d %v, want %v\n%s", tc.typed, res.status, got, tc.want, res.text("main"))
			}
			if res.location() != "" || !strings.Contains(res.header.Get("Cache-Control"), "no-store") {
				t.Errorf("search %q: Location %q, Cache-Control %q", tc.typed, res.location(), res.header.Get("Cache-Control"))
			}
			// The term is kept in the box, and in no address.
			if v := res.doc.Find("#f-q").AttrOr("value", ""); v != tc.typed {
				t.Errorf("search box %q, want %q", v, tc.typed)
			}
			if res.doc.Find(`a[href^="/admin/export/requests"]`).Length() != 0 {
				t.Errorf("search %q: its results are offered as an export", tc.typed)
			}
			res.doc.Find("[href], [action], [src]").Each(func(_ int, s *goquery.Selection) {
				for _, attr := range []string{"href", "action", "src"} {
					v, _ := url.QueryUnescape(strings.ToLower(s.AttrOr(attr, "")))
					for _, w := range append(secret, strings.ToLower(tc.typed)) {
						if strings.Contains(v, w) {
							t.Errorf("search %q: %s=%q holds %q", tc.typed, attr, v, w)
						}
					}
				}
			})
		}
		// A reference is not personal data: it goes to the queue's link.
		res := officer.post("/admin/search", url.Values{"q": {strings.ToLower(strings.ReplaceAll(zeb, "-", ""))}})
		if res.status != http.StatusSeeOther || !strings.Contains(res.location(), "ref="+zeb) {
			t.Fatalf("reference search: %d %q", res.status, res.location())
		}
		if got := queueRefs(officer.follow(res)); !slices.Equal(got, []string{zeb}) {
			t.Fatalf("reference search found %v", got)
		}
		// Nothing typed: the error is by the box.
		res = officer.post("/admin/search", url.Values{"q": {"  "}})
		if res.status != http.StatusUnprocessableEntity || res.text("#f-q-error") == "" || res.doc.Find(`.error-summary a[href="#f-q"]`).Length() != 1 {
			t.Fatalf("empty search: %d %s", res.status, res.text("main"))
		}
		// Without a CSRF token, no search.
		if res := officer.postRaw("/admin/search", "q=quixote"); res.status != http.StatusForbidden {
			t.Fatalf("search without a token: %d", res.status)
		}
		logs := strings.ToLower(h.logs.String())
		for _, w := range secret {
			if strings.Contains(logs, w) {
				t.Errorf("the log holds %q", w)
			}
		}
		if !strings.Contains(logs, "route=/admin/search") {
			t.Error("the searches were not logged at all: the check above proves nothing")
		}
	})
}

// A search's pages are posted forms that carry the term and the cursor:
// page after page, each request once.
func TestQueueSearchPages(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		// Fictional people: an Ava is one in 24, and a name that starts with
		// an a one in nine.
		if _, err := models.Seed(context.Background(), h.app.Core, models.SeedOptions{Requests: 20000, RandSeed: 3}); err != nil {
			t.Fatal(err)
		}
		var want int64
		h.app.Core.DB().Table("requests").Joins("JOIN submission_names ON submission_names.submission_id = requests.submission_id").
			Where("requests.kind = ? AND submission_names.token = ?", models.KindRequest, "ava").Count(&want)
		if want <= 100 {
			t.Fatalf("only %d requests of people called Ava", want)
		}
		officer := h.staffAs(models.RoleOfficer)
		officer.get("/admin")
		// A word's first letter matches too many people: type more.
		if res := officer.post("/admin/search", url.Values{"q": {"a"}}); res.status != http.StatusUnprocessableEntity ||
			!strings.Contains(res.text("#f-q-error"), "More than 1000 people") || res.doc.Find("#f-q").AttrOr("value", "") != "a" ||
			len(queueRefs(res)) == 0 {
			t.Fatalf("search for a: %d %q", res.status, res.text("#f-q-error"))
		}
		res := officer.post("/admin/search", url.Values{"q": {"Ava"}})
		seen := map[string]bool{}
		pages := 0
		for {
			pages++
			rows := 0
			res.doc.Find("table.queue tbody tr td:first-child a").Each(func(_ int, s *goquery.Selection) {
				id := s.AttrOr("href", "")
				if seen[id] {
					t.Fatalf("page %d: %s again", pages, id)
				}
				seen[id] = true
				rows++
			})
			if res.status != http.StatusOK || rows == 0 {
				t.Fatalf("page %d: %d, %d rows", pages, res.status, rows)
			}
			if pages > 1 && res.doc.Find(`.pager form button:contains("First page")`).Length() != 1 {
				t.Fatalf("page %d: no way back to the first", pages)
			}
			next := res.doc.Find(`.pager form:has(input[name="after"])`)
			if next.Length() == 0 {
				break
			}
			if next.AttrOr("method", "") != "post" || next.AttrOr("action", "") != "/admin/search" || next.Find(`input[name="q"]`).AttrOr("value", "") != "Ava" {
				t.Fatalf("next page form: %s", next.Text())
			}
			form := url.Values{}
			next.Find("input").Each(func(_ int, s *goquery.Selection) { form.Set(s.AttrOr("name", ""), s.AttrOr("value", "")) })
			res = officer.post("/admin/search", form)
		}
		if int64(len(seen)) != want || pages < 3 {
			t.Fatalf("%d requests over %d pages, want %d", len(seen), pages, want)
		}
	})
}

// The CSV export follows the queue's filters and names each request's
// assignee.
func TestQueueExportFollowsFilters(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		mine := h.personIn("Casey Cal", "casey@example.org", "", "US", "CA")
		h.personIn("Una King", "una@example.org", "", "GB", "")
		officer := h.staffAs(models.RoleOfficer)
		href, _ := h.staffOpen(officer, mine, "See your information", "request")
		officer.post(href+"/assign", url.Values{"assignee": {"me"}})
		officerID := itoa(h.staffID(officer))
		for _, tc := range []struct {
			query string
			want  [][3]string // reference, assignee id, assignee
		}{
			{"assignee=me", [][3]string{{mine, officerID, "Sam officer"}}},
			{"jurisdiction=US-CA&status=all", [][3]string{{mine, officerID, "Sam officer"}}},
			{"assignee=none&jurisdiction=US-CA", nil},
		} {
			res := officer.get("/admin/export/requests.csv?" + tc.query)
			rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
			if err != nil || res.status != http.StatusOK || len(rows) == 0 || rows[0][6] != "assignee_id" || rows[0][7] != "assignee" {
				t.Fatalf("?%s: %d %v\n%s", tc.query, res.status, err, res.body)
			}
			var got [][3]string
			for _, r := range rows[1:] {
				got = append(got, [3]string{r[1], r[6], r[7]})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("?%s: %v, want %v", tc.query, got, tc.want)
			}
		}
	})
}

// The staff API filters as the queue does and assigns through the same
// rule: the member is mailed; a read token, an auditor or a member who
// cannot work requests is refused.
func TestAPIAssignAndFilters(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		ca := h.personIn("Casey Cal", "casey@example.org", "", "US", "CA")
		h.personIn("Una King", "una@example.org", "", "GB", "")
		officer := h.staffAs(models.RoleOfficer)
		pat := h.staffAs(models.RoleReviewer)
		auditorID := h.staffID(h.staffAs(models.RoleAuditor))
		write, read := officer.makeToken(models.ScopeWrite), officer.makeToken(models.ScopeRead)
		list := func(query string) []handlers.APIRequestSummary {
			t.Helper()
			var out handlers.APIRequestList
			if st := h.apiCall(read, http.MethodGet, "/api/v1/requests?"+query, "", &out); st != http.StatusOK {
				t.Fatalf("?%s: %d", query, st)
			}
			return out.Requests
		}
		got := list("jurisdiction=US-CA")
		if len(got) != 1 || got[0].Reference != ca || got[0].AssigneeID != nil {
			t.Fatalf("Californian requests: %+v", got)
		}
		id := got[0].ID
		path := "/api/v1/requests/" + itoa(id) + "/assign"
		var apiErr struct {
			Error struct{ Fields map[string]string }
		}
		if st := h.apiCall(read, http.MethodPost, path, `{"assignee_id":"me"}`, nil); st != http.StatusForbidden {
			t.Fatalf("read token assigned: %d", st)
		}
		if st := h.apiCall(write, http.MethodPost, path, `{"assignee_id":"`+itoa(auditorID)+`"}`, &apiErr); st != http.StatusUnprocessableEntity ||
			apiErr.Error.Fields["assignee"] == "" {
			t.Fatalf("assigned to an auditor: %d %+v", st, apiErr)
		}
		var req handlers.APIRequest
		if st := h.apiCall(write, http.MethodPost, path, `{"assignee_id":"`+itoa(h.staffID(pat))+`"}`, &req); st != http.StatusOK ||
			req.AssigneeID == nil || *req.AssigneeID != h.staffID(pat) || req.Assignee != "Sam reviewer" {
			t.Fatalf("assign: %d %+v", st, req.APIRequestSummary)
		}
		h.mailTo(pat.email, "A request was assigned to you")
		if got := list("assignee=" + itoa(h.staffID(pat))); len(got) != 1 || got[0].ID != id || got[0].Assignee != "Sam reviewer" {
			t.Fatalf("a member's: %+v", got)
		}
		if got := list("assignee=none&status=all"); len(got) != 1 || got[0].Reference == ca {
			t.Fatalf("unassigned: %+v", got)
		}
		if st := h.apiCall(write, http.MethodPost, path, `{"assignee_id":"me"}`, &req); st != http.StatusOK || *req.AssigneeID != h.staffID(officer) {
			t.Fatalf("assign to me: %d", st)
		}
		if got := list("assignee=me&due=30d"); len(got) != 0 {
			t.Fatalf("due within 30 days: %+v", got) // due in 45
		}
		if got := list("assignee=me&due=overdue"); len(got) != 0 {
			t.Fatalf("overdue: %+v", got)
		}
		if got := list("assignee=me"); len(got) != 1 || got[0].ID != id {
			t.Fatalf("mine: %+v", got)
		}
	})
}
