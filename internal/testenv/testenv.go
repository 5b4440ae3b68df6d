// Package testenv gives tests the real services they need: a fresh
// PostgreSQL database, a fresh SQLite file and a Chromium binary.
//
// When a service is missing the test is skipped, except under CI=true,
// where a missing service fails the test instead.
//
// PostgreSQL comes from RIGHTSDESK_TEST_POSTGRES_URL when set (a
// postgres://… URL of a role that may CREATE DATABASE, on PostgreSQL 13 or
// later); a server that does not answer there fails the test even outside
// CI. Otherwise the first call to [Postgres] in a test binary starts a
// throw-away cluster (initdb, pg_ctl) in a temporary directory on a free
// loopback port; when running as root, initdb refuses root, so the cluster
// runs as the postgres user through runuser. A package that uses Postgres
// stops its cluster by calling [Main] from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// A test that needs to stop and restart PostgreSQL under the application
// gets a cluster of its own from [NewCluster], whatever
// RIGHTSDESK_TEST_POSTGRES_URL says; the shared cluster is never stopped
// before Main ends.
//
// If the test binary dies without reaching the end of Main (a panic, the
// -timeout, Ctrl-C, SIGKILL), a small watchdog process started with the
// cluster notices its pipe from the test binary closing, stops the cluster
// and removes its directory. As a last resort, PostgreSQL also shuts itself
// down within about a minute once its data directory is gone.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
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
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for admin statements
)

// CI reports whether a missing service must fail the test rather than skip
// it: the environment variable CI is "true" (or "1").
func CI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// unavailable skips the test, or fails it under CI=true.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI=true: a missing service fails the run)", msg)
	}
	t.Skipf("%s (skipped; under CI=true this fails)", msg)
}

// SQLite returns the path of a SQLite database file in a fresh directory
// of the test's own; the file does not exist yet, and opening it creates an
// empty database.
func SQLite(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "rightsdesk.db")
}

// Chromium returns the path of a Chromium (or Chrome) binary:
// RIGHTSDESK_CHROMIUM when set, else chromium, chromium-browser or
// google-chrome on PATH, else /usr/bin/chromium.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("RIGHTSDESK_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("RIGHTSDESK_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := exec.LookPath("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	unavailable(t, "Chromium not found: install chromium, or set RIGHTSDESK_CHROMIUM")
	return ""
}

// server is the PostgreSQL server shared by the tests of one test binary.
type server struct {
	once  sync.Once
	err   error    // why there is no server
	url   *url.URL // admin URL; databases are made by changing its path
	admin *sql.DB
	c     *cluster // nil when RIGHTSDESK_TEST_POSTGRES_URL is used
}

var pg server

// Main runs the tests, stops the PostgreSQL cluster that any of them
// started, and exits with the tests' exit code. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if pg.admin != nil {
		pg.admin.Close()
	}
	if pg.c != nil {
		if err := pg.c.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: stopping PostgreSQL: %v\n", err)
		}
	}
	os.Exit(code)
}

// Postgres returns the postgres:// URL of a fresh, empty database of its
// own for this test, dropped (WITH (FORCE), closing leftover connections)
// when the test and its cleanups registered later have finished.
// Safe to call from parallel tests.
func Postgres(t testing.TB) string {
	t.Helper()
	pg.once.Do(pg.setUp)
	if pg.err != nil {
		if os.Getenv("RIGHTSDESK_TEST_POSTGRES_URL") != "" {
			t.Fatalf("testenv: RIGHTSDESK_TEST_POSTGRES_URL: %v", pg.err) // asked for, so never skipped
		}
		unavailable(t, "PostgreSQL unavailable: %v", pg.err)
	}
	name := "rdtest_" + randHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// template0 is empty whatever a shared server keeps in template1.
	if _, err := pg.admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := pg.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	u := *pg.url
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// setUp finds or starts the server, once per test binary.
func (s *server) setUp() {
	raw := os.Getenv("RIGHTSDESK_TEST_POSTGRES_URL")
	if raw == "" {
		c, err := startCluster(false)
		if err != nil {
			s.err = err
			return
		}
		s.c = c
		raw = c.url
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		s.err = fmt.Errorf("RIGHTSDESK_TEST_POSTGRES_URL must be a postgres:// URL, got %q", raw)
		return
	}
	db, err := sql.Open("pgx", raw)
	if err != nil {
		s.err = err
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		s.err = fmt.Errorf("connect to %s: %w", u.Redacted(), err)
		return
	}
	s.url, s.admin = u, db
}

// cluster is a throw-away PostgreSQL cluster in a temporary directory.
type cluster struct {
	url      string
	port     int
	dir      string // temporary directory: data/, log, Unix socket
	durable  bool   // commits survive a crash of the server (not of the machine)
	run      func(name string, args ...string) ([]byte, error)
	watchdog *exec.Cmd
	lifeline *os.File // closing it tells the watchdog to clean up
}

// startCluster makes a cluster and starts it on a free loopback port.
func startCluster(durable bool) (*cluster, error) {
	c, err := newCluster()
	if err != nil {
		return nil, err
	}
	c.durable = durable
	var errs []error
	for range 5 { // another test binary may take the port first
		port, err := freePort()
		if err != nil {
			c.stop()
			return nil, err
		}
		if err := c.start(port); err != nil {
			errs = append(errs, err)
			continue
		}
		return c, nil
	}
	c.stop()
	return nil, errors.Join(errs...)
}

// newCluster runs initdb in a fresh temporary directory, as the postgres
// user when running as root, with a watchdog that removes it all if the
// test binary dies. The cluster is not started.
func newCluster() (*cluster, error) {
	bin, err := findPGBin()
	if err != nil {
		return nil, err
	}
	asRoot := os.Geteuid() == 0
	var owner *user.User
	if asRoot {
		if owner, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root, the cluster must run as the postgres user (initdb refuses root): %w", err)
		}
		if _, err := exec.LookPath("runuser"); err != nil {
			return nil, fmt.Errorf("running as root needs runuser to start the cluster as postgres: %w", err)
		}
	}
	dir, err := makeDir(owner)
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	c.run = func(name string, args ...string) ([]byte, error) {
		argv := append([]string{filepath.Join(bin, name)}, args...)
		if asRoot {
			argv = append([]string{"runuser", "-u", "postgres", "--"}, argv...)
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir // a working directory the postgres user can read
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		return cmd.CombinedOutput()
	}
	if err := c.startWatchdog(bin, asRoot); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust",
		"--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		c.stop()
		return nil, fmt.Errorf("initdb: %v: %s", err, bytes.TrimSpace(out))
	}
	return c, nil
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

// start starts the server on port and waits until it accepts connections.
func (c *cluster) start(port int) error {
	logFile := filepath.Join(c.dir, "log")
	// Fast and not crash-safe: fsync off (a crash of the machine would lose
	// data), and unless durable, commits acknowledged before their WAL is
	// written (a crash of the server loses the last ones).
	syncCommit := "off"
	if c.durable {
		syncCommit = "on"
	}
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -F"+
		" -c fsync=off -c synchronous_commit=%s -c full_page_writes=off"+
		" -c max_connections=300 -c shared_buffers=32MB", port, c.dir, syncCommit)
	out, err := c.run("pg_ctl", "-w", "-t", "60", "-D", c.data(), "-l", logFile, "-o", opts, "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start on port %d: %v: %s\n%s", port, err, bytes.TrimSpace(out), tail(logFile, 10))
	}
	c.port = port
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return nil
}

// halt stops the server (mode: smart, fast or immediate) and keeps its data.
func (c *cluster) halt(mode string) error {
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// makeDir makes the cluster's temporary directory, owned by owner when set,
// somewhere that user can reach, with a path short enough for a Unix
// socket (108 bytes at most, including "/.s.PGSQL.65535").
func makeDir(owner *user.User) (string, error) {
	var errs []error
	for _, base := range []string{os.TempDir(), "/tmp"} {
		if len(base) > 70 {
			errs = append(errs, fmt.Errorf("%s: too long a path for a Unix socket", base))
			continue
		}
		dir, err := os.MkdirTemp(base, "rdpg-")
		if err == nil && owner != nil {
			err = chownTo(dir, owner)
		}
		if err == nil {
			// Traversable, so that other users can reach the socket.
			err = os.Chmod(dir, 0o755)
		}
		if err == nil && owner != nil {
			// Every parent directory must be traversable by postgres.
			if out, e := exec.Command("runuser", "-u", owner.Username, "--", "test", "-w", dir).CombinedOutput(); e != nil {
				err = fmt.Errorf("%s is not writable by %s: %v %s", dir, owner.Username, e, out)
			}
		}
		if err == nil {
			return dir, nil
		}
		if dir != "" {
			os.RemoveAll(dir)
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

func chownTo(dir string, u *user.User) error {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return err
	}
	return os.Chown(dir, uid, gid)
}

// watchdogScript waits until its standard input closes, which happens when
// the test binary exits in any way, then stops the cluster and removes its
// directory. It runs in its own process group so that Ctrl-C in a terminal
// reaches only the test binary.
const watchdogScript = `trap '' INT HUP TERM QUIT
read -r _line
if [ -d "$RD_DIR/data" ]; then "$@" >/dev/null 2>&1; fi
rm -rf -- "$RD_DIR"
`

func (c *cluster) startWatchdog(bin string, asRoot bool) error {
	r, w, err := os.Pipe() // close-on-exec: no other child inherits w
	if err != nil {
		return err
	}
	defer r.Close()
	stop := []string{filepath.Join(bin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop"}
	if asRoot {
		stop = append([]string{"runuser", "-u", "postgres", "--"}, stop...)
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c", watchdogScript, "testenv-watchdog"}, stop...)...)
	cmd.Stdin = r // stdout and stderr stay /dev/null: go test must not wait on them
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "RD_DIR="+c.dir, "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("start watchdog: %w", err)
	}
	c.watchdog, c.lifeline = cmd, w
	return nil
}

// stop stops the cluster and removes its directory, through the watchdog
// and directly if the watchdog does not finish.
func (c *cluster) stop() error {
	if c.lifeline != nil {
		c.lifeline.Close()
		done := make(chan struct{})
		go func() { c.watchdog.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Minute):
		}
	}
	if _, err := os.Stat(c.dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(filepath.Join(c.dir, "data", "postmaster.pid")); err == nil {
		if out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
			return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
		}
	}
	return os.RemoveAll(c.dir)
}

// findPGBin finds the directory of initdb and pg_ctl: PATH first, then the
// newest /usr/lib/postgresql/<version>/bin (Debian keeps them off PATH).
func findPGBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := exec.LookPath(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		_, err1 := exec.LookPath(filepath.Join(d, "initdb"))
		_, err2 := exec.LookPath(filepath.Join(d, "pg_ctl"))
		if err1 == nil && err2 == nil {
			return d, nil
		}
	}
	return "", errors.New("initdb and pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin: install PostgreSQL, or set RIGHTSDESK_TEST_POSTGRES_URL")
}

// pgVersion reads the version from /usr/lib/postgresql/<version>/bin.
func pgVersion(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
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

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// SmallDisk returns a directory on a filesystem of its own, size bytes
// large (a tmpfs, mounted for the test and unmounted after), so that a
// test can fill it: disk-full is a real error from the kernel, not a mock.
// Mounting needs root; without it the test is skipped (failed under CI).
func SmallDisk(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		unavailable(t, "cannot mount a small tmpfs (needs root): %v %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// Buffer collects what a server, a worker or a child process writes (its
// log), safely for concurrent writers.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
