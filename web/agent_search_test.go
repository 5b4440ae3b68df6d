package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// dashboardRefs are the references a dashboard page lists.
func dashboardRefs(p page) []string {
	var out []string
	p.doc.Find("table.queue tbody tr td:first-child a").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	slices.Sort(out)
	return out
}

// An agent searches its requests by part of the person's name or by the
// reference with a posted form (CSRF): the results are that response, and
// the name is in no address, redirect or log line. A term in the
// dashboard's address is not a search.
func TestAgentDashboardSearch(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		ag := h.agent("search-agent@example.org")
		first, second := filing("quixote-person@example.org"), filing("sancho-person@example.org")
		first.Set("name", "Alonso Quixano")
		second.Set("name", "Sancho Panza")
		first.Set("rights", "access")
		second.Set("rights", "access")
		ag.file(first, "designation.pdf", signedPDF(""))
		ag.file(second, "designation.pdf", signedPDF(""))
		ref := func(name string) string {
			var r string
			h.app.Core.DB().Table("submissions").Where("name = ?", name).Pluck("reference", &r)
			return r
		}
		quixote, sancho := ref("Alonso Quixano"), ref("Sancho Panza")
		if quixote == "" || sancho == "" {
			t.Fatal("filings not stored")
		}
		all := []string{quixote, sancho}
		slices.Sort(all)

		dash := ag.get("/agent")
		if got := dashboardRefs(dash); !slices.Equal(got, all) {
			t.Fatalf("dashboard lists %v, want %v", got, all)
		}
		form := dash.doc.Find(`form[role="search"]`)
		if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != "/agent/search" || form.Find(`input[name="_csrf"]`).Length() != 1 {
			t.Fatalf("search form: method %q action %q", form.AttrOr("method", ""), form.AttrOr("action", ""))
		}
		for _, c := range []struct {
			typed string
			want  []string
		}{
			{"quixa", []string{quixote}},
			{"  PANZA ", []string{sancho}},
			{strings.ToLower(strings.ReplaceAll(sancho, "-", "")), []string{sancho}},
			{"Dulcinea", nil},
		} {
			res := ag.post("/agent/search", url.Values{"q": {c.typed}})
			if res.status != http.StatusOK {
				t.Fatalf("search %q: %d", c.typed, res.status)
			}
			if got := dashboardRefs(res); !slices.Equal(got, c.want) {
				t.Errorf("search %q found %v, want %v", c.typed, got, c.want)
			}
			if v := res.doc.Find("#f-q").AttrOr("value", ""); v != c.typed {
				t.Errorf("search box %q, want %q", v, c.typed)
			}
			if !strings.Contains(res.header.Get("Cache-Control"), "no-store") {
				t.Errorf("search %q: results may be cached", c.typed)
			}
			res.doc.Find("[href], [action], [src]").Each(func(_ int, s *goquery.Selection) {
				for _, attr := range []string{"href", "action", "src"} {
					v, _ := url.QueryUnescape(strings.ToLower(s.AttrOr(attr, "")))
					for _, w := range []string{"quix", "panza", "sancho"} {
						if strings.Contains(v, w) {
							t.Errorf("search %q: %s=%q holds %q", c.typed, attr, v, w)
						}
					}
				}
			})
		}
		if res := ag.post("/agent/search", url.Values{"q": {"Dulcinea"}}); !strings.Contains(res.text("main"), "No request matches.") {
			t.Errorf("an unmatched search does not say so: %s", res.text("main"))
		}
		// Without a CSRF token, no search; a term in the address is ignored.
		if res := ag.postRaw("/agent/search", "q=quixa"); res.status != http.StatusForbidden {
			t.Fatalf("search without a token: %d", res.status)
		}
		if got := dashboardRefs(ag.get("/agent?q=quixa")); !slices.Equal(got, all) {
			t.Fatalf("a term in the address filtered the dashboard: %v", got)
		}
		// Another agent's search finds nothing of this agent's.
		other := h.agent("other-search-agent@example.org")
		if got := dashboardRefs(other.post("/agent/search", url.Values{"q": {"quixa"}})); len(got) != 0 {
			t.Fatalf("another agent found %v", got)
		}
		logs := strings.ToLower(h.logs.String())
		for _, w := range []string{"quixa", "panza", "dulcinea"} {
			if strings.Contains(logs, w) {
				t.Errorf("the log holds %q", w)
			}
		}
		if !strings.Contains(logs, "/agent/search") {
			t.Error("the searches were not logged at all: the check above proves nothing")
		}
	})
}
