// Package modernc measures github.com/libtnb/sqlite, a maintained GORM
// dialector over modernc.org/sqlite.
package modernc

import (
	"testing"

	"github.com/libtnb/sqlite"
	"gorm.io/gorm"

	"rightsdesk.bench/sqlitedrivers/workload"
)

var driver = workload.Driver{
	Name: "modernc",
	DSN: func(path string) string {
		return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
			"&_pragma=synchronous(NORMAL)&_pragma=secure_delete(ON)&_txlock=immediate&_time_format=sqlite&_timezone=UTC"
	},
	Dialector: func(dsn string) gorm.Dialector { return sqlite.Open(dsn) },
}

func TestMain(m *testing.M)        { workload.Main(m) }
func TestSemantics(t *testing.T)   { workload.Check(t, driver) }
func BenchmarkSQLite(b *testing.B) { workload.Bench(b, driver) }
