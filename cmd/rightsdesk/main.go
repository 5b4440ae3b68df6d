// Command rightsdesk runs the privacy-rights portal. `rightsdesk help`
// prints every command and flag (the commands table below).
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
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, log); err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
}

// command is one subcommand, for dispatch and for the help.
type command struct {
	name, args, summary string
	// flags returns the command's flag set (nil: it takes none), so the
	// help lists exactly the flags the command parses.
	flags func() *flag.FlagSet
}

// serveOptions and staffOptions are the flags of serve and staff add.
type serveOptions struct{ demo bool }

// seedOptions are the flags of seed.
type seedOptions struct{ requests int }

func (o *seedOptions) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.IntVar(&o.requests, "requests", 0, "how many fictional requests to add, appeals included")
	return fs
}

type staffOptions struct {
	email, name, role string
	passwordStdin     bool
}

func (o *serveOptions) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.BoolVar(&o.demo, "demo", false, "seed a fictional organization with sample requests before serving")
	return fs
}

func (o *staffOptions) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	fs.StringVar(&o.email, "email", "", "email address (the login)")
	fs.StringVar(&o.name, "name", "", "full name")
	fs.StringVar(&o.role, "role", models.RoleReviewer, "admin, officer, reviewer or auditor")
	fs.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from standard input (required)")
	return fs
}

// commands lists every command, in the order the help shows them.
var commands = []command{
	{"serve", "[--demo]", "run the portal (the default command)", func() *flag.FlagSet { return new(serveOptions).flags() }},
	{"migrate", "", "apply the database migrations and exit", nil},
	{"staff add", "--email E --name N [--role admin|officer|reviewer|auditor] --password-stdin", "create a staff account, reading its password from standard input",
		func() *flag.FlagSet { return new(staffOptions).flags() }},
	{"demo", "", "seed a fictional organization's requests into an empty database and exit", nil},
	{"seed", "--requests N", "add N fictional requests for load tests (two years' worth, mostly closed; no mail) and exit",
		func() *flag.FlagSet { return new(seedOptions).flags() }},
	{"digest", "", "queue the staff digest of requests due within 7 days now and exit", nil},
	{"help", "", "print this help and exit (also -h and --help)", nil},
}

// usage writes the help: every command and every flag.
func usage(w io.Writer) {
	fmt.Fprintln(w, "Rightsdesk: a self-hosted privacy-rights portal.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	for _, c := range commands {
		line := "rightsdesk " + c.name
		if c.args != "" {
			line += " " + c.args
		}
		fmt.Fprintf(w, "  %s\n      %s\n", line, c.summary)
		if c.flags == nil {
			continue
		}
		c.flags().VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				def = " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(w, "        --%-16s %s%s\n", f.Name, f.Usage, def)
		})
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Settings come from RIGHTSDESK_* environment variables (see the README's Configuration table).")
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, log *slog.Logger) error {
	if len(args) > 0 && isHelp(args[0]) {
		usage(stdout)
		return nil
	}
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "staff" {
		if len(args) > 0 && isHelp(args[0]) {
			usage(stdout)
			return nil
		}
		if len(args) == 0 || args[0] != "add" {
			return errors.New("usage: rightsdesk staff add --email E --name N --role admin|officer|reviewer|auditor --password-stdin (see rightsdesk help)")
		}
		cmd, args = "staff add", args[1:]
	}
	// parse reads a command's flags; --help prints the help instead.
	parse := func(fs *flag.FlagSet) (bool, error) {
		fs.SetOutput(io.Discard)
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage(stdout)
				return true, nil
			}
			return false, fmt.Errorf("%s: %w (see rightsdesk help)", cmd, err)
		}
		if fs.NArg() > 0 {
			return false, fmt.Errorf("%s: unexpected argument %q (see rightsdesk help)", cmd, fs.Arg(0))
		}
		return false, nil
	}
	var serveOpts serveOptions
	var staffOpts staffOptions
	var seedOpts seedOptions
	switch cmd {
	case "serve", "staff add":
		fs := serveOpts.flags()
		if cmd == "staff add" {
			fs = staffOpts.flags()
		}
		if help, err := parse(fs); help || err != nil {
			return err
		}
	case "seed":
		if help, err := parse(seedOpts.flags()); help || err != nil {
			return err
		}
		if seedOpts.requests <= 0 {
			return errors.New("seed: --requests N is required, N > 0 (see rightsdesk help)")
		}
	case "migrate", "demo", "digest":
		if help, err := parse(flag.NewFlagSet(cmd, flag.ContinueOnError)); help || err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown command %q (see rightsdesk help)", cmd)
	}
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, serveOpts.demo, log)
	case "staff add":
		return staffAdd(ctx, cfg, staffOpts, stdin, log)
	case "migrate":
		app, err := web.Open(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer app.Close()
		log.Info("database is up to date", "database", models.Describe(cfg.DatabaseURL, cfg.DataDir))
		return nil
	case "demo":
		app, err := web.Open(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer app.Close()
		_, err = web.SeedDemo(ctx, app, log)
		return err
	case "seed":
		return seedRequests(ctx, cfg, seedOpts, log)
	}
	// digest
	app, err := web.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	n, err := app.Digest.Queue(ctx, true)
	log.Info("digest queued", "staff", n)
	return err
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
		if _, err := web.SeedDemo(ctx, a, log); err != nil {
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
	go func() { a.Run(ctx); close(done) }()
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

func staffAdd(ctx context.Context, cfg config.Config, o staffOptions, stdin io.Reader, log *slog.Logger) error {
	if !o.passwordStdin {
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
	st, err := a.Staff.Create(ctx, models.StaffInput{Email: o.email, Name: o.name, Role: o.role,
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
