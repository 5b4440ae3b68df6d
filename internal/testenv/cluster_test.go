package testenv

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// A private cluster stops and starts again on the same port, keeping its
// data; while it is down, connections are refused.
func TestClusterStopStart(t *testing.T) {
	cl := NewCluster(t)
	dsn := cl.Database(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (n int); INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	port := cl.Port()

	cl.Stop(t)
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("ping succeeded with the cluster stopped")
	}

	cl.Start(t)
	if cl.Port() != port {
		t.Fatalf("restarted on port %d, not %d", cl.Port(), port)
	}
	var n int
	// The pool's old connections are dead; database/sql replaces them.
	for i := 0; ; i++ {
		err = db.QueryRowContext(ctx, "SELECT n FROM t").Scan(&n)
		if err == nil || i == 3 {
			break
		}
	}
	if err != nil || n != 42 {
		t.Fatalf("after restart: %d, %v", n, err)
	}
}
