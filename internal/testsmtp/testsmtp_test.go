package testsmtp_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
)

// send delivers raw over a plain connection, with AUTH PLAIN when user is set.
func send(srv *testsmtp.Server, user, pass, raw string) error {
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		return err
	}
	defer c.Close()
	if user != "" {
		if err := c.Auth(sasl.NewPlainClient("", user, pass)); err != nil {
			return err
		}
	}
	if err := c.SendMail("from@example.org", []string{"to@example.org"}, strings.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}

func TestBodiesAreDecoded(t *testing.T) {
	srv := testsmtp.Start(t)
	for _, tc := range []struct {
		name, raw, text, html string
	}{
		{"plain, no Content-Type", "Subject: plain\r\n\r\nhello\r\nworld\r\n", "hello\nworld\n", ""},
		{"quoted-printable", "Subject: qp\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nZo=C3=AB a long line that=\r\n wraps\r\n", "Zoë a long line that wraps\n", ""},
		{"base64", "Subject: b64\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\nWm/DqyBoZWxs\r\nbw==\r\n", "Zoë hello", ""},
		{"encoded subject", "Subject: =?UTF-8?q?Caf=C3=A9?=\r\n\r\nx\r\n", "x\n", ""},
		{"multipart", "Subject: mp\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=B\r\n\r\n" +
			"--B\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nZo=C3=AB\r\n" +
			"--B\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+aGk8L3A+\r\n--B--\r\n", "Zoë", "<p>hi</p>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := send(srv, "", "", tc.raw); err != nil {
				t.Fatal(err)
			}
			subject := strings.TrimPrefix(strings.SplitN(tc.raw, "\r\n", 2)[0], "Subject: ")
			if tc.name == "encoded subject" {
				subject = "Café"
			}
			m := srv.WaitFor(t, func(r testsmtp.Received) bool { return r.Subject == subject }, 5*time.Second)
			if m.Text() != tc.text || m.HTML() != tc.html {
				t.Fatalf("text %q, html %q", m.Text(), m.HTML())
			}
			if m.From != "from@example.org" || len(m.To) != 1 || m.To[0] != "to@example.org" {
				t.Fatalf("envelope %q → %q", m.From, m.To)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.WithAuth("relay", "s3cret"))
	if !strings.HasPrefix(srv.URL(), "smtp://relay:s3cret@127.0.0.1:") || !strings.HasSuffix(srv.URL(), "?tls=none") {
		t.Fatalf("URL %q", srv.URL())
	}
	if err := send(srv, "", "", "Subject: a\r\n\r\nx"); err == nil {
		t.Fatal("accepted mail without AUTH")
	}
	if err := send(srv, "relay", "wrong", "Subject: a\r\n\r\nx"); err == nil {
		t.Fatal("accepted a wrong password")
	}
	if err := send(srv, "relay", "s3cret", "Subject: a\r\n\r\nx"); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages", n)
	}
}

func TestFailingAndDown(t *testing.T) {
	srv := testsmtp.Start(t)
	srv.SetFailing(true)
	err := send(srv, "", "", "Subject: a\r\n\r\nx")
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 451 {
		t.Fatalf("want 451, got %v", err)
	}
	srv.SetFailing(false)
	srv.SetDown(true)
	srv.SetDown(true) // idempotent
	if err := send(srv, "", "", "Subject: a\r\n\r\nx"); err == nil {
		t.Fatal("a down server took mail")
	}
	srv.SetDown(false)
	if err := send(srv, "", "", "Subject: b\r\n\r\nx"); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages(); len(m) != 1 || m[0].Subject != "b" {
		t.Fatalf("messages %+v", m)
	}
}

func TestConcurrentSendersAndWaiters(t *testing.T) {
	srv := testsmtp.Start(t)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			if err := send(srv, "", "", "Subject: "+string(rune('a'+i))+"\r\n\r\nx"); err != nil {
				t.Error(err)
			}
		})
	}
	for i := range 10 {
		srv.WaitFor(t, func(r testsmtp.Received) bool { return r.Subject == string(rune('a'+i)) }, 5*time.Second)
	}
	wg.Wait()
	if n := len(srv.Messages()); n != 10 {
		t.Fatalf("%d messages", n)
	}
}
