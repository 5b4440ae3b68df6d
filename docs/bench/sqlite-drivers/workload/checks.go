package workload

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// Check verifies that d, opened with the app's settings, keeps the
// semantics the app relies on. A driver that fails one is out, whatever
// its speed.
func Check(t *testing.T, d Driver) {
	ctx := context.Background()
	open := func(t *testing.T) (*gorm.DB, string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "rightsdesk.db")
		// The app creates the file itself, 0600, before the driver opens it.
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		db, err := d.Open(path, false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { Close(db) })
		if err := Migrate(db); err != nil {
			t.Fatal(err)
		}
		return db, path
	}
	newSub := func(ref string) *Submission {
		now := time.Now().UTC().Truncate(time.Microsecond)
		return &Submission{Reference: ref, TrackingHash: randomHex(32), TrackingSealed: "x", OnBehalf: "self",
			Name: "N", Email: "n@example.org", Country: "GB", Jurisdiction: "UK", Relationship: "customer",
			Lang: "en", Channel: "web", ReceivedAt: now, CreatedAt: now, UpdatedAt: now}
	}

	t.Run("pragmas on every connection", func(t *testing.T) {
		db, _ := open(t)
		sqlDB, _ := db.DB()
		for i := range MaxOpenConns {
			conn, err := sqlDB.Conn(ctx) // held, so each turn gets a new connection
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, p := range []struct{ pragma, want string }{
				{"journal_mode", "wal"}, {"foreign_keys", "1"}, {"busy_timeout", "10000"},
				{"synchronous", "1"}, {"secure_delete", "1"},
			} {
				var got string
				if err := conn.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != p.want {
					t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, p.pragma, got, p.want)
				}
			}
		}
	})

	t.Run("unique violation is gorm.ErrDuplicatedKey", func(t *testing.T) {
		db, _ := open(t)
		if err := db.Create(newSub("RD-SAME")).Error; err != nil {
			t.Fatal(err)
		}
		err := db.Create(newSub("RD-SAME")).Error
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("duplicate reference: %v, want gorm.ErrDuplicatedKey", err)
		}
	})

	t.Run("foreign keys enforced", func(t *testing.T) {
		db, _ := open(t)
		now := time.Now().UTC()
		err := db.Create(&Request{SubmissionID: 424242, Kind: "request", Right: "access", Jurisdiction: "UK",
			Status: "verified", ReceivedAt: now, DueAt: now, OriginalDueAt: now, CreatedAt: now, UpdatedAt: now}).Error
		if err == nil {
			t.Fatal("a request for a missing submission was inserted")
		}
		if !errors.Is(err, gorm.ErrForeignKeyViolated) {
			t.Logf("foreign key error not translated: %v", err)
		}
	})

	t.Run("write transactions begin immediate", func(t *testing.T) {
		db, _ := open(t)
		a := db.Begin()
		if a.Error != nil {
			t.Fatal(a.Error)
		}
		began := make(chan time.Time, 1)
		go func() {
			b := db.Begin()
			began <- time.Now()
			if b.Error == nil {
				b.Rollback()
			}
		}()
		time.Sleep(300 * time.Millisecond)
		committed := time.Now()
		if err := a.Commit().Error; err != nil {
			t.Fatal(err)
		}
		if at := <-began; at.Before(committed) {
			t.Errorf("a second BEGIN did not wait for the first write transaction: deferred, not immediate")
		}
	})

	t.Run("concurrent read-then-write transactions never busy", func(t *testing.T) {
		db, _ := open(t)
		var wg sync.WaitGroup
		errs := make(chan error, Writers*25)
		for w := range Writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 25 {
					errs <- db.Transaction(func(tx *gorm.DB) error {
						var n int64
						if err := tx.Model(&Submission{}).Count(&n).Error; err != nil {
							return err
						}
						time.Sleep(100 * time.Microsecond)
						return tx.Create(newSub("RD-" + randomHex(3) + string(rune('A'+w)) + string(rune('A'+i)))).Error
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("secure_delete zeroes deleted rows", func(t *testing.T) {
		db, path := open(t)
		secret := "SECRET-" + randomHex(16)
		s := newSub("RD-SECRET")
		s.Details = secret
		if err := db.Create(s).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Delete(&Submission{}, s.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Error("the deleted secret is still in the database file")
		}
	})

	t.Run("files are not world-readable", func(t *testing.T) {
		db, path := open(t)
		if err := db.Create(newSub("RD-MODE")).Error; err != nil { // WAL and SHM exist now
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Error(err)
				continue
			}
			if fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s is %v, want 0600", filepath.Base(p), fi.Mode().Perm())
			}
		}
	})

	t.Run("times keep the app's text format and round-trip in UTC", func(t *testing.T) {
		db, _ := open(t)
		for _, tc := range []struct {
			at   time.Time
			text string
		}{
			{time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC), "2026-03-01 12:00:00.123456+00:00"},
			{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), "2026-03-01 12:00:00+00:00"},
		} {
			s := newSub("RD-T" + randomHex(3))
			s.ReceivedAt = tc.at
			if err := db.Create(s).Error; err != nil {
				t.Fatal(err)
			}
			// quote() keeps a driver from turning the text back into a time.Time.
			var text string
			if err := db.Raw("SELECT quote(received_at) FROM submissions WHERE id = ?", s.ID).Scan(&text).Error; err != nil {
				t.Fatal(err)
			}
			if text != "'"+tc.text+"'" {
				t.Errorf("stored %q, want %q", text, tc.text)
			}
			var back Submission
			if err := db.First(&back, s.ID).Error; err != nil {
				t.Fatal(err)
			}
			if _, off := back.ReceivedAt.Zone(); !back.ReceivedAt.Equal(tc.at) || off != 0 {
				t.Errorf("read back %v, want %v", back.ReceivedAt, tc.at)
			}
		}
	})
}
