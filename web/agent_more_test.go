package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/models"
)

// The person says "I did not authorize this": the filing is flagged as
// suspected fraud on the staff page, staff are mailed at once, the
// requests do not go on, and the answer cannot be changed.
func TestPersonDidNotAuthorize(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		ag := h.agent("fraud-agent@example.org")
		staff := h.staffAs(models.RoleReviewer)
		ref := refRe.FindString(ag.file(filing("victim@example.org"), "permission.pdf", signedPDF("")).text("h1"))
		mail := h.mailTo("victim@example.org", "Did you ask someone").Text()
		link := trackRe.FindStringSubmatch(mail)[1]
		person := h.browser()
		person.get(link)
		if res := person.post(link+"/authority", url.Values{"answer": {"no"}}); res.status != http.StatusSeeOther {
			t.Fatalf("answer: %d", res.status)
		}
		if page := person.get(link); !strings.Contains(page.text("main"), "did not ask them") || page.doc.Find(`input[name="answer"]`).Length() != 0 {
			t.Fatalf("tracking page after the answer: %s", page.text("main"))
		}
		if res := person.post(link+"/authority", url.Values{"answer": {"yes"}}); res.status != http.StatusSeeOther {
			t.Fatalf("a second answer: %d", res.status)
		}
		var f models.AgentFiling
		h.app.Core.DB().Take(&f)
		if f.Confirmation != models.ConfirmRefused {
			t.Fatalf("the second answer changed the first: %s", f.Confirmation)
		}
		alert := h.mailTo(staff.email, "Suspected fraud")
		if !strings.Contains(alert.Text(), "Helpful Agents Inc.") || !strings.Contains(alert.Text(), ref) {
			t.Fatalf("staff alert: %s", alert.Text())
		}
		id := requestIDs(t, h, ref)[0]
		page := staff.get("/admin/requests/" + itoa(id))
		if !strings.Contains(page.text(".notice.warn"), "Suspected fraud") || !strings.Contains(page.text(".timeline"), "did not ask the agent") {
			t.Fatalf("staff page: %s", page.text("main"))
		}
		// Even if staff accept the document, the requests wait.
		staff.post("/admin/requests/"+itoa(id)+"/authority", url.Values{"decision": {"accept"}})
		if got := statuses(t, h, ref); got[0] != models.StatusAwaitingVerification {
			t.Fatalf("after a refusal: %v", got)
		}
		// Staff deny it as fraud, with reasons the person reads.
		if res := staff.post("/admin/requests/"+itoa(id)+"/status", url.Values{"status": {"denied"}, "denial_reason": {"fraud"}, "detail": {"The person did not authorize the agent."}}); res.status != http.StatusSeeOther {
			t.Fatalf("deny: %d %s", res.status, res.text(".error-summary"))
		}
		if dash := ag.get("/agent"); !strings.Contains(dash.text("table"), "Denied") {
			t.Fatalf("agent dashboard: %s", dash.text("table"))
		}
	})
}

// Documents are never served without authorization, and every view and
// download is audited: staff may see any, an agent only its own.
func TestDocumentAccess(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		ag := h.agent("docs-agent@example.org")
		other := h.agent("other-agent@example.org")
		page := ag.file(filing("docs-person@example.org"), "permission.pdf", signedPDF(""))
		link, ok := page.doc.Find(`a[href^="/agent/documents/"]`).Attr("href")
		if !ok {
			t.Fatalf("no document link: %s", page.text("main"))
		}
		id := strings.TrimPrefix(link, "/agent/documents/")
		if res := ag.get(link); res.status != http.StatusOK || !strings.HasPrefix(res.body, "%PDF") || !strings.Contains(res.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("the agent's own document: %d %q", res.status, res.header.Get("Content-Disposition"))
		}
		if res := other.get(link); res.status != http.StatusNotFound {
			t.Fatalf("another agent: %d", res.status)
		}
		if res := h.browser().get(link); res.status != http.StatusSeeOther {
			t.Fatalf("nobody: %d", res.status)
		}
		if res := h.browser().get("/admin/documents/" + id); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/admin/login") {
			t.Fatalf("anonymous admin view: %d", res.status)
		}
		if res := ag.get("/admin/documents/" + id); res.status != http.StatusSeeOther {
			t.Fatalf("an agent's cookie on the admin: %d", res.status)
		}
		auditor := h.staffAs(models.RoleAuditor)
		res := auditor.get("/admin/documents/" + id)
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/pdf" || !strings.Contains(res.header.Get("Content-Security-Policy"), "frame-ancestors 'self'") {
			t.Fatalf("staff inline view: %d %v", res.status, res.header)
		}
		var views, downloads int64
		h.app.Core.DB().Model(&models.AuditEntry{}).Where("action = ? AND object_type = ?", "document.view", "document").Count(&views)
		h.app.Core.DB().Model(&models.AuditEntry{}).Where("action = ? AND object_type = ?", "document.download", "document").Count(&downloads)
		if views != 1 || downloads != 1 {
			t.Fatalf("audited: %d views, %d downloads", views, downloads)
		}
	})
}

// An agent's session and a staff session are apart: neither cookie opens
// the other's pages, and signing out of one leaves the other.
func TestAgentAndStaffSessionsApart(t *testing.T) {
	h := newHarness(t, "sqlite")
	ag := h.agent("apart@example.org")
	if res := ag.get("/admin"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/admin/login") {
		t.Fatalf("agent on /admin: %d %s", res.status, res.location())
	}
	staff := h.staffAs(models.RoleOfficer)
	if res := staff.get("/agent"); res.status != http.StatusSeeOther || res.location() != "/agent/login" {
		t.Fatalf("staff on /agent: %d %s", res.status, res.location())
	}
	// One browser, both signed in; signing the agent out keeps the staff session.
	both := h.agentLogin("apart@example.org")
	both.get("/admin/login")
	if res := both.post("/admin/login", url.Values{"email": {staff.email}, "password": {"correct horse battery staple"}}); res.status != http.StatusSeeOther {
		t.Fatalf("staff login: %d", res.status)
	}
	both.get("/agent")
	if res := both.post("/agent/logout", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("agent logout: %d", res.status)
	}
	if res := both.get("/agent"); res.status != http.StatusSeeOther {
		t.Fatalf("agent page after its logout: %d", res.status)
	}
	if res := both.get("/admin"); res.status != http.StatusOK {
		t.Fatalf("staff page after the agent's logout: %d", res.status)
	}
}
