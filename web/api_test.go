package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/models"
)

// apiCall sends one API request with a bearer token and decodes the JSON.
func (h *harness) apiCall(token, method, path, body string, out any) int {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	// Every answer is JSON, but a CSV export's success (read with out nil).
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !(out == nil && res.StatusCode == http.StatusOK && strings.HasPrefix(ct, "text/csv")) {
		h.t.Fatalf("%s %s: %d, not JSON: %s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return res.StatusCode
}

// makeToken makes a token on the account page and returns it.
func (b *browser) makeToken(scope string) string {
	b.h.t.Helper()
	b.get("/admin/account")
	res := b.post("/admin/account/tokens", url.Values{"name": {"sync " + scope}, "scope": {scope}})
	token := strings.TrimSpace(res.text(".notice code.secret"))
	if res.status != http.StatusOK || !strings.HasPrefix(token, models.APITokenPrefix) {
		b.h.t.Fatalf("token: %d %q", res.status, res.text("main"))
	}
	return token
}

// The staff API: a token acts as its member, within the role and the
// token's scope; a message it sends reaches the person's thread and mails
// them a notice; revoked tokens and cookies open nothing.
func TestStaffAPI(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		person := h.browser()
		link, code := h.submitAs(person, "api@example.org")
		officer := h.staff()
		write := officer.makeToken(models.ScopeWrite)
		read := officer.makeToken(models.ScopeRead)
		auditor := h.staffAs(models.RoleAuditor).makeToken(models.ScopeWrite)

		var list handlers.APIRequestList
		if st := h.apiCall(read, http.MethodGet, "/api/v1/requests", "", &list); st != http.StatusOK || len(list.Requests) != 2 {
			t.Fatalf("list: %d %+v", st, list)
		}
		id := list.Requests[0].ID
		var req handlers.APIRequest
		if st := h.apiCall(read, http.MethodGet, "/api/v1/requests/"+itoa(id), "", &req); st != http.StatusOK || req.Requester.Email != "api@example.org" {
			t.Fatalf("get: %d %+v", st, req)
		}
		var apiErr struct {
			Error struct {
				Status  int
				Message string
				Fields  map[string]string
			}
		}
		// A read token cannot act; an auditor's write token cannot either.
		if st := h.apiCall(read, http.MethodPost, "/api/v1/requests/"+itoa(id)+"/notes", `{"body":"x"}`, &apiErr); st != http.StatusForbidden {
			t.Fatalf("read token acted: %d", st)
		}
		if st := h.apiCall(auditor, http.MethodPost, "/api/v1/requests/"+itoa(id)+"/notes", `{"body":"x"}`, nil); st != http.StatusForbidden {
			t.Fatalf("auditor acted: %d", st)
		}
		// Acting goes through the same rules as the admin pages.
		if st := h.apiCall(write, http.MethodPost, "/api/v1/requests/"+itoa(id)+"/status", `{"status":"denied"}`, &apiErr); st != http.StatusUnprocessableEntity || apiErr.Error.Fields["denial_reason"] == "" {
			t.Fatalf("denial without a reason: %d %+v", st, apiErr)
		}
		if st := h.apiCall(write, http.MethodPost, "/api/v1/requests/"+itoa(id)+"/status", `{"status":"verified","detail":"Called the number on file."}`, &req); st != http.StatusOK || req.Status != models.StatusVerified {
			t.Fatalf("verify: %d %+v", st, req.Status)
		}
		if st := h.apiCall(write, http.MethodPost, "/api/v1/requests/"+itoa(id)+"/notes", `{"body":"Checked by phone."}`, &req); st != http.StatusOK || req.Events[len(req.Events)-1].Body != "Checked by phone." {
			t.Fatalf("note: %d", st)
		}
		// A message to the person: in the thread on their tracking page,
		// and a mail saying only that a message is waiting, with the link.
		messages := "/api/v1/requests/" + itoa(id) + "/messages"
		if st := h.apiCall(read, http.MethodPost, messages, `{"body":"x"}`, &apiErr); st != http.StatusForbidden {
			t.Fatalf("a read token sent a message: %d", st)
		}
		apiErr.Error.Fields = nil
		if st := h.apiCall(write, http.MethodPost, messages, `{"body":"  "}`, &apiErr); st != http.StatusUnprocessableEntity || apiErr.Error.Fields["message"] == "" {
			t.Fatalf("an empty message: %d %+v", st, apiErr)
		}
		body := "Which of your two loyalty accounts do you mean?"
		if st := h.apiCall(write, http.MethodPost, messages, `{"body":"`+body+`"}`, &req); st != http.StatusOK || req.Events[len(req.Events)-1].Kind != "message" {
			t.Fatalf("message: %d %+v", st, req.Events)
		}
		var sent []models.Message
		h.app.Core.DB().Where("request_id = ?", id).Find(&sent)
		if len(sent) != 1 || sent[0].Body != body || sent[0].AuthorKind != "staff" || sent[0].StaffID == nil || *sent[0].StaffID != h.staffID(officer) {
			t.Fatalf("thread: %+v", sent)
		}
		notice := h.mailTo("api@example.org", "You have a new message about your privacy request")
		if !strings.Contains(notice.Text(), link) || strings.Contains(notice.Text(), "loyalty") || strings.Contains(notice.Subject, "loyalty") {
			t.Fatalf("message mail:\n%s\n%s", notice.Subject, notice.Text())
		}
		person.get(link)
		if res := person.post(link+"/verify", url.Values{"code": {code}}); res.status != http.StatusSeeOther {
			t.Fatalf("verify: %d", res.status)
		}
		if got := person.get(link).text("ol.thread"); !strings.Contains(got, body) {
			t.Fatalf("the tracking page's thread:\n%s", got)
		}
		var audited int64
		h.app.Core.DB().Model(&models.AuditEntry{}).Where("action = ? AND object_id = ?", "request.message", id).Count(&audited)
		if audited != 1 {
			t.Fatalf("%d messages audited", audited)
		}
		if st := h.apiCall(write, http.MethodPost, "/api/v1/requests/"+itoa(id)+"/notes", `not json`, &apiErr); st != http.StatusUnprocessableEntity {
			t.Fatalf("bad body: %d", st)
		}
		if st := h.apiCall(write, http.MethodGet, "/api/v1/requests/999999", "", nil); st != http.StatusNotFound {
			t.Fatalf("unknown id: %d", st)
		}
		// No token, a forged token, a revoked token, or a staff cookie: 401.
		if st := h.apiCall("", http.MethodGet, "/api/v1/requests", "", nil); st != http.StatusUnauthorized {
			t.Fatalf("no token: %d", st)
		}
		if st := h.apiCall(models.APITokenPrefix+models.NewNonce(), http.MethodGet, "/api/v1/requests", "", nil); st != http.StatusUnauthorized {
			t.Fatalf("forged token: %d", st)
		}
		req2, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/api/v1/requests", nil)
		if res, err := officer.client.Do(req2); err != nil || res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a staff cookie opened the API: %v %v", res.StatusCode, err)
		}
		page := officer.get("/admin/account")
		revoke := page.doc.Find(`form[action$="/revoke"]`).First().AttrOr("action", "")
		officer.post(revoke, url.Values{})
		codes := map[int]int{}
		for _, tok := range []string{read, write} {
			codes[h.apiCall(tok, http.MethodGet, "/api/v1/requests", "", nil)]++
		}
		if codes[http.StatusUnauthorized] != 1 || codes[http.StatusOK] != 1 {
			t.Fatalf("after revoking one of two tokens: %v", codes)
		}
	})
}

// The OpenAPI document describes exactly the API routes of the route table.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := newHarness(t, "sqlite")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if st := h.apiCall("", http.MethodGet, "/api/v1/openapi.json", "", &doc); st != http.StatusOK || doc.OpenAPI != "3.1.0" {
		t.Fatalf("%d %q", st, doc.OpenAPI)
	}
	var inDoc, inTable []string
	for path, ops := range doc.Paths {
		for method := range ops {
			inDoc = append(inDoc, strings.ToUpper(method)+" "+path)
		}
	}
	for _, r := range h.app.Routes() {
		if strings.HasPrefix(r.Path, "/api/") && r.Path != "/api/v1/openapi.json" {
			inTable = append(inTable, r.Method+" "+strings.ReplaceAll(r.Path, ":id", "{id}"))
		}
	}
	sort.Strings(inDoc)
	sort.Strings(inTable)
	if strings.Join(inDoc, "\n") != strings.Join(inTable, "\n") {
		t.Fatalf("document:\n%s\n\nroute table:\n%s", strings.Join(inDoc, "\n"), strings.Join(inTable, "\n"))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
