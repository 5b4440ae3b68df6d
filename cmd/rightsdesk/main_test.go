package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/exec"
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

	if err := run(ctx, []string{"migrate"}, nil, io.Discard, quiet); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	add := []string{"staff", "add", "--email", "Officer@Example.org", "--name", "Pat Officer", "--role", "admin", "--password-stdin"}
	if err := run(ctx, add, strings.NewReader("a long enough password\n"), io.Discard, quiet); err != nil {
		t.Fatalf("staff add: %v", err)
	}
	if err := run(ctx, add, strings.NewReader("a long enough password\n"), io.Discard, quiet); err == nil || !strings.Contains(err.Error(), "email") {
		t.Fatalf("duplicate staff: %v", err)
	}
	short := append(append([]string{}, add[:3]...), "b@example.org", "--name", "B", "--role", "staff", "--password-stdin")
	if err := run(ctx, short, strings.NewReader("short\n"), io.Discard, quiet); err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("short password: %v", err)
	}
	if err := run(ctx, []string{"staff", "add", "--email", "c@example.org", "--name", "C"}, nil, io.Discard, quiet); err == nil {
		t.Fatal("a password on the command line must be refused")
	}
	if err := run(ctx, []string{"frobnicate"}, nil, io.Discard, quiet); err == nil {
		t.Fatal("unknown command accepted")
	}
	if err := run(ctx, []string{"demo"}, nil, io.Discard, quiet); err != nil {
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
	if complaints, _ := a.Requests.Counts(ctx, models.KindComplaint); complaints["all"].N == 0 {
		t.Error("demo has no complaint")
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
	if err := run(ctx, []string{"demo"}, nil, io.Discard, quiet); err != nil {
		t.Fatal(err)
	}
	after, _ := a.Requests.Counts(ctx, models.KindRequest)
	if total(after) != before {
		t.Fatal("demo seeded twice")
	}
}

// Every way of asking for help prints every command and every flag and
// succeeds (the command exits 0), before reading any setting.
func TestHelp(t *testing.T) {
	t.Setenv("RIGHTSDESK_BASE_URL", "not a URL") // help must not need a valid configuration
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"-help"}, {"serve", "--help"}, {"staff", "add", "-h"},
		{"staff", "--help"}, {"migrate", "-h"}, {"demo", "--help"}, {"digest", "-h"}} {
		var out strings.Builder
		if err := run(context.Background(), args, nil, &out, quiet); err != nil {
			t.Errorf("%v: %v", args, err)
			continue
		}
		for _, c := range commands {
			if !strings.Contains(out.String(), "rightsdesk "+c.name) {
				t.Errorf("%v: the help lacks the command %q:\n%s", args, c.name, out.String())
			}
			if c.flags != nil {
				c.flags().VisitAll(func(f *flag.Flag) {
					if !strings.Contains(out.String(), "--"+f.Name) {
						t.Errorf("%v: the help lacks %s's flag --%s", args, c.name, f.Name)
					}
				})
			}
		}
	}
	for _, want := range []string{"serve", "migrate", "staff add", "demo", "digest", "--demo", "--email", "--name", "--role", "--password-stdin", "(default reviewer)"} {
		var out strings.Builder
		_ = run(context.Background(), []string{"help"}, nil, &out, quiet)
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	// Mistakes are errors that point to the help.
	for _, args := range [][]string{{"frobnicate"}, {"serve", "--nope"}, {"migrate", "extra"}, {"staff"}} {
		if err := run(context.Background(), args, nil, io.Discard, quiet); err == nil || !strings.Contains(err.Error(), "rightsdesk help") {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// The built binary exits 0 on --help, -h and help, and prints to stdout.
func TestHelpExitsZero(t *testing.T) {
	bin := buildBinary(t)
	for _, arg := range []string{"--help", "-h", "help"} {
		cmd := exec.Command(bin, arg)
		cmd.Env = append(os.Environ(), "RIGHTSDESK_DATA_DIR="+t.TempDir())
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "rightsdesk staff add") {
			t.Errorf("%s: %v\n%s", arg, err, out)
		}
	}
}
