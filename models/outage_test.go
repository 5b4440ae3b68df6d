package models_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libtnb/sqlite"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/models"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// A SQLite database that can no longer be written (here: opened
// read-only, as after a file system remounted read-only) still answers
// reads, but the health check fails, and so does every write, as
// unavailable (503), not as a bug (500).
func TestCheckReadOnlySQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rightsdesk.db")
	rw, err := models.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.Migrate(ctx, rw); err != nil {
		t.Fatal(err)
	}
	d := newDomain(t, rw)
	if err := d.core.Check(ctx); err != nil {
		t.Fatalf("writable: %v", err)
	}
	if _, err := d.subs.Submit(ctx, input("before@example.org", "access"), models.SystemActor); err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := rw.DB()
	sqlDB.Close()

	ro, err := gorm.Open(sqlite.Open("file:"+path+"?mode=ro&_pragma=busy_timeout(1000)"), &gorm.Config{TranslateError: true, Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ = ro.DB()
	defer sqlDB.Close()
	d = newDomain(t, ro)
	var logs testenv.Buffer
	d.core.Log = slog.New(slog.NewTextHandler(&logs, nil))

	if n, err := d.staff.List(ctx); err != nil || len(n) != 0 {
		t.Fatalf("reading a read-only database: %v %v", n, err)
	}
	for range 3 {
		err = d.core.Check(ctx)
		if err == nil || models.KindOf(err) != models.KindUnavailable {
			t.Fatalf("health check on a read-only database: %v (kind %d)", err, models.KindOf(err))
		}
		_, err = d.subs.Submit(ctx, input("during@example.org", "access"), models.SystemActor)
		if models.KindOf(err) != models.KindUnavailable {
			t.Fatalf("submitting to a read-only database: %v (kind %d)", err, models.KindOf(err))
		}
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 || !d.core.Down() {
		t.Fatalf("%d ERROR lines, down=%v, want one outage:\n%s", n, d.core.Down(), logs.String())
	}
}

// What pgx actually returns while the server restarts or after it
// crashed, for reads, writes, transactions and the outbox: each is
// unavailable, logged once per outage; the first write after the
// server is back ends the outage.
func TestUnavailableWhilePostgresIsDown(t *testing.T) {
	t.Parallel()
	cl := testenv.NewCluster(t)
	db, err := models.Open(cl.Database(t), "")
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	ctx := context.Background()
	if _, err := models.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	d := newDomain(t, db)
	var logs testenv.Buffer
	d.core.Log = slog.New(slog.NewTextHandler(&logs, nil))
	ops := []struct {
		name string
		do   func() error
	}{
		{"check", func() error { return d.core.Check(ctx) }},
		{"read", func() error { _, err := d.staff.List(ctx); return err }},
		{"write", func() error {
			_, err := d.subs.Submit(ctx, input(models.NewNonce()[:8]+"@example.org", "access"), models.SystemActor)
			return err
		}},
		{"claim", func() error { _, err := d.outbox.Claim(ctx, time.Now(), 10, time.Minute); return err }},
		{"limit", func() error {
			_, _, err := d.limits.Allow(ctx, models.Limit{Name: "t", Max: 100, Window: time.Minute}, "x")
			return err
		}},
	}
	for i, how := range []string{"stop", "crash"} {
		for _, op := range ops { // fill the pool with live connections
			if err := op.do(); err != nil {
				t.Fatalf("%s before the %s: %v", op.name, how, err)
			}
		}
		if how == "stop" {
			cl.Stop(t)
		} else {
			cl.Crash(t)
		}
		for round := range 2 {
			for _, op := range ops {
				err := op.do()
				if models.KindOf(err) != models.KindUnavailable {
					t.Fatalf("%s, %s: %T %v is kind %d, not unavailable", how, op.name, err, err, models.KindOf(err))
				}
				if round == 0 {
					t.Logf("%s, %s: %s", how, op.name, errorChain(err))
				}
			}
		}
		if n := strings.Count(logs.String(), "level=ERROR"); n != i+1 {
			t.Fatalf("after the %s: %d ERROR lines, want %d", how, n, i+1)
		}
		cl.Start(t)
		if err := d.core.Check(ctx); err != nil {
			t.Fatalf("check after the %s: %v", how, err)
		}
		if n := strings.Count(logs.String(), "database available again"); n != i+1 || d.core.Down() {
			t.Fatalf("after the %s: recovery logged %d times, down=%v", how, n, d.core.Down())
		}
	}
}

// errorChain names the types along an error's chain, for the log.
func errorChain(err error) string {
	var parts []string
	for e := err; e != nil; {
		parts = append(parts, fmt.Sprintf("%T", e))
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		default:
			e = nil
		}
	}
	return strings.Join(parts, " → ") + ": " + err.Error()
}
