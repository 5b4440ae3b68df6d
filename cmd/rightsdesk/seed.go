package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/config"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/web"
)

// seedRequests adds fictional requests in bulk, for load tests: see models.Seed.
func seedRequests(ctx context.Context, cfg config.Config, opts seedOptions, log *slog.Logger) error {
	n := &opts.requests
	app, err := web.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	start := time.Now()
	last := start
	res, err := models.Seed(ctx, app.Core, models.SeedOptions{Requests: *n, Progress: func(done int) {
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			log.Info("seeding", "requests", done, "of", *n)
		}
	}})
	if err != nil {
		return err
	}
	log.Info("seeded fictional requests", "requests", res.Requests, "submissions", res.Submissions,
		"open", res.Open, "appeals", res.Appeals, "took", time.Since(start).Round(time.Millisecond),
		"database", models.Describe(cfg.DatabaseURL, cfg.DataDir))
	return nil
}
