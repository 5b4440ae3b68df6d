// Package testsmtp is a real SMTP server for tests: it listens on loopback,
// accepts every message (or refuses them, or goes down, on demand) and lets
// a test wait for the message it expects.
package testsmtp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message as the server got it.
type Received struct {
	From    string   // envelope sender (MAIL FROM)
	To      []string // envelope recipients (RCPT TO)
	Raw     []byte   // the message as sent
	Subject string   // decoded Subject header
	Header  mail.Header
}

// Text returns the decoded text/plain body (the first text/plain part of a
// multipart message) with "\n" line ends, or "" when there is none.
func (r Received) Text() string { return r.part("text/plain") }

// HTML returns the decoded text/html body with "\n" line ends, or "" when
// there is none.
func (r Received) HTML() string { return r.part("text/html") }

func (r Received) part(want string) string {
	msg, err := mail.ReadMessage(bytes.NewReader(r.Raw))
	if err != nil {
		return ""
	}
	return findPart(want, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

func findPart(want, contentType, encoding string, body io.Reader) string {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain" // RFC 2045's default
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return ""
			}
			// NextPart undoes quoted-printable itself and drops the header.
			if s := findPart(want, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); s != "" {
				return s
			}
		}
	}
	if mt != want {
		return ""
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // skips line breaks
	}
	b, _ := io.ReadAll(body)
	return strings.ReplaceAll(string(b), "\r\n", "\n") // SMTP's line ends are CRLF
}

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	t    testing.TB
	addr string
	user string // AUTH PLAIN required when set
	pass string

	mu      sync.Mutex
	srv     *smtp.Server // nil while down
	lis     net.Listener
	msgs    []Received
	failing bool
	arrived chan struct{}
}

// Option configures Start.
type Option func(*Server)

// WithAuth requires AUTH PLAIN with these credentials (offered on the
// plain connection, as a local relay would).
func WithAuth(user, pass string) Option { return func(s *Server) { s.user, s.pass = user, pass } }

// Start runs a server on 127.0.0.1 until the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{t: t, arrived: make(chan struct{}, 1)}
	for _, o := range opts {
		o(s)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	s.serve(l)
	t.Cleanup(func() { s.SetDown(true) })
	return s
}

// serve starts a go-smtp server on l; the caller holds s.mu or owns s.
func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0) // closed connections are expected here
	s.srv, s.lis = srv, l
	go func() { _ = srv.Serve(l) }()
}

// Addr is host:port.
func (s *Server) Addr() string { return s.addr }

// URL is the server's address as RIGHTSDESK_SMTP_URL takes it, with the
// credentials when WithAuth was given.
func (s *Server) URL() string {
	cred := ""
	if s.user != "" {
		cred = s.user + ":" + s.pass + "@"
	}
	return "smtp://" + cred + s.addr + "?tls=none"
}

// SetFailing makes the server refuse every message with 451, a temporary
// error, until it is set back to false.
func (s *Server) SetFailing(f bool) {
	s.mu.Lock()
	s.failing = f
	s.mu.Unlock()
}

// SetDown stops the server (connections are refused) or starts it again on
// the same address. Received messages are kept.
func (s *Server) SetDown(down bool) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case down && s.srv != nil:
		// Close the listener ourselves too: Serve may not have registered
		// it with the server yet.
		_ = s.lis.Close()
		_ = s.srv.Close()
		s.srv, s.lis = nil, nil
	case !down && s.srv == nil:
		l, err := net.Listen("tcp", s.addr)
		if err != nil {
			s.t.Fatalf("testsmtp: listen again on %s: %v", s.addr, err)
		}
		s.serve(l)
	}
}

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// WaitFor returns the first message that match accepts, failing the test
// when none arrives within timeout.
func (s *Server) WaitFor(t testing.TB, match func(Received) bool, timeout time.Duration) Received {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, m := range s.Messages() {
			if match(m) {
				return m
			}
		}
		select {
		case <-s.arrived:
		case <-time.After(50 * time.Millisecond): // another waiter may have taken the signal
		case <-deadline:
			var got []string
			for _, m := range s.Messages() {
				got = append(got, m.Subject+" → "+strings.Join(m.To, ","))
			}
			t.Fatalf("testsmtp: no matching mail within %s; received: %q", timeout, got)
			return Received{}
		}
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (se *session) AuthMechanisms() []string {
	if se.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != se.s.user || pass != se.s.pass {
			return errors.New("invalid credentials")
		}
		se.authed = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.user != "" && !se.authed {
		return smtp.ErrAuthRequired
	}
	se.s.mu.Lock()
	failing := se.s.failing
	se.s.mu.Unlock()
	if failing {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Received{From: se.from, To: se.to, Raw: raw}
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Header = msg.Header
		if subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err == nil {
			m.Subject = subj
		}
	}
	se.s.mu.Lock()
	se.s.msgs = append(se.s.msgs, m)
	se.s.mu.Unlock()
	select {
	case se.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }
