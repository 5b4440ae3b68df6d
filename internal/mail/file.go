package mail

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultFileRetention is how long the file sender keeps a message.
const DefaultFileRetention = 7 * 24 * time.Hour

// tempPrefix names files being written; a crash can leave them behind.
const tempPrefix = ".eml-"

// FileSender writes each message as an RFC 5322 .eml file: mail for a
// machine with no SMTP server, readable in any mail program. Files hold
// codes and links, so they are deleted after a retention period.
type FileSender struct {
	dir       string
	from      string
	retention time.Duration
	log       *slog.Logger
}

// NewFileSender writes into dir, creating it (0700: the files hold
// personal data). retention <= 0 means DefaultFileRetention.
func NewFileSender(dir, from string, retention time.Duration, log *slog.Logger) (*FileSender, error) {
	if err := checkFrom(from); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// MkdirAll leaves an existing directory's mode as it was.
	if st, err := os.Stat(dir); err != nil {
		return nil, err
	} else if st.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, err
		}
	}
	if retention <= 0 {
		retention = DefaultFileRetention
	}
	return &FileSender{dir: dir, from: from, retention: retention, log: log}, nil
}

// FileName is the file a message is written to: its Message-ID, the same
// on every attempt, so a message sent again after a crash is one file.
func (f *FileSender) FileName(id int64) string {
	return filepath.Join(f.dir, fileNameFor(MessageID(id, f.from)))
}

func fileNameFor(messageID string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(".-_@+", r):
			return r
		}
		return '_'
	}, strings.Trim(messageID, "<>")) + ".eml"
}

// Send writes the message (0600) and logs where. The file appears whole
// or not at all: it is written under a temporary name, synced, and linked
// into place, which never replaces a file already there.
func (f *FileSender) Send(_ context.Context, m Message, e Email) error {
	msg, err := build(f.from, m, e)
	if err != nil {
		return err
	}
	name := f.FileName(m.ID)
	tmp, err := os.CreateTemp(f.dir, tempPrefix+"*") // CreateTemp makes it 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // the linked name stays
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), name)
	if errors.Is(err, fs.ErrExist) {
		st, serr := os.Stat(name)
		if serr != nil || !st.ModTime().Before(m.Created) {
			// Written by an earlier attempt that was not recorded.
			f.log.Info("mail already written", "id", m.ID, "template", m.Template, "file", name)
			return nil
		}
		// Older than the message: left by an earlier database whose ids
		// started again. Replace it rather than drop this message.
		f.log.Warn("mail file from an earlier database replaced", "id", m.ID, "file", name)
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		return err
	}
	if err := syncDir(f.dir); err != nil {
		return err
	}
	// Subjects carry no personal data by convention; the recipient is not logged.
	f.log.Info("mail written", "id", m.ID, "template", m.Template, "subject", e.Subject, "file", name)
	return nil
}

// syncDir makes a new directory entry durable, so a message recorded as
// sent is on disk after a power cut.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Expire deletes the .eml files written before now minus the retention,
// and temporary files a crash left behind over an hour ago.
func (f *FileSender) Expire(now time.Time) (deleted int, err error) {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, ent := range entries {
		name := ent.Name()
		var cutoff time.Time
		switch {
		case !ent.Type().IsRegular():
			continue
		case strings.HasPrefix(name, tempPrefix):
			cutoff = now.Add(-time.Hour)
		case strings.HasSuffix(name, ".eml"):
			cutoff = now.Add(-f.retention)
		default:
			continue
		}
		info, err := ent.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !info.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(f.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		if !strings.HasPrefix(name, tempPrefix) {
			deleted++
		}
	}
	return deleted, errors.Join(errs...)
}
