// Package ncruces measures github.com/ncruces/go-sqlite3 (SQLite compiled
// to Wasm and translated to Go) through its GORM driver gormlite.
package ncruces

import (
	"net/url"
	"testing"

	"github.com/ncruces/go-sqlite3/gormlite"
	"gorm.io/gorm"

	"rightsdesk.bench/sqlitedrivers/workload"
)

var driver = workload.Driver{
	Name: "ncruces",
	// modeof (a SQLite URI parameter this VFS honours) gives the -wal file
	// the database's 0600; nothing does that for the -shm file, which stays
	// 0666 less the umask.
	DSN: func(path string) string {
		return "file:" + path + "?modeof=" + url.QueryEscape(path) + "&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
			"&_pragma=synchronous(NORMAL)&_pragma=secure_delete(ON)&_txlock=immediate" +
			"&_timefmt=" + url.QueryEscape("2006-01-02 15:04:05.999999999-07:00")
	},
	Dialector: func(dsn string) gorm.Dialector { return gormlite.Open(dsn) },
}

func TestMain(m *testing.M)        { workload.Main(m) }
func TestSemantics(t *testing.T)   { workload.Check(t, driver) }
func BenchmarkSQLite(b *testing.B) { workload.Bench(b, driver) }
