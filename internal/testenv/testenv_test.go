package testenv

import (
	"database/sql"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// Each call gives a distinct, empty, usable database.
func TestPostgresDatabasesAreFresh(t *testing.T) {
	a, b := Postgres(t), Postgres(t)
	if a == b {
		t.Fatal("same database twice")
	}
	for _, dsn := range []string{a, b} {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("CREATE TABLE t (n int); INSERT INTO t VALUES (1)"); err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
	}
}
