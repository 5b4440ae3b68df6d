package main

import (
	"context"
	"io"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/config"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/web"
)

func TestSeedCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("RIGHTSDESK_DATA_DIR", dir)
	t.Setenv("RIGHTSDESK_SECRET", "seed-test-secret-seed-test-secret")
	ctx := context.Background()
	for _, bad := range [][]string{{"seed"}, {"seed", "--requests", "0"}, {"seed", "--requests", "5", "extra"}} {
		if err := run(ctx, bad, nil, io.Discard, quiet); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if err := run(ctx, []string{"seed", "--requests", "400"}, nil, io.Discard, quiet); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "RIGHTSDESK_DATA_DIR":
			return dir
		case "RIGHTSDESK_SECRET":
			return "seed-test-secret-seed-test-secret"
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
	counts, err := a.Requests.Counts(ctx, models.KindRequest)
	if err != nil {
		t.Fatal(err)
	}
	appeals, err := a.Requests.Counts(ctx, models.KindAppeal)
	if err != nil {
		t.Fatal(err)
	}
	if n := counts[models.FilterAll].N + appeals[models.FilterAll].N; n != 400 {
		t.Fatalf("%d requests seeded, want 400", n)
	}
	page, err := a.Requests.Queue(ctx, models.QueueFilter{Status: models.FilterAll})
	if err != nil || len(page.Items) != 50 {
		t.Fatalf("queue: %d rows, %v", len(page.Items), err)
	}
}
