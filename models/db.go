package models

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libtnb/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

//go:embed migrations
var migrations embed.FS

// Open connects to PostgreSQL when databaseURL is a postgres:// URL, and
// otherwise to the SQLite file <dataDir>/rightsdesk.db (WAL, foreign keys on,
// busy timeout).
func Open(databaseURL, dataDir string) (*gorm.DB, error) {
	if databaseURL != "" {
		db, err := gorm.Open(postgres.Open(databaseURL), gormConfig())
		if err != nil {
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		// Idle connections kept up to the pool's size: database/sql keeps
		// two by default, and under load it would close and open the
		// others on every query.
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		return db, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	return OpenSQLite(filepath.Join(dataDir, "rightsdesk.db"))
}

// gormConfig is GORM's configuration on both databases.
//
// PrepareStmt stays off on both (measured: BENCHMARKS.md). GORM prepares a
// statement first met inside a transaction on that transaction, so in every
// later transaction database/sql prepares it again and closes it at the end:
// with it on, the submit transaction took 1.8 to 3 times as long on
// PostgreSQL (a Parse and a DEALLOCATE round trip per statement) and gained
// nothing on SQLite; only SQLite's tracking read got faster (about 240 to
// 160 µs). pgx already prepares and caches every statement
// per connection (its default exec mode, cache_statement, 512 statements),
// inside transactions too.
func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:         logger.Discard, // queries carry personal data: never log them
		NowFunc:        func() time.Time { return now() },
		TranslateError: true,
		// For the reads that are prepared on SQLite (Core.read): the
		// statements in use, not every one ever seen.
		PrepareStmtMaxSize: 256,
		PrepareStmtTTL:     time.Hour,
	}
}

// sqliteOptions is the DSN query of every SQLite connection (modernc.org/sqlite
// through github.com/libtnb/sqlite). Pragmas run in this order on each new
// connection: the busy timeout first, so that the others wait for a writer
// rather than fail; secure_delete overwrites deleted content, so erased
// personal data and secrets do not linger in free pages; _txlock=immediate
// makes every write transaction BEGIN IMMEDIATE, so two transactions that
// read then write queue on the busy timeout instead of failing with
// SQLITE_BUSY. Times are written as "2006-01-02 15:04:05.999999999-07:00"
// (the format this app has always stored) and read back in UTC.
const sqliteOptions = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)&_pragma=secure_delete(ON)&_txlock=immediate" +
	"&_time_format=sqlite&_timezone=UTC"

// OpenSQLite opens (creating) the SQLite database file at path.
func OpenSQLite(path string) (*gorm.DB, error) {
	// SQLite would create the file 0644; its -wal and -shm files take the
	// database file's mode, so creating it 0600 first keeps all three private.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	db, err := gorm.Open(sqlite.Open("file:"+path+"?"+sqliteOptions), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	// One writer at a time is SQLite's model; a small pool avoids lock churn.
	sqlDB.SetMaxOpenConns(4)
	sqlDB.SetMaxIdleConns(4) // not the default 2: a new connection runs the pragmas and prepares anew
	return db, nil
}

// IsPostgres reports whether db talks to PostgreSQL.
func IsPostgres(db *gorm.DB) bool { return db.Dialector.Name() == "postgres" }

// Migrate applies every pending migration of db's dialect, then refreshes
// the planner's statistics where needed (Optimize). On PostgreSQL it holds
// an advisory lock, so several instances starting at once apply each
// migration once.
func Migrate(ctx context.Context, db *gorm.DB) ([]string, error) {
	p, err := migrator(db)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	var applied []string
	for _, r := range results {
		applied = append(applied, r.Source.Path)
	}
	if err != nil {
		return applied, fmt.Errorf("migrate: %w", err)
	}
	if err := Optimize(ctx, db); err != nil {
		return applied, fmt.Errorf("optimize: %w", err)
	}
	return applied, nil
}

// migrator is goose over db's dialect's migrations.
func migrator(db *gorm.DB) (*goose.Provider, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	var opts []goose.ProviderOption
	if IsPostgres(db) {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, sqlDB, fsys, opts...)
}

// Ping checks that the database answers.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Describe names the database for the start-up log without its password.
func Describe(databaseURL, dataDir string) string {
	if databaseURL == "" {
		return "SQLite " + filepath.Join(dataDir, "rightsdesk.db")
	}
	if i := strings.LastIndex(databaseURL, "@"); i >= 0 {
		return "PostgreSQL " + databaseURL[i+1:]
	}
	return "PostgreSQL"
}

// now is the wall clock in UTC at the precision both databases keep.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Check reports whether the database answers and can write: a read-only
// or full disk answers pings but fails the write.
func (c *Core) Check(ctx context.Context) error {
	err := c.read(ctx).Exec(`INSERT INTO health_checks (id, at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET at = excluded.at`, now()).Error
	c.wrote(err)
	return err
}
