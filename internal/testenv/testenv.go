// Package testenv gives tests the real services they need: a throw-away
// PostgreSQL cluster and a Chromium binary. Without them tests skip, except
// under CI=true, where a missing service fails the run.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for admin statements
)

// CI reports whether a missing service must fail the run.
func CI() bool { return os.Getenv("CI") == "true" }

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (skipped; under CI=true this fails)", args...)
}

// cluster is the PostgreSQL server shared by one test binary.
type cluster struct {
	once    sync.Once
	adminDS string // DSN of the maintenance database
	stop    func()
	err     error
}

var pg cluster

// Main runs the tests, then stops the cluster a test may have started.
// Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if pg.stop != nil {
		pg.stop()
	}
	os.Exit(code)
}

// Postgres returns the URL of a fresh, empty database, dropped when the
// test ends. The server is RIGHTSDESK_TEST_POSTGRES_URL when set, and
// otherwise a cluster started for this test binary.
func Postgres(t testing.TB) string {
	t.Helper()
	pg.once.Do(func() {
		if u := os.Getenv("RIGHTSDESK_TEST_POSTGRES_URL"); u != "" {
			pg.adminDS = u
			return
		}
		pg.adminDS, pg.stop, pg.err = startCluster()
	})
	if pg.err != nil {
		unavailable(t, "PostgreSQL unavailable: %v", pg.err)
	}
	admin, err := sql.Open("pgx", pg.adminDS)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "rdtest_" + randHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", pg.adminDS)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(pg.adminDS)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// startCluster initialises and starts a PostgreSQL cluster in a temporary
// directory on a free loopback port, as the postgres user when running as
// root (initdb refuses root).
func startCluster() (string, func(), error) {
	bin, err := findPGBin()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "rightsdesk-pg-")
	if err != nil {
		return "", nil, err
	}
	asRoot := os.Geteuid() == 0
	run := func(name string, args ...string) ([]byte, error) {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		if asRoot {
			cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		return cmd.CombinedOutput()
	}
	if asRoot {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		_ = os.Chmod(dir, 0o700)
	}
	data := filepath.Join(dir, "data")
	if out, err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return "", nil, err
		}
		opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -F -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
		out, err := run("pg_ctl", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "start")
		if err != nil {
			lastErr = fmt.Errorf("pg_ctl start: %v: %s", err, out)
			continue
		}
		stop := func() {
			_, _ = run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
			os.RemoveAll(dir)
		}
		return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), stop, nil
	}
	os.RemoveAll(dir)
	return "", nil, lastErr
}

// findPGBin finds the directory of initdb and pg_ctl: PATH first, then the
// newest /usr/lib/postgresql/<version>/bin (Debian keeps them off PATH).
func findPGBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("initdb not found (install PostgreSQL, or set RIGHTSDESK_TEST_POSTGRES_URL)")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Chromium returns the path of a Chromium binary.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("RIGHTSDESK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	unavailable(t, "Chromium not found (install chromium, or set RIGHTSDESK_CHROMIUM)")
	return ""
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return strings.ToLower(hex.EncodeToString(b))
}
