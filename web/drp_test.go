package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// drpAgent is an agent of the DRP directory, in the test.
type drpAgent struct {
	id    string
	key   ed25519.PrivateKey
	token string
}

func newDRPAgent(t *testing.T, id string) *drpAgent {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &drpAgent{id: id, key: priv}
}

func (a *drpAgent) verifyKey() string {
	return base64.StdEncoding.EncodeToString(a.key.Public().(ed25519.PublicKey))
}

// sign makes a signed message as libsodium's combined mode does.
func sign(key ed25519.PrivateKey, claims map[string]any) string {
	b, _ := json.Marshal(claims)
	return base64.StdEncoding.EncodeToString(append(ed25519.Sign(key, b), b...))
}

func (a *drpAgent) envelope(business string, issued time.Time, ttl time.Duration) map[string]any {
	return map[string]any{"agent-id": a.id, "business-id": business, "issued-at": issued.UTC().Format(time.RFC3339),
		"expires-at": issued.Add(ttl).UTC().Format(time.RFC3339), "drp.version": "0.9.4"}
}

type drpResponse struct {
	status int
	body   map[string]any
	raw    string
}

func drpCall(t *testing.T, h *harness, method, path, token, body string) drpResponse {
	t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := drpResponse{status: resp.StatusCode, raw: string(raw)}
	json.Unmarshal(raw, &r.body)
	return r
}

// setup registers and approves a through the admin, then runs the
// pairwise key setup.
func (h *harness) drpSetup(t *testing.T, staff *browser, a *drpAgent) {
	t.Helper()
	staff.get("/admin/agents")
	if res := staff.post("/admin/agents/drp", url.Values{"drp_id": {a.id}, "name": {a.id + " Agent"}, "verify_key": {a.verifyKey()}}); res.status != http.StatusSeeOther {
		t.Fatalf("register %s: %d %s", a.id, res.status, res.text(".error-summary"))
	}
	// Pending: no token yet.
	if r := drpCall(t, h, "POST", "/v1/agent/"+a.id, "", sign(a.key, a.envelope("ACME_CB", time.Now(), 10*time.Minute))); r.status != http.StatusForbidden {
		t.Fatalf("setup of an agent not approved: %d", r.status)
	}
	var ag models.Agent
	h.app.Core.DB().Where("drp_id = ?", a.id).Take(&ag)
	if res := staff.post("/admin/agents/"+itoa(ag.ID)+"/approve", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("approve: %d", res.status)
	}
	body := sign(a.key, a.envelope("ACME_CB", time.Now(), 10*time.Minute))
	r := drpCall(t, h, "POST", "/v1/agent/"+a.id, "", body)
	if r.status != http.StatusOK || r.body["agent-id"] != a.id || r.body["token"] == "" {
		t.Fatalf("setup: %d %s", r.status, r.raw)
	}
	a.token = r.body["token"].(string)
	if r := drpCall(t, h, "POST", "/v1/agent/"+a.id, "", body); r.status != http.StatusForbidden || r.raw != "" {
		t.Fatalf("a replayed setup: %d %q", r.status, r.raw)
	}
	if r := drpCall(t, h, "GET", "/v1/agent/"+a.id, a.token, ""); r.status != http.StatusOK {
		t.Fatalf("agent information: %d", r.status)
	}
}

func drpHarness(t *testing.T, d string) *harness {
	return newHarnessWith(t, harnessOptions{dialect: d, env: map[string]string{
		"RIGHTSDESK_DRP_BUSINESS_ID": "ACME_CB", "RIGHTSDESK_WEBHOOK_ALLOW_PRIVATE": "true"}})
}

// The Data Rights Protocol, from an agent's side: setup, exercise,
// status, revoke, and every refusal the protocol asks for.
func TestDRPRequests(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run("drp-"+d, func(t *testing.T) {
			t.Parallel()
			h := drpHarness(t, d)
			staff := h.staff()
			a, b := newDRPAgent(t, "CR_AA"), newDRPAgent(t, "OTHER_AA")
			h.drpSetup(t, staff, a)
			h.drpSetup(t, staff, b)
			if r := drpCall(t, h, "POST", "/v1/agent/NOBODY", "", sign(a.key, a.envelope("ACME_CB", time.Now(), time.Minute))); r.status != http.StatusForbidden {
				t.Fatalf("an unknown agent's setup: %d", r.status)
			}
			exercise := func(x string, extra map[string]any) map[string]any {
				m := a.envelope("ACME_CB", time.Now(), 10*time.Minute)
				m["exercise"], m["regime"], m["name"], m["email"], m["email_verified"] = x, "ccpa", "Casey Consumer", "casey@example.org", true
				for k, v := range extra {
					m[k] = v
				}
				return m
			}
			// An opt-out from an approved agent is verified at once.
			body := sign(a.key, exercise("sale:opt_out", map[string]any{"agent-request-id": "req-1"}))
			r := drpCall(t, h, "POST", "/v1/data-rights-request", a.token, body)
			if r.status != http.StatusOK || r.body["status"] != "in_progress" || r.body["agent_request_id"] != "req-1" || r.body["expected_by"] == nil {
				t.Fatalf("exercise: %d %s", r.status, r.raw)
			}
			optOut := r.body["request_id"].(string)
			var req models.Request
			h.app.Core.DB().Where("id = (SELECT request_id FROM drp_requests WHERE request_uuid = ?)", optOut).Take(&req)
			if req.Right != "opt_out_sale" || req.Jurisdiction != "US-CA" || req.Status != models.StatusVerified {
				t.Fatalf("the request: %+v", req)
			}
			// Replays: the same message, and the same agent request id.
			if r := drpCall(t, h, "POST", "/v1/data-rights-request", a.token, body); r.status != http.StatusConflict || r.body["fatal"] != true {
				t.Fatalf("a replayed request: %d %s", r.status, r.raw)
			}
			if r := drpCall(t, h, "POST", "/v1/data-rights-request", a.token, sign(a.key, exercise("sale:opt_out", map[string]any{"agent-request-id": "req-1"}))); r.status != http.StatusConflict {
				t.Fatalf("a reused agent request id: %d", r.status)
			}
			// Refusals.
			forger := newDRPAgent(t, "CR_AA")
			for name, c := range map[string]struct {
				token, body string
				status      int
			}{
				"forged signature":     {a.token, sign(forger.key, exercise("deletion", nil)), http.StatusForbidden},
				"expired":              {a.token, sign(a.key, map[string]any{"agent-id": "CR_AA", "business-id": "ACME_CB", "issued-at": time.Now().Add(-20 * time.Minute).UTC().Format(time.RFC3339), "expires-at": time.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339), "exercise": "deletion", "regime": "ccpa", "name": "C", "email": "c@example.org"}), http.StatusBadRequest},
				"issued in the future": {a.token, sign(a.key, map[string]any{"agent-id": "CR_AA", "business-id": "ACME_CB", "issued-at": time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339), "expires-at": time.Now().Add(15 * time.Minute).UTC().Format(time.RFC3339), "exercise": "deletion", "regime": "ccpa", "name": "C", "email": "c@example.org"}), http.StatusBadRequest},
				"another business":     {a.token, sign(a.key, func() map[string]any { m := exercise("deletion", nil); m["business-id"] = "OTHER_CB"; return m }()), http.StatusForbidden},
				"another agent's id":   {b.token, sign(b.key, exercise("deletion", nil)), http.StatusForbidden},
				"unknown token":        {models.NewNonce(), sign(a.key, exercise("deletion", nil)), http.StatusForbidden},
				"no token":             {"", sign(a.key, exercise("deletion", nil)), http.StatusForbidden},
				"unsupported action":   {a.token, sign(a.key, exercise("sale:opt_in", nil)), http.StatusBadRequest},
				"not base64":           {a.token, "%%%", http.StatusForbidden},
			} {
				if r := drpCall(t, h, "POST", "/v1/data-rights-request", c.token, c.body); r.status != c.status {
					t.Errorf("%s: %d %s, want %d", name, r.status, r.raw, c.status)
				}
			}
			var n int64
			h.app.Core.DB().Model(&models.DRPRequest{}).Count(&n)
			if n != 1 {
				t.Fatalf("%d DRP requests stored, want 1", n)
			}
			// A deletion waits for the person's own confirmation.
			r = drpCall(t, h, "POST", "/v1/data-rights-request/", a.token, sign(a.key, exercise("deletion", nil)))
			if r.status != http.StatusOK || !strings.Contains(r.raw, "waiting for the person") {
				t.Fatalf("deletion: %d %s", r.status, r.raw)
			}
			deletion := r.body["request_id"].(string)
			h.mailTo("casey@example.org", "Did you ask someone")
			// Status: the agent's own, not another agent's (403), nor an unknown id (404).
			if r := drpCall(t, h, "GET", "/v1/data-rights-request/"+deletion, a.token, ""); r.status != http.StatusOK || r.body["request_id"] != deletion {
				t.Fatalf("status: %d %s", r.status, r.raw)
			}
			if r := drpCall(t, h, "GET", "/v1/data-rights-request/"+deletion, b.token, ""); r.status != http.StatusForbidden {
				t.Fatalf("another agent's request: %d", r.status)
			}
			if r := drpCall(t, h, "GET", "/v1/data-rights-request/00000000-0000-4000-8000-000000000000", a.token, ""); r.status != http.StatusNotFound {
				t.Fatalf("an unknown request: %d", r.status)
			}
			// Revoke: signed, the agent's own, once.
			revoke := sign(a.key, map[string]any{"reason": "I changed my mind"})
			if r := drpCall(t, h, "DELETE", "/v1/data-rights-request/"+deletion, b.token, sign(b.key, map[string]any{"reason": "x"})); r.status != http.StatusForbidden {
				t.Fatalf("another agent's revoke: %d", r.status)
			}
			if r := drpCall(t, h, "DELETE", "/v1/data-rights-request/"+deletion, a.token, sign(forger.key, map[string]any{"reason": "x"})); r.status != http.StatusForbidden {
				t.Fatalf("a forged revoke: %d", r.status)
			}
			if r := drpCall(t, h, "DELETE", "/v1/data-rights-request/"+deletion, a.token, revoke); r.status != http.StatusOK || r.body["status"] != "revoked" {
				t.Fatalf("revoke: %d %s", r.status, r.raw)
			}
			if r := drpCall(t, h, "DELETE", "/v1/data-rights-request/"+deletion, a.token, revoke); r.status != http.StatusConflict {
				t.Fatalf("revoke twice: %d", r.status)
			}
		})
	}
}

// Status callbacks are durable: to a receiver that is down, the call is
// retried; once it is up, the latest status arrives, once.
func TestDRPCallbacksRetried(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			h := drpHarness(t, d)
			staff := h.staff()
			a := newDRPAgent(t, "CB_AA")
			h.drpSetup(t, staff, a)
			// A port with nothing listening: the receiver is down.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			m := a.envelope("ACME_CB", time.Now(), 10*time.Minute)
			m["exercise"], m["regime"], m["name"], m["email"] = "sale:opt_out", "ccpa", "Casey", "casey-cb@example.org"
			m["status_callback"] = "http://" + addr + "/drp/status"
			r := drpCall(t, h, "POST", "/v1/data-rights-request", a.token, sign(a.key, m))
			if r.status != http.StatusOK {
				t.Fatalf("exercise: %d %s", r.status, r.raw)
			}
			var reqID int64
			h.app.Core.DB().Model(&models.DRPRequest{}).Where("request_uuid = ?", r.body["request_id"]).Pluck("request_id", &reqID)
			for _, to := range []string{models.StatusInProgress, models.StatusCompleted} {
				staff.get("/admin/requests/" + itoa(reqID))
				if res := staff.post("/admin/requests/"+itoa(reqID)+"/status", url.Values{"status": {to}, "detail": {"Done."}}); res.status != http.StatusSeeOther {
					t.Fatalf("move to %s: %d", to, res.status)
				}
			}
			// The worker tries and fails while the receiver is down. The
			// first call (in progress) may be in flight when the second
			// (completed) is queued, and fail before it commits: it is then
			// superseded at the next claim, not retried. Wait for the latest
			// call's failed attempt, then count.
			deadline := time.Now().Add(15 * time.Second)
			for {
				var latest models.HTTPJob
				h.app.Core.DB().Order("id DESC").First(&latest)
				var superseded int64
				h.app.Core.DB().Model(&models.HTTPJob{}).Where("status = ?", "superseded").Count(&superseded)
				if latest.Status == "pending" && latest.Attempts > 0 && latest.LastError != "" && superseded > 0 {
					break
				}
				if time.Now().After(deadline) {
					var jobs []models.HTTPJob
					h.app.Core.DB().Find(&jobs)
					t.Fatalf("the latest call's failed attempt and the superseded one never recorded: %+v", jobs)
				}
				time.Sleep(50 * time.Millisecond)
			}
			var jobs []models.HTTPJob
			h.app.Core.DB().Order("id").Find(&jobs)
			if len(jobs) != 2 || jobs[0].Status != "superseded" || jobs[1].Status != "pending" || !strings.Contains(jobs[1].Body, "fulfilled") {
				t.Fatalf("calls %+v, want in progress superseded and completed pending", jobs)
			}
			// The receiver comes up on the same address.
			var mu sync.Mutex
			var got []map[string]any
			ln, err = net.Listen("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var s map[string]any
				json.NewDecoder(r.Body).Decode(&s)
				mu.Lock()
				got = append(got, s)
				mu.Unlock()
				w.WriteHeader(http.StatusOK)
			})}
			go srv.Serve(ln)
			defer srv.Shutdown(context.Background())
			// Due now rather than after the backoff.
			h.app.Core.DB().Model(&models.HTTPJob{}).Where("status = ?", "pending").Update("next_attempt_at", time.Now().Add(-time.Second))
			h.app.Hooks.Notify()
			deadline = time.Now().Add(15 * time.Second)
			for {
				mu.Lock()
				n := len(got)
				mu.Unlock()
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the callback never arrived")
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || got[0]["status"] != "fulfilled" || got[0]["request_id"] != r.body["request_id"] {
				t.Fatalf("callbacks received: %v", got)
			}
			var sent int64
			h.app.Core.DB().Model(&models.HTTPJob{}).Where("status = ? AND last_status = 200", "sent").Count(&sent)
			if sent != 1 {
				t.Fatalf("%d calls recorded as sent", sent)
			}
		})
	}
}
