// Package workload is Rightsdesk's SQLite workload, driver-agnostic: the
// real schema (read from models/migrations/sqlite), rows shaped like the
// app's, and the app's queries written as models/ writes them. Each driver
// package next to this one runs it under its own GORM dialector; they are
// separate test binaries because glebarez/go-sqlite and modernc.org/sqlite
// both register the database/sql driver name "sqlite".
package workload

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Driver is one candidate: how it spells the app's settings and how GORM
// opens it.
type Driver struct {
	Name string
	// DSN spells the app's settings for the file at path: busy timeout
	// 10 s, WAL, foreign keys, synchronous NORMAL, secure_delete, BEGIN
	// IMMEDIATE for write transactions, and times written as
	// "2006-01-02 15:04:05.999999999-07:00" (what the app has written so far).
	DSN func(path string) string
	// Dialector wraps a DSN in the driver's GORM dialector.
	Dialector func(dsn string) gorm.Dialector
}

// MaxOpenConns is the pool size models.OpenSQLite sets.
const MaxOpenConns = 4

// Open opens path with d, configured as the app configures GORM.
func (d Driver) Open(path string, prepare bool) (*gorm.DB, error) {
	db, err := gorm.Open(d.Dialector(d.DSN(path)), &gorm.Config{
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		TranslateError: true,
		PrepareStmt:    prepare,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: open %s: %w", d.Name, path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(MaxOpenConns)
	return db, nil
}

// Close closes db's pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// migrationsDir is models/migrations/sqlite of the repository this module
// lives in (docs/bench/sqlite-drivers/workload → ../../../../models).
func migrationsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "models", "migrations", "sqlite")
}

// Migrate applies the "-- +goose Up" part of every SQLite migration of the
// app, in order, so the benchmark always runs on the current schema.
func Migrate(db *gorm.DB) error {
	dir := migrationsDir()
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no migrations in %s", dir)
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		up = strings.ReplaceAll(up, "-- +goose Up", "")
		up = strings.ReplaceAll(up, "-- +goose StatementBegin", "")
		up = strings.ReplaceAll(up, "-- +goose StatementEnd", "")
		if err := db.Exec(up).Error; err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
	}
	return nil
}
