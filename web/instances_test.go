package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
	"github.com/rightsdesk/rightsdesk/models"
)

// Two full instances of the application on one PostgreSQL database, with
// the same secret, each with its mail worker running, as behind a load
// balancer. They start at the same moment and apply the migrations once;
// a staff session opened on one works on the other and ends on both when
// signed out; the per-client rate limits are shared; every queued mail is
// sent exactly once; the daily digest goes out once per staff member.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	opts := harnessOptions{databaseURL: testenv.Postgres(t), smtp: testsmtp.Start(t), rateScale: "1",
		env: map[string]string{
			"RIGHTSDESK_TRUST_PROXY": "true", // each person has an address of their own (X-Forwarded-For)
			"RIGHTSDESK_MAIL_POLL":   "20ms", // both workers poll all the time: they race for every message
		}}
	a, cfgA := prepareHarness(t, opts)
	b, cfgB := prepareHarness(t, opts)
	ctx := context.Background()
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() { errA = a.open(ctx, cfgA) })
	wg.Go(func() { errB = b.open(ctx, cfgB) })
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("starting both at once: %v / %v", errA, errB)
	}
	a.start()
	b.start()

	t.Run("migrations applied once", func(t *testing.T) {
		var dup int64
		if err := a.app.Core.DB().Raw(`SELECT count(*) FROM (SELECT version_id FROM goose_db_version
			GROUP BY version_id HAVING count(*) > 1) d`).Scan(&dup).Error; err != nil {
			t.Fatal(err)
		}
		var versions int
		if err := a.app.Core.DB().Raw(`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&versions).Error; err != nil {
			t.Fatal(err)
		}
		applied := []int{migrationsApplied(t, a), migrationsApplied(t, b)}
		if dup != 0 || versions == 0 || applied[0]+applied[1] != versions || applied[0]*applied[1] != 0 {
			t.Fatalf("%d versions recorded, %d of them twice; applied by A %d, by B %d", versions, dup, applied[0], applied[1])
		}
	})

	t.Run("one session on both", func(t *testing.T) {
		onA := a.staff()
		if res := onA.get("/admin"); res.status != http.StatusOK {
			t.Fatalf("A: %d", res.status)
		}
		onB := b.browser()
		copyCookies(onA, onB)
		res := onB.get("/admin")
		if res.status != http.StatusOK || !strings.Contains(res.body, "Pat Officer") {
			t.Fatalf("the cookie from A on B: %d", res.status)
		}
		if res := onA.post("/admin/logout", url.Values{}); res.status != http.StatusSeeOther {
			t.Fatalf("sign out on A: %d", res.status)
		}
		// B still sends the cookie it had: the session row decides.
		res = onB.get("/admin")
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/admin/login") {
			t.Fatalf("B after signing out on A: %d %s", res.status, res.location())
		}
	})

	t.Run("rate limits shared", func(t *testing.T) {
		// The limit counts per one-minute window: a run that straddles two
		// windows proves nothing, so it is tried again from a new address.
		for try := 0; ; try++ {
			ip := fmt.Sprintf("198.51.100.%d", 10+try)
			start := time.Now()
			var statuses []int
			for _, h := range []*harness{a, b} {
				br := h.browser()
				br.ip = ip
				br.get("/admin/login")
				for i := range 12 {
					res := br.post("/admin/login", url.Values{"email": {fmt.Sprintf("guess%d-%d@example.org", try, i)},
						"password": {"wrong wrong wrong"}})
					statuses = append(statuses, res.status)
				}
			}
			if start.Truncate(time.Minute) != time.Now().Truncate(time.Minute) && try < 3 {
				continue
			}
			for i, s := range statuses {
				want := http.StatusUnauthorized
				if i >= 20 { // 20 a minute per address, at scale 1
					want = http.StatusTooManyRequests
				}
				if s != want {
					t.Fatalf("attempt %d (%d on A, then on B): %d, want %d; all: %v", i+1, i%12+1, s, want, statuses)
				}
			}
			break
		}
	})

	t.Run("each mail sent once", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 20 {
			h := []*harness{a, b}[i%2]
			wg.Go(func() {
				br := h.browser()
				br.ip = "203.0.113." + strconv.Itoa(i+1)
				form := submission()
				form.Set("email", fmt.Sprintf("person%d@example.org", i))
				submitQuietly(t, br, form)
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		if n := a.count("submissions"); n != 20 {
			t.Fatalf("%d submissions, want 20", n)
		}
		exactlyOnce(t, a)
		t.Logf("mail sent by A's worker: %d, by B's: %d", len(logLines(a, `msg="mail sent"`)), len(logLines(b, `msg="mail sent"`)))
	})

	t.Run("one digest per staff member", func(t *testing.T) {
		var staff []string
		for range 3 {
			a.staff()
		}
		if err := a.app.Core.DB().Table("staff").Where("disabled_at IS NULL").Pluck("email", &staff).Error; err != nil {
			t.Fatal(err)
		}
		// Forty days on, the requests of the last test are due within a week.
		later := time.Now().Add(40 * 24 * time.Hour)
		for _, h := range []*harness{a, b} {
			h.app.Core.SetClock(func() time.Time { return later })
		}
		var wg sync.WaitGroup
		var sent [2]int
		var errs [2]error
		for i, h := range []*harness{a, b} {
			wg.Go(func() { sent[i], errs[i] = h.app.Digest.Queue(context.Background(), false) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || sent[0]+sent[1] != len(staff) || sent[0]*sent[1] != 0 {
			t.Fatalf("digest queued %v (errors %v), want %d by one instance", sent, errs, len(staff))
		}
		exactlyOnce(t, a)
		got := map[string]int{}
		for _, m := range a.smtp.Messages() {
			if strings.Contains(m.Subject, "due within 7 days") {
				got[strings.Trim(strings.Join(m.To, ","), "<>")]++
			}
		}
		for _, s := range staff {
			if got[s] != 1 {
				t.Errorf("%s received %d digests", s, got[s])
			}
		}
		if len(got) != len(staff) {
			t.Errorf("digests went to %v, staff are %v", got, staff)
		}
	})
}

var appliedRe = regexp.MustCompile(`msg="migrations applied" count=(\d+)`)

// migrationsApplied is how many migrations an instance logged applying.
func migrationsApplied(t *testing.T, h *harness) int {
	t.Helper()
	n := 0
	for _, m := range appliedRe.FindAllStringSubmatch(h.logs.String(), -1) {
		c, _ := strconv.Atoi(m[1])
		n += c
	}
	return n
}

// copyCookies gives to a browser of another instance the cookies that
// from holds for its own.
func copyCookies(from, to *browser) {
	src, _ := url.Parse(from.h.srv.URL)
	dst, _ := url.Parse(to.h.srv.URL)
	to.client.Jar.SetCookies(dst, from.client.Jar.Cookies(src))
}

// submitQuietly walks the two-step form from a goroutine of its own
// (reporting with t.Error, not t.Fatal).
func submitQuietly(t *testing.T, b *browser, form url.Values) {
	res, err := b.submitNoFatal(form)
	if err != nil {
		t.Error(err)
		return
	}
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/t/") {
		t.Errorf("submit: %d to %q", res.status, res.location())
	}
}

// exactlyOnce waits until the outbox has sent everything it holds, then
// checks that the SMTP server received each message exactly once, by its
// Message-ID, and nothing else.
func exactlyOnce(t *testing.T, h *harness) {
	t.Helper()
	db := h.app.Core.DB()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var unsent int64
		if err := db.Model(&models.OutboxMessage{}).Where("status <> ?", "sent").Count(&unsent).Error; err != nil {
			t.Fatal(err)
		}
		if unsent == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages unsent after 30s", unsent)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var rows []models.OutboxMessage
	if err := db.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	received := map[string]int{}
	for _, m := range h.smtp.Messages() {
		received[m.Header.Get("Message-Id")]++
	}
	for _, r := range rows {
		id := mail.MessageID(r.ID, h.app.Config.MailFrom)
		if received[id] != 1 {
			t.Errorf("outbox %d (%s) received %d times", r.ID, r.Template, received[id])
		}
		delete(received, id)
	}
	for id, n := range received {
		t.Errorf("received %s %d times, which no outbox row sent", id, n)
	}
	t.Logf("%d messages, each received once", len(rows))
}

// submitNoFatal walks the two-step form like submit, from any goroutine,
// and returns the answer to the final step without following it.
func (b *browser) submitNoFatal(form url.Values) (page, error) {
	post := func(path string, v url.Values) (page, error) {
		v.Set("_csrf", b.csrf)
		req, err := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(v.Encode()))
		if err != nil {
			return page{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return b.send(req)
	}
	req, err := http.NewRequest(http.MethodGet, b.url("/request"), nil)
	if err != nil {
		return page{}, err
	}
	if res, err := b.send(req); err != nil || res.status != http.StatusOK {
		return res, fmt.Errorf("step 0: %d %v", res.status, err)
	}
	step2, err := post("/request/where", url.Values{"on_behalf": form["on_behalf"], "country": form["country"],
		"state": form["state"], "province": form["province"]})
	if err != nil || step2.status != http.StatusOK {
		return step2, fmt.Errorf("step 1: %d %v", step2.status, err)
	}
	nonce, _ := step2.doc.Find(`input[name="nonce"]`).Attr("value")
	form = cloneValues(form)
	form.Set("nonce", nonce)
	return post("/request", form)
}
