package testenv

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// Each call gives a distinct, empty, usable database, dropped after the
// test that asked for it.
func TestPostgresDatabasesAreFreshAndDropped(t *testing.T) {
	var names []string
	t.Run("use", func(t *testing.T) {
		a, b := Postgres(t), Postgres(t)
		if a == b {
			t.Fatalf("same database twice: %s", a)
		}
		for _, dsn := range []string{a, b} {
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, strings.TrimPrefix(u.Path, "/"))
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() }) // runs before the drop
			var tables int
			if err := db.QueryRow("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
				t.Fatalf("%s: %v", dsn, err)
			}
			if tables != 0 {
				t.Errorf("%s: %d tables in a fresh database", dsn, tables)
			}
			if _, err := db.Exec("CREATE TABLE t (n int)"); err != nil {
				t.Fatalf("%s: %v", dsn, err)
			}
			if _, err := db.Exec("INSERT INTO t VALUES (1)"); err != nil {
				t.Fatalf("%s: %v", dsn, err)
			}
		}
		// A connection left open must not stop the drop.
		leak, err := sql.Open("pgx", a)
		if err != nil {
			t.Fatal(err)
		}
		if err := leak.Ping(); err != nil {
			t.Fatal(err)
		}
	})
	if len(names) != 2 { // skipped, or failed already
		t.SkipNow()
	}
	for _, name := range names {
		var n int
		err := pg.admin.QueryRowContext(context.Background(),
			"SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("database %s still exists after its test", name)
		}
	}
}

func TestSQLiteIsFresh(t *testing.T) {
	a, b := SQLite(t), SQLite(t)
	if a == b {
		t.Fatalf("same file twice: %s", a)
	}
	for _, p := range []string{a, b} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists already: %v", p, err)
		}
		if _, err := os.Stat(filepath.Dir(p)); err != nil {
			t.Errorf("directory of %s: %v", p, err)
		}
	}
}

func TestChromium(t *testing.T) {
	p := Chromium(t)
	if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s is not an executable: %v", p, err)
	}
}
