package models_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"gorm.io/gorm"
)

// openSQLite opens and migrates a fresh SQLite database in a directory of
// t's own, as the app does.
func openSQLite(t *testing.T) (*gorm.DB, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := models.Open("", dir)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	t.Cleanup(func() { sqlDB.Close() })
	if _, err := models.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db, filepath.Join(dir, "rightsdesk.db")
}

func staffRow(email string) *models.Staff {
	now := time.Now().UTC()
	return &models.Staff{Email: email, Name: "N", Role: "admin", PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
}

// Every pooled SQLite connection runs with the app's settings, whichever
// connection a query lands on.
func TestSQLitePragmas(t *testing.T) {
	db, _ := openSQLite(t)
	sqlDB, _ := db.DB()
	ctx := context.Background()
	for i := range 4 { // the pool's size: held connections force new ones
		conn, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, p := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"foreign_keys", "1"},
			{"busy_timeout", "10000"},
			{"synchronous", "1"}, // NORMAL
			{"secure_delete", "1"},
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
}

// The database and the files SQLite makes beside it are the owner's alone.
func TestSQLiteFileModes(t *testing.T) {
	db, path := openSQLite(t)
	if err := db.Create(staffRow("mode@example.org")).Error; err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}

// Deleted rows are overwritten, not left in free pages of the file.
func TestSQLiteSecureDelete(t *testing.T) {
	db, path := openSQLite(t)
	secret := "secret-" + models.NewNonce()
	row := staffRow(secret + "@example.org")
	if err := db.Create(row).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Delete(&models.Staff{}, row.ID).Error; err != nil {
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
		t.Fatal("a deleted value is still readable in the database file")
	}
}

// Write transactions begin IMMEDIATE: a second one waits at BEGIN for the
// first to commit, and transactions that read before they write never fail
// with SQLITE_BUSY ("database is locked") under concurrency.
func TestSQLiteImmediateTransactions(t *testing.T) {
	db, _ := openSQLite(t)

	first := db.Begin()
	if first.Error != nil {
		t.Fatal(first.Error)
	}
	began := make(chan time.Time, 1)
	go func() {
		second := db.Begin()
		began <- time.Now()
		if second.Error == nil {
			second.Rollback()
		}
	}()
	time.Sleep(200 * time.Millisecond)
	committed := time.Now()
	if err := first.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if at := <-began; at.Before(committed) {
		t.Fatal("a second write transaction began while the first was open: not BEGIN IMMEDIATE")
	}

	var wg sync.WaitGroup
	errs := make(chan error, 8*20)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				errs <- db.Transaction(func(tx *gorm.DB) error {
					var n int64
					if err := tx.Model(&models.Staff{}).Count(&n).Error; err != nil {
						return err
					}
					time.Sleep(100 * time.Microsecond)
					return tx.Create(staffRow(string(rune('a'+w)) + string(rune('a'+i)) + "@example.org")).Error
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
}

// Times keep the text format this app has always written on SQLite, so
// databases made before the driver change still compare and sort right,
// and they read back in UTC.
func TestSQLiteTimes(t *testing.T) {
	db, _ := openSQLite(t)
	for _, tc := range []struct {
		at   time.Time
		text string
	}{
		{time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC), "2026-03-01 12:00:00.123456+00:00"},
		{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), "2026-03-01 12:00:00+00:00"},
	} {
		row := staffRow(tc.text + "@example.org")
		row.CreatedAt = tc.at
		if err := db.Create(row).Error; err != nil {
			t.Fatal(err)
		}
		var text string // quote() keeps the driver from parsing it back into a time
		if err := db.Raw("SELECT quote(created_at) FROM staff WHERE id = ?", row.ID).Scan(&text).Error; err != nil {
			t.Fatal(err)
		}
		if text != "'"+tc.text+"'" {
			t.Errorf("stored %s, want '%s'", text, tc.text)
		}
		var back models.Staff
		if err := db.First(&back, row.ID).Error; err != nil {
			t.Fatal(err)
		}
		if !back.CreatedAt.Equal(tc.at) || back.CreatedAt.Location() != time.UTC {
			t.Errorf("read back %v (%v), want %v in UTC", back.CreatedAt, back.CreatedAt.Location(), tc.at)
		}
	}
}

// Both databases turn a unique violation into gorm.ErrDuplicatedKey and
// enforce foreign keys, reported as gorm.ErrForeignKeyViolated.
func TestConstraintErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		if err := s.db.Create(staffRow("same@example.org")).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Create(staffRow("same@example.org")).Error; !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("duplicate email: %v, want gorm.ErrDuplicatedKey", err)
		}
		err := s.db.Create(&models.Event{RequestID: 424242, Kind: models.EventNote, ActorKind: "system",
			CreatedAt: time.Now().UTC()}).Error
		if !errors.Is(err, gorm.ErrForeignKeyViolated) {
			t.Errorf("event of a missing request: %v, want gorm.ErrForeignKeyViolated", err)
		}
		var n int64
		s.db.Model(&models.Event{}).Count(&n)
		if n != 0 {
			t.Errorf("%d orphan events stored", n)
		}
	})
}
