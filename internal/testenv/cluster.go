package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Cluster is a PostgreSQL cluster of one test's own, which the test may
// stop and start again on the same port: to see what an application does
// while its database is down and whether it recovers by itself.
//
// It is always a throw-away cluster made with initdb, even when
// RIGHTSDESK_TEST_POSTGRES_URL names a shared server (which a test must
// not stop); like [Postgres], it skips the test when PostgreSQL is not
// installed, and fails it under CI=true.
type Cluster struct {
	c *cluster

	mu      sync.Mutex
	running bool
}

// NewCluster initialises and starts a private cluster on a free loopback
// port; it is stopped and removed when the test ends (and by the
// watchdog if the test binary dies first). Unlike the shared cluster, it
// writes the WAL of each commit before acknowledging it, so that a commit
// survives Crash.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := startCluster(true)
	if err != nil {
		unavailable(t, "PostgreSQL cluster: %v", err)
	}
	cl := &Cluster{c: c, running: true}
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("testenv: removing the cluster: %v", err)
		}
	})
	return cl
}

// Port is the loopback port the cluster listens on, across restarts.
func (cl *Cluster) Port() int { return cl.c.port }

// Database creates a fresh database on the (running) cluster and returns
// its postgres:// URL. It lives as long as the cluster.
func (cl *Cluster) Database(t testing.TB) string {
	t.Helper()
	db, err := sql.Open("pgx", cl.c.url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := "rdtest_" + randHex(8)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	u, err := url.Parse(cl.c.url)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Stop shuts the server down as an operator's restart does (pg_ctl stop
// -m fast): open connections are told the server is shutting down and
// closed, new ones are refused. The data stays.
func (cl *Cluster) Stop(t testing.TB) {
	t.Helper()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if !cl.running {
		t.Fatal("testenv: the cluster is not running")
	}
	if err := cl.c.halt("fast"); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	cl.running = false
}

// Crash stops the server as a crash or a kill -9 would (pg_ctl stop -m
// immediate): connections drop without a word, and the next start
// recovers from the write-ahead log.
func (cl *Cluster) Crash(t testing.TB) {
	t.Helper()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if !cl.running {
		t.Fatal("testenv: the cluster is not running")
	}
	if err := cl.c.halt("immediate"); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	cl.running = false
}

// Start starts the stopped server again on the same port.
func (cl *Cluster) Start(t testing.TB) {
	t.Helper()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.running {
		t.Fatal("testenv: the cluster is already running")
	}
	if err := cl.c.start(cl.c.port); err != nil {
		t.Fatalf("testenv: restart on the same port: %v", err)
	}
	cl.running = true
}

// String names the cluster for logs.
func (cl *Cluster) String() string {
	return fmt.Sprintf("PostgreSQL cluster on 127.0.0.1:%d", cl.c.port)
}
