package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// loadPeople is how many people submit at once in TestWritesUnderLoad.
const loadPeople = 64

// loadSeconds is how long TestWritesUnderLoad runs on each database:
// RIGHTSDESK_LOAD_SECONDS, default 3 (the figures in BENCHMARKS.md come
// from a run of 60).
func loadSeconds(t *testing.T) time.Duration {
	v := os.Getenv("RIGHTSDESK_LOAD_SECONDS")
	if v == "" {
		return 3 * time.Second
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n <= 0 {
		t.Fatalf("RIGHTSDESK_LOAD_SECONDS=%q: want a positive number of seconds", v)
	}
	return time.Duration(n * float64(time.Second))
}

// 64 people submit requests at once through the real router, over HTTP,
// for a few seconds (RIGHTSDESK_LOAD_SECONDS), each walking the two-step
// form again and again as a browser does. Every answer to the final step
// is a 303 to the tracking page, and every acknowledged submission is in
// the database, exactly once. Throughput and latency are logged, not
// asserted: this is a correctness check with a report (see
// BENCHMARKS.md for the one-minute figures).
func TestWritesUnderLoad(t *testing.T) {
	d := loadSeconds(t)
	for _, dialect := range []string{"sqlite", "postgres"} {
		// One database at a time: the two would share the machine's cores.
		t.Run(dialect, func(t *testing.T) { writesUnderLoad(t, dialect, d) })
	}
}

func writesUnderLoad(t *testing.T, dialect string, d time.Duration) {
	h := newHarnessWith(t, harnessOptions{dialect: dialect, rateScale: "1000",
		env: map[string]string{"RIGHTSDESK_TRUST_PROXY": "true"}}) // an address per person
	transport := &http.Transport{MaxIdleConnsPerHost: 2 * loadPeople}
	defer transport.CloseIdleConnections()

	type result struct {
		emails     []string
		form, last []time.Duration // the whole form, and its final step
		errs       []string
	}
	results := make([]result, loadPeople)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for p := range loadPeople {
		wg.Go(func() {
			r := &results[p]
			c := newLoadClient(h.srv.URL, fmt.Sprintf("192.0.2.%d", p+1), transport)
			for i := 0; ctx.Err() == nil; i++ {
				email := fmt.Sprintf("load%d-%d@example.org", p, i)
				began := time.Now()
				last, err := c.submit(email)
				if err != nil {
					r.errs = append(r.errs, fmt.Sprintf("%s: %v", email, err))
					continue
				}
				r.form = append(r.form, time.Since(began))
				r.last = append(r.last, last)
				r.emails = append(r.emails, email)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var emails, errs []string
	var form, last []time.Duration
	for _, r := range results {
		emails = append(emails, r.emails...)
		errs = append(errs, r.errs...)
		form = append(form, r.form...)
		last = append(last, r.last...)
	}
	if len(errs) > 0 {
		t.Errorf("%d errors (of %d submissions); first: %s", len(errs), len(errs)+len(emails), strings.Join(errs[:min(5, len(errs))], "; "))
	}
	if len(emails) == 0 {
		t.Fatal("no submission went through")
	}

	// Every acknowledged submission is in the database, once.
	var stored []string
	if err := h.app.Core.DB().Table("submissions").Pluck("email", &stored).Error; err != nil {
		t.Fatal(err)
	}
	inDB := map[string]int{}
	for _, e := range stored {
		inDB[e]++
	}
	for _, e := range emails {
		if inDB[e] != 1 {
			t.Errorf("acknowledged submission %s stored %d times", e, inDB[e])
		}
	}
	if len(stored) != len(emails) {
		t.Errorf("%d submissions stored, %d acknowledged", len(stored), len(emails))
	}
	t.Logf("%s: %d people for %v: %d submissions, %.1f/s, %d errors; whole form (3 requests) p50 %v p99 %v; final step p50 %v p99 %v; load average %s",
		dialect, loadPeople, elapsed.Round(time.Millisecond), len(emails), float64(len(emails))/elapsed.Seconds(), len(errs),
		pct(form, 50), pct(form, 99), pct(last, 50), pct(last, 99), loadAverage())
}

// loadAverage is the machine's 1-minute load average after the run, since
// other work on the machine changes the figures ("?" where unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// pct is the p-th percentile of ds (nearest rank).
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))].Round(100 * time.Microsecond)
}

// loadClient is one person's browser, kept light (no HTML parsing beyond
// two hidden fields) so that the client costs the shared cores little.
type loadClient struct {
	base, ip string
	http     *http.Client
}

func newLoadClient(base, ip string, tr http.RoundTripper) *loadClient {
	jar, _ := cookiejar.New(nil)
	return &loadClient{base: base, ip: ip, http: &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var (
	csrfField  = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	nonceField = regexp.MustCompile(`name="nonce" value="([^"]+)"`)
)

// submit walks the form: step 1, step 2, final post; it returns how long
// the final post took, and an error unless that was a 303 to /t/….
func (c *loadClient) submit(email string) (time.Duration, error) {
	body, _, err := c.do(http.MethodGet, "/request", nil, http.StatusOK)
	if err != nil {
		return 0, err
	}
	csrf := csrfField.FindStringSubmatch(body)
	if csrf == nil {
		return 0, fmt.Errorf("no CSRF token on the first step")
	}
	body, _, err = c.do(http.MethodPost, "/request/where", url.Values{"_csrf": {csrf[1]},
		"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}}, http.StatusOK)
	if err != nil {
		return 0, err
	}
	nonce := nonceField.FindStringSubmatch(body)
	if nonce == nil {
		return 0, fmt.Errorf("no nonce on the second step")
	}
	began := time.Now()
	_, loc, err := c.do(http.MethodPost, "/request", url.Values{"_csrf": {csrf[1]}, "nonce": {nonce[1]},
		"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}, "rights": {"access", "delete"},
		"name": {"Jordan Example"}, "email": {email}, "relationship": {"customer"}}, http.StatusSeeOther)
	took := time.Since(began)
	if err != nil {
		return 0, err
	}
	if !strings.HasPrefix(loc, "/t/") {
		return 0, fmt.Errorf("final step redirected to %q", loc)
	}
	return took, nil
}

func (c *loadClient) do(method, path string, form url.Values, want int) (body, location string, err error) {
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return "", "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Forwarded-For", c.ip)
	resp, err := c.http.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode != want {
		return "", "", fmt.Errorf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
	}
	return string(raw), resp.Header.Get("Location"), nil
}
