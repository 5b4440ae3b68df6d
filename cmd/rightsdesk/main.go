// Command rightsdesk runs the privacy-rights portal.
//
//	rightsdesk [serve] [--demo]   run the portal (default)
//	rightsdesk migrate            apply database migrations and exit
//	rightsdesk staff add --email E --name N --role admin --password-stdin
//	rightsdesk demo               seed a fictional organization's requests and exit
//	rightsdesk seed --requests N  add N fictional requests (load tests) and exit
//	rightsdesk digest             queue the staff deadline digest now and exit
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/config"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/web"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(context.Background(), os.Args[1:], os.Stdin, log); err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, log *slog.Logger) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	switch cmd {
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		demo := fs.Bool("demo", false, "seed a fictional organization with sample requests")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return serve(ctx, cfg, *demo, log)
	case "migrate":
		app, err := web.Open(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer app.Close()
		log.Info("database is up to date", "database", models.Describe(cfg.DatabaseURL, cfg.DataDir))
		return nil
	case "staff":
		if len(args) == 0 || args[0] != "add" {
			return errors.New("usage: rightsdesk staff add --email E --name N --role admin|officer|reviewer|auditor --password-stdin")
		}
		return staffAdd(ctx, cfg, args[1:], stdin, log)
	case "demo":
		app, err := web.Open(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer app.Close()
		return seedDemo(ctx, app, log)
	case "seed":
		return seedRequests(ctx, cfg, args, log)
	case "digest":
		app, err := web.Open(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer app.Close()
		n, err := app.Digest.Queue(ctx, true)
		log.Info("digest queued", "staff", n)
		return err
	}
	return fmt.Errorf("unknown command %q (serve, migrate, staff add, demo, seed, digest)", cmd)
}

func serve(ctx context.Context, cfg config.Config, demo bool, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := web.NewApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if demo {
		if err := seedDemo(ctx, a, log); err != nil {
			return err
		}
	}
	token, err := a.Staff.NewSetupToken(ctx)
	if err != nil {
		return err
	}
	if token != "" {
		log.Warn("no staff account exists yet: open this one-time link to create the first administrator",
			"url", cfg.BaseURL+"/setup?token="+token)
	}
	srv := &http.Server{Addr: cfg.Addr, Handler: a.Echo, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { a.Worker.Run(ctx); close(done) }()
	go a.Digest.Run(ctx, log)
	go optimizeEvery(ctx, a.Core, 6*time.Hour, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("Rightsdesk is listening", "url", cfg.BaseURL, "addr", cfg.Addr,
		"database", models.Describe(cfg.DatabaseURL, cfg.DataDir), "mail", describeMail(cfg))
	select {
	case err := <-errc:
		stop()
		<-done
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	<-done
	return err
}

// optimizeEvery keeps the planner's statistics fresh while the database
// grows (see models.Optimize; start-up ran it once already).
func optimizeEvery(ctx context.Context, core *models.Core, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := models.Optimize(ctx, core.DB()); err != nil && ctx.Err() == nil {
				log.Error("optimize the database", "err", err)
			}
		}
	}
}

func describeMail(cfg config.Config) string {
	if cfg.SMTPURL == "" {
		return ".eml files in " + filepath.Join(cfg.DataDir, "mail")
	}
	if i := strings.LastIndex(cfg.SMTPURL, "@"); i >= 0 {
		return "SMTP " + cfg.SMTPURL[i+1:]
	}
	return "SMTP " + strings.TrimPrefix(strings.TrimPrefix(cfg.SMTPURL, "smtp://"), "smtps://")
}

func staffAdd(ctx context.Context, cfg config.Config, args []string, stdin io.Reader, log *slog.Logger) error {
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	emailAddr := fs.String("email", "", "email address (login)")
	name := fs.String("name", "", "full name")
	role := fs.String("role", models.RoleReviewer, "admin, officer, reviewer or auditor")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*fromStdin {
		return errors.New("--password-stdin is required: passwords are never taken from the command line")
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	a, err := web.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := a.Staff.Create(ctx, models.StaffInput{Email: *emailAddr, Name: *name, Role: *role,
		Password: strings.TrimRight(pw, "\r\n")}, models.Actor{Kind: "system", IP: "cli"})
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		var msgs []string
		for field, key := range ve.Fields {
			msgs = append(msgs, field+": "+key)
		}
		return fmt.Errorf("invalid staff account: %s", strings.Join(msgs, "; "))
	}
	if err != nil {
		return err
	}
	log.Info("staff account created", "id", st.ID, "role", st.Role)
	return nil
}
