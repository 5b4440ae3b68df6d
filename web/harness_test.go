package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/config"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/web"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// dialects runs fn once on SQLite and once on PostgreSQL.
func dialects(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	dialectsScale(t, "100", fn)
}

// dialectsScale is dialects with the per-client limits scaled by
// rateScale ("1" = the limits as configured), for tests of the limits.
func dialectsScale(t *testing.T, rateScale string, fn func(t *testing.T, h *harness)) {
	t.Helper()
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, newHarnessScale(t, d, rateScale))
		})
	}
}

// harness is the real application on a real database, served over HTTP,
// with a real SMTP server receiving its mail.
type harness struct {
	t    testing.TB
	app  *web.App
	srv  *httptest.Server
	smtp *testsmtp.Server

	rateScale string
	logs      testenv.Buffer // everything the application logged
}

func newHarness(t *testing.T, dialect string) *harness {
	return newHarnessScale(t, dialect, "100") // many people, one test address
}

// newBenchHarness is the usual SQLite harness, for a benchmark.
func newBenchHarness(b *testing.B) *harness { return newHarnessWith(b, harnessOptions{}) }

func newHarnessScale(t *testing.T, dialect, rateScale string) *harness {
	t.Helper()
	return newHarnessWith(t, harnessOptions{dialect: dialect, rateScale: rateScale})
}

// harnessOptions say what newHarnessWith builds; the zero value of each
// field is the usual harness.
type harnessOptions struct {
	dialect     string            // "sqlite" (default) or "postgres"
	databaseURL string            // a PostgreSQL database of the test's own; "" = a fresh one
	dataDir     string            // "" = a fresh temporary directory
	rateScale   string            // RIGHTSDESK_RATE_LIMIT_SCALE; "" = 100
	smtp        *testsmtp.Server  // shared by several instances; nil = one of its own
	env         map[string]string // further settings, e.g. RIGHTSDESK_TRUST_PROXY
}

func newHarnessWith(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	h, cfg := prepareHarness(t, o)
	if err := h.open(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	h.start()
	return h
}

// prepareHarness makes the harness and its configuration without opening
// the application: a test may open several at once (h.open is safe to
// call from any goroutine), then start each.
func prepareHarness(t testing.TB, o harnessOptions) (*harness, config.Config) {
	t.Helper()
	if o.rateScale == "" {
		o.rateScale = "100"
	}
	h := &harness{t: t, smtp: o.smtp, rateScale: o.rateScale}
	if h.smtp == nil {
		h.smtp = testsmtp.Start(t)
	}
	h.srv = httptest.NewUnstartedServer(nil)
	dir := o.dataDir
	if dir == "" {
		dir = t.TempDir()
	}
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "RIGHTSDESK_DATA_DIR":
			return dir
		case "RIGHTSDESK_SECRET":
			return "test-secret-test-secret-test-secret"
		case "RIGHTSDESK_SMTP_URL":
			return h.smtp.URL()
		case "RIGHTSDESK_BASE_URL":
			return "http://" + h.srv.Listener.Addr().String()
		case "RIGHTSDESK_ORG_NAME":
			return "Acme Test Co"
		case "RIGHTSDESK_RATE_LIMIT_SCALE":
			return h.rateScale
		}
		return o.env[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case o.databaseURL != "":
		cfg.DatabaseURL = o.databaseURL
	case o.dialect == "postgres":
		cfg.DatabaseURL = testenv.Postgres(t)
	}
	return h, cfg
}

// open opens the application (connects, migrates); it does not call
// t.Fatal, so that it may run in a goroutine of its own.
func (h *harness) open(ctx context.Context, cfg config.Config) error {
	log := slog.New(slog.NewTextHandler(&h.logs, nil))
	app, err := web.NewApp(ctx, cfg, log)
	if err != nil {
		h.srv.Listener.Close()
		return err
	}
	h.app = app
	return nil
}

// start serves the opened application and runs its mail worker until the
// test ends.
func (h *harness) start() {
	h.srv.Config.Handler = h.app.Echo
	h.srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { h.app.Worker.Run(ctx); done <- struct{}{} }()
	go func() { h.app.Hooks.Run(ctx); done <- struct{}{} }()
	h.t.Cleanup(func() {
		cancel()
		<-done
		<-done
		h.srv.Close()
		h.app.Close()
	})
}

// browser is one person's cookie jar.
type browser struct {
	h      *harness
	client *http.Client
	csrf   string
	ip     string // sent as X-Forwarded-For, for an app that trusts a proxy
	// A signed-in staff member's e-mail, authenticator key and one
	// recovery code, when the test made them.
	email, secret, recovery string
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is a response with its parsed document.
type page struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

func (p page) location() string { return p.header.Get("Location") }

func (p page) text(sel string) string { return strings.TrimSpace(p.doc.Find(sel).Text()) }

func (b *browser) do(req *http.Request) page {
	b.h.t.Helper()
	p, err := b.send(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return p
}

// send is do for goroutines other than the test's: it returns the error.
func (b *browser) send(req *http.Request) (page, error) {
	if b.ip != "" {
		req.Header.Set("X-Forwarded-For", b.ip)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return page{}, err
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(raw)))
	if err != nil {
		return page{}, err
	}
	if tok, ok := doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok {
		b.csrf = tok
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(raw), doc: doc}, nil
}

func (b *browser) get(path string) page {
	b.h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.url(path), nil)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form with the CSRF token scraped from the last page.
func (b *browser) post(path string, form url.Values) page {
	b.h.t.Helper()
	if form.Get("_csrf") == "" {
		form.Set("_csrf", b.csrf)
	}
	return b.postRaw(path, form.Encode())
}

func (b *browser) postRaw(path, body string) page {
	b.h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(body))
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow GETs the Location of a redirect.
func (b *browser) follow(p page) page {
	b.h.t.Helper()
	if p.status != http.StatusSeeOther && p.status != http.StatusFound {
		b.h.t.Fatalf("want a redirect, got %d: %s", p.status, p.body)
	}
	return b.get(p.location())
}

func (b *browser) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.h.srv.URL + path
}

// submission is a valid form for a Californian asking to know and delete.
func submission() url.Values {
	return url.Values{
		"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"},
		"rights": {"access", "delete"}, "name": {"Jordan Example"}, "email": {"jordan@example.org"},
		"phone": {"+1 415 555 0100"}, "relationship": {"customer"}, "details": {"My loyalty account."},
	}
}

// submit walks the two-step form and returns the tracking page.
func (b *browser) submit(form url.Values) page {
	b.h.t.Helper()
	b.get("/request")
	step2 := b.post("/request/where", url.Values{"on_behalf": form["on_behalf"], "country": form["country"],
		"state": form["state"], "province": form["province"]})
	if step2.status != http.StatusOK {
		b.h.t.Fatalf("step 1: %d %s", step2.status, step2.text(".error-summary"))
	}
	nonce, _ := step2.doc.Find(`input[name="nonce"]`).Attr("value")
	form = cloneValues(form)
	form.Set("nonce", nonce)
	res := b.post("/request", form)
	if res.status != http.StatusSeeOther {
		b.h.t.Fatalf("submit: %d %s", res.status, res.text(".error-summary"))
	}
	return b.follow(res)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// submitAs submits the standard form with email and returns the private
// tracking path and the code from the verification mail.
func (h *harness) submitAs(b *browser, email string) (link, code string) {
	h.t.Helper()
	form := submission()
	form.Set("email", email)
	b.submit(form)
	m := h.mailTo(email, "Confirm").Text()
	return trackLink(h.t, m, h.srv.URL), codeRe.FindStringSubmatch(m)[1]
}

var codeRe = regexp.MustCompile(`Your code: (\d{6})`)

// mailTo waits for a message to addr whose subject contains subject.
func (h *harness) mailTo(addr, subject string) testsmtp.Received {
	h.t.Helper()
	return h.smtp.WaitFor(h.t, func(m testsmtp.Received) bool {
		return strings.Contains(strings.Join(m.To, ","), addr) && strings.Contains(m.Subject, subject)
	}, 15*time.Second)
}

// staff signs in a new privacy officer and returns their browser.
func (h *harness) staff() *browser {
	h.t.Helper()
	ctx := context.Background()
	email := "officer" + strings.ToLower(models.NewNonce()[:6]) + "@example.org"
	if _, err := h.app.Staff.Create(ctx, models.StaffInput{Email: email, Name: "Pat Officer", Role: models.RoleOfficer,
		Password: "correct horse battery staple"}, models.SystemActor); err != nil {
		h.t.Fatal(err)
	}
	b := h.browser()
	b.get("/admin/login")
	res := b.post("/admin/login", url.Values{"email": {email}, "password": {"correct horse battery staple"}})
	if res.status != http.StatusSeeOther {
		h.t.Fatalf("login: %d", res.status)
	}
	b.email = email
	return b
}

// count counts rows of a table.
func (h *harness) count(table string) int64 {
	h.t.Helper()
	var n int64
	if err := h.app.Core.DB().Table(table).Count(&n).Error; err != nil {
		h.t.Fatal(err)
	}
	return n
}
