// Package lookup asks the organization's own records endpoint whether the
// answers a person gave to identity questions match what it holds. It is
// a synchronous call made while the person waits: one POST with a JSON
// body carrying the confirmed e-mail and the normalized answers, signed
// with HMAC-SHA256 under a key the organization and the portal share; a
// JSON answer saying, per field, whether it matched, signed the same way
// and echoing the call's id. Each attempt has a timeout; a call that finds
// the endpoint down (no connection, a timeout, 5xx, 429) is retried a few
// times with a short backoff, then fails as Down, which the portal shows
// to staff. A refusal (another 4xx, e.g. a bad signature), a malformed
// answer or a forged one fails at once.
//
// Protocol, for the organization's implementers:
//
//	POST <url>
//	Content-Type: application/json
//	Rightsdesk-Timestamp: <unix seconds>
//	Rightsdesk-Signature: v1=<hex HMAC-SHA256(key, timestamp + "." + body)>
//
//	{"id": "<random>", "email": "jordan@example.org",
//	 "fields": {"name": "jordan example", "phone": "+14155550100"}}
//
// answered with 200 and the same two headers over the answer's own body:
//
//	{"id": "<the same>", "found": true, "matches": {"name": true, "phone": false}}
//
// Every field asked must be in "matches"; "found": false means no record
// has that e-mail (every field then counts as not matched). A signature
// more than MaxSkew away from the receiver's clock is refused.
package lookup

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/webhook"
)

// Headers of a signed call and of its answer.
const (
	HeaderTimestamp = "Rightsdesk-Timestamp"
	HeaderSignature = "Rightsdesk-Signature"
)

// MaxSkew is how far a signature's timestamp may be from the clock.
const MaxSkew = 5 * time.Minute

// MaxAnswer bounds the answer's body.
const MaxAnswer = 64 << 10

// Call is what the portal sends.
type Call struct {
	ID     string            `json:"id"`
	Email  string            `json:"email"`
	Fields map[string]string `json:"fields"`
}

// Answer is what the endpoint returns.
type Answer struct {
	ID      string          `json:"id"`
	Found   bool            `json:"found"`
	Matches map[string]bool `json:"matches"`
}

// Failure kinds.
const (
	Down      = "down"      // no answer: connection refused, timeout, 5xx or 429, after the retries
	Refused   = "refused"   // the endpoint refused the call (a 4xx other than 429): a wrong key or URL
	Malformed = "malformed" // a 2xx answer that is not the protocol's JSON
	Forged    = "forged"    // the answer's signature, timestamp or id is wrong
)

// Error is a failed lookup: its kind, the last HTTP status (0 for none)
// and the cause. Its message names no personal data.
type Error struct {
	Kind   string
	Status int
	Err    error
}

func (e *Error) Error() string {
	msg := "lookup " + e.Kind
	if e.Status != 0 {
		msg += " (HTTP " + strconv.Itoa(e.Status) + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Options tune a Client; zero values take the defaults.
type Options struct {
	Timeout  time.Duration // per attempt; default 4s
	Attempts int           // default 3
	// Backoff is the wait before attempt n+1 (n from 1); default 250ms·2^(n-1).
	Backoff func(n int) time.Duration
	// AllowPrivate lets the call reach loopback and private addresses
	// (RIGHTSDESK_WEBHOOK_ALLOW_PRIVATE); off, they are refused after name
	// resolution, as for every outgoing call.
	AllowPrivate bool
	UserAgent    string
	Now          func() time.Time
}

// Client calls one endpoint with one key.
type Client struct {
	url  string
	key  []byte
	opt  Options
	http *http.Client
}

// New returns a client of the endpoint at url, signing with key.
func New(url string, key []byte, opt Options) *Client {
	if opt.Timeout <= 0 {
		opt.Timeout = 4 * time.Second
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 3
	}
	if opt.Backoff == nil {
		opt.Backoff = func(n int) time.Duration { return 250 * time.Millisecond << max(n-1, 0) }
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "Rightsdesk"
	}
	dialer := &net.Dialer{Timeout: opt.Timeout}
	if !opt.AllowPrivate {
		dialer.Control = webhook.RefusePrivate
	}
	transport := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: opt.Timeout,
		ResponseHeaderTimeout: opt.Timeout, MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute}
	return &Client{url: url, key: key, opt: opt, http: &http.Client{Transport: transport, Timeout: opt.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Sign is the signature of body at timestamp ts under key, as the headers carry it.
func Sign(key []byte, ts, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(ts)
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Check verifies a signature and its timestamp against now.
func Check(key []byte, ts, sig string, body []byte, now time.Time) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("no timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return errors.New("timestamp out of range")
	}
	if !hmac.Equal([]byte(Sign(key, []byte(ts), body)), []byte(sig)) {
		return errors.New("bad signature")
	}
	return nil
}

// Lookup asks whether fields (normalized answers, by field name) match the
// record of email. It returns, for every field asked, whether it matched.
func (c *Client) Lookup(ctx context.Context, email string, fields map[string]string) (map[string]bool, error) {
	call := Call{ID: newID(), Email: email, Fields: fields}
	body, err := json.Marshal(call)
	if err != nil {
		return nil, err
	}
	var last *Error
	for attempt := 1; attempt <= c.opt.Attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return nil, &Error{Kind: Down, Err: ctx.Err()}
			case <-time.After(c.opt.Backoff(attempt - 1)):
			}
		}
		out, err := c.once(ctx, call, body)
		if err == nil {
			return out, nil
		}
		if last = err; err.Kind != Down {
			return nil, err
		}
	}
	return nil, last
}

func (c *Client) once(ctx context.Context, call Call, body []byte) (map[string]bool, *Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Kind: Refused, Err: err}
	}
	ts := strconv.FormatInt(c.opt.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.opt.UserAgent)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(c.key, []byte(ts), body))
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, webhook.ErrPrivateAddress) {
			return nil, &Error{Kind: Refused, Err: webhook.ErrPrivateAddress}
		}
		return nil, &Error{Kind: Down, Err: scrub(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer+1))
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, &Error{Kind: Down, Status: resp.StatusCode}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, &Error{Kind: Refused, Status: resp.StatusCode}
	case err != nil:
		return nil, &Error{Kind: Down, Status: resp.StatusCode, Err: scrub(err)}
	case len(raw) > MaxAnswer:
		return nil, &Error{Kind: Malformed, Status: resp.StatusCode, Err: errors.New("answer too large")}
	}
	if err := Check(c.key, resp.Header.Get(HeaderTimestamp), resp.Header.Get(HeaderSignature), raw, c.opt.Now()); err != nil {
		return nil, &Error{Kind: Forged, Status: resp.StatusCode, Err: err}
	}
	var a Answer
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&a); err != nil {
		return nil, &Error{Kind: Malformed, Status: resp.StatusCode, Err: errors.New("not the protocol's JSON")}
	}
	if a.ID != call.ID {
		return nil, &Error{Kind: Forged, Status: resp.StatusCode, Err: errors.New("the answer is to another call")}
	}
	out := map[string]bool{}
	for f := range call.Fields {
		m, ok := a.Matches[f]
		switch {
		case !a.Found:
			out[f] = false
		case !ok:
			return nil, &Error{Kind: Malformed, Status: resp.StatusCode, Err: fmt.Errorf("no answer for %q", f)}
		default:
			out[f] = m
		}
	}
	return out, nil
}

// scrub keeps an error's cause but not the URL net/http puts in it (a
// URL may carry a secret in its query).
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func newID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
