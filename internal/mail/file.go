package mail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// FileSender writes each message as an RFC 5322 .eml file: mail for a
// machine with no SMTP server, readable in any mail program.
type FileSender struct {
	dir  string
	from string
	log  *slog.Logger
}

// NewFileSender writes into dir, creating it (0700: the files hold
// personal data).
func NewFileSender(dir, from string, log *slog.Logger) (*FileSender, error) {
	if err := checkFrom(from); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &FileSender{dir: dir, from: from, log: log}, nil
}

// Send writes {time}-{id}.eml (0600) and logs where. The file appears
// whole or not at all: it is written under a temporary name and renamed.
func (f *FileSender) Send(_ context.Context, m Message, e Email) error {
	msg, err := build(f.from, m, e)
	if err != nil {
		return err
	}
	name := filepath.Join(f.dir, fmt.Sprintf("%s-%d.eml", time.Now().UTC().Format("20060102T150405Z"), m.ID))
	tmp, err := os.CreateTemp(f.dir, ".eml-*") // CreateTemp makes it 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	// Subjects carry no personal data by convention; the recipient is not logged.
	f.log.Info("mail written", "id", m.ID, "template", m.Template, "subject", e.Subject, "file", name)
	return nil
}
