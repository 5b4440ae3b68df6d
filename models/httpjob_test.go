package models_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/webhook"
	"github.com/rightsdesk/rightsdesk/models"
)

// queueCall stores a call as enqueueSigned does (a test cannot open the
// domain's transaction): pending, due now, under key.
func queueCall(t *testing.T, s *domain, key, url, body string, due time.Time) int64 {
	t.Helper()
	j := models.HTTPJob{Kind: "test", DedupeKey: key, Method: "POST", URL: url, Headers: "{}", Body: body,
		Status: "pending", NextAttemptAt: due, CreatedAt: time.Now()}
	if err := s.db.Create(&j).Error; err != nil {
		t.Fatal(err)
	}
	return j.ID
}

func jobStatus(t *testing.T, s *domain, id int64) string {
	t.Helper()
	var st string
	if err := s.db.Model(&models.HTTPJob{}).Where("id = ?", id).Pluck("status", &st).Error; err != nil {
		t.Fatal(err)
	}
	return st
}

// A receiver is never sent an older state after a newer one: a newer call
// queued while the older one is being sent waits for that attempt (on any
// instance), and the older one, failing, is superseded rather than retried.
func TestHTTPJobsNeverOlderAfterNewer(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		q := models.NewHTTPJobs(s.core)
		var mu sync.Mutex
		var got []string
		arrived, release := make(chan struct{}, 1), make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, string(b))
			first := len(got) == 1
			mu.Unlock()
			if first { // the older call: held until the newer one is queued, then refused
				arrived <- struct{}{}
				<-release
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusOK)
		}))
		defer srv.Close()
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		defer free() // before Close, which waits for the held call
		opt := webhook.Options{AllowPrivate: true, Timeout: 20 * time.Second, Backoff: func(int) time.Duration { return 0 }}
		log := slog.New(slog.DiscardHandler)
		one, two := webhook.NewWorker(q, log, opt), webhook.NewWorker(q, log, opt) // two instances

		older := queueCall(t, s, "drp:1", srv.URL, "in_progress", time.Now().Add(-time.Second))
		done := make(chan error, 1)
		go func() { _, err := one.RunOnce(ctx); done <- err }()
		select {
		case <-arrived:
		case <-time.After(15 * time.Second):
			t.Fatal("the older call never arrived")
		}
		// The newer state is queued while the older is in flight: a pending
		// call only is superseded, so the older one (sending) is not.
		newer := queueCall(t, s, "drp:1", srv.URL, "fulfilled", time.Now().Add(-time.Second))
		if st := jobStatus(t, s, older); st != "sending" {
			t.Fatalf("older call %s, want sending", st)
		}
		// Another instance does not send the newer one meanwhile.
		if n, err := two.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("the newer call was sent while the older was in flight: %d, %v", n, err)
		}
		if st := jobStatus(t, s, newer); st != "pending" {
			t.Fatalf("newer call %s while the older is in flight, want pending", st)
		}
		free()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st := jobStatus(t, s, older); st != "superseded" {
			t.Fatalf("older call %s after failing, want superseded", st)
		}
		for range 3 {
			if _, err := two.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		if len(got) != 2 || got[0] != "in_progress" || got[1] != "fulfilled" {
			t.Fatalf("received %q, want the older (refused) then the newer once", got)
		}
		mu.Unlock()
		if st := jobStatus(t, s, newer); st != "sent" {
			t.Fatalf("newer call %s, want sent", st)
		}

		// The interleaving the guards above cannot see, set up directly:
		// the older call failed before the newer one committed, so it is
		// back to pending beside it (due or waiting out its backoff), and
		// an older call whose worker died holds an expired lease. Each is
		// superseded at the next claim and only the newest goes out.
		for _, c := range []struct {
			name   string
			status string
			due    time.Time
		}{
			{"failed, due", "pending", time.Now().Add(-time.Second)},
			{"failed, backing off", "pending", time.Now().Add(time.Hour)},
			{"lease expired", "sending", time.Now().Add(-time.Second)},
		} {
			key := "drp:" + c.name
			old := queueCall(t, s, key, srv.URL, "old", c.due)
			s.db.Model(&models.HTTPJob{}).Where("id = ?", old).Updates(map[string]any{"status": c.status, "attempts": 1})
			latest := queueCall(t, s, key, srv.URL, "latest", time.Now().Add(-time.Second))
			jobs, err := q.Claim(ctx, time.Now(), 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) != 1 || jobs[0].ID != latest {
				t.Fatalf("%s: claimed %+v, want the latest call (%d) only", c.name, jobs, latest)
			}
			if st := jobStatus(t, s, old); st != "superseded" {
				t.Fatalf("%s: older call %s, want superseded", c.name, st)
			}
			s.db.Model(&models.HTTPJob{}).Where("id = ?", latest).Update("status", "sent")
		}
	})
}
