package lookup

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/webhook"
)

var key = []byte("a shared key of the organization, 32+ bytes")

// endpoint is the organization's side: it checks the signature, then
// answers with what answer returns, signed with signKey.
type endpoint struct {
	calls   atomic.Int32
	signKey []byte
	answer  func(n int, c Call) (status int, body []byte)
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(e.calls.Add(1))
	raw, _ := io.ReadAll(r.Body)
	if Check(key, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), raw, time.Now()) != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var c Call
	if err := json.Unmarshal(raw, &c); err != nil {
		http.Error(w, "bad call", http.StatusBadRequest)
		return
	}
	status, body := e.answer(n, c)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sk := e.signKey
	if sk == nil {
		sk = key
	}
	w.Header().Set(HeaderTimestamp, ts)
	w.Header().Set(HeaderSignature, Sign(sk, []byte(ts), body))
	w.WriteHeader(status)
	w.Write(body)
}

func matches(c Call, m map[string]bool) []byte {
	b, _ := json.Marshal(Answer{ID: c.ID, Found: true, Matches: m})
	return b
}

func client(url string, k []byte) *Client {
	return New(url, k, Options{AllowPrivate: true, Timeout: 300 * time.Millisecond, Attempts: 3,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }})
}

var asked = map[string]string{"name": "jordan example", "phone": "+14155550100", "postal_code": "94103"}

func TestLookup(t *testing.T) {
	ok := &endpoint{answer: func(_ int, c Call) (int, []byte) {
		if c.Email != "jordan@example.org" || c.Fields["phone"] != "+14155550100" {
			return 200, matches(c, map[string]bool{"name": false, "phone": false, "postal_code": false})
		}
		return 200, matches(c, map[string]bool{"name": true, "phone": true, "postal_code": false, "extra": true})
	}}
	srv := httptest.NewServer(ok)
	defer srv.Close()
	got, err := client(srv.URL, key).Lookup(context.Background(), "jordan@example.org", asked)
	if err != nil || len(got) != 3 || !got["name"] || !got["phone"] || got["postal_code"] {
		t.Fatalf("matches %v %v", got, err)
	}

	// No record with that e-mail: nothing matched.
	none := httptest.NewServer(&endpoint{answer: func(_ int, c Call) (int, []byte) {
		b, _ := json.Marshal(Answer{ID: c.ID, Found: false})
		return 200, b
	}})
	defer none.Close()
	got, err = client(none.URL, key).Lookup(context.Background(), "nobody@example.org", asked)
	if err != nil || len(got) != 3 || got["name"] || got["phone"] {
		t.Fatalf("not found %v %v", got, err)
	}
}

func TestLookupFailures(t *testing.T) {
	kind := func(err error) string {
		var le *Error
		if !errors.As(err, &le) {
			return "not a lookup error: " + err.Error()
		}
		return le.Kind
	}
	// Slow: every attempt times out, each is retried, then it is down.
	slow := &endpoint{answer: func(_ int, c Call) (int, []byte) {
		time.Sleep(time.Second)
		return 200, matches(c, map[string]bool{"name": true, "phone": true, "postal_code": true})
	}}
	slowSrv := httptest.NewServer(slow)
	defer slowSrv.Close()
	start := time.Now()
	if _, err := client(slowSrv.URL, key).Lookup(context.Background(), "jordan@example.org", asked); kind(err) != Down {
		t.Fatalf("slow: %v", err)
	}
	if n := slow.calls.Load(); n != 3 || time.Since(start) > 3*time.Second {
		t.Fatalf("slow: %d attempts in %s", n, time.Since(start))
	}

	// Down: nothing listens.
	gone := httptest.NewServer(http.NotFoundHandler())
	url := gone.URL
	gone.Close()
	if _, err := client(url, key).Lookup(context.Background(), "jordan@example.org", asked); kind(err) != Down {
		t.Fatalf("down: %v", err)
	}

	// A 503, then an answer: the retry gets it.
	flaky := &endpoint{answer: func(n int, c Call) (int, []byte) {
		if n == 1 {
			return 503, []byte(`{}`)
		}
		return 200, matches(c, map[string]bool{"name": true, "phone": true, "postal_code": true})
	}}
	flakySrv := httptest.NewServer(flaky)
	defer flakySrv.Close()
	if got, err := client(flakySrv.URL, key).Lookup(context.Background(), "jordan@example.org", asked); err != nil || !got["postal_code"] || flaky.calls.Load() != 2 {
		t.Fatalf("flaky: %v %v after %d", got, err, flaky.calls.Load())
	}

	good := func(_ int, c Call) (int, []byte) {
		return 200, matches(c, map[string]bool{"name": true, "phone": true, "postal_code": true})
	}
	// Our signature under the wrong key: refused at once, not retried.
	refusing := &endpoint{answer: good}
	refSrv := httptest.NewServer(refusing)
	defer refSrv.Close()
	_, err := client(refSrv.URL, []byte("another key entirely, also long enough")).Lookup(context.Background(), "jordan@example.org", asked)
	var le *Error
	if kind(err) != Refused || !errors.As(err, &le) || le.Status != 401 || refusing.calls.Load() != 1 {
		t.Fatalf("bad signature: %v after %d calls", err, refusing.calls.Load())
	}

	// An answer signed under another key, or to another call: forged.
	forger := httptest.NewServer(&endpoint{signKey: []byte("not the shared key"), answer: good})
	defer forger.Close()
	if _, err := client(forger.URL, key).Lookup(context.Background(), "jordan@example.org", asked); kind(err) != Forged {
		t.Fatalf("forged signature: %v", err)
	}
	replay := httptest.NewServer(&endpoint{answer: func(_ int, c Call) (int, []byte) {
		c.ID = "an-earlier-call"
		return 200, matches(c, map[string]bool{"name": true, "phone": true, "postal_code": true})
	}})
	defer replay.Close()
	if _, err := client(replay.URL, key).Lookup(context.Background(), "jordan@example.org", asked); kind(err) != Forged {
		t.Fatalf("answer to another call: %v", err)
	}

	// Malformed answers: not JSON, a field missing, too large.
	for name, answer := range map[string]func(int, Call) (int, []byte){
		"not json":      func(int, Call) (int, []byte) { return 200, []byte("<html>ok</html>") },
		"field missing": func(_ int, c Call) (int, []byte) { return 200, matches(c, map[string]bool{"name": true}) },
		"too large":     func(int, Call) (int, []byte) { return 200, make([]byte, MaxAnswer+10) },
		"wrong type": func(_ int, c Call) (int, []byte) {
			return 200, []byte(`{"id":"` + c.ID + `","found":true,"matches":{"name":"yes"}}`)
		},
	} {
		srv := httptest.NewServer(&endpoint{answer: answer})
		if _, err := client(srv.URL, key).Lookup(context.Background(), "jordan@example.org", asked); kind(err) != Malformed {
			t.Errorf("%s: %v", name, err)
		}
		srv.Close()
	}

	// Loopback is refused unless private addresses are allowed.
	okSrv := httptest.NewServer(&endpoint{answer: good})
	defer okSrv.Close()
	_, err = New(okSrv.URL, key, Options{}).Lookup(context.Background(), "jordan@example.org", asked)
	if kind(err) != Refused || !errors.Is(err, webhook.ErrPrivateAddress) {
		t.Fatalf("loopback: %v", err)
	}
}

func TestCheck(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := Sign(key, []byte(ts), []byte("body"))
	if err := Check(key, ts, sig, []byte("body"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"old":      Check(key, ts, sig, []byte("body"), now.Add(MaxSkew+time.Second)),
		"future":   Check(key, ts, sig, []byte("body"), now.Add(-MaxSkew-time.Second)),
		"tampered": Check(key, ts, sig, []byte("bodY"), now),
		"no ts":    Check(key, "", sig, []byte("body"), now),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
