package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	rdmail "github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
	"github.com/rightsdesk/rightsdesk/models"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const crashFrom = "privacy@acme.example"

// The real binary is killed with SIGKILL while people submit requests, and
// started again on the same data: every acknowledged submission is there,
// and its verification mail goes out within a minute: exactly once to the
// dev mailbox (one file per Message-ID), at least once over SMTP, more
// than once only for a message that was being sent when the process died.
func TestKillNineLosesNoMail(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	for _, db := range []string{"sqlite", "postgres"} {
		for _, mailer := range []string{"files", "smtp"} {
			t.Run(db+"/"+mailer, func(t *testing.T) { crashAndRecover(t, bin, db, mailer) })
		}
	}
}

func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "rightsdesk")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func crashAndRecover(t *testing.T, bin, dialect, mailer string) {
	dir := t.TempDir()
	env := map[string]string{
		"RIGHTSDESK_DATA_DIR":         dir,
		"RIGHTSDESK_SECRET":           "crash-test-secret-crash-test-secret",
		"RIGHTSDESK_MAIL_FROM":        crashFrom,
		"RIGHTSDESK_RATE_LIMIT_SCALE": "1000",
		"RIGHTSDESK_MAIL_LEASE":       "2s", // the default 30s works the same, slower
		"RIGHTSDESK_MAIL_POLL":        "100ms",
	}
	if dialect == "postgres" {
		env["RIGHTSDESK_DATABASE_URL"] = testenv.Postgres(t)
	}
	var smtp *testsmtp.Server
	if mailer == "smtp" {
		smtp = testsmtp.Start(t)
		env["RIGHTSDESK_SMTP_URL"] = smtp.URL()
	}

	first := startServer(t, bin, env)
	acks, submitted := drive(t, first, 1500*time.Millisecond)
	if len(acks) < 10 {
		t.Fatalf("only %d submissions acknowledged before the kill", len(acks))
	}

	db, err := models.Open(env["RIGHTSDESK_DATABASE_URL"], dir)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	var atCrash []models.OutboxMessage
	if err := db.Find(&atCrash).Error; err != nil {
		t.Fatal(err)
	}
	inFlight := map[int64]bool{} // claimed by the dead process
	statuses := map[string]int{}
	for _, m := range atCrash {
		statuses[m.Status]++
		if m.Status == "sending" {
			inFlight[m.ID] = true
		}
	}
	t.Logf("%d submissions tried, %d acknowledged; outbox at the kill: %v", submitted, len(acks), statuses)

	restarted := time.Now()
	second := startServer(t, bin, env)
	for {
		var unsent int64
		if err := db.Model(&models.OutboxMessage{}).Where("status <> ?", "sent").Count(&unsent).Error; err != nil {
			t.Fatal(err)
		}
		if unsent == 0 {
			break
		}
		if time.Since(restarted) > time.Minute {
			t.Fatalf("%d messages still unsent a minute after the restart\n%s", unsent, tail(second.logs))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("all mail sent %v after the restart", time.Since(restarted).Round(time.Millisecond))
	// Every acknowledged tracking link works after the crash.
	c := newClient(second.base)
	for _, a := range acks {
		if _, _, err := c.do(context.Background(), "tracking page", http.MethodGet, a.track, nil, http.StatusOK); err != nil {
			t.Errorf("%s: %v", a.email, err)
		}
	}
	second.stop(t)

	var rows []models.OutboxMessage
	if err := db.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	// Every acknowledged submission was committed, with one verification mail.
	verify := map[string][]int64{}
	for _, r := range rows {
		if r.Template == models.MailVerifyEmail {
			verify[r.ToAddr] = append(verify[r.ToAddr], r.ID)
		}
	}
	for _, a := range acks {
		var n int64
		if err := db.Table("submissions").Where("email = ?", a.email).Count(&n).Error; err != nil || n != 1 {
			t.Errorf("acknowledged submission %s: %d rows, %v", a.email, n, err)
		}
		if len(verify[a.email]) != 1 {
			t.Errorf("acknowledged submission %s: verification mails %v", a.email, verify[a.email])
		}
	}

	received := map[string][]string{} // Message-ID → recipients
	if mailer == "files" {
		received = readMailbox(t, filepath.Join(dir, "mail"))
	} else {
		for _, m := range smtp.Messages() {
			id := m.Header.Get("Message-Id")
			received[id] = append(received[id], strings.Join(m.To, ","))
		}
	}
	dups := 0
	for _, r := range rows {
		got := received[rdmail.MessageID(r.ID, crashFrom)]
		delete(received, rdmail.MessageID(r.ID, crashFrom))
		switch {
		case len(got) == 0:
			t.Errorf("outbox %d (%s) marked sent, never received", r.ID, r.Template)
		case got[0] != r.ToAddr && got[0] != "<"+r.ToAddr+">":
			t.Errorf("outbox %d went to %q, not %q", r.ID, got[0], r.ToAddr)
		case len(got) > 1 && (mailer == "files" || !inFlight[r.ID]):
			t.Errorf("outbox %d (%s) received %d times; it was %q at the kill", r.ID, r.Template, len(got), statusOf(atCrash, r.ID))
		case len(got) > 1:
			dups++
		}
	}
	for id := range received {
		t.Errorf("received %s, which no outbox row sent", id)
	}
	t.Logf("%d outbox rows, %d claimed by the killed process, %d of those delivered twice over SMTP", len(rows), len(inFlight), dups)
}

func statusOf(rows []models.OutboxMessage, id int64) string {
	for _, r := range rows {
		if r.ID == id {
			return r.Status
		}
	}
	return "not yet queued"
}

// readMailbox reads every .eml file: Message-ID → the To of each file.
func readMailbox(t *testing.T, dir string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("mail directory: %v %v", st, err)
	}
	out := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id := m.Header.Get("Message-Id")
		out[id] = append(out[id], m.Header.Get("To"))
	}
	return out
}

// server is one run of the binary.
type server struct {
	cmd  *exec.Cmd
	base string
	logs *testenv.Buffer
	done chan struct{}
}

func startServer(t *testing.T, bin string, env map[string]string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{cmd: exec.Command(bin, "serve"), base: "http://" + addr, logs: &testenv.Buffer{}, done: make(chan struct{})}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RIGHTSDESK_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	for k, v := range env {
		s.cmd.Env = append(s.cmd.Env, k+"="+v)
	}
	s.cmd.Env = append(s.cmd.Env, "RIGHTSDESK_ADDR="+addr)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("server log:\n%s", tail(s.logs))
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case <-s.done:
			t.Fatalf("the server exited at start:\n%s", tail(s.logs))
		default:
		}
		if resp, err := http.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not answer /healthz:\n%s", tail(s.logs))
		}
	}
}

// stop shuts the server down as an operator would.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop on SIGTERM")
	}
}

type ack struct{ email, track string }

// drive submits requests from several people at once for about d, then
// kills the server with SIGKILL while submissions are in flight. It returns
// the submissions the server acknowledged (a 303 to the tracking page).
func drive(t *testing.T, s *server, d time.Duration) (acks []ack, tried int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			c := newClient(s.base)
			for i := 0; ctx.Err() == nil; i++ {
				email := fmt.Sprintf("p%d-%d@example.org", g, i)
				mu.Lock()
				tried++
				mu.Unlock()
				track, err := c.submit(ctx, email)
				var bad *badStatus
				switch {
				case err == nil:
					mu.Lock()
					acks = append(acks, ack{email, track})
					mu.Unlock()
				case errors.As(err, &bad):
					t.Errorf("%s: %v", email, err) // the server answered, wrongly
					return
				default:
					return // the connection died with the server
				}
			}
		})
	}
	time.Sleep(d)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	cancel()
	wg.Wait()
	return acks, tried
}

type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{base: base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type badStatus struct {
	step   string
	status int
}

func (b *badStatus) Error() string { return fmt.Sprintf("%s: status %d", b.step, b.status) }

// submit walks the two-step form as a browser does and returns the
// tracking path the final step redirects to.
func (c *client) submit(ctx context.Context, email string) (string, error) {
	doc, _, err := c.do(ctx, "step 0", http.MethodGet, "/request", nil, http.StatusOK)
	if err != nil {
		return "", err
	}
	doc, _, err = c.do(ctx, "step 1", http.MethodPost, "/request/where", url.Values{
		"_csrf": {csrf(doc)}, "on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}}, http.StatusOK)
	if err != nil {
		return "", err
	}
	nonce, _ := doc.Find(`input[name="nonce"]`).Attr("value")
	_, loc, err := c.do(ctx, "step 2", http.MethodPost, "/request", url.Values{
		"_csrf": {csrf(doc)}, "nonce": {nonce}, "on_behalf": {"self"}, "country": {"US"}, "state": {"CA"},
		"rights": {"access", "delete"}, "name": {"Jordan Example"}, "email": {email}, "relationship": {"customer"},
	}, http.StatusSeeOther)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(loc, "/t/") {
		return "", &badStatus{"redirect to " + loc, http.StatusSeeOther}
	}
	return loc, nil
}

func csrf(doc *goquery.Document) string {
	v, _ := doc.Find(`input[name="_csrf"]`).First().Attr("value")
	return v
}

func (c *client) do(ctx context.Context, step, method, path string, form url.Values, want int) (*goquery.Document, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err // cut off by the kill
	}
	if resp.StatusCode != want {
		return nil, "", &badStatus{step, resp.StatusCode}
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
	return doc, resp.Header.Get("Location"), err
}

// tail is the last lines of a process's output, enough to see why a run failed.
func tail(b *testenv.Buffer) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-40):], "\n")
}
