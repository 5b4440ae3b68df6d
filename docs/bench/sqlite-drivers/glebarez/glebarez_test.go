// Package glebarez measures github.com/glebarez/sqlite (GORM) over
// github.com/glebarez/go-sqlite, a fork of modernc.org/sqlite's driver.
package glebarez

import (
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"

	"rightsdesk.bench/sqlitedrivers/workload"
)

var driver = workload.Driver{
	Name: "glebarez",
	DSN: func(path string) string {
		return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
			"&_pragma=synchronous(NORMAL)&_pragma=secure_delete(ON)&_txlock=immediate"
	},
	Dialector: func(dsn string) gorm.Dialector { return sqlite.Open(dsn) },
}

func TestMain(m *testing.M)        { workload.Main(m) }
func TestSemantics(t *testing.T)   { workload.Check(t, driver) }
func BenchmarkSQLite(b *testing.B) { workload.Bench(b, driver) }
