package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// Staff paste the DRP service directory's agents document: new agents are
// added (pending), known ones take the rotated key and keep their status,
// entries that do not validate are skipped, and the counts are said; a
// document that is not the directory is refused next to its box, kept.
func TestAgentDirectoryImport(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			h := drpHarness(t, d)
			staff := h.staff()
			known := newDRPAgent(t, "IMP_AA")
			h.drpSetup(t, staff, known) // registered, approved, paired
			rotated := newDRPAgent(t, "IMP_AA")
			fresh := newDRPAgent(t, "IMP_BB")
			doc, _ := json.Marshal(map[string]any{"agents": []map[string]any{
				{"id": "IMP_AA", "name": "Imported Agent A", "verify_key": rotated.verifyKey(), "technical_contact": "tech@example.org"},
				{"id": "IMP_BB", "name": "Imported Agent B", "verify_key": fresh.verifyKey(), "web_url": "https://b.example.org"},
				{"id": "not an id", "name": "Bad", "verify_key": "x"},
			}})
			staff.get("/admin/agents")
			res := staff.post("/admin/agents/import", url.Values{"directory": {string(doc)}})
			if res.status != http.StatusSeeOther || res.location() != "/admin/agents" {
				t.Fatalf("import: %d %q %s", res.status, res.location(), res.text(".error-summary"))
			}
			if got := staff.follow(res).text(".notice"); !strings.Contains(got, "1 added, 1 updated, 1 skipped") {
				t.Fatalf("import notice: %q", got)
			}
			var a, b models.Agent
			h.app.Core.DB().Where("drp_id = ?", "IMP_AA").Take(&a)
			h.app.Core.DB().Where("drp_id = ?", "IMP_BB").Take(&b)
			if a.DRPVerifyKey != rotated.verifyKey() || a.Name != "Imported Agent A" || a.Status != models.AgentApproved {
				t.Fatalf("known agent after import: key rotated %v, name %q, status %q", a.DRPVerifyKey == rotated.verifyKey(), a.Name, a.Status)
			}
			if b.DRPVerifyKey != fresh.verifyKey() || b.Status != models.AgentPending || b.DRPWebURL != "https://b.example.org" {
				t.Fatalf("new agent: %+v", b)
			}
			var n int64
			h.app.Core.DB().Model(&models.Agent{}).Where("drp_id IS NOT NULL").Count(&n)
			if n != 2 {
				t.Fatalf("%d DRP agents, want 2 (the bad entry skipped)", n)
			}
			// The rotated key is the one that signs now; the old one no longer does.
			if r := drpCall(t, h, "POST", "/v1/agent/IMP_AA", "", sign(known.key, known.envelope("ACME_CB", time.Now(), 10*time.Minute))); r.status != http.StatusForbidden {
				t.Fatalf("setup signed with the old key: %d", r.status)
			}
			if r := drpCall(t, h, "POST", "/v1/agent/IMP_AA", "", sign(rotated.key, rotated.envelope("ACME_CB", time.Now(), 10*time.Minute))); r.status != http.StatusOK {
				t.Fatalf("setup signed with the rotated key: %d %s", r.status, r.raw)
			}
			// The new agent waits for approval.
			if r := drpCall(t, h, "POST", "/v1/agent/IMP_BB", "", sign(fresh.key, fresh.envelope("ACME_CB", time.Now(), 10*time.Minute))); r.status != http.StatusForbidden {
				t.Fatalf("setup of an imported agent not approved: %d", r.status)
			}
			// Importing again updates both, adds none.
			res = staff.post("/admin/agents/import", url.Values{"directory": {string(doc)}})
			if got := staff.follow(res).text(".notice"); !strings.Contains(got, "0 added, 2 updated, 1 skipped") {
				t.Fatalf("second import notice: %q", got)
			}
			// Not the directory: refused by the box, what was pasted kept.
			for _, bad := range []string{"{not json", `{"agents": "x"}`, `{"other": []}`} {
				res := staff.post("/admin/agents/import", url.Values{"directory": {bad}})
				if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.text("#f-directory-error"), "agents document") ||
					res.doc.Find(`.error-summary a[href="#f-directory"]`).Length() != 1 || strings.TrimSpace(res.text("#f-directory")) != bad {
					t.Fatalf("bad directory %q: %d %q %q", bad, res.status, res.text("#f-directory-error"), res.text("#f-directory"))
				}
			}
			h.app.Core.DB().Model(&models.Agent{}).Where("drp_id IS NOT NULL").Count(&n)
			if n != 2 {
				t.Fatalf("%d DRP agents after refused imports", n)
			}
		})
	}
}

// Staff reject an agent organization: a reason is required (the error by
// its box), and the agent is told it.
func TestAgentRejectedByStaff(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, err := h.app.Agents.Register(ctx, models.AgentInput{Name: "Rory Reject", Organization: "Dubious Agents LLC",
			Email: "rory@example.org", Password: "correct horse battery staple"}, models.Client{})
		if err != nil {
			t.Fatal(err)
		}
		h.app.Core.DB().Model(&models.Agent{}).Where("id = ?", a.ID).Update("email_verified_at", time.Now())
		staff := h.staff()
		staff.get("/admin/agents")
		path := "/admin/agents/" + itoa(a.ID) + "/reject"
		res := staff.post(path, url.Values{"reason": {"  "}})
		if res.status != http.StatusUnprocessableEntity || res.text("#f-reason-error") == "" || res.doc.Find(`.error-summary a[href="#f-reason"]`).Length() != 1 || res.doc.Find(`#f-reason[aria-invalid="true"]`).Length() != 1 {
			t.Fatalf("reject without a reason: %d %s", res.status, res.text("main"))
		}
		if got, _ := h.app.Agents.Get(ctx, a.ID); got.Status != models.AgentPending {
			t.Fatalf("rejected without a reason: %s", got.Status)
		}
		res = staff.post(path, url.Values{"reason": {"We could not confirm the registration number."}})
		if res.status != http.StatusSeeOther || !strings.Contains(staff.follow(res).text(".notice"), "rejected") {
			t.Fatalf("reject: %d", res.status)
		}
		if got, _ := h.app.Agents.Get(ctx, a.ID); got.Status != models.AgentRejected || got.ReviewReason != "We could not confirm the registration number." {
			t.Fatalf("after rejection: %s %q", got.Status, got.ReviewReason)
		}
		m := h.mailTo("rory@example.org", "agent account")
		if !strings.Contains(m.Text(), "We could not confirm the registration number.") {
			t.Fatalf("rejection mail: %s\n%s", m.Subject, m.Text())
		}
		if res := staff.post(path, url.Values{"reason": {"Again."}}); res.status != http.StatusConflict {
			t.Fatalf("reject twice: %d", res.status)
		}
		// The agent sees the reason on its dashboard and cannot file.
		b := h.agentLogin("rory@example.org")
		if dash := b.get("/agent"); !strings.Contains(dash.text("main"), "We could not confirm the registration number.") {
			t.Fatalf("dashboard: %s", dash.text("main"))
		}
		if res := b.get("/agent/file"); res.status != http.StatusForbidden {
			t.Fatalf("a rejected agent files: %d", res.status)
		}
	})
}
