package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/config"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/web"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("RIGHTSDESK_DATA_DIR", dir)
	t.Setenv("RIGHTSDESK_SECRET", "")
	ctx := context.Background()

	if err := run(ctx, []string{"migrate"}, nil, quiet); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	add := []string{"staff", "add", "--email", "Officer@Example.org", "--name", "Pat Officer", "--role", "admin", "--password-stdin"}
	if err := run(ctx, add, strings.NewReader("a long enough password\n"), quiet); err != nil {
		t.Fatalf("staff add: %v", err)
	}
	if err := run(ctx, add, strings.NewReader("a long enough password\n"), quiet); err == nil || !strings.Contains(err.Error(), "email") {
		t.Fatalf("duplicate staff: %v", err)
	}
	short := append(append([]string{}, add[:3]...), "b@example.org", "--name", "B", "--role", "staff", "--password-stdin")
	if err := run(ctx, short, strings.NewReader("short\n"), quiet); err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("short password: %v", err)
	}
	if err := run(ctx, []string{"staff", "add", "--email", "c@example.org", "--name", "C"}, nil, quiet); err == nil {
		t.Fatal("a password on the command line must be refused")
	}
	if err := run(ctx, []string{"frobnicate"}, nil, quiet); err == nil {
		t.Fatal("unknown command accepted")
	}
	if err := run(ctx, []string{"demo"}, nil, quiet); err != nil {
		t.Fatalf("demo: %v", err)
	}

	cfg, err := config.Load(func(k string) string {
		if k == "RIGHTSDESK_DATA_DIR" {
			return dir
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := web.Open(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Staff.Authenticate(ctx, "officer@example.org", "a long enough password", models.Client{}); err != nil {
		t.Fatalf("the account added from the shell cannot sign in: %v", err)
	}
	// The demo covers every status, and its fictional people get no mail.
	counts, err := a.Requests.Counts(ctx, models.KindRequest)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range models.Statuses {
		if counts[s].N == 0 {
			t.Errorf("demo has no %s request", s)
		}
	}
	if appeals, _ := a.Requests.Counts(ctx, models.KindAppeal); appeals["all"].N == 0 {
		t.Error("demo has no appeal")
	}
	var pending int64
	a.Core.DB().Model(&models.OutboxMessage{}).Where("status = ?", "pending").Count(&pending)
	if pending != 0 {
		t.Errorf("demo queued %d mails", pending)
	}
	// Seeding twice adds nothing.
	total := func(c map[string]models.TabCount) (n int) {
		for _, s := range models.Statuses {
			n += c[s].N
		}
		return n
	}
	before := total(counts)
	if err := run(ctx, []string{"demo"}, nil, quiet); err != nil {
		t.Fatal(err)
	}
	after, _ := a.Requests.Counts(ctx, models.KindRequest)
	if total(after) != before {
		t.Fatal("demo seeded twice")
	}
}
