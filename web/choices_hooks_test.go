package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
)

// hookCall is one call a choice receiver accepted: a task or a change of
// a privacy choice, whichever its type says.
type hookCall struct {
	Type       string                   `json:"type"`
	Identifier *models.ChoiceIdentifier `json:"identifier"`
	models.ChoiceJob
	Task models.TaskJob `json:"-"`
}

// choiceReceiver is a data system's webhook: it checks each call's
// signature as a system would (webhook.Timestamp, webhook.NewVerifier)
// and keeps the calls it accepted.
type choiceReceiver struct {
	mu     sync.Mutex
	key    string
	calls  []hookCall
	badSig int
	addr   string
}

func (r *choiceReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := checkSignature(req.Header, body, r.key); err != nil {
		r.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var c hookCall
	json.Unmarshal(body, &c)
	json.Unmarshal(body, &c.ChoiceJob)
	json.Unmarshal(body, &c.Task)
	r.calls = append(r.calls, c)
	w.WriteHeader(http.StatusAccepted)
}

// of lists the accepted calls of one type.
func (r *choiceReceiver) of(typ string) []hookCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hookCall
	for _, c := range r.calls {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}

func (r *choiceReceiver) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: r}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// freeAddr is a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Privacy choices reach the organization's systems. An opt-out made on the
// choices page or by the website's GPC signal opens its request's
// checklist at once, a task per system in scope (with a webhook or not),
// like an opt-out on the request form; and every change of a choice, the
// opt-back-in too, is sent signed to each system with a webhook in scope
// for that choice, through the durable queue: retried while the receiver
// is down, numbered like the opt-out list's cursor. A system not in scope
// is sent nothing.
func TestChoiceTasksAndWebhooks(t *testing.T) {
	const site = "https://www.example.com"
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			h := newHarnessWith(t, harnessOptions{dialect: d, env: map[string]string{"RIGHTSDESK_WEBHOOK_ALLOW_PRIVATE": "true",
				"RIGHTSDESK_WEBHOOK_TIMEOUT": "1s", "RIGHTSDESK_CHOICES_ORIGINS": site}})
			ctx := context.Background()
			db := h.app.Core.DB()
			ads := &choiceReceiver{addr: freeAddr(t)} // down until started
			mailer := &choiceReceiver{addr: freeAddr(t)}
			mailer.start(t)

			officer := h.staff()
			sys := officer.addSystem("Ad platform", "third_party", "http://"+ads.addr+"/hook", "opt_out_sale")
			ads.key = sys.text("#webhook-secret")
			adsURL := "/admin/systems/" + regexp.MustCompile(`/admin/systems/(\d+)/rotate`).FindStringSubmatch(sys.body)[1]
			officer.addSystem("Warehouse", "internal", "", "opt_out_sale")
			mailer.key = officer.addSystem("Mailer", "service_provider", "http://"+mailer.addr+"/hook", "unsubscribe").text("#webhook-secret")
			if ads.key == "" || mailer.key == "" {
				t.Fatal("no webhook keys shown")
			}

			tasksOf := func(reqID int64) map[string]string {
				var rows []struct{ Name, Status string }
				db.Table("tasks").Select("data_systems.name, tasks.status").Joins("JOIN data_systems ON data_systems.id = tasks.system_id").
					Where("tasks.request_id = ?", reqID).Scan(&rows)
				out := map[string]string{}
				for _, r := range rows {
					out[r.Name] = r.Status
				}
				return out
			}
			attempts := func(kind string) []models.HTTPJobAttempt {
				var out []models.HTTPJobAttempt
				db.Table("http_job_attempts").Joins("JOIN http_jobs ON http_jobs.id = http_job_attempts.job_id").
					Where("http_jobs.kind = ?", kind).Order("http_job_attempts.id").Find(&out)
				return out
			}

			// An opt-out on the choices page, while the ad platform is down.
			const addr = "hooked@example.org"
			if res := h.browser().choose(addr, "opt_out_sale"); res.status != http.StatusSeeOther {
				t.Fatalf("opt out: %d %s", res.status, res.text(".error-summary"))
			}
			p := h.preference(models.IDEmail, addr, "opt_out_sale")
			if p == nil || p.RequestID == nil {
				t.Fatalf("preference %+v", p)
			}
			if got := tasksOf(*p.RequestID); len(got) != 2 || got["Ad platform"] != models.TaskOpen || got["Warehouse"] != models.TaskOpen {
				t.Fatalf("tasks of the page's opt-out: %v", got)
			}
			if officer.get("/admin/requests/"+itoa(*p.RequestID)).doc.Find(`a[href^="/admin/tasks/"]`).Length() != 2 {
				t.Fatal("staff do not see the opt-out's two tasks")
			}
			// Down: the change's call fails, is recorded and waits to be retried.
			waitFor(t, "a failed attempt", func() bool { return len(attempts(models.JobChoiceWebhook)) >= 1 })
			if a := attempts(models.JobChoiceWebhook)[0]; a.OK || a.Error == "" {
				t.Fatalf("attempt while down: %+v", a)
			}
			// Up: retried and delivered, signed with the system's key.
			ads.start(t)
			// An attempt in flight while it came up may still fail and wait
			// its backoff: each poll makes what is pending due again.
			waitFor(t, "the change and the task delivered", func() bool {
				h.retryNow()
				return len(ads.of("preference.changed")) == 1 && len(ads.of("task.opened")) == 1
			})
			ch := ads.of("preference.changed")[0]
			if ads.badSig != 0 || ch.Seq != p.Seq || ch.System != "Ad platform" || ch.Identifier == nil ||
				*ch.Identifier != (models.ChoiceIdentifier{Kind: models.IDEmail, Value: addr}) || ch.Choice != "opt_out_sale" ||
				!ch.OptedOut || ch.Source != models.SourcePage || ch.GPC || ch.At.Sub(p.UpdatedAt).Abs() > time.Millisecond {
				t.Fatalf("change %+v (bad signatures %d), preference %+v", ch, ads.badSig, p)
			}
			task := ads.of("task.opened")[0]
			if task.Task.Request.Right != "opt_out_sale" || task.Task.Person.Email != addr || task.Identifier == nil || task.Identifier.Value != addr {
				t.Fatalf("task %+v", task)
			}
			waitFor(t, "the delivery recorded", func() bool {
				a := attempts(models.JobChoiceWebhook)
				return len(a) == 2 && a[1].OK
			})
			if got := officer.get(adsURL).text("main"); !strings.Contains(got, "Change of a privacy choice") || !strings.Contains(got, "delivered (status 202)") {
				t.Fatalf("system page:\n%s", got)
			}

			// The website passes on the GPC signal for its visitor: a task per
			// system again, and the change, for an identifier only the site knows.
			req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/choices/signal", strings.NewReader(url.Values{"visitor_id": {"v-42"}}.Encode()))
			req.Header.Set("Origin", site)
			req.Header.Set("Sec-GPC", "1")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("signal: %v %v", res, err)
			}
			v := h.preference(models.IDVisitor, "v-42", "opt_out_sale")
			if v == nil || v.RequestID == nil {
				t.Fatalf("visitor preference %+v", v)
			}
			if got := tasksOf(*v.RequestID); len(got) != 2 || got["Ad platform"] != models.TaskOpen || got["Warehouse"] != models.TaskOpen {
				t.Fatalf("tasks of the signal's opt-out: %v", got)
			}
			waitFor(t, "the signal's change and task", func() bool {
				return len(ads.of("preference.changed")) == 2 && len(ads.of("task.opened")) == 2
			})
			ch = ads.of("preference.changed")[1]
			if ch.Seq != v.Seq || *ch.Identifier != (models.ChoiceIdentifier{Kind: models.IDVisitor, Value: "v-42"}) ||
				!ch.OptedOut || ch.Source != models.SourceSiteGPC || !ch.GPC {
				t.Fatalf("signal's change %+v", ch)
			}
			if id := ads.of("task.opened")[1].Identifier; id == nil || *id != (models.ChoiceIdentifier{Kind: models.IDVisitor, Value: "v-42"}) {
				t.Fatalf("the signal's task does not say whom it is for: %+v", id)
			}

			// Opting back in is sent too, numbered after the opt-out; the
			// opt-out's request is withdrawn and its tasks closed.
			res, err := h.app.Choices.Set(ctx, models.ChoiceInput{Subject: models.Subject{Kind: models.IDEmail, Value: addr},
				Changes: []models.Change{{Choice: rules.RightOptOutSale, Source: models.SourceCentre}}}, models.RequesterActor("ip"))
			if err != nil || len(res.Changed) != 1 {
				t.Fatalf("opt back in: %+v %v", res, err)
			}
			waitFor(t, "the opt-back-in", func() bool { return len(ads.of("preference.changed")) == 3 })
			ch = ads.of("preference.changed")[2]
			if ch.OptedOut || ch.Seq != res.Changed[0].Seq || ch.Seq <= p.Seq || ch.Source != models.SourceCentre || ch.Identifier.Value != addr {
				t.Fatalf("opt-back-in %+v", ch)
			}
			if got := tasksOf(*p.RequestID); got["Ad platform"] != models.TaskNotApplicable {
				t.Fatalf("tasks after the opt-back-in: %v", got)
			}
			// The numbers are the opt-out list's cursor: after the signal's
			// change, the list holds the opt-back-in alone.
			page, err := h.app.Choices.OptOuts(ctx, models.OptOutFilter{Since: v.Seq})
			if err != nil || len(page.Items) != 1 || page.Items[0].Seq != ch.Seq {
				t.Fatalf("opt-out list since %d: %+v %v", v.Seq, page, err)
			}
			// The same again changes nothing and sends nothing.
			jobs := h.count("http_jobs")
			if res, err := h.app.Choices.Set(ctx, models.ChoiceInput{Subject: models.Subject{Kind: models.IDEmail, Value: addr},
				Changes: []models.Change{{Choice: rules.RightOptOutSale, Source: models.SourceCentre}}}, models.RequesterActor("ip")); err != nil ||
				len(res.Changed) != 0 || h.count("http_jobs") != jobs {
				t.Fatalf("opting back in twice: %+v %v, %d jobs (was %d)", res, err, h.count("http_jobs"), jobs)
			}

			// The mailer is in scope for unsubscribing only: it was sent
			// nothing, and an unsubscribe reaches it alone.
			if n := len(mailer.of("preference.changed")) + len(mailer.of("task.opened")); n != 0 || mailer.badSig != 0 {
				t.Fatalf("the mailer, not in scope, was sent %d calls", n)
			}
			if res := h.browser().choose(addr, "unsubscribe"); res.status != http.StatusSeeOther {
				t.Fatalf("unsubscribe: %d", res.status)
			}
			waitFor(t, "the unsubscribe", func() bool { return len(mailer.of("preference.changed")) == 1 })
			if c := mailer.of("preference.changed")[0]; c.Choice != "unsubscribe" || !c.OptedOut || c.System != "Mailer" {
				t.Fatalf("unsubscribe sent: %+v", c)
			}
			time.Sleep(200 * time.Millisecond)
			if n := len(ads.of("preference.changed")); n != 3 {
				t.Fatalf("the ad platform, not in scope for unsubscribing, has %d changes", n)
			}
		})
	}
}
