package models

import (
	"context"

	"gorm.io/gorm"
)

// Optimize refreshes the query planner's statistics where the database
// needs it. SQLite keeps none until asked, and without them it takes the
// leading column of every index to be selective: it would read a large
// index in order, filtering, rather than the small one that serves a
// queue view (kind has two values). PRAGMA optimize analyzes the tables
// that have no statistics or have grown much since their last, reading a
// bounded sample of each index, so it is cheap enough to run at every
// start and every few hours. PostgreSQL's autovacuum keeps its own.
func Optimize(ctx context.Context, db *gorm.DB) error {
	if IsPostgres(db) {
		return nil
	}
	// 0x10000: every table, not only those this connection has queried.
	return db.WithContext(ctx).Exec("PRAGMA optimize=0x10002").Error
}
